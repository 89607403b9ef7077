/**
 * This node's view of its cluster: who leads the background work, who the members are, and
 * whether this node's caches are known to be current. A node without a cluster (SQLite, memory,
 * PostgreSQL without ha_enabled) is its own leader and always current.
 */
import { CofferError } from './errors.js';

/** One node as the cluster registry knows it. */
export interface ClusterMember {
  nodeId: string;
  apiAddr: string;
  clusterAddr?: string;
  lastHeartbeat: Date;
  leader: boolean;
  version?: string;
}

/** Leadership and membership, as the storage's coordinator provides them. */
export interface ClusterMembership {
  readonly nodeId: string;
  isLeader(): boolean;
  leader(): Promise<ClusterMember | undefined>;
  members(): Promise<ClusterMember[]>;
  /** Gives leadership up so another node takes it. */
  stepDown(): Promise<void>;
}

/** What core needs of the storage's change feed. */
interface CurrencySource {
  isCurrent(): boolean;
}

/** The cluster as core sees it. */
export class ClusterView {
  constructor(
    readonly membership: ClusterMembership | undefined,
    private readonly changes: CurrencySource | undefined,
  ) {}

  /** True when several nodes share the storage. */
  get enabled(): boolean {
    return this.membership !== undefined;
  }

  /** True on the node that runs background work (every single node). */
  isLeader(): boolean {
    return this.membership ? this.membership.isLeader() : true;
  }

  /** False while other nodes' changes may not have reached this node's caches. */
  isCurrent(): boolean {
    return !this.changes || this.changes.isCurrent();
  }

  /**
   * Throws a 503 when other nodes' changes may not have reached this node's caches (the change
   * feed is down or behind): answering from them could authorize a revoked token.
   */
  assertCurrent(): void {
    if (!this.isCurrent()) {
      throw new CofferError('unavailable', 'this node cannot confirm that it has seen the latest changes of the other nodes (its storage change feed is down or behind); retry on another node, or here in a moment');
    }
  }
}
