/** `#/keyvault`: the vaults (keyvault mounts): list, create (`coffer keyvault create`), delete. */
import { useState } from 'react';
import { Guarded } from '../../acl';
import { ConfirmDialog, ErrorPanel, Field, Form, Spinner, Table } from '../../components';
import { href, Link } from '../../router';
import { useApi } from '../../session';
import { createVault, deleteVault, listVaults, type VaultEntry } from './api';
import { Checkbox, Status, useLoad } from './common';
import { vaultMount, vaultNameProblem } from './model';
import './keyvault.css';

/** The vault URL with the default base domain and this page's port (what `coffer keyvault show` prints by default). */
export function vaultUrl(v: string): string {
  const port = window.location.port;
  return `https://${v}.vault.localhost${port && port !== '443' ? `:${port}` : ''}`;
}

export function VaultsPage() {
  const api = useApi();
  const vaults = useLoad(() => listVaults(api), [api]);
  const [name, setName] = useState('');
  const [days, setDays] = useState('90');
  const [purge, setPurge] = useState(false);
  const [validity, setValidity] = useState(false);
  const [description, setDescription] = useState('');
  const [deleting, setDeleting] = useState<string | null>(null);
  const [deleteError, setDeleteError] = useState<unknown>(null);
  const [status, setStatus] = useState('');
  const problem = name ? vaultNameProblem(name) : undefined;
  // The create path is per name; `+`-style policies grant them all alike, so one representative path is enough.
  const createPath = `sys/mounts/${vaultMount(name && !problem ? name : 'new-vault')}`;

  return (
    <section aria-labelledby="kv-h" className="kv">
      <h1 id="kv-h">Key Vault</h1>
      <p className="hint">
        Azure Key Vault-compatible vaults: each is a <code>keyvault</code> secrets engine at <code>keyvault/&lt;name&gt;/</code>. Service principals and managed
        identities are on the <Link to="/azure-identities">Azure identities</Link> page.
      </p>
      <h2>Vaults</h2>
      <ErrorPanel error={vaults.error} onRetry={vaults.reload} title="The vaults could not be listed" />
      {vaults.loading && !vaults.data && <Spinner />}
      {vaults.data && (
        <Table<VaultEntry>
          caption="Vaults"
          hideCaption
          rows={vaults.data}
          rowKey={(v) => v.name}
          empty="No vaults yet: create one below."
          columns={[
            { header: 'Name', cell: (v) => <a href={href('/keyvault', v.name)}>{v.name}</a> },
            { header: 'Vault URL', cell: (v) => <code className="kv-wrap">{vaultUrl(v.name)}</code> },
            { header: 'Description', cell: (v) => v.description },
            {
              header: 'Actions',
              cell: (v) => (
                <Guarded path={`sys/mounts/${vaultMount(v.name)}`} need="delete">
                  {(g) => (
                    <button type="button" className="danger" {...g} aria-label={`Delete vault ${v.name}`} onClick={() => setDeleting(v.name)}>
                      Delete
                    </button>
                  )}
                </Guarded>
              ),
            },
          ]}
        />
      )}
      <ErrorPanel error={deleteError} title="The vault could not be deleted" />
      <Status text={status} />

      <h2>Create a vault</h2>
      <Guarded path={createPath} need="update">
        {(g) => (
          <Form
            label="Create a vault"
            submitLabel="Create vault"
            submitProps={{ ...g, disabled: g.disabled || !!problem || name === '' }}
            onSubmit={async () => {
              const p = vaultNameProblem(name);
              if (p) throw new Error(`Invalid vault name: ${p}`);
              const n = Number(days);
              if (!Number.isInteger(n) || n < 7 || n > 90) throw new Error('Soft-delete retention must be a whole number of days between 7 and 90');
              const v = name.trim().toLowerCase();
              await createVault(api, v, { retentionDays: n, purgeProtection: purge, enforceValidityWindow: validity, description });
              setName('');
              setStatus(`Vault ${v} created.`);
              vaults.reload();
            }}
          >
            <Field label="Vault name" value={name} onChange={(e) => setName(e.target.value)} hint={problem ?? '3-24 letters, digits and hyphens; stored lower-cased'} aria-invalid={problem ? true : undefined} required autoComplete="off" />
            <Field label="Soft-delete retention (days)" type="number" min={7} max={90} value={days} onChange={(e) => setDays(e.target.value)} hint="7-90 days: how long deleted secrets stay recoverable" />
            <Checkbox label="Purge protection" checked={purge} onChange={(e) => setPurge(e.target.checked)} hint="Deleted secrets cannot be purged before their retention ends (cannot be switched off later)" />
            <Checkbox label="Enforce validity window" checked={validity} onChange={(e) => setValidity(e.target.checked)} hint="Refuse reads of secrets outside their not-before / expires window" />
            <Field label="Description" value={description} onChange={(e) => setDescription(e.target.value)} />
          </Form>
        )}
      </Guarded>

      <ConfirmDialog
        open={deleting !== null}
        title={`Delete vault ${deleting ?? ''}`}
        name={deleting ?? ''}
        confirmLabel="Delete vault"
        onCancel={() => setDeleting(null)}
        onConfirm={async () => {
          const v = deleting!;
          setDeleteError(null);
          try {
            await deleteVault(api, v);
            setStatus(`Vault ${v} deleted.`);
          } catch (err) {
            setDeleteError(err);
          }
          setDeleting(null);
          vaults.reload();
        }}
      >
        <p>Every secret and key in it is destroyed at once (vaults have no soft delete), and its access policies and role assignments are removed.</p>
      </ConfirmDialog>
    </section>
  );
}
