/**
 * `#/keyvault/<vault>/secrets/<name>`: one secret — every property of the shown version, the value
 * masked until revealed, the versions, set attributes of a version (PATCH), a new version, delete
 * (soft) and backup (a file).
 */
import { useEffect, useState } from 'react';
import { Guarded } from '../../acl';
import { ConfirmDialog, ErrorPanel, Field, Form, SecretValue, Spinner, Table } from '../../components';
import { navigate } from '../../router';
import { useApi, useSession } from '../../session';
import { listPage, patch } from './api';
import { Checkbox, saveFile, Status, useLoad, VaultTabs } from './common';
import { base64UrlToBytes, formatTags, fromLocalInput, parseTags, secretPath, showDate, toLocalInput, vaultMount, type SecretData } from './model';
import { SecretForm } from './SecretForm';
import { vaultUrl } from './VaultsPage';
import './keyvault.css';

/** Every property of a secret bundle, in az's names. */
function Properties({ vault, s }: { vault: string; s: SecretData }) {
  const a = s.attributes ?? {};
  const tags = Object.entries(s.tags ?? {});
  return (
    <dl className="facts" aria-label="Properties">
      <dt>Id</dt>
      <dd>
        <code className="kv-wrap">{`${vaultUrl(vault)}/secrets/${s.name}${s.version ? `/${s.version}` : ''}`}</code>
      </dd>
      <dt>Name</dt>
      <dd>{s.name}</dd>
      <dt>Version</dt>
      <dd>
        <code className="kv-wrap">{s.version ?? '—'}</code>
      </dd>
      <dt>Enabled</dt>
      <dd>{a.enabled === false ? 'no' : 'yes'}</dd>
      <dt>Content type</dt>
      <dd>{s.contentType ?? '—'}</dd>
      <dt>Not before</dt>
      <dd>{showDate(a.nbf)}</dd>
      <dt>Expires</dt>
      <dd>{showDate(a.exp)}</dd>
      <dt>Created</dt>
      <dd>{showDate(a.created)}</dd>
      <dt>Updated</dt>
      <dd>{showDate(a.updated)}</dd>
      <dt>Recovery level</dt>
      <dd>{a.recoveryLevel ?? '—'}</dd>
      <dt>Recoverable days</dt>
      <dd>{a.recoverableDays ?? '—'}</dd>
      <dt>Managed</dt>
      <dd>{s.managed ? 'yes' : 'no'}</dd>
      <dt>Tags</dt>
      <dd>{tags.length ? tags.map(([k, v]) => <code key={k} className="kv-tag">{`${k}=${v}`}</code>) : '—'}</dd>
    </dl>
  );
}

/** Set attributes of one version (`coffer keyvault secret set-attributes`). */
function AttributesForm({ vault, s, onDone }: { vault: string; s: SecretData; onDone(): void }) {
  const { token } = useSession();
  const a = s.attributes ?? {};
  const [enabled, setEnabled] = useState(a.enabled !== false);
  const [contentType, setContentType] = useState(s.contentType ?? '');
  const [nbf, setNbf] = useState(toLocalInput(a.nbf));
  const [exp, setExp] = useState(toLocalInput(a.exp));
  const [tags, setTags] = useState(formatTags(s.tags));
  const path = secretPath(vault, s.name, s.version);
  return (
    <Guarded path={path} need="patch">
      {(g) => (
        <Form
          label={`Attributes of version ${s.version ?? ''}`}
          submitLabel="Save attributes"
          submitProps={g}
          onSubmit={async () => {
            // As Key Vault's PATCH: absent fields stay as they are (an empty date or content type changes nothing).
            const attributes: Record<string, unknown> = { enabled };
            const nb = fromLocalInput(nbf, 'Not before');
            const ex = fromLocalInput(exp, 'Expires');
            if (nb !== undefined) attributes.nbf = nb;
            if (ex !== undefined) attributes.exp = ex;
            const body: Record<string, unknown> = { attributes, tags: parseTags(tags) };
            if (contentType.trim()) body.contentType = contentType.trim();
            await patch(token, path, body);
            onDone();
          }}
        >
          <Checkbox label="Enabled" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
          <Field label="Content type" value={contentType} onChange={(e) => setContentType(e.target.value)} hint="Empty leaves it unchanged" />
          <Field label="Not before (UTC)" type="datetime-local" value={nbf} onChange={(e) => setNbf(e.target.value)} hint="Empty leaves it unchanged" />
          <Field label="Expires (UTC)" type="datetime-local" value={exp} onChange={(e) => setExp(e.target.value)} hint="Empty leaves it unchanged" />
          <Field label="Tags" multiline rows={3} value={tags} onChange={(e) => setTags((e.target as unknown as HTMLTextAreaElement).value)} hint="One key=value per line; these replace the tags (empty clears them)" />
        </Form>
      )}
    </Guarded>
  );
}

export function SecretPage({ params }: { params: Record<string, string> }) {
  const vault = (params.vault ?? '').toLowerCase();
  const name = params.name ?? '';
  const api = useApi();
  const [version, setVersion] = useState<string | undefined>(undefined);
  const [gen, setGen] = useState(0);
  const bundle = useLoad(async () => (await api.read<SecretData>(secretPath(vault, name, version))).data, [api, vault, name, version, gen]);
  const versions = useLoad(async () => {
    const all: SecretData[] = [];
    let next: string | undefined;
    // Versions are few; follow every page (bounded, in case a server loops).
    for (let i = 0; i < 40; i++) {
      const page = await listPage(api, `${secretPath(vault, name)}/versions/`, next);
      all.push(...page.items);
      if (!page.next) break;
      next = page.next;
    }
    return all.sort((x, y) => (y.attributes?.created ?? 0) - (x.attributes?.created ?? 0));
  }, [api, vault, name, gen]);
  const [editing, setEditing] = useState<SecretData | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [status, setStatus] = useState('');
  const [actionError, setActionError] = useState<unknown>(null);
  useEffect(() => setEditing(null), [version, gen]);

  const shownVersion = bundle.data?.version ?? version;
  const listed = versions.data?.find((v) => v.version === shownVersion);
  const refresh = () => setGen((g) => g + 1);

  return (
    <section aria-labelledby="secret-h" className="kv">
      <h1 id="secret-h">
        Secret {name} <span className="hint">in vault {vault}</span>
      </h1>
      <VaultTabs vault={vault} current="secrets" />
      <Status text={status} />
      <ErrorPanel error={actionError} title="The action failed" />

      <h2>{version ? `Version ${version}` : 'Current version'}</h2>
      {version && (
        <button type="button" onClick={() => setVersion(undefined)}>
          Show the current version
        </button>
      )}
      <ErrorPanel error={bundle.error} onRetry={bundle.reload} title="The secret could not be read" />
      {bundle.loading && !bundle.data && <Spinner />}
      {bundle.data && !bundle.error && (
        <>
          <p>
            Value: <SecretValue value={bundle.data.value ?? ''} label={`value of ${name}`} />
          </p>
          <Properties vault={vault} s={bundle.data} />
        </>
      )}
      {bundle.error && listed ? <Properties vault={vault} s={{ ...listed, name }} /> : null}

      <div className="actions">
        <Guarded path={`${secretPath(vault, name)}/backup`} need="update">
          {(g) => (
            <button
              type="button"
              {...g}
              onClick={async () => {
                setActionError(null);
                try {
                  const res = await api.write<{ value?: string }>(`${secretPath(vault, name)}/backup`, {});
                  const blob = res?.data?.value;
                  if (typeof blob !== 'string' || blob === '') throw new Error('The server returned no backup blob');
                  saveFile(base64UrlToBytes(blob), `${vault}-${name}.backup`);
                  setStatus(`Backup of ${name} downloaded (every version, encrypted; restore it on the vault page).`);
                } catch (err) {
                  setActionError(err);
                }
              }}
            >
              Download backup
            </button>
          )}
        </Guarded>
        <Guarded path={secretPath(vault, name)} need="delete">
          {(g) => (
            <button type="button" className="danger" {...g} onClick={() => setDeleting(true)}>
              Delete secret
            </button>
          )}
        </Guarded>
      </div>

      <h2>Versions</h2>
      <ErrorPanel error={versions.error} onRetry={versions.reload} title="The versions could not be listed" />
      {versions.data && (
        <Table<SecretData>
          caption={`Versions of ${name}`}
          hideCaption
          rows={versions.data}
          rowKey={(v) => v.version ?? ''}
          columns={[
            { header: 'Version', cell: (v) => <code className="kv-wrap">{v.version}</code> },
            { header: 'Enabled', cell: (v) => (v.attributes?.enabled === false ? 'no' : 'yes') },
            { header: 'Created', cell: (v) => showDate(v.attributes?.created) },
            { header: 'Expires', cell: (v) => showDate(v.attributes?.exp) },
            {
              header: 'Actions',
              cell: (v) => (
                <span className="actions kv-inline">
                  <button type="button" aria-label={`Show version ${v.version}`} onClick={() => setVersion(v.version)}>
                    Show
                  </button>
                  <button type="button" aria-label={`Edit attributes of version ${v.version}`} onClick={() => setEditing({ ...v, name })}>
                    Edit attributes
                  </button>
                </span>
              ),
            },
          ]}
        />
      )}
      {editing && (
        <>
          <h2>Set attributes of version {editing.version}</h2>
          <AttributesForm
            key={editing.version}
            vault={vault}
            s={editing.version === bundle.data?.version && bundle.data ? { ...bundle.data } : editing}
            onDone={() => {
              setStatus(`Attributes of version ${editing.version} saved.`);
              refresh();
            }}
          />
        </>
      )}

      <h2>New version</h2>
      <SecretForm
        vault={vault}
        fixedName={name}
        onDone={() => {
          setStatus('New version saved.');
          setVersion(undefined);
          refresh();
        }}
      />

      <ConfirmDialog
        open={deleting}
        title={`Delete secret ${name}`}
        name={name}
        onCancel={() => setDeleting(false)}
        onConfirm={async () => {
          setDeleting(false);
          setActionError(null);
          try {
            await api.del(secretPath(vault, name));
            navigate(`/keyvault/${encodeURIComponent(vault)}`);
          } catch (err) {
            setActionError(err);
          }
        }}
      >
        <p>
          The secret is soft-deleted: it stays recoverable from the vault&apos;s deleted secrets until purged or until its retention ends (see{' '}
          <code>{vaultMount(vault)}/config</code>).
        </p>
      </ConfirmDialog>
    </section>
  );
}
