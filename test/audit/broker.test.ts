import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AUDIT_FAILED_MESSAGE, AuditBroker } from '../../src/core/audit/broker.js';
import { hmacString } from '../../src/core/audit/hash.js';
import type { AuditDevice, AuditDeviceConfig } from '../../src/core/audit/types.js';
import { CofferError } from '../../src/core/errors.js';
import { SECRETS, kvReadResponseEntry, requestEntry } from './entries.js';

let root: string;
let n = 0;
before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-audit-broker-'));
});
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function dir(): string {
  const d = path.join(root, `t${++n}`);
  fs.mkdirSync(d);
  return d;
}

function fileConfig(p: string, filePath: string, options: Record<string, string> = {}): AuditDeviceConfig {
  return { path: p, type: 'file', description: '', options: { file_path: filePath, ...options }, salt: randomUUID(), local: false };
}

function readEntries(file: string): any[] {
  return fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

async function rejectsFailClosed(p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof CofferError);
    assert.equal(err.status, 500);
    assert.equal(err.code, 'audit_failed');
    assert.equal(err.message, AUDIT_FAILED_MESSAGE);
    for (const v of Object.values(SECRETS)) assert.ok(!err.message.includes(v));
    return true;
  });
}

test('with no device enabled, logging resolves at once', async () => {
  const broker = new AuditBroker();
  await broker.logRequest(requestEntry());
  await broker.logResponse(kvReadResponseEntry());
  assert.equal(broker.size, 0);
});

test('a file device gets request and response lines with no raw secret; hashes match sys/audit-hash', async () => {
  const file = path.join(dir(), 'audit.log');
  const broker = new AuditBroker();
  await broker.enable(fileConfig('file', file));
  await broker.logRequest(requestEntry('req-7'));
  await broker.logResponse(kvReadResponseEntry('req-7'));
  await broker.close();
  const text = fs.readFileSync(file, 'utf8');
  for (const [name, value] of Object.entries(SECRETS)) assert.ok(!text.includes(value), `raw ${name} found in the audit file`);
  const [req, resp] = readEntries(file);
  assert.equal(req.type, 'request');
  assert.equal(resp.type, 'response');
  assert.equal(req.request.id, 'req-7');
  assert.equal(resp.request.id, 'req-7');
  // Hashes are reproducible with the device's salt (what sys/audit-hash answers).
  const broker2 = new AuditBroker();
  const cfg = fileConfig('file', path.join(dir(), 'x.log'));
  await broker2.enable(cfg);
  const salt = Buffer.from(cfg.salt, 'utf8');
  assert.equal(broker2.hash('file', SECRETS.password), hmacString(salt, SECRETS.password));
  assert.equal(broker2.hash('file/', SECRETS.password), hmacString(salt, SECRETS.password));
  await broker2.close();
});

test('audit-hash gives the value written in the log', async () => {
  const file = path.join(dir(), 'audit.log');
  const broker = new AuditBroker();
  await broker.enable(fileConfig('file', file));
  await broker.logRequest(requestEntry());
  const [e] = readEntries(file);
  assert.equal(e.request.data.data.password, broker.hash('file/', SECRETS.password));
  assert.equal(e.auth.client_token, broker.hash('file/', SECRETS.token));
  await broker.close();
});

test('each device has its own salt; options apply per device; non-HMAC keys come from the context', async () => {
  const d = dir();
  const a = path.join(d, 'a.log');
  const b = path.join(d, 'b.log');
  const cfgA = fileConfig('a', a);
  const cfgB = fileConfig('b', b, { hmac_accessor: 'false', prefix: 'B ' });
  const broker = new AuditBroker();
  await broker.enable(cfgA);
  await broker.enable(cfgB);
  await broker.logRequest(requestEntry('r', { shown: 'visible-value', hidden: 'hidden-value' }), { nonHmacRequestKeys: ['shown'] });
  await broker.close();
  const ea = readEntries(a)[0];
  const lineB = fs.readFileSync(b, 'utf8');
  assert.ok(lineB.startsWith('B {'));
  const eb = JSON.parse(lineB.slice(2));
  const saltA = Buffer.from(cfgA.salt, 'utf8');
  const saltB = Buffer.from(cfgB.salt, 'utf8');
  assert.equal(ea.request.data.hidden, hmacString(saltA, 'hidden-value'));
  assert.equal(eb.request.data.hidden, hmacString(saltB, 'hidden-value'));
  assert.notEqual(ea.request.data.hidden, eb.request.data.hidden);
  assert.equal(ea.request.data.shown, 'visible-value');
  assert.equal(ea.auth.accessor, hmacString(saltA, SECRETS.accessor));
  assert.equal(eb.auth.accessor, SECRETS.accessor);
  assert.equal(eb.auth.client_token, hmacString(saltB, SECRETS.token));
});

test('fail closed: when the only device cannot write, logRequest rejects with audit_failed; reported once, not per line', async () => {
  const errors: string[] = [];
  const broker = new AuditBroker({ onDeviceError: (p) => errors.push(p) });
  await broker.enable(fileConfig('full', '/dev/full', { mode: '0000' }));
  await rejectsFailClosed(broker.logRequest(requestEntry()));
  await rejectsFailClosed(broker.logResponse(kvReadResponseEntry()));
  assert.deepEqual(errors, ['full/']);
  await broker.close();
});

test('enable with a probe writes it first; a device that cannot write it is refused with a 400 and not added', async () => {
  const file = path.join(dir(), 'audit.log');
  const broker = new AuditBroker();
  const probe = requestEntry('probe-1', null);
  await broker.enable(fileConfig('file', file), { probe });
  await assert.rejects(
    broker.enable(fileConfig('full', '/dev/full', { mode: '0000' }), { probe }),
    (err: unknown) => err instanceof CofferError && err.status === 400 && /full\/ failed its test write \(ENOSPC/.test(err.message),
  );
  assert.deepEqual(broker.list().map((c) => c.path), ['file/']);
  await broker.close();
  assert.deepEqual(readEntries(file).map((e) => e.request.id), ['probe-1']);
});

test('fail closed: two devices, one failing, still succeeds and the healthy one has the line', async () => {
  const good = path.join(dir(), 'good.log');
  const broker = new AuditBroker();
  await broker.enable(fileConfig('full', '/dev/full', { mode: '0000' }));
  await broker.enable(fileConfig('good', good));
  await broker.logRequest(requestEntry('ok-1'));
  await broker.close();
  assert.equal(readEntries(good)[0].request.id, 'ok-1');
});

test('fail closed: a device whose file descriptor broke fails; disabling it restores service', async () => {
  const d = dir();
  const file = path.join(d, 'audit.log');
  let device: AuditDevice | undefined;
  const broker = new AuditBroker({
    factories: {
      file: async (config, hooks) => {
        const { FileAuditDevice } = await import('../../src/core/audit/file-device.js');
        device = await FileAuditDevice.open(config.options, hooks);
        return device;
      },
    },
  });
  await broker.enable(fileConfig('file', file));
  await broker.logRequest(requestEntry('before'));
  // Close the descriptor under the device: its writes now fail with EBADF.
  const fd = fs.readdirSync('/proc/self/fd').map(Number).find((f) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${f}`) === file;
    } catch {
      return false;
    }
  });
  assert.ok(fd !== undefined, 'found the audit file descriptor');
  fs.closeSync(fd);
  await rejectsFailClosed(broker.logRequest(requestEntry('after')));
  assert.equal(await broker.disable('file'), true);
  await broker.logRequest(requestEntry('no-devices'));
  assert.deepEqual(readEntries(file).map((e) => e.request.id), ['before']);
  assert.ok(device);
});

test('enable refuses bad configs with a 400; the broker stays usable', async () => {
  const d = dir();
  const broker = new AuditBroker();
  await broker.enable(fileConfig('file', path.join(d, 'a.log')));
  const is400 = (pattern: RegExp) => (err: unknown) => err instanceof CofferError && err.status === 400 && pattern.test(err.message);
  await assert.rejects(broker.enable(fileConfig('file/', path.join(d, 'b.log'))), is400(/path already in use: file\//));
  await assert.rejects(broker.enable(fileConfig('other', path.join(d, 'a.log'))), is400(/already written by the audit device at file\//));
  await assert.rejects(broker.enable({ ...fileConfig('sock', path.join(d, 'c.log')), type: 'socket' }), is400(/unsupported audit device type "socket"/));
  await assert.rejects(broker.enable(fileConfig('nodir', path.join(d, 'missing', 'x.log'))), is400(/does not exist/));
  assert.deepEqual(broker.list().map((c) => c.path), ['file/']);
  assert.equal(broker.has('nodir'), false);
  await broker.close();
});

test('list() keeps salts for persistence, describe() hides them; has(), hash() and disable()', async () => {
  const d = dir();
  const broker = new AuditBroker();
  const cfg = { ...fileConfig('audit/one', path.join(d, 'one.log')), description: 'first' };
  await broker.enable(cfg);
  await broker.enable(fileConfig('two/', path.join(d, 'two.log')));
  assert.deepEqual(broker.list().map((c) => [c.path, c.salt]), [['audit/one/', cfg.salt], ['two/', broker.list()[1]!.salt]]);
  assert.deepEqual(broker.describe()[0], { path: 'audit/one/', type: 'file', description: 'first', options: { file_path: path.join(d, 'one.log') }, local: false });
  assert.ok(!JSON.stringify(broker.describe()).includes(cfg.salt));
  assert.ok(broker.has('audit/one') && broker.has('audit/one/') && !broker.has('three'));
  assert.throws(() => broker.hash('three', 'x'), (err: unknown) => err instanceof CofferError && err.status === 400 && /unknown audit backend three\//.test(err.message));
  assert.equal(await broker.disable('audit/one'), true);
  assert.equal(await broker.disable('audit/one'), false);
  assert.deepEqual(broker.list().map((c) => c.path), ['two/']);
  // Re-enabling at the same path works once the old device is gone.
  await broker.enable(fileConfig('audit/one', path.join(d, 'one.log')));
  assert.equal(broker.size, 2);
  await broker.close();
  assert.equal(broker.size, 0);
});

test('many concurrent entries through the broker all land once, in order', async () => {
  const file = path.join(dir(), 'audit.log');
  const broker = new AuditBroker();
  await broker.enable(fileConfig('file', file));
  await Promise.all(Array.from({ length: 500 }, (_, i) => broker.logRequest(requestEntry(`r${i}`))));
  await broker.close();
  assert.deepEqual(readEntries(file).map((e) => e.request.id), Array.from({ length: 500 }, (_, i) => `r${i}`));
});

test('markFailed: a device that could not be opened fails closed, then recovers once its directory exists', async () => {
  const d = dir();
  const target = path.join(d, 'later', 'audit.log');
  const broker = new AuditBroker({ retryOpenMs: 0 });
  const cfg = fileConfig('file', target);
  await assert.rejects(broker.enable(cfg));
  broker.markFailed(cfg);
  assert.ok(broker.has('file'));
  assert.equal(broker.list()[0]!.salt, cfg.salt);
  await rejectsFailClosed(broker.logRequest(requestEntry('refused')));
  fs.mkdirSync(path.dirname(target));
  // The refused write above started a reopen attempt that failed; the next one succeeds.
  await rejectsFailClosed(broker.logRequest(requestEntry('refused-2')));
  // The reopen runs in the background: retry until a write is accepted.
  let accepted = false;
  for (let i = 0; i < 100 && !accepted; i++) {
    await new Promise((r) => setTimeout(r, 5));
    accepted = await broker.logRequest(requestEntry('accepted')).then(() => true, () => false);
  }
  assert.ok(accepted, 'the device reopened');
  await broker.close();
  assert.deepEqual(readEntries(target).map((e) => e.request.id), ['accepted']);
});
