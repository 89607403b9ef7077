// What a quorum of unseal key shares can do on an unsealed Shamir server, through Vault's API
// (the real node-vault client, plain HTTP and the coffer CLI):
// - sys/generate-root: a new root token, returned only XORed with the one-time pad; wrong shares
//   make no token; a sealed server refuses.
// - sys/rekey: new shares with a new count and threshold; the old ones stop unsealing, the data
//   stays readable; wrong shares change nothing.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import nodeVault from 'node-vault';
import { runServer, type RunningServer } from '../../src/server/run.js';
import { runCoffer } from '../helpers/cli.js';
import { httpRequest } from '../helpers/server.js';

/** Vault's DecodeToken: base64 (unpadded) of token XOR otp. */
function decode(encoded: string, otp: string): string {
  const bytes = Buffer.from(encoded, 'base64');
  const pad = Buffer.from(otp, 'utf8');
  assert.equal(bytes.length, pad.length, 'the encoded token has the OTP\'s length');
  return Buffer.from(bytes.map((b, i) => b ^ pad[i]!)).toString('utf8');
}

/** A SQLite server initialised with 3 shares (threshold 2) and unsealed, in its own directory. */
function shamirServer() {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-shares-'));
  const config = join(dir, 'coffer.hcl');
  const state = { server: undefined as unknown as RunningServer, keys: [] as string[], rootToken: '' };
  const req = (method: string, path: string, opts: { body?: unknown; token?: string | null } = {}) => httpRequest(state.server.url, method, path, opts);
  before(async () => {
    writeFileSync(config, `storage "sqlite" {\n  path = "${join(dir, 'coffer.db')}"\n}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\n`);
    state.server = await runServer({ config, quiet: true, logLevel: 'silent' });
    const init = await req('PUT', '/v1/sys/init', { body: { secret_shares: 3, secret_threshold: 2 } });
    assert.equal(init.status, 200, init.text);
    state.keys = init.body.keys;
    state.rootToken = init.body.root_token;
    for (const key of state.keys.slice(0, 2)) assert.equal((await req('PUT', '/v1/sys/unseal', { body: { key } })).status, 200);
  });
  after(async () => {
    await state.server?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { state, req };
}

describe('sys/generate-root on a Shamir-sealed server', () => {
  const { state, req } = shamirServer();
  const client = () => nodeVault({ endpoint: state.server.url, apiVersion: 'v1' });

  it('reports no attempt, the threshold and the OTP length before one starts', async () => {
    const res = await req('GET', '/v1/sys/generate-root/attempt', { token: null });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.started, false);
    assert.equal(res.body.required, 2);
    assert.equal(res.body.progress, 0);
    assert.equal(res.body.otp_length, 36);
    assert.equal(res.body.complete, false);
  });

  it('node-vault: start (OTP generated and shown once), two shares, decode: a working root token', async () => {
    const vault = client();
    const started = await vault.generateRootInit({});
    assert.equal(started.started, true);
    assert.match(started.otp, /^[A-Za-z0-9]{36}$/);
    assert.match(started.nonce, /^[0-9a-f-]{36}$/);
    const otp: string = started.otp;
    const again = await req('GET', '/v1/sys/generate-root/attempt', { token: null });
    assert.equal(again.body.started, true);
    assert.equal(again.body.otp, undefined, 'the OTP is not repeated');
    assert.equal((await req('PUT', '/v1/sys/generate-root/attempt', { token: null, body: {} })).status, 400, 'one attempt at a time');

    const wrongNonce = await req('PUT', '/v1/sys/generate-root/update', { token: null, body: { key: state.keys[0], nonce: 'nope' } });
    assert.equal(wrongNonce.status, 400);
    assert.match(wrongNonce.text, /incorrect nonce/);

    const first = await vault.generateRootUpdate({ key: state.keys[0]!, nonce: started.nonce });
    assert.equal(first.progress, 1);
    assert.equal(first.complete, false);
    assert.equal((await vault.generateRootUpdate({ key: state.keys[0]!, nonce: started.nonce })).progress, 1, 'a share given twice counts once');
    const done = await vault.generateRootUpdate({ key: state.keys[2]!, nonce: started.nonce });
    assert.equal(done.complete, true);
    assert.equal(done.encoded_root_token, done.encoded_token);
    const token = decode(done.encoded_token, otp);
    assert.match(token, /^hvs\.[A-Za-z0-9]{32}$/);
    assert.notEqual(token, state.rootToken);
    assert.ok(!JSON.stringify(done).includes(token), 'the token never appears in the clear');

    const self = await req('GET', '/v1/auth/token/lookup-self', { token });
    assert.equal(self.status, 200, self.text);
    assert.deepEqual(self.body.data.policies, ['root']);
    assert.equal(self.body.data.ttl, 0);
    assert.equal((await req('GET', '/v1/sys/generate-root/attempt', { token: null })).body.started, false, 'a completed attempt is over');
  });

  it('the caller\'s own OTP is used; a wrong length is refused with the length to use', async () => {
    const bad = await req('PUT', '/v1/sys/generate-root/attempt', { token: null, body: { otp: 'short' } });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /36 base62 characters/);
    for (const pgp_key of ['xyz', 5]) {
      const pgp = await req('PUT', '/v1/sys/generate-root/attempt', { token: null, body: { pgp_key } });
      assert.equal(pgp.status, 400);
      assert.match(pgp.text, /pgp_key is not supported/);
    }

    const otp = randomBytes(64).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 36);
    const started = await req('PUT', '/v1/sys/generate-root/attempt', { token: null, body: { otp } });
    assert.equal(started.status, 200, started.text);
    assert.equal(started.body.otp, undefined, 'no OTP generated when one was given');
    await req('PUT', '/v1/sys/generate-root/update', { token: null, body: { key: state.keys[1], nonce: started.body.nonce } });
    const done = await req('PUT', '/v1/sys/generate-root/update', { token: null, body: { key: state.keys[2], nonce: started.body.nonce } });
    assert.equal(done.body.complete, true, done.text);
    const token = decode(done.body.encoded_token, otp);
    assert.equal((await req('GET', '/v1/auth/token/lookup-self', { token })).status, 200);
  });

  it('shares that do not open this server make no token; progress resets and the attempt stays', async () => {
    const started = await req('PUT', '/v1/sys/generate-root/attempt', { token: null, body: {} });
    const nonce = started.body.nonce;
    const accessorsBefore = (await req('LIST', '/v1/auth/token/accessors', { token: state.rootToken })).body.data.keys.length;
    // Two well-formed shares (distinct x-coordinates in the last byte) of some other secret.
    const fakes = [Buffer.concat([randomBytes(32), Buffer.from([1])]), Buffer.concat([randomBytes(32), Buffer.from([2])])];
    await req('PUT', '/v1/sys/generate-root/update', { token: null, body: { key: fakes[0]!.toString('hex'), nonce } });
    const failed = await req('PUT', '/v1/sys/generate-root/update', { token: null, body: { key: fakes[1]!.toString('hex'), nonce } });
    assert.equal(failed.status, 400, failed.text);
    assert.match(failed.text, /do not open this server/);
    const after = await req('GET', '/v1/sys/generate-root/attempt', { token: null });
    assert.equal(after.body.started, true);
    assert.equal(after.body.progress, 0);
    assert.equal((await req('LIST', '/v1/auth/token/accessors', { token: state.rootToken })).body.data.keys.length, accessorsBefore, 'no token was made');

    await client().generateRootCancel();
    assert.equal((await req('GET', '/v1/sys/generate-root/attempt', { token: null })).body.started, false);
  });

  it('coffer operator generate-root: -init, shares (one from stdin, never echoed), -decode', async () => {
    const env = { COFFER_ADDR: state.server.url, COFFER_TOKEN: undefined };
    const init = await runCoffer(['operator', 'generate-root', '-init', '-format=json'], { env });
    assert.equal(init.code, 0, init.err);
    const { otp, nonce } = JSON.parse(init.out) as { otp: string; nonce: string };
    assert.equal(otp.length, 36);
    const one = await runCoffer(['operator', 'generate-root', state.keys[0]!], { env });
    assert.equal(one.code, 0, one.err);
    assert.match(one.out, /Progress\s+1\/2/);
    const two = await runCoffer(['operator', 'generate-root', `-nonce=${nonce}`, '-format=json'], { env, stdin: `${state.keys[1]}\n` });
    assert.equal(two.code, 0, two.err);
    assert.ok(!two.out.includes(state.keys[1]!), 'the share is not echoed');
    const encoded = (JSON.parse(two.out) as { encoded_token: string }).encoded_token;
    const decoded = await runCoffer(['operator', 'generate-root', `-decode=${encoded}`, `-otp=${otp}`], { env });
    assert.equal(decoded.code, 0, decoded.err);
    const token = decoded.out.trim();
    assert.equal((await req('GET', '/v1/auth/token/lookup-self', { token })).body?.data?.policies?.[0], 'root');
    const generated = await runCoffer(['operator', 'generate-root', '-generate-otp'], { env });
    assert.match(generated.out.trim(), /^[A-Za-z0-9]{36}$/);
    const both = await runCoffer(['operator', 'generate-root', '-init', '-cancel'], { env });
    assert.notEqual(both.code, 0);
    assert.match(both.err, /only one of/);
  });

  it('a sealed server refuses with 503', async () => {
    assert.equal((await req('PUT', '/v1/sys/seal', { token: state.rootToken })).status, 204);
    const res = await req('PUT', '/v1/sys/generate-root/attempt', { token: null, body: {} });
    assert.equal(res.status, 503, res.text);
  });
});

describe('sys/rekey on a Shamir-sealed server', () => {
  const { state, req } = shamirServer();
  const unsealWith = async (shares: string[]) => {
    let last;
    for (const key of shares) last = await req('PUT', '/v1/sys/unseal', { body: { key } });
    return last!;
  };

  it('refuses what it cannot do, by name, and reports no attempt', async () => {
    const none = await req('GET', '/v1/sys/rekey/init', { token: null });
    assert.equal(none.status, 200, none.text);
    assert.equal(none.body.started, false);
    assert.equal(none.body.required, 2);
    for (const [body, why] of [
      [{ secret_shares: 2, secret_threshold: 3 }, /threshold cannot be larger/],
      [{ secret_shares: 3, secret_threshold: 2, pgp_keys: ['x'] }, /pgp_keys are not supported/],
      [{ secret_shares: 3, secret_threshold: 2, pgp_keys: 'x' }, /pgp_keys are not supported/],
      [{ secret_shares: 3, secret_threshold: 2, require_verification: true }, /require_verification is not supported/],
      [{}, /missing "secret_shares"/],
    ] as const) {
      const res = await req('PUT', '/v1/sys/rekey/init', { token: null, body });
      assert.equal(res.status, 400, res.text);
      assert.match(res.body.errors[0], why);
    }
  });

  it('wrong shares change nothing; the attempt stays and can be cancelled', async () => {
    const started = await req('PUT', '/v1/sys/rekey/init', { token: null, body: { secret_shares: 2, secret_threshold: 2 } });
    const nonce = started.body.nonce;
    const fakes = [Buffer.concat([randomBytes(32), Buffer.from([1])]), Buffer.concat([randomBytes(32), Buffer.from([2])])];
    await req('PUT', '/v1/sys/rekey/update', { token: null, body: { key: fakes[0]!.toString('hex'), nonce } });
    const failed = await req('PUT', '/v1/sys/rekey/update', { token: null, body: { key: fakes[1]!.toString('hex'), nonce } });
    assert.equal(failed.status, 400, failed.text);
    assert.match(failed.text, /do not open this server/);
    assert.equal((await req('GET', '/v1/sys/seal-status', { token: null })).body.n, 3, 'the configuration is unchanged');
    assert.equal((await req('DELETE', '/v1/sys/rekey/init', { token: null })).status, 204);
    assert.equal((await req('GET', '/v1/sys/rekey/init', { token: null })).body.started, false);
  });

  it('new shares (4, threshold 3) from two current ones: the old ones stop unsealing, the data stays', async () => {
    assert.equal((await req('POST', '/v1/sys/mounts/secret', { token: state.rootToken, body: { type: 'kv-v2' } })).status, 204);
    assert.equal((await req('POST', '/v1/secret/data/kept', { token: state.rootToken, body: { data: { v: 'before rekey' } } })).status, 200);
    const started = await req('PUT', '/v1/sys/rekey/init', { token: null, body: { secret_shares: 4, secret_threshold: 3 } });
    assert.equal(started.status, 200, started.text);
    assert.equal(started.body.started, true);
    assert.equal(started.body.t, 3);
    assert.equal(started.body.n, 4);
    assert.equal((await req('PUT', '/v1/sys/rekey/init', { token: null, body: { secret_shares: 4, secret_threshold: 3 } })).status, 400, 'one rekey at a time');
    const nonce = started.body.nonce;
    const first = await req('PUT', '/v1/sys/rekey/update', { token: null, body: { key: state.keys[0], nonce } });
    assert.equal(first.body.progress, 1);
    const done = await req('PUT', '/v1/sys/rekey/update', { token: null, body: { key: state.keys[2], nonce } });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.complete, true);
    const fresh: string[] = done.body.keys;
    assert.equal(fresh.length, 4);
    assert.equal(done.body.keys_base64.length, 4);
    const status = await req('GET', '/v1/sys/seal-status', { token: null });
    assert.equal(status.body.t, 3);
    assert.equal(status.body.n, 4);

    assert.equal((await req('PUT', '/v1/sys/seal', { token: state.rootToken })).status, 204);
    const old = await unsealWith(state.keys);
    assert.equal(old.status, 400, 'three old shares do not unseal');
    assert.equal((await req('GET', '/v1/sys/seal-status', { token: null })).body.sealed, true);
    const unsealed = await unsealWith(fresh.slice(1, 4));
    assert.equal(unsealed.body.sealed, false, unsealed.text);
    const read = await req('GET', '/v1/secret/data/kept', { token: state.rootToken });
    assert.equal(read.body?.data?.data?.v, 'before rekey');
    state.keys = fresh;
  });

  it('coffer operator rekey: -init, the current shares (one from stdin, never echoed), the new shares printed', async () => {
    const env = { COFFER_ADDR: state.server.url, COFFER_TOKEN: undefined };
    const init = await runCoffer(['operator', 'rekey', '-init', '-key-shares=3', '-key-threshold=2'], { env });
    assert.equal(init.code, 0, init.err);
    assert.match(init.out, /New Threshold\s+2/);
    for (const key of state.keys.slice(0, 2)) {
      const step = await runCoffer(['operator', 'rekey', key], { env });
      assert.equal(step.code, 0, step.err);
    }
    const last = await runCoffer(['operator', 'rekey', '-format=json'], { env, stdin: `${state.keys[2]}\n` });
    assert.equal(last.code, 0, last.err);
    assert.ok(!last.out.includes(state.keys[2]!), 'the current share is not echoed');
    const fresh = (JSON.parse(last.out) as { keys_base64: string[] }).keys_base64;
    assert.equal(fresh.length, 3);
    assert.equal((await req('PUT', '/v1/sys/seal', { token: state.rootToken })).status, 204);
    assert.equal((await unsealWith(fresh.slice(0, 2))).body.sealed, false);
  });
});
