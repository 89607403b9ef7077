import { useLoad } from '../../api/use-load';
import { Guarded } from '../../acl';
import { ErrorPanel, Spinner, Table } from '../../components';
import { href, Link } from '../../router';
import { useApi } from '../../session';
import './policies.css';

/** The ACL policies (LIST sys/policies/acl), each linking to its editor. */
export function PoliciesPage() {
  const api = useApi();

  const { data: names, error, reload: load } = useLoad<string[]>(async () => {
    return (await api.list('sys/policies/acl')).sort();
  }, [api]);

  return (
    <section aria-labelledby="policies-h">
      <h1 id="policies-h">ACL policies</h1>
      <ErrorPanel error={error} onRetry={load} />
      {!names && !error && <Spinner />}
      {names && (
        <Table
          caption="Policies"
          hideCaption
          rows={names}
          rowKey={(n) => n}
          columns={[
            { header: 'Name', cell: (n) => <a href={href('/policy', n)}>{n}</a> },
            { header: 'Note', cell: (n) => (n === 'root' ? 'built in, cannot be changed' : n === 'default' ? 'attached to most tokens' : '') },
          ]}
        />
      )}
      <div className="actions">
        <Guarded path="sys/policies/acl/new-policy" need="update">
          {(g) =>
            g.disabled ? (
              <button type="button" {...g}>
                New policy
              </button>
            ) : (
              <Link to="/policy-new" className="button-link">
                New policy
              </Link>
            )
          }
        </Guarded>
        <Link to="/capabilities">Check what a token can do</Link>
      </div>
    </section>
  );
}
