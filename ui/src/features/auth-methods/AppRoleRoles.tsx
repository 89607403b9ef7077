import { useLoad } from '../../api/use-load';
import { Guarded } from '../../acl';
import { ErrorPanel, Spinner, Table } from '../../components';
import { href } from '../../router';
import { useApi } from '../../session';

/** The roles of an AppRole mount (LIST auth/<mount>/role). */
export function AppRoleRoles({ mount }: { mount: string }) {
  const api = useApi();
  const { data: roles, error, reload: load } = useLoad<string[]>(async () => {
    return (await api.list(`auth/${mount}/role`)).sort();
  }, [api, mount]);

  return (
    <>
      <h2>Roles</h2>
      <ErrorPanel error={error} onRetry={load} />
      {!roles && !error && <Spinner />}
      {roles && (
        <Table caption="AppRole roles" hideCaption rows={roles} rowKey={(r) => r} empty="No roles yet." columns={[{ header: 'Role', cell: (r) => <a href={href('/auth', mount, 'role', r)}>{r}</a> }]} />
      )}
      <div className="actions">
        <Guarded path={`auth/${mount}/role/new-role`} need="create">
          {(g) =>
            g.disabled ? (
              <button type="button" {...g}>
                New role
              </button>
            ) : (
              <a href={`${href('/auth', mount)}/role-new`}>New role</a>
            )
          }
        </Guarded>
      </div>
    </>
  );
}
