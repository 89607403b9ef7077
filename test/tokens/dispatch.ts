/**
 * Test helpers for the token store and the `auth/token/` backend without the HTTP stack: a
 * MemoryStorage, a controllable clock, a root token, and a dispatcher that does what core does
 * around a handler (token lookup → 403, sudo routes need root, one use counted per request and
 * the token revoked after its last use, existence check turns update into create).
 */
import assert from 'node:assert/strict';
import type { Backend, BackendRequest, MountEntry, RequestAuth } from '../../src/core/backend.js';
import { ManualClock } from '../../src/core/clock.js';
import { CofferError, isCofferError } from '../../src/core/errors.js';
import type { LogicalResponse, Operation } from '../../src/core/logical.js';
import { createTokenBackend } from '../../src/core/tokens/routes.js';
import { TokenStore } from '../../src/core/tokens/store.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import type { Storage } from '../../src/storage/types.js';

/** The clock's starting point (a whole second, so TTL arithmetic is exact). */
export const T0 = Date.parse('2026-11-22T04:00:00.000Z');
/** 768h in seconds. */
export const H768 = 768 * 3600;

/** A token store and backend under test. */
export interface TokenHarness {
  clock: ManualClock;
  /** The token store's storage (plaintext here: no barrier in these tests). */
  storage: MemoryStorage;
  /** The token mount's own storage view (roles). */
  mountStorage: MemoryStorage;
  store: TokenStore;
  backend: Backend;
  mount: MountEntry;
  rootToken: string;
  /** Policies that "exist" for policyExists. */
  policies: Set<string>;
  /** Runs a request as `token` (default: root). */
  call(operation: Operation, path: string, data?: Record<string, unknown>, token?: string): Promise<LogicalResponse | null>;
  /** Like call, but expects a CofferError and returns it. */
  fail(operation: Operation, path: string, data?: Record<string, unknown>, token?: string): Promise<CofferError>;
  /** Creates a token through the `create` route and returns its client token. */
  mint(data?: Record<string, unknown>, token?: string): Promise<string>;
}

/** Builds a fresh harness with a root token (id `root` unless told otherwise). */
export async function makeTokens(opts: { rootId?: string; mountMaxTTL?: number; mountDefaultTTL?: number } = {}): Promise<TokenHarness> {
  const clock = new ManualClock(T0);
  const storage = new MemoryStorage();
  const mountStorage = new MemoryStorage();
  const store = new TokenStore({ storage, now: () => clock.now() });
  const policies = new Set(['default', 'root', 'p1', 'p2', 'p3']);
  const backend = createTokenBackend({ store, policyExists: async (n) => policies.has(n), now: () => clock.now() });
  const mount: MountEntry = {
    path: 'auth/token/', type: 'token', description: 'token based credentials', uuid: 'u-token', accessor: 'auth_token_1',
    kind: 'auth', config: { defaultLeaseTTL: opts.mountDefaultTTL ?? 0, maxLeaseTTL: opts.mountMaxTTL ?? 0, forceNoCache: false },
    options: {}, local: false, sealWrap: false, createdAt: T0,
  };
  const root = await store.create({
    id: opts.rootId ?? 'root', policies: ['root'], noDefaultPolicy: true, path: 'auth/token/root', displayName: 'root',
  });

  const h: TokenHarness = {
    clock, storage, mountStorage, store, backend, mount, rootToken: root.token, policies,
    async call(operation, path, data = {}, token = root.token) {
      const entry = await store.lookup(token);
      if (!entry) throw new CofferError('permission_denied', ['permission denied', 'invalid token']);
      const auth: RequestAuth = {
        clientToken: token, accessor: entry.accessor, policies: [...entry.policies], displayName: entry.displayName,
        metadata: { ...entry.meta }, tokenId: entry.id, isRoot: entry.policies.includes('root'), entityId: '',
      };
      const route = backend.routes.find((r) => r.pattern.test(path));
      if (!route) throw new CofferError('unsupported_path', `no route for ${path}`);
      // Stand-in for the ACL: only root passes sudo paths.
      if (route.sudo && !auth.isRoot) throw new CofferError('permission_denied', 'permission denied');
      const m = route.pattern.exec(path)!;
      const req: BackendRequest = {
        operation, path, params: { ...(m.groups ?? {}) }, data, storage: mountStorage, mount, auth,
        requestId: 'req-1', fullPath: `auth/token/${path}`,
      };
      if (operation === 'update' && route.existenceCheck) req.operation = (await route.existenceCheck(req)) ? 'update' : 'create';
      const handler = route.operations[req.operation] ?? (req.operation === 'create' ? route.operations.update : undefined);
      if (!handler) throw new CofferError('unsupported_operation', 'unsupported operation');
      const used = await store.useToken(entry);
      if (!used) throw new CofferError('permission_denied', 'permission denied');
      try {
        return await handler(req);
      } finally {
        if (used.revokeAfterRequest) await store.revoke(entry.id);
      }
    },
    async fail(operation, path, data = {}, token) {
      try {
        await h.call(operation, path, data, token);
      } catch (err) {
        assert.ok(isCofferError(err), `expected a CofferError, got ${String(err)}`);
        return err;
      }
      assert.fail(`expected ${operation} ${path} to fail`);
    },
    async mint(data = {}, token) {
      const res = await h.call('update', 'create', data, token);
      assert.ok(res?.auth, 'create returned no auth block');
      return res.auth.client_token;
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

/** All keys and values of `storage` as one searchable string (values decoded as latin1 so no byte is lost). */
export async function dump(storage: Storage): Promise<string> {
  const parts: string[] = [];
  for (const key of await allKeys(storage)) {
    parts.push(key, Buffer.from((await storage.get(key))!).toString('latin1'));
  }
  return parts.join('\n');
}

/** The `data` of a response, asserting there is one. */
export function dataOf(res: LogicalResponse | null): Record<string, any> {
  assert.ok(res && res.data, 'expected a response with data');
  return res.data as Record<string, any>;
}
