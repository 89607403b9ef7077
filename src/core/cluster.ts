/**
 * This node's view of its cluster: who leads the background work, who the members are, and
 * whether this node's caches are known to be current. A node without a cluster (SQLite, memory,
 * PostgreSQL without ha_enabled) is its own leader and always current.
 */
import type { ChangeFeed, ClusterCoordinator } from '../storage/types.js';
import { CofferError } from './errors.js';

/** The cluster as core sees it. */
export class ClusterView {
  constructor(
    readonly membership: ClusterCoordinator | undefined,
    private readonly changes: Pick<ChangeFeed, 'isCurrent'> | undefined,
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
