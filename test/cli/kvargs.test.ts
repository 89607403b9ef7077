import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKvArgs, type KvSources } from '../../src/cli/kvargs.js';
import { CliError } from '../../src/cli/context.js';

function sources(stdin = '', files: Record<string, string> = {}): KvSources & { stdinReads: number } {
  const s = {
    stdinReads: 0,
    async readStdin() {
      s.stdinReads++;
      return stdin;
    },
    async readFile(path: string) {
      if (!(path in files)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return files[path]!;
    },
  };
  return s;
}

test('k=v values stay strings; "=" inside the value is kept', async () => {
  assert.deepEqual(await parseKvArgs(['a=1', 'b=x=y', 'c=', 'token_ttl=1h'], sources()), {
    a: '1',
    b: 'x=y',
    c: '',
    token_ttl: '1h',
  });
});

test('k=@file reads the file, k=- reads stdin', async () => {
  const src = sources('from stdin\n', { '/tmp/cert.pem': '-----BEGIN-----\n' });
  assert.deepEqual(await parseKvArgs(['cert=@/tmp/cert.pem', 'note=-'], src), {
    cert: '-----BEGIN-----\n',
    note: 'from stdin\n',
  });
  assert.equal(src.stdinReads, 1);
});

test('"-" alone merges a JSON object from stdin', async () => {
  assert.deepEqual(await parseKvArgs(['-', 'extra=1'], sources('{"user":"admin","n":3,"l":["a"]}')), {
    user: 'admin',
    n: 3,
    l: ['a'],
    extra: '1',
  });
});

test('"-" rejects non-objects and bad JSON with a usage error', async () => {
  for (const input of ['[1,2]', '"str"', 'null', '{oops']) {
    await assert.rejects(parseKvArgs(['-'], sources(input)), (err: unknown) => {
      assert.ok(err instanceof CliError);
      assert.equal(err.exitCode, 2);
      return true;
    });
  }
});

test('a repeated key becomes a list', async () => {
  assert.deepEqual(await parseKvArgs(['p=a', 'p=b', 'p=c'], sources()), { p: ['a', 'b', 'c'] });
});

test('stdin can be used once per command', async () => {
  await assert.rejects(parseKvArgs(['a=-', 'b=-'], sources('x')), /only once/);
});

test('an argument without "=" is a usage error that does not echo it', async () => {
  await assert.rejects(parseKvArgs(['a=1', 'hunter2-secret'], sources()), (err: unknown) => {
    assert.ok(err instanceof CliError);
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /data argument 2/);
    assert.doesNotMatch(err.message, /hunter2/);
    return true;
  });
  await assert.rejects(parseKvArgs(['=v'], sources()), /key\/value/);
});

test('a missing @file is a usage error naming the file', async () => {
  await assert.rejects(parseKvArgs(['k=@/nope'], sources()), /k=@\/nope: cannot read the file \(ENOENT\)/);
});
