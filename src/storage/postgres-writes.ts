/**
 * The PostgreSQL write path: group commit of concurrent (conditional) batches, each group in
 * ONE database transaction sent as ONE simple-query message.
 *
 * Locking. A write takes, in one statement, transaction-scoped advisory locks on every key it
 * touches, in ascending lock-id order: exclusive for keys it writes, shared for keys it only
 * checks (conditions). Every writer of the table goes through here, so once the locks are held
 * no other transaction can change those keys until we commit, and readers that only check a
 * key (the mount config every KV write reads) do not queue behind each other. Absent keys need
 * no placeholder rows: the lock is on the key's name, not on a row. Sorted acquisition in one
 * statement means writers do not deadlock each other. Lock ids are (a 32-bit hash of the table,
 * a 32-bit hash of the key); two keys sharing an id only wait for each other, never miss a conflict.
 *
 * Checking and writing. After the lock statement, each batch of the group is ONE statement
 * (data-modifying CTEs): it compares its conditions with the current rows (a new snapshot,
 * taken after the locks were granted, so it sees every earlier writer's commit), and applies
 * its puts and deletes only when all hold, returning `coffer_ok`. Batches of a group run in
 * order inside the transaction, so each sees the writes of the batches before it, exactly as
 * if they had committed one after another; a batch whose conditions fail writes nothing and
 * gets ConflictError alone. Values travel hex-encoded inside the SQL text (`decode('…','hex')`),
 * so no user data is ever parsed as SQL.
 *
 * Prepared batch statement. Planning that CTE statement cost PostgreSQL more CPU than running
 * it (about 0.1 ms of a 0.16 ms batch), so the statement is PREPAREd once per connection with
 * array parameters (`EXECUTE coffer_w_…(ARRAY[…], …)` inside the same single message) and the
 * write transaction sets `plan_cache_mode = force_generic_plan` LOCALly (PostgreSQL's own choice
 * keeps re-planning it: the generic plan's row estimates for unnest look costlier), planned with
 * index lookups only (PREPARED_SETTINGS). When the
 * server cannot (no plan_cache_mode before PostgreSQL 12, a transaction-pooling proxy that moves
 * sessions), the writer falls back to the inline statement for good.
 *
 * Durability: a batch's promise resolves only after COMMIT returned (PostgreSQL's
 * synchronous_commit decides when that is: by default after the WAL flush).
 *
 * With `ha`, the keys every batch of the group writes go into ONE change row, inserted (with
 * its `pg_notify`) as the last statement before COMMIT in the same message, so the time from
 * taking its seq to COMMIT stays bounded (see postgres-changes.ts) and the key locks are never
 * held across a round trip to this process. The row names the keys of refused batches too: a
 * superset, which only makes other nodes drop cache entries that were still right.
 */
import type pg from 'pg';
import { ConflictError } from './errors.js';
import type { BatchCondition, BatchOp } from './types.js';

/** SQLSTATEs worth running a group again for: serialization failure, deadlock. */
const RETRYABLE = new Set(['40001', '40P01']);
/**
 * SQLSTATEs that mean the prepared path is unusable here (nothing of the transaction ran or
 * committed): prepared statement missing (26000; a proxy moved the session), unknown setting
 * (42704; plan_cache_mode before PostgreSQL 12), syntax error (42601; a dialect without it).
 */
const PREPARED_UNUSABLE = new Set(['26000', '42704', '42601']);
const ATTEMPTS = 4;
/**
 * Transaction-local settings of a write transaction on the prepared path: use the generic plan
 * (planned once per connection), and plan it with key lookups only. A generic plan stays cached
 * while the table grows; planned from the statistics of a small table it would join by hash
 * over a sequential scan, for ever. The statement is only ever planned inside these transactions.
 */
const PREPARED_SETTINGS = "SELECT set_config('plan_cache_mode', 'force_generic_plan', true), set_config('enable_seqscan', 'off', true), " +
  "set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)";
/** Bounds of one group: batches, and bytes of SQL text (values are hex: twice their size). */
const MAX_GROUP_BATCHES = 64;
const MAX_GROUP_TEXT = 4 * 1024 * 1024;
/** Advisory locks per SELECT (a target list holds at most 1664 entries). */
const LOCKS_PER_STATEMENT = 500;

/** What the HA write path adds to a write transaction. */
export interface HaWriteOptions {
  /** BEGIN plus SET LOCAL limits (see WRITE_TX_LIMITS). */
  begin: string;
  /** The quoted changes table. */
  changesTable: string;
  /** The NOTIFY channel. */
  channel: string;
  nodeId: string;
}

/** Options of {@link PgGroupWriter}. */
export interface PgGroupWriterOptions {
  /** A pooled connection to the primary (release it; `release(err)` destroys it). */
  connect: () => Promise<pg.PoolClient>;
  /** The quoted table. */
  table: string;
  ha?: HaWriteOptions;
  /** Groups in flight at once (each holds one connection). */
  maxGroups: number;
}

/** One batch waiting for its group. */
interface PgWrite {
  /** Last op per key (a later op on the same key replaces an earlier one). */
  ops: Map<string, Uint8Array | undefined>;
  conditions: BatchCondition[];
  /** The batch's SQL literals (see BatchParts). */
  parts: BatchParts;
  /** Size of those literals (the group bound). */
  size: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** A batch as SQL literals (bytea expressions; `NULL::bytea` for a condition that wants the key absent). */
interface BatchParts {
  condKeys: string[];
  condValues: string[];
  putKeys: string[];
  putValues: string[];
  deleteKeys: string[];
}

/** 32-bit FNV-1a of a string's UTF-16 code units, as a signed int (an advisory lock id). */
export function lockId(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/** A bytea literal that carries arbitrary bytes as hex digits (never needs escaping). */
const bytea = (b: Uint8Array): string => `decode('${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')}','hex')`;
const keyBytea = (key: string): string => `decode('${Buffer.from(key, 'utf8').toString('hex')}','hex')`;
const text = (s: string): string => `convert_from(${keyBytea(s)},'UTF8')`;

/** Group-commits conditional batches on one PostgreSQL table (see the file comment). */
export class PgGroupWriter {
  private readonly opts: PgGroupWriterOptions;
  private readonly lockClass: number;
  private pending: PgWrite[] = [];
  private running = 0;
  private timer: NodeJS.Immediate | undefined;
  /** The prepared batch statement's name (a hash of its text, which names the table). */
  private readonly statementName: string;
  /** Its PREPARE text. */
  private readonly prepareSql: string;
  /** Connections on which it is prepared. */
  private readonly preparedOn = new WeakSet<object>();
  /** False once the server showed it cannot run the prepared path (see the file comment). */
  private usePrepared = true;

  constructor(opts: PgGroupWriterOptions) {
    this.opts = opts;
    this.lockClass = lockId(`coffer:${opts.table}`);
    const t = opts.table;
    // The inline statement's meaning (see statement()), with the batch as five arrays. A missing
    // row compares as NULL: it matches exactly the conditions that want the key absent.
    const body = `(bytea[], bytea[], bytea[], bytea[], bytea[]) AS
WITH c AS (SELECT k, v FROM unnest($1::bytea[], $2::bytea[]) AS c(k, v)),
ok AS (SELECT NOT EXISTS (SELECT 1 FROM c LEFT JOIN ${t} t ON t.key = c.k WHERE t.value IS DISTINCT FROM c.v) AS ok),
p AS (INSERT INTO ${t} (key, value) SELECT k, v FROM unnest($3::bytea[], $4::bytea[]) AS w(k, v) WHERE (SELECT ok FROM ok) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value),
d AS (DELETE FROM ${t} WHERE key = ANY($5::bytea[]) AND (SELECT ok FROM ok))
SELECT ok AS coffer_ok FROM ok`;
    // Named after its text: a session (behind a proxy) that has a statement of this name has this statement.
    this.statementName = `coffer_w_${(lockId(body) >>> 0).toString(16)}`;
    this.prepareSql = `PREPARE ${this.statementName} ${body}`;
  }

  /**
   * Applies `ops` if every condition holds, atomically; resolves after COMMIT. Rejects with
   * ConflictError (nothing written) when a condition does not hold. Values must be copies
   * the caller will not change.
   */
  write(ops: BatchOp[], conditions: BatchCondition[] | undefined): Promise<void> {
    const last = new Map<string, Uint8Array | undefined>();
    for (const op of ops) {
      last.delete(op.key);
      last.set(op.key, op.type === 'put' ? op.value : undefined);
    }
    const conds = conditions ?? [];
    const parts = batchParts(last, conds);
    let size = 0;
    for (const list of [parts.condKeys, parts.condValues, parts.putKeys, parts.putValues, parts.deleteKeys]) {
      for (const item of list) size += item.length + 1;
    }
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ ops: last, conditions: conds, parts, size, resolve, reject });
      this.schedule();
    });
  }

  /** Starts groups while connections are free; batches that arrive in one event-loop turn share one. */
  private schedule(): void {
    if (this.timer !== undefined || this.running >= this.opts.maxGroups || this.pending.length === 0) return;
    this.timer = setImmediate(() => {
      this.timer = undefined;
      while (this.running < this.opts.maxGroups && this.pending.length > 0) {
        const group = this.take();
        this.running++;
        void this.runGroup(group).finally(() => {
          this.running--;
          this.schedule();
        });
      }
    });
  }

  /** The next group: pending batches in arrival order, within the group bounds. */
  private take(): PgWrite[] {
    let n = 0;
    let size = 0;
    while (n < this.pending.length && n < MAX_GROUP_BATCHES) {
      size += this.pending[n]!.size;
      if (n > 0 && size > MAX_GROUP_TEXT) break;
      n++;
    }
    return this.pending.splice(0, n);
  }

  /** Runs a group (again on deadlock or serialization failure); when it fails otherwise, each batch alone so only the bad one fails. */
  private async runGroup(group: PgWrite[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      let oks: boolean[];
      try {
        oks = await this.transaction(group);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code !== undefined && RETRYABLE.has(code) && attempt < ATTEMPTS) continue;
        if (code !== undefined && PREPARED_UNUSABLE.has(code) && this.usePrepared) {
          // The transaction aborted before COMMIT (nothing applied): run it again inline.
          this.usePrepared = false;
          attempt--;
          continue;
        }
        if (group.length > 1 && !isUnknownOutcome(err)) {
          for (const w of group) await this.runGroup([w]);
          return;
        }
        for (const w of group) w.reject(err);
        return;
      }
      group.forEach((w, i) => (oks[i] ? w.resolve() : w.reject(new ConflictError())));
      return;
    }
  }

  /** One database transaction for the group; returns, per batch, whether its conditions held (and it was applied). */
  private async transaction(group: PgWrite[]): Promise<boolean[]> {
    const client = await this.opts.connect();
    let broken: Error | undefined;
    try {
      const ha = this.opts.ha;
      const prepared = this.usePrepared;
      if (prepared && !this.preparedOn.has(client)) {
        // Once per connection, outside any transaction (a statement is the session's, not the transaction's).
        try {
          await client.query(this.prepareSql);
        } catch (err) {
          // 42P05: already there (a previous PREPARE whose answer was lost).
          if ((err as { code?: string }).code !== '42P05') throw err;
        }
        this.preparedOn.add(client);
      }
      const body = [ha?.begin ?? 'BEGIN'];
      if (prepared) body.push(PREPARED_SETTINGS);
      body.push(...this.lockStatements(group));
      for (const w of group) body.push(prepared ? this.execute(w.parts) : this.statement(w.parts));
      if (ha) {
        // The keys of every batch, applied or not (see the file comment): known before running.
        const keys = new Set<string>();
        for (const w of group) for (const k of w.ops.keys()) keys.add(k);
        // Last before COMMIT: the seq is taken here (postgres-changes.ts bounds seq-to-COMMIT time).
        if (keys.size > 0) {
          body.push(`WITH c AS (INSERT INTO ${ha.changesTable} (node_id, keys, at) VALUES (${text(ha.nodeId)}, ARRAY[${[...keys].map(text).join(',')}]::text[], clock_timestamp()) RETURNING seq) SELECT pg_notify('${ha.channel}', seq::text) FROM c`);
        }
      }
      body.push('COMMIT');
      const oks = okColumn(await client.query(body.join(';\n')), group.length);
      return oks;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackErr) {
        broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** The advisory-lock statements of a group: every key once, exclusive when any batch writes it, in ascending id order. */
  private lockStatements(group: PgWrite[]): string[] {
    const locks = new Map<number, boolean>(); // id -> exclusive
    for (const w of group) {
      for (const key of w.ops.keys()) locks.set(lockId(key), true);
      for (const c of w.conditions) {
        const id = lockId(c.key);
        if (!locks.has(id)) locks.set(id, false);
      }
    }
    const ids = [...locks.keys()].sort((a, b) => a - b);
    const out: string[] = [];
    for (let i = 0; i < ids.length; i += LOCKS_PER_STATEMENT) {
      const calls = ids.slice(i, i + LOCKS_PER_STATEMENT).map((id) => `pg_advisory_xact_lock${locks.get(id) ? '' : '_shared'}(${this.lockClass}, ${id})`);
      out.push(`SELECT ${calls.join(', ')}`);
    }
    return out;
  }

  /** The prepared statement's EXECUTE for one batch (same meaning as statement()). */
  private execute(b: BatchParts): string {
    const array = (items: string[]): string => (items.length === 0 ? `'{}'::bytea[]` : `ARRAY[${items.join(',')}]`);
    return `EXECUTE ${this.statementName}(${array(b.condKeys)}, ${array(b.condValues)}, ${array(b.putKeys)}, ${array(b.putValues)}, ${array(b.deleteKeys)})`;
  }

  /** The inline statement of one batch: check the conditions against the current rows, write only when all hold, return coffer_ok. */
  private statement(b: BatchParts): string {
    const t = this.opts.table;
    const ctes: string[] = [];
    let guard = '';
    if (b.condKeys.length > 0) {
      const rows = b.condKeys.map((k, i) => `(${k}, ${b.condValues[i]})`);
      ctes.push(`c(k, v) AS (VALUES ${rows.join(', ')})`);
      // A missing row compares as NULL: it matches exactly the conditions that want the key absent.
      ctes.push(`ok AS (SELECT NOT EXISTS (SELECT 1 FROM c LEFT JOIN ${t} t ON t.key = c.k WHERE t.value IS DISTINCT FROM c.v) AS ok)`);
      guard = ' WHERE (SELECT ok FROM ok)';
    }
    if (b.putKeys.length > 0) {
      const puts = b.putKeys.map((k, i) => `(${k}, ${b.putValues[i]})`);
      ctes.push(`p AS (INSERT INTO ${t} (key, value) SELECT k, v FROM (VALUES ${puts.join(', ')}) AS w(k, v)${guard} ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value)`);
    }
    if (b.deleteKeys.length > 0) {
      ctes.push(`d AS (DELETE FROM ${t} WHERE key IN (${b.deleteKeys.join(', ')})${guard ? ' AND (SELECT ok FROM ok)' : ''})`);
    }
    const result = b.condKeys.length > 0 ? 'SELECT ok AS coffer_ok FROM ok' : 'SELECT true AS coffer_ok';
    return ctes.length > 0 ? `WITH ${ctes.join(',\n')}\n${result}` : result;
  }
}

/** A batch's keys and values as SQL literals (hex: no user data is ever parsed as SQL). */
function batchParts(ops: Map<string, Uint8Array | undefined>, conditions: BatchCondition[]): BatchParts {
  const parts: BatchParts = { condKeys: [], condValues: [], putKeys: [], putValues: [], deleteKeys: [] };
  for (const c of conditions) {
    parts.condKeys.push(keyBytea(c.key));
    parts.condValues.push(c.value === undefined ? 'NULL::bytea' : bytea(c.value));
  }
  for (const [key, value] of ops) {
    if (value === undefined) {
      parts.deleteKeys.push(keyBytea(key));
    } else {
      parts.putKeys.push(keyBytea(key));
      parts.putValues.push(bytea(value));
    }
  }
  return parts;
}

/** The `coffer_ok` of each batch statement, in order, from a multi-statement result. */
function okColumn(res: unknown, expected: number): boolean[] {
  const results = (Array.isArray(res) ? res : [res]) as pg.QueryResult<{ coffer_ok?: boolean }>[];
  const oks = results.filter((r) => r.fields?.some((f) => f.name === 'coffer_ok')).map((r) => r.rows[0]?.coffer_ok === true);
  if (oks.length !== expected) throw new Error(`postgresql storage: expected ${expected} batch results, got ${oks.length}`);
  return oks;
}

/** A connection lost mid-transaction: whether COMMIT happened is unknown, so do not run the batches again one by one. */
function isUnknownOutcome(err: unknown): boolean {
  return (err as { code?: string }).code === 'storage_unavailable';
}
