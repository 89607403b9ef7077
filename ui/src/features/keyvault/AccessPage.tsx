/**
 * `#/keyvault/<vault>/access`: access policies as a grid of permissions per principal
 * (`coffer keyvault set-policy|delete-policy`) and role assignments (`coffer role assignment`).
 * Both are ACL policies built from the engine's access-policy template and attached to the
 * principal; Coffer has no separate RBAC switch per vault (enableRbacAuthorization is false), so a
 * vault may use either or both.
 */
import { useEffect, useMemo, useState } from 'react';
import { disabledReason, Guarded, useCapabilities } from '../../acl';
import { ErrorPanel, Spinner, Table } from '../../components';
import { useApi, useSession } from '../../session';
import { assignRole, listIdentities, listServicePrincipals, readVaultPolicies, resolveObjectId, revokePolicy, setAccessPolicy } from './api';
import { Status, useLoad, VaultTabs } from './common';
import {
  AZURE_AUTH,
  CERTIFICATE_PERMISSIONS,
  KEY_PERMISSIONS,
  NO_CERTIFICATES,
  SECRET_PERMISSIONS,
  ROLE_NAMES,
  accessPolicyName,
  gridChanges,
  togglePermission,
  type GridRow,
  type VaultPolicy,
} from './model';
import './keyvault.css';

interface Principal {
  objectId: string;
  label: string;
}

/** The names of the known principals by object id (service principals and managed identities). */
function usePrincipals() {
  const api = useApi();
  return useLoad(async () => {
    const [sps, mis] = await Promise.all([listServicePrincipals(api), listIdentities(api)]);
    const out: Principal[] = [];
    for (const sp of sps) if (sp.objectId) out.push({ objectId: sp.objectId, label: `${sp.displayName ?? sp.appId} (service principal ${sp.appId})` });
    for (const mi of mis) if (mi.principalId) out.push({ objectId: mi.principalId, label: `${mi.name} (managed identity)` });
    return out;
  }, [api]);
}

/** One table of the grid: one row per principal, one checkbox per permission. */
function PermissionTable({ kind, perms, rows, labels, onToggle, disabledReason }: {
  kind: 'secrets' | 'keys';
  perms: readonly string[];
  rows: GridRow[];
  labels: Map<string, string>;
  onToggle(objectId: string, perm: string, on: boolean): void;
  disabledReason?: string;
}) {
  return (
    <Table<GridRow>
      caption={`${kind === 'secrets' ? 'Secret' : 'Key'} permissions`}
      rows={rows}
      rowKey={(r) => r.objectId}
      columns={[
        { header: 'Principal', cell: (r) => <span className="kv-principal">{labels.get(r.objectId) ?? r.objectId}</span> },
        ...perms.map((p) => ({
          header: p,
          cell: (r: GridRow) => {
            const list = kind === 'secrets' ? r.secrets : r.keys;
            return (
              <input
                type="checkbox"
                aria-label={`${kind} ${p} for ${labels.get(r.objectId) ?? r.objectId}`}
                checked={list.includes(p)}
                disabled={!!disabledReason}
                title={disabledReason}
                onChange={(e) => onToggle(r.objectId, p, e.target.checked)}
              />
            );
          },
        })),
      ]}
    />
  );
}

export function AccessPage({ params }: { params: Record<string, string> }) {
  const vault = (params.vault ?? '').toLowerCase();
  const api = useApi();
  const { info } = useSession();
  const policies = useLoad(() => readVaultPolicies(api, vault), [api, vault]);
  const principals = usePrincipals();
  const labels = useMemo(() => new Map((principals.data ?? []).map((p) => [p.objectId, p.label])), [principals.data]);
  const saved: GridRow[] = useMemo(
    () => (policies.data ?? []).filter((p) => p.permissions !== undefined).map((p) => ({ objectId: p.principal, secrets: p.permissions ?? [], keys: p.keyPermissions ?? [] })),
    [policies.data],
  );
  const roles: VaultPolicy[] = (policies.data ?? []).filter((p) => p.role !== undefined);
  const [rows, setRows] = useState<GridRow[]>([]);
  useEffect(() => setRows(saved), [saved]);
  const [status, setStatus] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [adding, setAdding] = useState('');
  const [addingId, setAddingId] = useState('');
  const [role, setRole] = useState<string>(ROLE_NAMES[0]);
  const [rolePrincipal, setRolePrincipal] = useState('');

  // Saving writes sys/policies/acl/<name> and attaches it to the principal: the token needs both.
  const samplePolicy = `sys/policies/acl/${accessPolicyName(vault, 'principal')}`;
  const samplePrincipal = `${AZURE_AUTH}/principal/principal/policies`;
  const writeCaps = useCapabilities([samplePolicy, samplePrincipal]);
  const writeReason = writeCaps.loading
    ? 'checking permissions…'
    : writeCaps.error
      ? 'permissions could not be checked'
      : (disabledReason(writeCaps.caps[samplePolicy], 'update', `sys/policies/acl/keyvault-${vault}-<object id>`, info?.policies)
        ?? disabledReason(writeCaps.caps[samplePrincipal], 'update', `${AZURE_AUTH}/principal/<id>/policies`, info?.policies));

  const changes = gridChanges(saved, rows);
  const toggle = (kind: 'secrets' | 'keys') => (objectId: string, perm: string, on: boolean) =>
    setRows((rs) => rs.map((r) => (r.objectId !== objectId ? r : kind === 'secrets' ? { ...r, secrets: togglePermission(SECRET_PERMISSIONS, r.secrets, perm, on) } : { ...r, keys: togglePermission(KEY_PERMISSIONS, r.keys, perm, on) })));

  const run = async (what: () => Promise<string>, reload = true) => {
    setBusy(true);
    setError(null);
    try {
      setStatus(await what());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      if (reload) policies.reload();
    }
  };

  const addPrincipal = () =>
    void run(async () => {
      const objectId = adding === '__id' ? await resolveObjectId(api, addingId.trim()) : adding;
      if (!objectId) throw new Error('Choose a principal to add');
      if (rows.some((r) => r.objectId === objectId)) return 'That principal is in the grid already.';
      setRows((rs) => [...rs, { objectId, secrets: [], keys: [] }]);
      setAdding('');
      setAddingId('');
      return `Added ${labels.get(objectId) ?? objectId}: tick its permissions, then save.`;
    }, false);

  return (
    <section aria-labelledby="access-h" className="kv">
      <h1 id="access-h">Access to vault {vault}</h1>
      <VaultTabs vault={vault} current="access" />
      <p className="hint">
        Access policies and role assignments are both Coffer ACL policies (<code>keyvault-{vault}-&lt;object id&gt;…</code>) attached to a service principal or
        managed identity; a vault can use either or both.
      </p>
      <Status text={status} />
      <ErrorPanel error={error} title="The change failed" />
      <ErrorPanel error={policies.error} onRetry={policies.reload} title="The access policies could not be read" />
      <ErrorPanel error={principals.error} onRetry={principals.reload} title="The principals could not be listed" />
      {policies.loading && !policies.data && <Spinner />}
      {policies.data === null && <ErrorPanel title="Access policies unavailable" error={new Error('Listing access policies needs "list" on sys/policies/acl, which your token lacks.')} />}

      <h2>Access policies</h2>
      {policies.data && (
        <>
          {rows.length === 0 ? (
            <p className="empty">No access policies yet: add a principal below.</p>
          ) : (
            <>
              <PermissionTable kind="secrets" perms={SECRET_PERMISSIONS} rows={rows} labels={labels} onToggle={toggle('secrets')} disabledReason={writeReason} />
              <PermissionTable kind="keys" perms={KEY_PERMISSIONS} rows={rows} labels={labels} onToggle={toggle('keys')} disabledReason={writeReason} />
            </>
          )}
          <fieldset className="kv-certs" disabled>
            <legend>Certificate permissions</legend>
            <p className="hint" id="kv-no-certs">
              {NO_CERTIFICATES}.
            </p>
            {CERTIFICATE_PERMISSIONS.map((p) => (
              <label key={p} className="kv-cert">
                <input type="checkbox" disabled aria-describedby="kv-no-certs" /> {p}
              </label>
            ))}
          </fieldset>
          {writeReason && <p className="hint">Changes disabled: {writeReason}.</p>}
          <div className="actions">
            <button
              type="button"
              className="primary"
              disabled={busy || changes.length === 0 || !!writeReason}
              title={writeReason}
              onClick={() =>
                void run(async () => {
                  for (const c of changes) {
                    if (c.kind === 'grant') await setAccessPolicy(api, vault, c.row.objectId, c.row.secrets, c.row.keys);
                    else await revokePolicy(api, c.objectId, accessPolicyName(vault, c.objectId));
                  }
                  return `Saved ${changes.length} access ${changes.length === 1 ? 'policy' : 'policies'}.`;
                })
              }
            >
              Save access policies{changes.length ? ` (${changes.length} changed)` : ''}
            </button>
            <button type="button" disabled={changes.length === 0} onClick={() => setRows(saved)}>
              Discard changes
            </button>
          </div>

          <h3>Add a principal</h3>
          <div className="form" role="group" aria-label="Add a principal to the grid">
            <div className="field">
              <label htmlFor="kv-add-principal">Principal to add</label>
              <select id="kv-add-principal" value={adding} onChange={(e) => setAdding(e.target.value)}>
                <option value="">Choose…</option>
                {(principals.data ?? [])
                  .filter((p) => !rows.some((r) => r.objectId === p.objectId))
                  .map((p) => (
                    <option key={p.objectId} value={p.objectId}>
                      {p.label}
                    </option>
                  ))}
                <option value="__id">Another id (appId, object id, principalId)…</option>
              </select>
            </div>
            {adding === '__id' && (
              <div className="field">
                <label htmlFor="kv-add-id">Principal id</label>
                <input id="kv-add-id" value={addingId} onChange={(e) => setAddingId(e.target.value)} autoComplete="off" />
              </div>
            )}
            <div className="actions">
              <button type="button" disabled={busy || !adding || !!writeReason} title={writeReason} onClick={addPrincipal}>
                Add principal
              </button>
            </div>
          </div>
        </>
      )}

      <h2>Role assignments</h2>
      {policies.data && (
        <Table<VaultPolicy>
          caption={`Role assignments on ${vault}`}
          hideCaption
          rows={roles}
          rowKey={(r) => r.name}
          empty="No role assignments on this vault."
          columns={[
            { header: 'Role', cell: (r) => r.role },
            { header: 'Principal', cell: (r) => <span className="kv-principal">{labels.get(r.principal) ?? r.principal}</span> },
            { header: 'Scope', cell: () => <code>keyvault/{vault}</code> },
            {
              header: 'Actions',
              cell: (r) => (
                <Guarded path={`sys/policies/acl/${r.name}`} need="delete">
                  {(g) => (
                    <button type="button" className="danger" {...g} disabled={g.disabled || busy} aria-label={`Remove ${r.role} from ${labels.get(r.principal) ?? r.principal}`} onClick={() => void run(async () => {
                      await revokePolicy(api, r.principal, r.name);
                      return `Role ${r.role} removed.`;
                    })}>
                      Remove
                    </button>
                  )}
                </Guarded>
              ),
            },
          ]}
        />
      )}
      <h3>Assign a role</h3>
      <form
        className="form"
        aria-label="Assign a role"
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            if (!rolePrincipal) throw new Error('Choose a principal');
            await assignRole(api, vault, rolePrincipal, role);
            return `Role ${role} assigned to ${labels.get(rolePrincipal) ?? rolePrincipal}.`;
          });
        }}
      >
        <div className="field">
          <label htmlFor="kv-role">Role</label>
          <select id="kv-role" value={role} onChange={(e) => setRole(e.target.value)}>
            {ROLE_NAMES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="kv-role-scope">Scope</label>
          <input id="kv-role-scope" value={`keyvault/${vault}`} readOnly />
        </div>
        <div className="field">
          <label htmlFor="kv-role-principal">Principal</label>
          <select id="kv-role-principal" value={rolePrincipal} onChange={(e) => setRolePrincipal(e.target.value)}>
            <option value="">Choose…</option>
            {(principals.data ?? []).map((p) => (
              <option key={p.objectId} value={p.objectId}>
                {p.label}
              </option>
            ))}
          </select>
        </div>
        {writeReason && <p className="hint">Assigning roles is disabled: {writeReason}.</p>}
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || !rolePrincipal || !!writeReason} title={writeReason}>
            Assign role
          </button>
        </div>
      </form>
    </section>
  );
}
