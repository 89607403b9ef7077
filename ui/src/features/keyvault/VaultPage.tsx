/** `#/keyvault/<vault>`: settings, secrets (list, set), deleted secrets (recover, purge) and restore. */
import { useState } from 'react';
import { Guarded } from '../../acl';
import { ConfirmDialog, ErrorPanel, Spinner, Table } from '../../components';
import { href, navigate } from '../../router';
import { useApi } from '../../session';
import { listPage, readSettings } from './api';
import { Status, useLoad, VaultTabs } from './common';
import { bytesToBase64Url, showDate, vaultMount, type SecretData } from './model';
import { SecretForm } from './SecretForm';
import { vaultUrl } from './VaultsPage';
import './keyvault.css';

/** A paged engine list with "Load more" (nextSkipToken). */
function usePagedList(path: string) {
  const api = useApi();
  const [extra, setExtra] = useState<{ items: SecretData[]; next?: string } | null>(null);
  const first = useLoad(async () => {
    setExtra(null);
    return listPage(api, path);
  }, [api, path]);
  const items = [...(first.data?.items ?? []), ...(extra?.items ?? [])];
  const next = extra ? extra.next : first.data?.next;
  return {
    ...first,
    items,
    next,
    more: async () => {
      const page = await listPage(api, path, next);
      setExtra((e) => ({ items: [...(e?.items ?? []), ...page.items], next: page.next }));
    },
  };
}

export function VaultPage({ params }: { params: Record<string, string> }) {
  const vault = (params.vault ?? '').toLowerCase();
  const api = useApi();
  const mount = vaultMount(vault);
  const settings = useLoad(() => readSettings(api, vault), [api, vault]);
  const secrets = usePagedList(`${mount}/secrets/`);
  const deleted = usePagedList(`${mount}/deletedsecrets/`);
  const [status, setStatus] = useState('');
  const [actionError, setActionError] = useState<unknown>(null);
  const [purging, setPurging] = useState<string | null>(null);
  const [file, setFile] = useState<File | null>(null);

  const act = async (what: () => Promise<string>) => {
    setActionError(null);
    try {
      setStatus(await what());
    } catch (err) {
      setActionError(err);
    }
  };
  const purgeReason = settings.data?.purgeProtection ? 'purge protection is on for this vault: deleted secrets are purged only when their retention ends' : undefined;

  return (
    <section aria-labelledby="vault-h" className="kv">
      <h1 id="vault-h">Vault {vault}</h1>
      <VaultTabs vault={vault} current="secrets" />
      <ErrorPanel error={settings.error} onRetry={settings.reload} title="The vault settings could not be read" />
      {settings.data && (
        <dl className="facts">
          <dt>Vault URL</dt>
          <dd>
            <code>{vaultUrl(vault)}</code>
          </dd>
          <dt>Soft-delete retention</dt>
          <dd>{settings.data.retentionDays} days</dd>
          <dt>Purge protection</dt>
          <dd>{settings.data.purgeProtection ? 'on' : 'off'}</dd>
          <dt>Enforce validity window</dt>
          <dd>{settings.data.enforceValidityWindow ? 'on' : 'off'}</dd>
          {settings.data.recoveryLevel && (
            <>
              <dt>Recovery level</dt>
              <dd>{settings.data.recoveryLevel}</dd>
            </>
          )}
        </dl>
      )}

      <h2>Secrets</h2>
      <ErrorPanel error={secrets.error} onRetry={secrets.reload} title="The secrets could not be listed" />
      {secrets.loading && !secrets.data && <Spinner />}
      {secrets.data && (
        <Table<SecretData>
          caption={`Secrets of ${vault}`}
          hideCaption
          rows={secrets.items}
          rowKey={(s) => s.name}
          empty="No secrets in this vault."
          columns={[
            { header: 'Name', cell: (s) => <a href={href('/keyvault', vault, 'secrets', s.name)}>{s.name}</a> },
            { header: 'Enabled', cell: (s) => (s.attributes?.enabled === false ? 'no' : 'yes') },
            { header: 'Content type', cell: (s) => s.contentType ?? '—' },
            { header: 'Updated', cell: (s) => showDate(s.attributes?.updated) },
            { header: 'Expires', cell: (s) => showDate(s.attributes?.exp) },
          ]}
        />
      )}
      {secrets.next && (
        <button type="button" onClick={() => void secrets.more().catch(setActionError)}>
          Load more secrets
        </button>
      )}

      <h2>Set a secret</h2>
      <SecretForm vault={vault} onDone={(name) => navigate(`/keyvault/${encodeURIComponent(vault)}/secrets/${encodeURIComponent(name)}`)} />

      <h2>Deleted secrets</h2>
      <ErrorPanel error={actionError} title="The action failed" />
      <Status text={status} />
      <ErrorPanel error={deleted.error} onRetry={deleted.reload} title="The deleted secrets could not be listed" />
      {purgeReason && (
        <p className="hint" id="kv-purge-reason">
          Purge is disabled: {purgeReason}.
        </p>
      )}
      {deleted.data && (
        <Table<SecretData>
          caption={`Deleted secrets of ${vault}`}
          hideCaption
          rows={deleted.items}
          rowKey={(s) => s.name}
          empty="No deleted secrets."
          columns={[
            { header: 'Name', cell: (s) => s.name },
            { header: 'Deleted', cell: (s) => showDate(s.deletedDate) },
            { header: 'Purged after', cell: (s) => showDate(s.scheduledPurgeDate) },
            {
              header: 'Actions',
              cell: (s) => (
                <span className="actions kv-inline">
                  <Guarded path={`${mount}/deletedsecrets/${s.name}/recover`} need="update">
                    {(g) => (
                      <button
                        type="button"
                        {...g}
                        aria-label={`Recover ${s.name}`}
                        onClick={() =>
                          void act(async () => {
                            await api.write(`${mount}/deletedsecrets/${s.name}/recover`, {});
                            deleted.reload();
                            secrets.reload();
                            return `Secret ${s.name} recovered.`;
                          })
                        }
                      >
                        Recover
                      </button>
                    )}
                  </Guarded>
                  <Guarded path={`${mount}/deletedsecrets/${s.name}`} need="delete">
                    {(g) => {
                      const reason = g.title ?? purgeReason;
                      const describedBy = g['aria-describedby'] ?? (purgeReason ? 'kv-purge-reason' : undefined);
                      return (
                        <button type="button" className="danger" disabled={g.disabled || !!purgeReason} title={reason} aria-describedby={describedBy} aria-label={`Purge ${s.name}`} onClick={() => setPurging(s.name)}>
                          Purge
                        </button>
                      );
                    }}
                  </Guarded>
                </span>
              ),
            },
          ]}
        />
      )}
      {deleted.next && (
        <button type="button" onClick={() => void deleted.more().catch(setActionError)}>
          Load more deleted secrets
        </button>
      )}

      <h2>Restore from a backup</h2>
      <Guarded path={`${mount}/restore`} need="update">
        {(g) => (
          <form
            className="form"
            aria-label="Restore a secret"
            onSubmit={(e) => {
              e.preventDefault();
              if (!file) return;
              void act(async () => {
                const bytes = new Uint8Array(await file.arrayBuffer());
                const res = await api.write<{ name?: string }>(`${mount}/restore`, { value: bytesToBase64Url(bytes) });
                secrets.reload();
                return `Secret ${res?.data?.name ?? ''} restored from ${file.name}.`;
              });
            }}
          >
            <div className="field">
              <label htmlFor="kv-restore-file">Backup file</label>
              <input id="kv-restore-file" type="file" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
            </div>
            <div className="actions">
              <button type="submit" {...g} disabled={g.disabled || !file}>
                Restore
              </button>
            </div>
          </form>
        )}
      </Guarded>

      <ConfirmDialog
        open={purging !== null}
        title={`Purge secret ${purging ?? ''}`}
        name={purging ?? ''}
        confirmLabel="Purge for good"
        onCancel={() => setPurging(null)}
        onConfirm={async () => {
          const n = purging!;
          setPurging(null);
          await act(async () => {
            await api.del(`${mount}/deletedsecrets/${n}`);
            deleted.reload();
            return `Secret ${n} purged.`;
          });
        }}
      >
        <p>Every version of the secret is destroyed; it cannot be recovered afterwards.</p>
      </ConfirmDialog>
    </section>
  );
}
