import { useCallback, useEffect, useState } from 'react';
import { ErrorPanel, Spinner, Table } from '../../components';
import { useCapabilities, disabledReason } from '../../acl';
import { Link } from '../../router';
import { useApi, useSession } from '../../session';

/** sys/seal-status (the fields shown). */
export interface SealStatus {
  type: string;
  initialized: boolean;
  sealed: boolean;
  t: number;
  n: number;
  progress: number;
  version: string;
  cluster_name?: string;
  storage_type?: string;
  ha_enabled?: boolean;
}

/** A node of sys/ha-status. */
interface HaNode {
  hostname: string;
  api_address: string;
  cluster_address?: string;
  active_node: boolean;
  last_echo: string | null;
  version?: string;
}

/** The nodes of the cluster (sys/ha-status needs a token with read on it). */
function ClusterNodes() {
  const api = useApi();
  const { info } = useSession();
  const { caps } = useCapabilities(['sys/ha-status']);
  const reason = disabledReason(caps['sys/ha-status'], 'read', 'sys/ha-status', info?.policies);
  const [nodes, setNodes] = useState<HaNode[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (reason) return;
    api.readRaw<{ Nodes?: HaNode[]; nodes?: HaNode[]; data?: { nodes?: HaNode[] } }>('sys/ha-status').then(
      (r) => setNodes(r.Nodes ?? r.nodes ?? r.data?.nodes ?? []),
      setError,
    );
  }, [api, reason]);
  return (
    <>
      <h2 id="nodes-h">Nodes</h2>
      {reason && reason !== 'checking permissions…' && <p className="hint">The node list is not shown: {reason}.</p>}
      <ErrorPanel error={error} />
      {nodes && (
        <Table
          caption="Cluster nodes"
          hideCaption
          rows={nodes}
          rowKey={(n) => `${n.hostname} ${n.api_address}`}
          columns={[
            { header: 'Node', cell: (n) => n.hostname },
            { header: 'API address', cell: (n) => n.api_address || '—' },
            { header: 'Role', cell: (n) => (n.active_node ? <span className="badge good">leader</span> : 'member') },
            { header: 'Last heartbeat', cell: (n) => n.last_echo ?? '—' },
            { header: 'Version', cell: (n) => n.version ?? '' },
          ]}
        />
      )}
    </>
  );
}

interface Health {
  initialized: boolean;
  sealed: boolean;
  standby: boolean;
  server_time_utc: number;
  version: string;
  cluster_name?: string;
}

interface Leader {
  ha_enabled: boolean;
  is_self: boolean;
  leader_address: string;
}

/** The server's state from the three unauthenticated status endpoints. */
export function StatusPage() {
  const api = useApi();
  const { token } = useSession();
  const [state, setState] = useState<{ seal: SealStatus; health: Health; leader: Leader | null } | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    setError(null);
    try {
      const [seal, health, leader] = await Promise.all([
        api.readRaw<SealStatus>('sys/seal-status'),
        // Report instead of signalling state by status code (standby 429, sealed 503, …).
        api.readRaw<Health>('sys/health', { query: { standbyok: 'true', perfstandbyok: 'true', sealedcode: '200', uninitcode: '200' } }),
        api.readRaw<Leader>('sys/leader').catch(() => null),
      ]);
      setState({ seal, health, leader });
    } catch (err) {
      setError(err);
    }
  }, [api]);

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <section aria-labelledby="status-h">
      <h1 id="status-h">Server status</h1>
      <ErrorPanel error={error} onRetry={load} />
      {!state && !error && <Spinner />}
      {state && (
        <dl className="facts">
          <dt>Seal</dt>
          <dd>
            <span className={`badge ${state.seal.sealed ? 'bad' : 'good'}`}>{state.seal.sealed ? 'sealed' : 'unsealed'}</span> ({state.seal.type}{state.seal.t > 0 ? `, threshold ${state.seal.t} of ${state.seal.n}` : ''})
          </dd>
          <dt>Initialized</dt>
          <dd>{state.seal.initialized ? 'yes' : 'no'}</dd>
          <dt>Version</dt>
          <dd>{state.health.version}</dd>
          {state.seal.cluster_name && (
            <>
              <dt>Cluster</dt>
              <dd>{state.seal.cluster_name}</dd>
            </>
          )}
          {state.seal.storage_type && (
            <>
              <dt>Storage</dt>
              <dd>{state.seal.storage_type}</dd>
            </>
          )}
          <dt>Role</dt>
          <dd>{state.health.standby ? 'standby' : 'active'}</dd>
          <dt>High availability</dt>
          <dd>{state.leader ? (state.leader.ha_enabled ? `enabled, leader ${state.leader.leader_address || 'unknown'}${state.leader.is_self ? ' (this node)' : ''}` : 'not enabled') : 'unknown'}</dd>
          {state.seal.sealed && state.seal.initialized && (
            <>
              <dt>Unseal progress</dt>
              <dd>
                {state.seal.progress} of {state.seal.t} key shares — <Link to="/unseal">unseal</Link>
              </dd>
            </>
          )}
          {!state.seal.initialized && (
            <>
              <dt>Next step</dt>
              <dd>
                <Link to="/init">Initialise the server</Link>
              </dd>
            </>
          )}
          <dt>Server time</dt>
          <dd>{new Date(state.health.server_time_utc * 1000).toISOString()}</dd>
        </dl>
      )}
      {token && state && !state.seal.sealed && <ClusterNodes />}
      <div className="actions">
        <button type="button" onClick={() => void load()}>
          Refresh
        </button>
      </div>
    </section>
  );
}
