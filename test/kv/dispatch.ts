/**
 * Test helpers for the KV backends without the HTTP stack: a mount, a MemoryStorage (or a
 * given Storage), a controllable clock, and a dispatcher that routes like core does
 * (first matching pattern, existence check turns update into create, missing op → 405).
 */
import assert from 'node:assert/strict';
import type { Backend, BackendRequest, BackendServices, MountEntry } from '../../src/core/backend.js';
import { ManualClock } from '../../src/core/clock.js';
import { CofferError, isCofferError } from '../../src/core/errors.js';
import type { LogicalResponse, Operation } from '../../src/core/logical.js';
import { kvFactory } from '../../src/features/kv/index.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import type { BatchOp, Storage } from '../../src/storage/types.js';

/** The clock's starting point; timestamps in assertions are relative to it. */
export const T0 = Date.parse('2026-11-22T04:00:00.123Z');

/** A KV mount under test. */
export interface KvHarness {
  backend: Backend;
  storage: Storage;
  clock: ManualClock;
  mount: MountEntry;
  /** The operation the last call ran as (after the existence check). */
  lastOperation?: Operation;
  call(operation: Operation, path: string, data?: Record<string, unknown>): Promise<LogicalResponse | null>;
  /** Like call, but expects a CofferError and returns it. */
  fail(operation: Operation, path: string, data?: Record<string, unknown>): Promise<CofferError>;
}

/** Builds a KV mount (version "1" or "2") over `storage` (a fresh MemoryStorage by default). */
export function makeKv(opts: { version?: '1' | '2'; storage?: Storage; defaultLeaseTTL?: number } = {}): KvHarness {
  const storage = opts.storage ?? new MemoryStorage();
  const clock = new ManualClock(T0);
  const mount: MountEntry = {
    path: 'secret/', type: 'kv', description: '', uuid: 'u-1', accessor: 'kv_1', kind: 'secret',
    config: { defaultLeaseTTL: opts.defaultLeaseTTL ?? 0, maxLeaseTTL: 0, forceNoCache: false },
    options: kvFactory.validateOptions!({ version: opts.version ?? '2' }),
    local: false, sealWrap: false, createdAt: T0,
  };
  const services: BackendServices = {
    now: () => clock.now(),
    issueToken: async () => { throw new Error('not used'); },
    lockout: { isLocked: async () => false, failed: async () => false, succeeded: async () => {} },
    envelope: {
      seal: async () => { throw new Error('not used'); },
      open: async () => { throw new Error('not used'); },
    },
    logger: { info() {}, warn() {} },
  };
  const backend = kvFactory.create({ mount, storage, services });
  const h: KvHarness = {
    backend, storage, clock, mount,
    async call(operation, path, data = {}) {
      const route = backend.routes.find((r) => r.pattern.test(path));
      if (!route) throw new CofferError('unsupported_path', `no route for ${path}`);
      const m = route.pattern.exec(path)!;
      const req: BackendRequest = {
        operation, path, params: { ...(m.groups ?? {}) }, data, storage, mount, requestId: 'r', fullPath: `secret/${path}`,
      };
      let op = operation;
      if (op === 'update' && route.existenceCheck) {
        op = (await route.existenceCheck(req)) ? 'update' : 'create';
        req.operation = op;
      }
      h.lastOperation = op;
      const handler = route.operations[op];
      if (!handler) throw new CofferError('unsupported_operation', 'unsupported operation');
      return handler(req);
    },
    async fail(operation, path, data = {}) {
      try {
        await h.call(operation, path, data);
      } catch (err) {
        assert.ok(isCofferError(err), `expected a CofferError, got ${String(err)}`);
        return err;
      }
      assert.fail(`expected ${operation} ${path} to fail`);
    },
  };
  return h;
}

/** Every key in `storage`, recursively, sorted. */
export async function allKeys(storage: Storage, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of await storage.list(prefix)) {
    if (name.endsWith('/')) out.push(...(await allKeys(storage, prefix + name)));
    else out.push(prefix + name);
  }
  return out;
}

/** Every key and its value as text, for before/after comparisons. */
export async function snapshot(storage: Storage): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await allKeys(storage)) out[key] = Buffer.from((await storage.get(key))!).toString('utf8');
  return out;
}

/**
 * A MemoryStorage whose `batch` can be made to fail (before applying anything, as a real
 * transaction would roll back). Single put/delete keep working, so code that bypassed the
 * batch would leave visible half-writes.
 */
export class FlakyStorage extends MemoryStorage {
  failBatches = false;
  batches: BatchOp[][] = [];
  override async batch(ops: BatchOp[]): Promise<void> {
    this.batches.push(ops);
    if (this.failBatches) throw new Error('simulated storage failure');
    return super.batch(ops);
  }
}

/** The `data` of a response, asserting there is one. */
export function dataOf(res: LogicalResponse | null): Record<string, any> {
  assert.ok(res && res.data, 'expected a response with data');
  return res.data as Record<string, any>;
}
