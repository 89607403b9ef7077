/**
 * `#/azure-identities`: service principals (`coffer ad sp …`: list, create, reset credential,
 * delete; the client secret is shown once) and managed identities (`coffer identity …`: list,
 * assign, remove), on the identity provider at auth/azure/.
 */
import { useState } from 'react';
import { Guarded } from '../../acl';
import { ConfirmDialog, CopyButton, ErrorPanel, Field, Form, SecretValue, Spinner, Table } from '../../components';
import { Link } from '../../router';
import { useApi } from '../../session';
import { assignIdentity, createServicePrincipal, listIdentities, listServicePrincipals, resetCredential, type Credential, type ManagedIdentity, type ServicePrincipal } from './api';
import { Status, useLoad } from './common';
import { AZURE_AUTH, segmentProblem } from './model';
import './keyvault.css';

/** The credential just created or reset: shown once, with copy buttons. */
function OneTimeCredential({ cred, onDismiss }: { cred: Credential; onDismiss(): void }) {
  return (
    <div className="kv-once" role="region" aria-label="New client secret">
      <h3>Client secret of {cred.displayName ?? cred.appId}</h3>
      <p>
        <strong>Copy it now:</strong> it is shown only once and cannot be read back (reset the credential to get a new one).
      </p>
      <dl className="facts">
        <dt>Tenant</dt>
        <dd>
          <code>{cred.tenant}</code> <CopyButton value={cred.tenant} label="Copy tenant" />
        </dd>
        <dt>Client id (appId)</dt>
        <dd>
          <code data-testid="kv-cred-appid">{cred.appId}</code> <CopyButton value={cred.appId} label="Copy client id" />
        </dd>
        <dt>Client secret</dt>
        <dd>
          <SecretValue value={cred.password} label="client secret" />
        </dd>
      </dl>
      <div className="actions">
        <button type="button" onClick={onDismiss}>
          I have copied it
        </button>
      </div>
    </div>
  );
}

export function IdentitiesPage() {
  const api = useApi();
  const sps = useLoad(() => listServicePrincipals(api), [api]);
  const mis = useLoad(() => listIdentities(api), [api]);
  const [spName, setSpName] = useState('');
  const [miName, setMiName] = useState('');
  const [cred, setCred] = useState<Credential | null>(null);
  const [status, setStatus] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [deletingSp, setDeletingSp] = useState<ServicePrincipal | null>(null);
  const [deletingMi, setDeletingMi] = useState<string | null>(null);
  const miProblem = miName ? segmentProblem(miName, 'the application name') : undefined;

  const act = async (what: () => Promise<string>) => {
    setError(null);
    try {
      setStatus(await what());
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section aria-labelledby="ids-h" className="kv">
      <h1 id="ids-h">Azure identities</h1>
      <p className="hint">
        Service principals and managed identities get Azure access tokens for the <Link to="/keyvault">Key Vault</Link> API; what they may do is set by each
        vault&apos;s access policies and role assignments.
      </p>
      <Status text={status} />
      <ErrorPanel error={error} title="The action failed" />
      {cred && <OneTimeCredential cred={cred} onDismiss={() => setCred(null)} />}

      <h2>Service principals</h2>
      <ErrorPanel error={sps.error} onRetry={sps.reload} title="The service principals could not be listed" />
      {sps.loading && !sps.data && <Spinner />}
      {sps.data && (
        <Table<ServicePrincipal>
          caption="Service principals"
          hideCaption
          rows={sps.data}
          rowKey={(s) => s.appId}
          empty="No service principals yet."
          columns={[
            { header: 'Display name', cell: (s) => s.displayName ?? '—' },
            { header: 'Client id (appId)', cell: (s) => <code className="kv-wrap">{s.appId}</code> },
            { header: 'Object id', cell: (s) => <code className="kv-wrap">{s.objectId ?? '—'}</code> },
            {
              header: 'Actions',
              cell: (s) => (
                <span className="actions kv-inline">
                  <Guarded path={`${AZURE_AUTH}/sp/${s.appId}/password`} need="update">
                    {(g) => (
                      <button
                        type="button"
                        {...g}
                        aria-label={`Reset credential of ${s.displayName ?? s.appId}`}
                        onClick={() =>
                          void act(async () => {
                            const c = await resetCredential(api, s.appId);
                            setCred({ ...c, displayName: s.displayName });
                            return `New client secret for ${s.displayName ?? s.appId}: the old one no longer works.`;
                          })
                        }
                      >
                        Reset credential
                      </button>
                    )}
                  </Guarded>
                  <Guarded path={`${AZURE_AUTH}/sp/${s.appId}`} need="delete">
                    {(g) => (
                      <button type="button" className="danger" {...g} aria-label={`Delete ${s.displayName ?? s.appId}`} onClick={() => setDeletingSp(s)}>
                        Delete
                      </button>
                    )}
                  </Guarded>
                </span>
              ),
            },
          ]}
        />
      )}
      <h3>Create a service principal</h3>
      <Guarded path={`${AZURE_AUTH}/sp/create`} need="update">
        {(g) => (
          <Form
            label="Create a service principal"
            submitLabel="Create service principal"
            submitProps={g}
            onSubmit={async () => {
              setError(null);
              const displayName = spName.trim() || `coffer-sp-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}`;
              const c = await createServicePrincipal(api, displayName);
              setCred({ ...c, displayName: c.displayName ?? displayName });
              setSpName('');
              setStatus(`Service principal ${displayName} created.`);
              sps.reload();
            }}
          >
            <Field label="Display name" value={spName} onChange={(e) => setSpName(e.target.value)} hint="Default: coffer-sp-<date>" autoComplete="off" />
          </Form>
        )}
      </Guarded>

      <h2>Managed identities</h2>
      <ErrorPanel error={mis.error} onRetry={mis.reload} title="The managed identities could not be listed" />
      {mis.loading && !mis.data && <Spinner />}
      {mis.data && (
        <Table<ManagedIdentity>
          caption="Managed identities"
          hideCaption
          rows={mis.data}
          rowKey={(m) => m.name}
          empty="No managed identities yet."
          columns={[
            { header: 'Application', cell: (m) => m.name },
            { header: 'Principal id', cell: (m) => <code className="kv-wrap">{m.principalId ?? '—'}</code> },
            { header: 'Client id', cell: (m) => <code className="kv-wrap">{m.clientId ?? '—'}</code> },
            {
              header: 'Actions',
              cell: (m) => (
                <Guarded path={`${AZURE_AUTH}/identity/${m.name}`} need="delete">
                  {(g) => (
                    <button type="button" className="danger" {...g} aria-label={`Remove the identity of ${m.name}`} onClick={() => setDeletingMi(m.name)}>
                      Remove
                    </button>
                  )}
                </Guarded>
              ),
            },
          ]}
        />
      )}
      <h3>Assign an identity to an application</h3>
      <Guarded path={`${AZURE_AUTH}/identity/${miName && !miProblem ? miName : 'app'}`} need="create">
        {(g) => (
          <Form
            label="Assign a managed identity"
            submitLabel="Assign identity"
            submitProps={{ ...g, disabled: g.disabled || !!miProblem || miName === '' }}
            onSubmit={async () => {
              const p = segmentProblem(miName, 'the application name');
              if (p) throw new Error(p);
              await assignIdentity(api, miName.trim());
              setStatus(`Managed identity assigned to ${miName.trim()}; run the application with coffer run --identity ${miName.trim()} -- …`);
              setMiName('');
              mis.reload();
            }}
          >
            <Field label="Application name" value={miName} onChange={(e) => setMiName(e.target.value)} hint={miProblem ?? 'e.g. web-app'} aria-invalid={miProblem ? true : undefined} autoComplete="off" />
          </Form>
        )}
      </Guarded>

      <ConfirmDialog
        open={deletingSp !== null}
        title={`Delete service principal ${deletingSp?.displayName ?? deletingSp?.appId ?? ''}`}
        name={deletingSp?.appId ?? ''}
        onCancel={() => setDeletingSp(null)}
        onConfirm={async () => {
          const s = deletingSp!;
          setDeletingSp(null);
          await act(async () => {
            await api.del(`${AZURE_AUTH}/sp/${s.appId}`);
            sps.reload();
            return `Service principal ${s.displayName ?? s.appId} deleted.`;
          });
        }}
      >
        <p>Its client secrets stop working at once.</p>
      </ConfirmDialog>
      <ConfirmDialog
        open={deletingMi !== null}
        title={`Remove the identity of ${deletingMi ?? ''}`}
        name={deletingMi ?? ''}
        confirmLabel="Remove"
        onCancel={() => setDeletingMi(null)}
        onConfirm={async () => {
          const n = deletingMi!;
          setDeletingMi(null);
          await act(async () => {
            await api.del(`${AZURE_AUTH}/identity/${n}`);
            mis.reload();
            return `Managed identity of ${n} removed.`;
          });
        }}
      >
        <p>Its sessions end at once.</p>
      </ConfirmDialog>
    </section>
  );
}
