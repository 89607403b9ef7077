import { useState } from 'react';
import { useLoad } from '../../api/use-load';
import { Guarded } from '../../acl';
import { ErrorPanel, Spinner, Table } from '../../components';
import { href } from '../../router';
import { useApi } from '../../session';
import { listAuthMounts, type AuthMount } from './AuthMethodsPage';

interface Locked {
  mountAccessor: string;
  alias: string;
  mount?: AuthMount;
}

/** Users locked out after failed logins (sys/locked-users), with Unlock. */
export function LockedUsersPage() {
  const api = useApi();
  const [done, setDone] = useState('');

  const { data: rows, error, setError, reload: load } = useLoad<Locked[]>(async () => {
    const res = await api.read<{ by_namespace: Array<{ mount_accessors: Array<{ mount_accessor: string; alias_identifiers: string[] }> }> }>('sys/locked-users');
    const mounts = await listAuthMounts(api).catch(() => [] as AuthMount[]);
    const out: Locked[] = [];
    for (const ns of res.data.by_namespace ?? []) {
      for (const m of ns.mount_accessors ?? []) for (const alias of m.alias_identifiers) out.push({ mountAccessor: m.mount_accessor, alias, mount: mounts.find((x) => x.accessor === m.mount_accessor) });
    }
    return out;
  }, [api]);

  return (
    <section aria-labelledby="locked-h">
      <p>
        <a href={href('/auth')}>← Auth methods</a>
      </p>
      <h1 id="locked-h">Locked users</h1>
      <ErrorPanel error={error} onRetry={load} />
      {!rows && !error && <Spinner />}
      {rows && (
        <Table
          caption="Locked users"
          hideCaption
          rows={rows}
          rowKey={(r) => `${r.mountAccessor}/${r.alias}`}
          empty="No user is locked."
          columns={[
            { header: 'User / role', cell: (r) => r.alias },
            { header: 'Auth method', cell: (r) => (r.mount ? `${r.mount.path} (${r.mount.type})` : <code>{r.mountAccessor}</code>) },
            {
              header: 'Actions',
              cell: (r) => (
                <Guarded path={`sys/locked-users/${r.mountAccessor}/unlock/${r.alias}`} need={['update', 'sudo']}>
                  {(g) => (
                    <button
                      type="button"
                      {...g}
                      aria-label={`Unlock ${r.alias}`}
                      onClick={async () => {
                        try {
                          await api.write(`sys/locked-users/${r.mountAccessor}/unlock/${r.alias}`);
                          setDone(`Unlocked ${r.alias}.`);
                          await load();
                        } catch (err) {
                          setError(err);
                        }
                      }}
                    >
                      Unlock
                    </button>
                  )}
                </Guarded>
              ),
            },
          ]}
        />
      )}
      <p className="status-text" role="status">
        {done}
      </p>
    </section>
  );
}
