import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileAuditDevice, listRotated } from '../../src/core/audit/file-device.js';
import { CofferError } from '../../src/core/errors.js';

let root: string;
let n = 0;
before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-audit-file-'));
});
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** A fresh directory per test. */
function dir(): string {
  const d = path.join(root, `t${++n}`);
  fs.mkdirSync(d);
  return d;
}

function readLines(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  assert.ok(text === '' || text.endsWith('\n'), 'file ends with a newline');
  return text === '' ? [] : text.slice(0, -1).split('\n');
}

/** A manual clock that moves 1 s per call, so rotated names differ. */
function steppingClock(start = Date.UTC(2026, 0, 2, 3, 4, 5, 678)): () => number {
  let t = start;
  return () => (t += 1000);
}

const line = (i: number) => JSON.stringify({ n: i, pad: 'x'.repeat(30) }); // 46 bytes + newline

async function rejectsWith400(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof CofferError, `expected a CofferError, got ${String(err)}`);
    assert.equal(err.status, 400);
    assert.match(err.message, pattern);
    return true;
  });
}

test('writes one JSON object per line, in order', async () => {
  const file = path.join(dir(), 'audit.log');
  const dev = await FileAuditDevice.open({ file_path: file });
  await dev.log(JSON.stringify({ a: 1 }));
  await dev.log(JSON.stringify({ b: 'two' }));
  await dev.close();
  assert.deepEqual(readLines(file).map((l) => JSON.parse(l)), [{ a: 1 }, { b: 'two' }]);
});

test('new files get mode 0600; an existing file is tightened; mode option and mode=0000 are honoured', async () => {
  const d = dir();
  const fresh = path.join(d, 'fresh.log');
  const dev = await FileAuditDevice.open({ file_path: fresh });
  assert.equal(fs.statSync(fresh).mode & 0o777, 0o600);
  await dev.close();

  const loose = path.join(d, 'loose.log');
  fs.writeFileSync(loose, '');
  fs.chmodSync(loose, 0o644);
  await (await FileAuditDevice.open({ file_path: loose })).close();
  assert.equal(fs.statSync(loose).mode & 0o777, 0o600);

  const custom = path.join(d, 'custom.log');
  await (await FileAuditDevice.open({ file_path: custom, mode: '0640' })).close();
  assert.equal(fs.statSync(custom).mode & 0o777, 0o640);

  const keep = path.join(d, 'keep.log');
  fs.writeFileSync(keep, '');
  fs.chmodSync(keep, 0o644);
  await (await FileAuditDevice.open({ file_path: keep, mode: '0000' })).close();
  assert.equal(fs.statSync(keep).mode & 0o777, 0o644);
});

test('the legacy "path" option works like file_path', async () => {
  const file = path.join(dir(), 'legacy.log');
  const dev = await FileAuditDevice.open({ path: file });
  await dev.log('{"x":1}');
  await dev.close();
  assert.deepEqual(readLines(file), ['{"x":1}']);
});

test('unusable locations and bad options fail at open time with a clear 400', async () => {
  const d = dir();
  await rejectsWith400(FileAuditDevice.open({ file_path: path.join(d, 'missing', 'audit.log') }), /does not exist/);
  const plain = path.join(d, 'plain');
  fs.writeFileSync(plain, '');
  await rejectsWith400(FileAuditDevice.open({ file_path: path.join(plain, 'audit.log') }), /not a directory/);
  await rejectsWith400(FileAuditDevice.open({ file_path: d }), /is a directory/);
  await rejectsWith400(FileAuditDevice.open({}), /file_path/);
  await rejectsWith400(FileAuditDevice.open({ file_path: path.join(d, 'a.log'), mode: '999' }), /mode/);
  await rejectsWith400(FileAuditDevice.open({ file_path: path.join(d, 'a.log'), max_bytes: 'lots' }), /max_bytes/);
  await rejectsWith400(FileAuditDevice.open({ file_path: path.join(d, 'a.log'), max_files: '-5' }), /max_files/);
  await rejectsWith400(FileAuditDevice.open({ file_path: path.join(d, 'a.log'), hmac_accessor: 'maybe' }), /hmac_accessor/);
  await rejectsWith400(FileAuditDevice.open({ file_path: path.join(d, 'a.log'), format: 'jsonx' }), /format/);
});

test('a directory the server cannot write fails at open time', { skip: process.getuid?.() === 0 ? 'running as root: permissions do not apply' : false }, async () => {
  const d = dir();
  fs.chmodSync(d, 0o500);
  try {
    await rejectsWith400(FileAuditDevice.open({ file_path: path.join(d, 'audit.log') }), /permission denied/);
  } finally {
    fs.chmodSync(d, 0o700);
  }
});

test('option values: strings as Vault sends them, JSON types, and sizes with units', async () => {
  const d = dir();
  const dev = await FileAuditDevice.open({ file_path: path.join(d, 'a.log'), hmac_accessor: 'false', log_raw: true, elide_list_responses: '1', prefix: 'P', max_bytes: '10KiB', max_files: 3 });
  assert.deepEqual(
    { ...dev.settings, filePath: undefined },
    { filePath: undefined, mode: 0o600, hmacAccessor: false, logRaw: true, elideListResponses: true, prefix: 'P', maxBytes: 10240, maxFiles: 3, rotatePeriodMs: 0, minFreeBytes: 1024 ** 3 },
  );
  await dev.close();
  const defaults = await FileAuditDevice.open({ file_path: path.join(d, 'b.log') });
  assert.equal(defaults.settings.maxBytes, 100 * 1024 * 1024);
  assert.equal(defaults.settings.maxFiles, 10);
  assert.equal(defaults.settings.hmacAccessor, true);
  assert.equal(defaults.settings.logRaw, false);
  await defaults.close();
});

test('many concurrent log() calls all resolve, each line appears once, in order, in few writes', async () => {
  const file = path.join(dir(), 'audit.log');
  const dev = await FileAuditDevice.open({ file_path: file });
  // Count write(2) calls by wrapping fs.write (visible to ESM importers after syncBuiltinESMExports).
  const cjsFs = createRequire(import.meta.url)('node:fs') as typeof fs;
  // Regular files are written with writeSync, other outputs with write: count both.
  const original = cjsFs.write;
  const originalSync = cjsFs.writeSync;
  let writes = 0;
  (cjsFs as { write: unknown }).write = (...args: unknown[]) => {
    writes++;
    return (original as (...a: unknown[]) => unknown).apply(cjsFs, args);
  };
  (cjsFs as { writeSync: unknown }).writeSync = (...args: unknown[]) => {
    writes++;
    return (originalSync as (...a: unknown[]) => unknown).apply(cjsFs, args);
  };
  syncBuiltinESMExports();
  try {
    const count = 2000;
    const results = await Promise.all(Array.from({ length: count }, (_, i) => dev.log(line(i))));
    assert.equal(results.length, count);
    assert.equal(writes, 1, 'lines logged in the same tick go out in one write');
    // Lines logged while a write is in flight join the next write (group commit).
    writes = 0;
    const first = dev.log(line(count));
    await new Promise((r) => setImmediate(r));
    const rest = Array.from({ length: 100 }, (_, i) => dev.log(line(count + 1 + i)));
    await Promise.all([first, ...rest]);
    assert.ok(writes <= 2, `expected at most 2 writes, saw ${writes}`);
    await dev.close();
  } finally {
    (cjsFs as { write: unknown }).write = original;
    (cjsFs as { writeSync: unknown }).writeSync = originalSync;
    syncBuiltinESMExports();
  }
  const lines = readLines(file).map((l) => JSON.parse(l).n as number);
  assert.deepEqual(lines, Array.from({ length: 2101 }, (_, i) => i));
});

test('rotation by size: rotated files appear, none exceeds max_bytes, the current file has the newest lines', async () => {
  const d = dir();
  const file = path.join(d, 'audit.log');
  const dev = await FileAuditDevice.open({ file_path: file, max_bytes: '200', max_files: '100' }, { now: steppingClock() });
  for (let i = 0; i < 40; i++) await dev.log(line(i));
  await dev.close();
  const rotated = await listRotated(file);
  assert.ok(rotated.length >= 9, `expected rotated files, found ${rotated.length}`);
  for (const f of [...rotated, file]) {
    assert.ok(fs.statSync(f).size <= 200, `${f} is over max_bytes`);
    assert.equal(fs.statSync(f).mode & 0o777, 0o600);
    assert.match(path.basename(f), /^audit\.log(\.\d{8}T\d{6}\.\d{3}Z)?$/);
  }
  const all = [...rotated, file].flatMap((f) => readLines(f).map((l) => JSON.parse(l).n as number));
  assert.deepEqual(all, Array.from({ length: 40 }, (_, i) => i), 'oldest-first files hold every line once, in order');
  assert.equal(readLines(file).map((l) => JSON.parse(l).n).at(-1), 39);
});

test('fail closed: a rotation that cannot open the next file refuses writes until it can, then resumes', async () => {
  const d = path.join(dir(), 'logs');
  fs.mkdirSync(d);
  const file = path.join(d, 'audit.log');
  const reported: unknown[] = [];
  const dev = await FileAuditDevice.open({ file_path: file, max_bytes: '200' }, { now: steppingClock(), onError: (err) => reported.push(err) });
  for (let i = 0; i < 3; i++) await dev.log(line(i));
  fs.rmSync(d, { recursive: true });
  // The next rotation finds no directory: no line may go to the deleted file.
  let refused = 0;
  for (let i = 3; i < 10; i++) {
    await dev.log(line(i)).then(
      () => assert.equal(refused, 0, 'a line was accepted after a refusal'),
      (err: Error) => {
        assert.match(err.message, /directory ".*logs" does not exist; .*audit writes are refused until a new file can be opened/);
        refused++;
      },
    );
  }
  assert.ok(refused >= 5, `refused ${refused} of 7 lines`);
  fs.mkdirSync(d);
  // Opening is retried at most once a second: within two seconds a write lands in the new file.
  let landed = false;
  for (let i = 0; i < 20 && !landed; i++) {
    await new Promise((r) => setTimeout(r, 100));
    landed = await dev.log(line(100 + i)).then(() => true, () => false);
  }
  assert.ok(landed, 'writing resumed once the directory was back');
  await dev.close();
  assert.equal(readLines(file).length, 1);
  assert.deepEqual(reported, [], 'refused writes carry the error; the device does not report it once per line');
});

test('rotation splits a large batch across files', async () => {
  const file = path.join(dir(), 'audit.log');
  const dev = await FileAuditDevice.open({ file_path: file, max_bytes: '200', max_files: '0' }, { now: steppingClock() });
  await Promise.all(Array.from({ length: 40 }, (_, i) => dev.log(line(i))));
  await dev.close();
  const files = [...(await listRotated(file)), file];
  assert.ok(files.length >= 10);
  for (const f of files) assert.ok(fs.statSync(f).size <= 200);
  assert.deepEqual(files.flatMap((f) => readLines(f).map((l) => JSON.parse(l).n)), Array.from({ length: 40 }, (_, i) => i));
});

test('max_files keeps only the newest rotated files; -1 keeps none; max_bytes=0 never rotates', async () => {
  const d = dir();
  const file = path.join(d, 'audit.log');
  const dev = await FileAuditDevice.open({ file_path: file, max_bytes: '200', max_files: '2' }, { now: steppingClock() });
  for (let i = 0; i < 40; i++) await dev.log(line(i));
  await dev.close();
  const rotated = await listRotated(file);
  assert.equal(rotated.length, 2);
  const kept = [...rotated, file].flatMap((f) => readLines(f).map((l) => JSON.parse(l).n as number));
  assert.equal(kept.at(-1), 39);
  assert.deepEqual(kept, Array.from({ length: kept.length }, (_, i) => 40 - kept.length + i), 'the newest lines survive, contiguous');
  assert.deepEqual(fs.readdirSync(d).sort(), ['audit.log', ...rotated.map((f) => path.basename(f))].sort());

  const none = path.join(d, 'none.log');
  const dev2 = await FileAuditDevice.open({ file_path: none, max_bytes: '200', max_files: '-1' }, { now: steppingClock() });
  for (let i = 0; i < 20; i++) await dev2.log(line(i));
  await dev2.close();
  assert.equal((await listRotated(none)).length, 0);
  assert.equal(readLines(none).map((l) => JSON.parse(l).n).at(-1), 19);

  const never = path.join(d, 'never.log');
  const dev3 = await FileAuditDevice.open({ file_path: never, max_bytes: '0' }, { now: steppingClock() });
  for (let i = 0; i < 20; i++) await dev3.log(line(i));
  await dev3.close();
  assert.equal((await listRotated(never)).length, 0);
  assert.equal(readLines(never).length, 20);
});

test('rotated names stay unique when the clock does not move', async () => {
  const file = path.join(dir(), 'audit.log');
  const dev = await FileAuditDevice.open({ file_path: file, max_bytes: '100', max_files: '0' }, { now: () => Date.UTC(2026, 0, 1) });
  for (let i = 0; i < 12; i++) await dev.log(line(i));
  await dev.close();
  const rotated = await listRotated(file);
  assert.equal(path.basename(rotated[0]!), 'audit.log.20260101T000000.000Z');
  assert.equal(path.basename(rotated[1]!), 'audit.log.20260101T000000.000Z.1');
  assert.deepEqual([...rotated, file].flatMap((f) => readLines(f).map((l) => JSON.parse(l).n)), Array.from({ length: 12 }, (_, i) => i));
});

test('existing content counts towards max_bytes', async () => {
  const file = path.join(dir(), 'audit.log');
  fs.writeFileSync(file, '{"old":true}\n'.repeat(12)); // 156 bytes
  const dev = await FileAuditDevice.open({ file_path: file, max_bytes: '200' }, { now: steppingClock() });
  await dev.log(line(0));
  await dev.close();
  const rotated = await listRotated(file);
  assert.equal(rotated.length, 1);
  assert.equal(readLines(rotated[0]!).length, 12);
  assert.deepEqual(readLines(file), [line(0)]);
});

test('a failing write rejects log() (/dev/full) and the device keeps working for the next call', async () => {
  const dev = await FileAuditDevice.open({ file_path: '/dev/full', mode: '0000' });
  await assert.rejects(dev.log('{"x":1}'), (err: NodeJS.ErrnoException) => err.code === 'ENOSPC');
  await assert.rejects(Promise.all([dev.log('a'), dev.log('b')]), (err: NodeJS.ErrnoException) => err.code === 'ENOSPC');
  await dev.close();
});

test('close() writes pending lines; log() after close rejects', async () => {
  const file = path.join(dir(), 'audit.log');
  const dev = await FileAuditDevice.open({ file_path: file });
  const pending = [dev.log('{"a":1}'), dev.log('{"a":2}')];
  await dev.close();
  await Promise.all(pending);
  assert.equal(readLines(file).length, 2);
  await assert.rejects(dev.log('{"a":3}'), /closed/);
});

test('reopen() starts a new file after an external logrotate moved the old one', async () => {
  const d = dir();
  const file = path.join(d, 'audit.log');
  const dev = await FileAuditDevice.open({ file_path: file });
  await dev.log('{"n":1}');
  fs.renameSync(file, path.join(d, 'moved.log'));
  await dev.log('{"n":2}'); // still the old descriptor
  await dev.reopen();
  await dev.log('{"n":3}');
  await dev.close();
  assert.deepEqual(readLines(path.join(d, 'moved.log')), ['{"n":1}', '{"n":2}']);
  assert.deepEqual(readLines(file), ['{"n":3}']);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
});

test('discard accepts and drops lines; stdout writes them to the process output', async () => {
  const discard = await FileAuditDevice.open({ file_path: 'discard' });
  await discard.log('{"x":1}');
  await discard.close();

  const seen: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  (process.stdout as { write: unknown }).write = (chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (String(chunk).includes('"audit-stdout-probe"')) {
      seen.push(String(chunk));
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }
    return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
  };
  try {
    const out = await FileAuditDevice.open({ file_path: 'stdout' });
    await out.log('{"audit-stdout-probe":1}');
    await out.close();
  } finally {
    (process.stdout as { write: unknown }).write = original;
  }
  assert.deepEqual(seen, ['{"audit-stdout-probe":1}\n']);
});
