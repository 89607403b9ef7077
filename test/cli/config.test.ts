import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveAddress, resolveTls, resolveToken, tokenFilePath, writeTokenFile } from '../../src/cli/config.js';
import { CliError } from '../../src/cli/context.js';

function tempHome(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-cli-home-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('address: COFFER_ADDR, then VAULT_ADDR, then the default', () => {
  assert.equal(resolveAddress({}), 'http://127.0.0.1:8200');
  assert.equal(resolveAddress({ VAULT_ADDR: 'http://v:1/' }), 'http://v:1');
  assert.equal(resolveAddress({ VAULT_ADDR: 'http://v:1', COFFER_ADDR: 'https://c:2' }), 'https://c:2');
  assert.equal(resolveAddress({ COFFER_ADDR: '', VAULT_ADDR: 'http://v:1' }), 'http://v:1');
  assert.throws(() => resolveAddress({ COFFER_ADDR: 'not a url' }), (e: unknown) => e instanceof CliError && e.exitCode === 2);
  assert.throws(() => resolveAddress({ COFFER_ADDR: 'ftp://x' }), /http:\/\/ or https:\/\//);
});

test('token: COFFER_TOKEN, then VAULT_TOKEN, then ~/.coffer-token', (t) => {
  const home = tempHome(t);
  assert.deepEqual(resolveToken({}, home), { source: 'none' });
  writeFileSync(tokenFilePath(home), 'file-token\n', { mode: 0o600 });
  assert.deepEqual(resolveToken({}, home), { token: 'file-token', source: 'token file' });
  assert.deepEqual(resolveToken({ VAULT_TOKEN: 'v' }, home), { token: 'v', source: 'VAULT_TOKEN' });
  assert.deepEqual(resolveToken({ VAULT_TOKEN: 'v', COFFER_TOKEN: 'c' }, home), { token: 'c', source: 'COFFER_TOKEN' });
});

test('writeTokenFile stores the token with mode 0600, also over a looser existing file', (t) => {
  const home = tempHome(t);
  const path = tokenFilePath(home);
  writeFileSync(path, 'old');
  chmodSync(path, 0o644);
  writeTokenFile(home, 'new-token');
  assert.equal(readFileSync(path, 'utf8'), 'new-token');
  assert.equal(statSync(path).mode & 0o777, 0o600);
});

test('TLS: CA file and skip-verify from the environment', (t) => {
  const home = tempHome(t);
  const ca = join(home, 'ca.pem');
  writeFileSync(ca, 'PEM');
  assert.deepEqual(resolveTls({ VAULT_CACERT: ca, COFFER_SKIP_VERIFY: 'true' }), { ca: 'PEM', skipVerify: true });
  assert.deepEqual(resolveTls({}), { ca: undefined, skipVerify: false });
  assert.throws(() => resolveTls({ COFFER_CACERT: join(home, 'missing.pem') }), /COFFER_CACERT: cannot read/);
  assert.throws(() => resolveTls({ COFFER_SKIP_VERIFY: 'sure' }), /true or false/);
});
