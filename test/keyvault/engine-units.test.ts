/**
 * The `keyvault` engine called directly (no HTTP): the Azure error `detail` codes the Azure front
 * renders, storage atomicity, option validation, requiredPermission and the policy renderer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BackendRequest, BackendServices, MountEntry } from '../../src/core/backend.js';
import { ManualClock } from '../../src/core/clock.js';
import { Envelope } from '../../src/core/envelope.js';
import { CofferError, isCofferError } from '../../src/core/errors.js';
import type { LogicalResponse, Operation } from '../../src/core/logical.js';
import { parsePolicy } from '../../src/core/acl/policy.js';
import { keyvaultFactory, requiredPermission, validateKeyVaultOptions } from '../../src/features/keyvault/index.js';
import { renderPolicy, SECRET_PERMISSIONS } from '../../src/features/keyvault/access-policy.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import type { BatchOp, Storage } from '../../src/storage/types.js';

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

class FlakyStorage extends MemoryStorage {
  failBatches = false;
  override async batch(ops: BatchOp[]): Promise<void> {
    if (this.failBatches) throw new Error('simulated storage failure');
    return super.batch(ops);
  }
}

/** A vault backend over MemoryStorage with a manual clock and a real envelope. */
function makeVault(options: Record<string, string> = {}, opts: { storage?: Storage; envelopeStorage?: Storage } = {}) {
  const storage = opts.storage ?? new MemoryStorage();
  const clock = new ManualClock(T0);
  const mount: MountEntry = {
    path: 'keyvault/unit/', type: 'keyvault', description: '', uuid: 'u', accessor: 'keyvault_u', kind: 'secret',
    config: { defaultLeaseTTL: 0, maxLeaseTTL: 0, forceNoCache: false },
    options: validateKeyVaultOptions(options), local: false, sealWrap: false, createdAt: T0,
  };
  const services = {
    now: () => clock.now(),
    envelope: new Envelope(opts.envelopeStorage ?? new MemoryStorage()),
    logger: { info() {}, warn() {} },
  } as unknown as BackendServices;
  const backend = keyvaultFactory.create({ mount, storage, services });
  const call = async (operation: Operation, path: string, data: Record<string, unknown> = {}): Promise<LogicalResponse | null> => {
    const route = backend.routes.find((r) => r.pattern.test(path));
    if (!route) throw new CofferError('unsupported_path', `no route for ${path}`);
    const m = route.pattern.exec(path)!;
    const req: BackendRequest = { operation, path, params: { ...(m.groups ?? {}) }, data, storage, mount, requestId: 'r', fullPath: `${mount.path}${path}` };
    if (operation === 'update' && route.existenceCheck) req.operation = (await route.existenceCheck(req)) ? 'update' : 'create';
    const handler = route.operations[req.operation];
    if (!handler) throw new CofferError('unsupported_operation', 'unsupported operation');
    return handler(req);
  };
  const fail = async (operation: Operation, path: string, data: Record<string, unknown> = {}): Promise<CofferError> => {
    try {
      await call(operation, path, data);
    } catch (err) {
      assert.ok(isCofferError(err), `expected a CofferError, got ${String(err)}`);
      return err;
    }
    assert.fail(`expected ${operation} ${path} to fail`);
  };
  return { backend, storage, clock, call, fail };
}

const data = (res: LogicalResponse | null) => res!.data as Record<string, any>;

describe('keyvault engine: Azure error details', () => {
  it('SecretNotFound, BadParameter, Forbidden/SecretDisabled, Conflict/ObjectIsDeletedButRecoverable', async () => {
    const v = makeVault();
    let err = await v.fail('read', 'secrets/missing');
    assert.equal(err.status, 404);
    assert.deepEqual(err.detail, { code: 'SecretNotFound' });
    err = await v.fail('update', 'secrets/bad_name', { value: 'x' });
    assert.equal(err.status, 400);
    assert.deepEqual(err.detail, { code: 'BadParameter' });
    err = await v.fail('update', 'secrets/ok', {});
    assert.deepEqual([err.status, err.messages, err.detail], [400, ['Property value is required'], { code: 'BadParameter' }]);

    await v.call('update', 'secrets/off', { value: 'x', attributes: { enabled: false } });
    err = await v.fail('read', 'secrets/off');
    assert.deepEqual([err.status, err.detail], [403, { code: 'Forbidden', inner: 'SecretDisabled' }]);

    await v.call('delete', 'secrets/off');
    err = await v.fail('update', 'secrets/OFF', { value: 'y' });
    assert.deepEqual([err.status, err.detail], [409, { code: 'Conflict', inner: 'ObjectIsDeletedButRecoverable' }]);
    err = await v.fail('read', 'deletedsecrets/missing');
    assert.deepEqual([err.status, err.detail], [404, { code: 'SecretNotFound' }]);
  });

  it('validity window details when enforced', async () => {
    const v = makeVault({ enforce_validity_window: 'true' });
    const now = T0 / 1000;
    await v.call('update', 'secrets/early', { value: 'x', attributes: { nbf: now + 10 } });
    await v.call('update', 'secrets/late', { value: 'x', attributes: { exp: now } });
    assert.deepEqual((await v.fail('read', 'secrets/early')).detail, { code: 'Forbidden', inner: 'SecretNotYetValid' });
    assert.deepEqual((await v.fail('read', 'secrets/late')).detail, { code: 'Forbidden', inner: 'SecretExpired' });
  });

  it('purge protection and restore conflicts carry their codes; a foreign blob is BadParameter', async () => {
    const v = makeVault({ purge_protection: 'true' });
    await v.backend.initialize?.();
    await v.call('update', 'secrets/p', { value: 'x' });
    const blob = data(await v.call('update', 'secrets/p/backup')).value as string;
    assert.deepEqual((await v.fail('update', 'restore', { value: blob })).detail, { code: 'Conflict', inner: 'ObjectAlreadyExists' });
    await v.call('delete', 'secrets/p');
    assert.deepEqual((await v.fail('update', 'restore', { value: blob })).detail, { code: 'Conflict', inner: 'ObjectIsDeletedButRecoverable' });
    const purge = await v.fail('delete', 'deletedsecrets/p');
    assert.equal(purge.status, 403);
    assert.equal(purge.detail?.code, 'Forbidden');

    // Another Coffer (another envelope key) cannot open the blob.
    const elsewhere = makeVault();
    const foreign = await elsewhere.fail('update', 'restore', { value: blob });
    assert.deepEqual([foreign.status, foreign.detail], [400, { code: 'BadParameter' }]);
  });

  it('multi-key changes are atomic: a failed batch leaves the secret as it was', async () => {
    const storage = new FlakyStorage();
    const v = makeVault({}, { storage });
    await v.call('update', 'secrets/a', { value: 'one' });
    storage.failBatches = true;
    await assert.rejects(v.call('update', 'secrets/a', { value: 'two' }));
    await assert.rejects(v.call('delete', 'secrets/a'));
    storage.failBatches = false;
    assert.equal(data(await v.call('read', 'secrets/a')).value, 'one');
    assert.equal((data(await v.call('list', 'secrets/a/versions/')).items as unknown[]).length, 1);
    assert.deepEqual(await storage.list('deleted/'), []);
    assert.deepEqual(await storage.list('purge/'), []);
  });

  it('tidy purges only what is due and drops stale index entries', async () => {
    const v = makeVault({ soft_delete_retention_days: '7' });
    await v.call('update', 'secrets/a', { value: 'x' });
    await v.call('delete', 'secrets/a');
    await v.storage.put('purge/000000000001/ghost', Buffer.from('ghost'));
    await v.backend.tidy!();
    assert.deepEqual(await v.storage.list('purge/'), [`${String(T0 / 1000 + 7 * 86400).padStart(12, '0')}/`]);
    assert.ok(await v.call('read', 'deletedsecrets/a'));
    v.clock.advance(7 * 86400 * 1000);
    await v.backend.tidy!();
    assert.deepEqual(await v.storage.list(''), []);
  });
});

describe('keyvault options', () => {
  it('normalises defaults and bounds', () => {
    assert.deepEqual(validateKeyVaultOptions({}), { soft_delete_retention_days: '90', purge_protection: 'false', enforce_validity_window: 'false' });
    assert.deepEqual(validateKeyVaultOptions({ soft_delete_retention_days: '7', purge_protection: 'TRUE', enforce_validity_window: '1', other: 'kept' }), {
      soft_delete_retention_days: '7', purge_protection: 'true', enforce_validity_window: 'true', other: 'kept',
    });
    for (const bad of ['6', '91', '7.5', 'ninety', '-7']) {
      assert.throws(() => validateKeyVaultOptions({ soft_delete_retention_days: bad }), (e: unknown) => isCofferError(e) && e.status === 400);
    }
    assert.throws(() => validateKeyVaultOptions({ enforce_validity_window: 'yes' }), (e: unknown) => isCofferError(e) && e.status === 400);
  });
});

describe('requiredPermission', () => {
  it('names the Key Vault permission each engine operation needs', () => {
    const cases: Array<[Operation, string, string | undefined]> = [
      ['read', 'secrets/x', 'get'], ['read', 'secrets/x/', 'get'], ['read', 'secrets/x/abc', 'get'],
      ['create', 'secrets/x', 'set'], ['update', 'secrets/x', 'set'], ['patch', 'secrets/x/abc', 'set'], ['patch', 'secrets/x', 'set'],
      ['list', 'secrets/', 'list'], ['list', 'secrets/x/versions/', 'list'], ['list', 'deletedsecrets/', 'list'], ['read', 'deletedsecrets/x', 'list'],
      ['delete', 'secrets/x', 'delete'], ['update', 'secrets/x/backup', 'backup'], ['update', 'restore', 'restore'],
      ['update', 'deletedsecrets/x/recover', 'recover'], ['delete', 'deletedsecrets/x', 'purge'],
      ['read', 'config', undefined], ['read', 'access-policy-template', undefined], ['update', 'secrets/x/other', undefined],
    ];
    for (const [op, path, want] of cases) assert.equal(requiredPermission(op, path), want, `${op} ${path}`);
  });

  it('agrees with the rendered policy: each permission alone allows exactly its own operations', async () => {
    const { ACL } = await import('../../src/core/acl/acl.js');
    const probes: Array<[Operation, string]> = [
      ['read', 'secrets/x'], ['read', 'secrets/x/'], ['read', 'secrets/x/0123'], ['create', 'secrets/x'], ['update', 'secrets/x'],
      ['patch', 'secrets/x/0123'], ['list', 'secrets/'], ['list', 'secrets/x/versions/'], ['list', 'deletedsecrets/'],
      ['read', 'deletedsecrets/x'], ['delete', 'secrets/x'], ['update', 'secrets/x/backup'], ['update', 'restore'],
      ['update', 'deletedsecrets/x/recover'], ['delete', 'deletedsecrets/x'],
    ];
    for (const perm of SECRET_PERMISSIONS) {
      const policy = parsePolicy('p', renderPolicy('keyvault/unit/', [perm]));
      const acl = new ACL([policy]);
      for (const [op, path] of probes) {
        const allowed = acl.check({ operation: op, path: `keyvault/unit/${path}` }).allowed;
        assert.equal(allowed, requiredPermission(op, path) === perm, `${perm}: ${op} ${path}`);
      }
    }
  });
});

describe('getSecret shared reads (one frozen bundle per stored version, through the barrier)', () => {
  it('answers what is stored now: new versions, changed properties, disabled versions and vault settings show at once', async () => {
    const { Barrier } = await import('../../src/barrier/barrier.js');
    const barrier = new Barrier(new MemoryStorage());
    await barrier.initialize(Buffer.alloc(32, 7));
    const { call, fail } = makeVault({}, { storage: barrier });
    await call('update', 'secrets/shared', { value: 'one', tags: { env: 'dev' } });
    const first = (await call('read', 'secrets/shared'))!.data!;
    assert.ok(!Object.isFrozen(first), 'a first read is decoded for its reader alone (shared from the second read on)');
    const a = (await call('read', 'secrets/shared'))!.data!;
    const b = (await call('read', 'secrets/shared'))!.data!;
    assert.equal(b, a, 'the same frozen bundle while nothing changed');
    assert.ok(Object.isFrozen(a) && Object.isFrozen(a.attributes) && Object.isFrozen(a.tags));
    assert.equal(a.value, 'one');
    const v1 = a.version as string;
    // Properties of the version changed: a new stored value, a new bundle.
    await call('patch', `secrets/shared/${v1}`, { tags: { env: 'prod' }, contentType: 'text/plain' });
    const c = (await call('read', 'secrets/shared'))!.data!;
    assert.deepEqual(c.tags, { env: 'prod' });
    assert.equal(c.contentType, 'text/plain');
    // The vault's settings (not part of the version) changed: the bundle shows them.
    assert.equal((c.attributes as Record<string, unknown>).recoverableDays, 90);
    await call('update', 'config', { soft_delete_retention_days: 30 });
    const d = (await call('read', 'secrets/shared'))!.data!;
    assert.equal((d.attributes as Record<string, unknown>).recoverableDays, 30);
    assert.equal((d.attributes as Record<string, unknown>).recoveryLevel, 'CustomizedRecoverable+Purgeable');
    // A new version, then the old one by id; a disabled version is refused.
    await call('update', 'secrets/shared', { value: 'two' });
    assert.equal((await call('read', 'secrets/shared'))!.data!.value, 'two');
    assert.equal((await call('read', `secrets/shared/${v1}`))!.data!.value, 'one');
    await call('patch', `secrets/shared/${v1}`, { attributes: { enabled: false } });
    assert.equal((await fail('read', `secrets/shared/${v1}`)).status, 403);
    // Writers still get their own mutable copies (a patch after reads works, see above), and the read object stays frozen.
    assert.throws(() => {
      (a as Record<string, unknown>).value = 'changed';
    }, TypeError);
  });
});
