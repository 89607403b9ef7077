/**
 * A transaction layer over any backend: optimistic, validated at commit by one conditional
 * batch (see BatchCondition), so it works the same on memory, sqlite and postgres, and
 * across several nodes sharing one postgres table.
 *
 * Inside `run(fn)`, every call on this storage — directly or through any view above it
 * (barrier, PrefixedStorage) — finds the transaction through AsyncLocalStorage: reads see the
 * committed data plus the transaction's own buffered writes, writes are buffered, and when
 * `fn` resolves the writes commit as ONE conditional batch, conditioned on the first value
 * read of every key that was read from the inner storage. Concurrent transactions that
 * read-modify-write the same key therefore cannot both commit: the loser gets ConflictError
 * and its caller retries `fn`.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { ConflictError } from './errors.js';
import { promiseOf } from './promise-step.js';
import {
  compareKeys,
  normalizeListOptions,
  sameValue,
  validateBatch,
  validateConditions,
  validateKey,
  validatePrefix,
  validateValue,
} from './keys.js';
import type { BatchCondition, BatchOp, ChangeFeed, ListOptions, NamedStorage, StorageEntry, StorageSnapshot } from './types.js';

/** The state of one running transaction. */
interface Tx {
  /** First value read from the inner storage per key (undefined = absent): the commit conditions. */
  readonly reads: Map<string, Uint8Array | undefined>;
  /** Buffered writes, latest per key: a value, or undefined for a delete. */
  readonly writes: Map<string, Uint8Array | undefined>;
  /** Set once fn settled: later writes (a stray un-awaited promise) are refused. */
  finished: boolean;
}

type KeysListener = (keys: readonly string[]) => void;

const copy = (v: Uint8Array | undefined): Uint8Array | undefined => (v === undefined ? undefined : Buffer.from(v));

/** A storage whose calls inside {@link TransactionalStorage.run} form one transaction. */
export class TransactionalStorage implements NamedStorage {
  /** The inner storage's type. */
  readonly type: string;
  /** The inner storage's change feed, passed through. */
  readonly changes?: ChangeFeed;

  private readonly inner: NamedStorage;
  private readonly als = new AsyncLocalStorage<Tx>();
  /** Transactions whose fn has not settled yet. */
  private running = 0;
  private readonly commitListeners: KeysListener[] = [];
  private readonly discardListeners: KeysListener[] = [];

  /** @param inner the backend (owned: `close()` closes it) */
  constructor(inner: NamedStorage) {
    this.inner = inner;
    this.type = inner.type;
    if (inner.changes !== undefined) this.changes = inner.changes;
  }

  /** The backend's consistent whole-store snapshot (below any transaction: it reads committed data). */
  snapshot(options?: { batchSize?: number }): Promise<StorageSnapshot> {
    return this.inner.snapshot(options);
  }

  /** Replaces the backend's whole store (below any transaction; see SnapshotStorage). */
  replaceAll(batches: AsyncIterable<StorageEntry[]> | Iterable<StorageEntry[]>): Promise<number> {
    return this.inner.replaceAll(batches);
  }

  /**
   * Runs `fn` in a transaction, or joins the one already running in this async context (a
   * nested run() shares the outer transaction and commits with it; there are no savepoints:
   * writes of a nested fn that threw stay buffered if the outer fn catches the error).
   * When `fn` resolves, the buffered writes commit as one conditional batch; a read-only
   * transaction commits nothing. If `fn` rejects, the writes are discarded. If a key read
   * changed before the commit, it throws ConflictError and nothing was applied: the caller
   * retries `fn` (run() itself does not retry).
   */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.als.getStore() !== undefined) return fn();
    const tx: Tx = { reads: new Map(), writes: new Map(), finished: false };
    let result: T;
    this.running++;
    try {
      result = await this.als.run(tx, fn);
    } catch (err) {
      this.settled();
      tx.finished = true;
      this.emit(this.discardListeners, [...tx.writes.keys()]);
      throw err;
    }
    this.settled();
    tx.finished = true;
    if (tx.writes.size === 0) return result;
    const keys = [...tx.writes.keys()];
    const ops = [...tx.writes].map(([key, value]): BatchOp => (value === undefined ? { type: 'delete', key } : { type: 'put', key, value }));
    const conditions = [...tx.reads].map(([key, value]): BatchCondition => ({ key, value }));
    try {
      await this.inner.batch(ops, conditions);
    } catch (err) {
      // A conflict, or an error whose outcome is unknown (connection lost during COMMIT):
      // either way caches filled from these writes must go; dropping them is always safe.
      this.emit(this.discardListeners, keys);
      throw err;
    }
    this.emit(this.commitListeners, keys);
    return result;
  }

  /**
   * Runs `fn` in a transaction of its own, even when called inside another one: it commits (or
   * conflicts) when `fn` resolves, whatever becomes of the surrounding transaction. For writes that
   * must land although the request around them fails (a spent use, a failed login).
   */
  runDetached<T>(fn: () => Promise<T>): Promise<T> {
    return this.als.exit(() => this.run(fn));
  }

  /**
   * Runs `fn` outside any transaction (synchronously). Timers and callbacks created inside keep
   * that: a background timer started while a request's transaction runs would otherwise carry
   * the (soon finished) transaction into every later tick.
   */
  outside<T>(fn: () => T): T {
    return this.als.exit(fn);
  }

  /** True inside run(). */
  inTransaction(): boolean {
    return this.als.getStore() !== undefined;
  }

  /** After a commit applied: the keys written (local cache invalidation, publication). Listeners run synchronously and must not throw. */
  onCommit(listener: KeysListener): void {
    this.commitListeners.push(listener);
  }

  /** After a transaction was discarded or conflicted: the keys it had buffered (caches filled from them must be dropped). Must not throw. */
  onDiscard(listener: KeysListener): void {
    this.discardListeners.push(listener);
  }

  /** Inside a transaction: the buffered value, else the first value read (repeatable), else the inner storage's (recorded for the commit check). */
  get(key: string): Promise<Uint8Array | undefined> {
    // One promise per read, not three (see promise-step.ts).
    const tx = this.als.getStore();
    if (tx === undefined) return this.inner.get(key);
    return promiseOf(() => {
      validateKey(key);
      return this.txRead(tx, key).then(copy);
    });
  }

  /** Inside a transaction: buffered until commit. */
  async put(key: string, value: Uint8Array): Promise<void> {
    const tx = this.als.getStore();
    if (tx === undefined) return this.inner.put(key, value);
    validateKey(key);
    validateValue(value);
    this.buffer(tx, key, Buffer.from(value));
  }

  /** Inside a transaction: buffered until commit. */
  async delete(key: string): Promise<void> {
    const tx = this.als.getStore();
    if (tx === undefined) return this.inner.delete(key);
    validateKey(key);
    this.buffer(tx, key, undefined);
  }

  /**
   * Inside a transaction: the inner listing merged with the buffered puts and deletes of that
   * level, honouring after/limit. Listings are NOT validated at commit: a key another node
   * adds or removes under the listed prefix before the commit does not conflict (phantoms);
   * only point reads (get) are checked.
   */
  async list(prefix: string, options?: ListOptions): Promise<string[]> {
    const tx = this.als.getStore();
    if (tx === undefined) return this.inner.list(prefix, options);
    validatePrefix(prefix);
    const { after, limit } = normalizeListOptions(options);
    return this.mergedList(tx, prefix, after, limit);
  }

  /**
   * Inside a transaction: the inner scan merged with the buffered puts and deletes below
   * `prefix`, honouring after/limit. Like list, not validated at commit (phantoms allowed).
   */
  async scan(prefix: string, options?: ListOptions): Promise<string[]> {
    const tx = this.als.getStore();
    if (tx === undefined) return this.inner.scan(prefix, options);
    validatePrefix(prefix);
    const { after, limit } = normalizeListOptions(options);
    return this.mergedScan(tx, prefix, after, limit);
  }

  /**
   * Inside a transaction: the ops are buffered (the whole transaction commits as one atomic
   * batch). Conditions are checked against the transaction's view now (and, being reads,
   * again at commit); one that does not hold throws ConflictError and buffers nothing.
   */
  batch(ops: BatchOp[], conditions?: BatchCondition[]): Promise<void> {
    const tx = this.als.getStore();
    if (tx === undefined) return this.inner.batch(ops, conditions);
    if (conditions !== undefined && conditions.length > 0) return this.checkedBatch(tx, ops, conditions);
    // The common case (no conditions) in one step: no async function's promises.
    return promiseOf(() => {
      validateBatch(ops);
      for (const op of ops) this.buffer(tx, op.key, op.type === 'put' ? Buffer.from(op.value) : undefined);
      return Promise.resolve();
    });
  }

  /** batch() with conditions, inside a transaction: checked against its view first. */
  private async checkedBatch(tx: Tx, ops: BatchOp[], conditions: BatchCondition[]): Promise<void> {
    validateBatch(ops);
    validateConditions(conditions);
    for (const c of conditions) {
      if (!sameValue(await this.txRead(tx, c.key), c.value)) throw new ConflictError();
    }
    for (const op of ops) this.buffer(tx, op.key, op.type === 'put' ? Buffer.from(op.value) : undefined);
  }

  /** Closes the inner storage. */
  async close(): Promise<void> {
    return this.inner.close();
  }

  /**
   * A transaction's fn settled. When none is left, the async context is switched off: while on,
   * Node 20 runs hooks at every promise in the process (about a sixth of a read's CPU), and a
   * read-only request (Route.readOnly) needs no transaction at all. The next run() switches it
   * on again. Consequence: a stray write of a settled transaction (an un-awaited put) is
   * refused while other transactions run, and is a plain write when none does; it never joins
   * the settled transaction's commit either way.
   */
  private settled(): void {
    if (--this.running === 0) this.als.disable();
  }

  /** The transaction's view of `key` (not copied). */
  private txRead(tx: Tx, key: string): Promise<Uint8Array | undefined> {
    if (tx.writes.has(key)) return Promise.resolve(tx.writes.get(key));
    if (tx.reads.has(key)) return Promise.resolve(tx.reads.get(key));
    return this.inner.get(key).then((value) => {
      // Two concurrent first reads of one key inside fn: keep the first answer, so the view stays repeatable.
      if (!tx.reads.has(key) && !tx.writes.has(key)) tx.reads.set(key, value);
      return tx.writes.has(key) ? tx.writes.get(key) : tx.reads.get(key);
    });
  }

  private buffer(tx: Tx, key: string, value: Uint8Array | undefined): void {
    if (tx.finished) throw new Error('storage transaction already finished: a write was issued after run() settled (await every write inside run)');
    // Re-insert so the map's order is the order of last writes (the commit batch follows it).
    tx.writes.delete(key);
    tx.writes.set(key, value);
  }

  /**
   * One level below `prefix` as the transaction sees it. The inner listing is read in pages of
   * (names still wanted + names the buffered deletes could remove), so the extra read is
   * bounded by the buffered deletes; a page that came back full only contributes names up to
   * its last one (buffered names beyond it could be preceded by inner names not read yet).
   */
  private async mergedList(tx: Tx, prefix: string, after: string, limit: number): Promise<string[]> {
    const puts = new Set<string>();
    const deletedFiles = new Set<string>();
    const touchedFolders = new Set<string>();
    for (const [key, value] of tx.writes) {
      if (!key.startsWith(prefix) || key.length === prefix.length) continue;
      const rest = key.slice(prefix.length);
      const slash = rest.indexOf('/');
      const name = slash < 0 ? rest : rest.slice(0, slash + 1);
      if (value !== undefined) puts.add(name);
      else if (slash < 0) deletedFiles.add(name);
      else touchedFolders.add(name);
    }
    const buffered = [...puts].filter((n) => compareKeys(n, after) > 0).sort(compareKeys);
    const extra = deletedFiles.size + touchedFolders.size;

    const out: string[] = [];
    let cursor = after;
    let b = 0; // next buffered name to merge
    for (;;) {
      const want = limit > 0 ? limit - out.length + extra : 0;
      const page = await this.inner.list(prefix, { after: cursor, limit: want });
      const full = want > 0 && page.length === want;
      const boundary = full ? page[page.length - 1]! : undefined;
      const names: string[] = [];
      for (const name of page) {
        if (puts.has(name)) continue; // merged from `buffered` below
        if (deletedFiles.has(name)) continue;
        if (touchedFolders.has(name) && !(await this.folderExists(tx, prefix + name))) continue;
        names.push(name);
      }
      while (b < buffered.length && (boundary === undefined || compareKeys(buffered[b]!, boundary) <= 0)) names.push(buffered[b++]!);
      names.sort(compareKeys);
      out.push(...names);
      if (limit > 0 && out.length >= limit) return out.slice(0, limit);
      if (!full) return out;
      cursor = boundary!;
    }
  }

  /**
   * Recursive keys below `prefix` as the transaction sees it. Each inner page asks for the names
   * still wanted plus the buffered deletes below the prefix (the most the merge can drop), so a
   * limited scan normally costs one inner range read; buffered puts are merged up to the last
   * name of a full page (names past it could be preceded by inner names not read yet).
   */
  private async mergedScan(tx: Tx, prefix: string, after: string, limit: number): Promise<string[]> {
    const puts = new Set<string>();
    const deletes = new Set<string>();
    for (const [key, value] of tx.writes) {
      if (!key.startsWith(prefix) || key.length === prefix.length) continue;
      (value === undefined ? deletes : puts).add(key.slice(prefix.length));
    }
    const buffered = [...puts].filter((n) => compareKeys(n, after) > 0).sort(compareKeys);
    const out: string[] = [];
    let cursor = after;
    let b = 0;
    for (;;) {
      const want = limit > 0 ? limit - out.length + deletes.size : 0;
      const page = await this.inner.scan(prefix, { after: cursor, limit: want });
      const full = want > 0 && page.length === want;
      const boundary = full ? page[page.length - 1]! : undefined;
      const names = page.filter((n) => !puts.has(n) && !deletes.has(n));
      while (b < buffered.length && (boundary === undefined || compareKeys(buffered[b]!, boundary) <= 0)) names.push(buffered[b++]!);
      names.sort(compareKeys);
      out.push(...names);
      if (limit > 0 && out.length >= limit) return out.slice(0, limit);
      if (!full) return out;
      cursor = boundary!;
    }
  }

  /** Whether anything is left at or below `folder` (ends in `/`) in the transaction's view; not a validated read. */
  private async folderExists(tx: Tx, folder: string): Promise<boolean> {
    if (tx.writes.has(folder)) {
      if (tx.writes.get(folder) !== undefined) return true;
    } else if ((await this.inner.get(folder)) !== undefined) {
      return true; // a key named like the folder itself lists as the folder
    }
    return (await this.mergedList(tx, folder, '', 1)).length > 0;
  }

  private emit(listeners: readonly KeysListener[], keys: string[]): void {
    if (keys.length === 0) return;
    for (const listener of listeners) listener(keys);
  }
}
