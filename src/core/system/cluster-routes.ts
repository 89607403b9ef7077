/**
 * sys/leader, sys/ha-status and sys/step-down: the cluster as Vault reports it. Every unsealed
 * Coffer node serves reads and writes; the "active node" Vault clients see is the leader of the
 * background work (expiry, purges, rotation), chosen through the shared storage.
 */
import type { Route } from '../backend.js';
import type { Core } from '../core.js';

/** Vault's zero time, which it reports when there is no active time. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Builds the cluster routes. */
export function clusterRoutes(core: Core): Route[] {
  return [
    {
      pattern: /^leader$/,
      fields: [],
      unauthenticated: ['read'],
      help: 'Returns the high availability status and the address of the node that leads background work.',
      operations: {
        read: async () => {
          const membership = core.cluster.membership;
          const leader = membership && !core.sealed ? await membership.leader().catch(() => undefined) : undefined;
          return raw({
            ha_enabled: core.cluster.enabled,
            is_self: core.cluster.enabled ? !core.sealed && core.cluster.isLeader() : false,
            active_time: core.cluster.enabled && core.cluster.isLeader() && core.leaderSince ? new Date(core.leaderSince).toISOString() : ZERO_TIME,
            leader_address: leader?.apiAddr ?? '',
            leader_cluster_address: leader?.clusterAddr ?? '',
            performance_standby: false,
            performance_standby_last_remote_wal: 0,
            raft_committed_index: 0,
            raft_applied_index: 0,
          });
        },
      },
    },
    {
      pattern: /^ha-status$/,
      fields: [],
      help: 'Lists the nodes of the cluster with their last heartbeat and which one leads background work.',
      operations: {
        read: async () => {
          const membership = core.cluster.membership;
          const members = membership ? await membership.members() : [];
          const nodes = membership
            ? members.map((m) => ({
                hostname: m.nodeId,
                api_address: m.apiAddr,
                cluster_address: m.clusterAddr ?? '',
                active_node: m.leader,
                last_echo: m.leader ? null : m.lastHeartbeat.toISOString(),
                version: m.version ?? core.version,
              }))
            : [{ hostname: 'local', api_address: core.apiAddr ?? '', cluster_address: '', active_node: true, last_echo: null, version: core.version }];
          return raw({ Nodes: nodes });
        },
      },
    },
    {
      pattern: /^step-down$/,
      fields: [],
      sudo: true,
      help: 'Makes the leader of background work give it up, so another node takes it.',
      operations: {
        update: async () => {
          await core.requestStepDown();
          return null;
        },
      },
    },
  ];
}

function raw(body: unknown) {
  return { raw: { status: 200, body } };
}
