/**
 * The snapshot scenarios, run through the real HTTP API against a server on each storage
 * (snapshot-sqlite.test.ts, snapshot-postgres.test.ts).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { decodeSnapshot, encodeSnapshot } from '../../src/storage/snapshot-format.js';
import { createTestServer, httpRequest } from '../helpers/server.js';

/** A running, unsealed server with kv-v2 at secret/ and a root token. */
export interface Target {
  url: string;
  token: string;
}

/** GET sys/storage/snapshot as bytes. */
export async function saveSnapshot(t: Target, token = t.token): Promise<{ status: number; bytes: Buffer }> {
  const res = await fetch(`${t.url}/v1/sys/storage/snapshot`, { headers: { 'X-Vault-Token': token } });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** POST sys/storage/snapshot with `bytes`; the status and the error text. */
export async function restoreSnapshot(t: Target, bytes: Buffer, token = t.token): Promise<{ status: number; text: string }> {
  const res = await fetch(`${t.url}/v1/sys/storage/snapshot`, {
    method: 'POST',
    headers: { 'X-Vault-Token': token, 'Content-Type': 'application/octet-stream' },
    body: new Uint8Array(bytes),
  });
  return { status: res.status, text: await res.text() };
}

const put = (t: Target, path: string, data: Record<string, unknown>) => httpRequest(t.url, 'POST', `/v1/secret/data/${path}`, { token: t.token, body: { data } });
const get = (t: Target, path: string) => httpRequest(t.url, 'GET', `/v1/secret/data/${path}`, { token: t.token });

/** Registers the scenarios; `target()` is the server under test (set up by the caller's before()). */
export function snapshotScenarios(target: () => Target): void {
  it('a snapshot taken under concurrent write load restores a consistent state', async () => {
    const t = target();
    const WRITERS = 4;
    const written = Array.from({ length: WRITERS }, () => 0);
    let stop = false;
    let snapshotDone = false;
    let afterSnapshot = 0;
    // Each writer writes w<n>/0, w<n>/1, ... one after the other, so any consistent state holds a
    // prefix of each sequence; each KV v2 write is several physical entries (metadata + version).
    const writers = written.map(async (_, w) => {
      for (let i = 0; i < 400 && !stop; i++) {
        const res = await put(t, `load/w${w}/${i}`, { i: String(i) });
        assert.equal(res.status, 200, res.text);
        written[w] = i + 1;
        if (snapshotDone && ++afterSnapshot >= 20) stop = true;
      }
    });
    while (Math.min(...written) < 5) await new Promise((r) => setTimeout(r, 5));
    const snap = await saveSnapshot(t);
    snapshotDone = true;
    assert.equal(snap.status, 200);
    await Promise.all(writers);
    const { header, entries } = decodeSnapshot(snap.bytes);
    assert.equal(header.entries, entries.length);

    const restored = await restoreSnapshot(t, snap.bytes);
    assert.equal(restored.status, 204, restored.text);
    let kept = 0;
    for (let w = 0; w < WRITERS; w++) {
      const list = await httpRequest(t.url, 'LIST', `/v1/secret/metadata/load/w${w}/`, { token: t.token });
      const keys: number[] = list.status === 404 ? [] : list.body.data.keys.map(Number).sort((a: number, b: number) => a - b);
      assert.deepEqual(keys, keys.map((_, i) => i), `writer ${w}: the restored keys must be a prefix of its writes`);
      for (const i of keys) {
        const res = await get(t, `load/w${w}/${i}`);
        assert.equal(res.status, 200, `load/w${w}/${i} is listed but does not read back: ${res.text}`);
        assert.equal(res.body.data.data.i, String(i));
      }
      kept += keys.length;
    }
    const total = written.reduce((a, b) => a + b, 0);
    assert.ok(kept >= WRITERS * 5 && kept < total, `kept ${kept} of ${total} writes: those after the snapshot are gone`);
    // The server keeps serving after the restore.
    assert.equal((await put(t, 'after-restore', { ok: 'yes' })).status, 200);
    assert.equal((await get(t, 'after-restore')).body.data.data.ok, 'yes');
  });

  it('refuses a corrupted, truncated, foreign or non-snapshot body and changes nothing', async () => {
    const t = target();
    assert.equal((await put(t, 'refuse/before', { v: 'old' })).status, 200);
    const snap = await saveSnapshot(t);
    assert.equal(snap.status, 200);
    assert.equal((await put(t, 'refuse/before', { v: 'new' })).status, 200);
    assert.equal((await put(t, 'refuse/after', { v: 'x' })).status, 200);

    const corrupt = Buffer.from(snap.bytes);
    corrupt[Math.floor(corrupt.length / 2)]! ^= 0x40;
    const foreignServer = await createTestServer();
    let foreign: Buffer;
    let forged: Buffer;
    try {
      foreign = (await saveSnapshot({ url: foreignServer.url, token: foreignServer.rootToken })).bytes;
      // Same cluster id as the target, but the other server's keyring: only the barrier can tell.
      const mine = decodeSnapshot(snap.bytes).header;
      const other = decodeSnapshot(foreign).entries;
      const chunks: Buffer[] = [];
      const source = { count: other.length, entries: async function* () { yield other; }, release: async () => {} };
      for await (const c of encodeSnapshot({ cluster_id: mine.cluster_id, cluster_name: mine.cluster_name, storage_type: 'inmem', created_at: mine.created_at }, source)) chunks.push(c);
      forged = Buffer.concat(chunks);
    } finally {
      await foreignServer.close();
    }
    const cases: [string, Buffer, RegExp][] = [
      ['corrupted', corrupt, /corrupted|truncated/],
      ['truncated', snap.bytes.subarray(0, snap.bytes.length - 50), /truncated|corrupted/],
      ['cut after the header', snap.bytes.subarray(0, 200), /truncated/],
      ['with bytes appended', Buffer.concat([snap.bytes, Buffer.from('x')]), /corrupted|after its last entry/],
      ['not a snapshot', Buffer.from('{"hello": "world"}'), /not a Coffer snapshot/],
      ['empty', Buffer.alloc(0), /application\/octet-stream/],
      ['from another cluster', foreign, /another cluster/],
      ['with another cluster\'s keyring', forged, /keyring does not open/],
    ];
    for (const [what, bytes, message] of cases) {
      const res = await restoreSnapshot(t, bytes);
      assert.equal(res.status, 400, `${what}: ${res.text}`);
      assert.match(res.text, message, what);
      assert.match(res.text, what === 'empty' ? /snapshot/ : /nothing was changed/, what);
    }
    // A JSON body is not a snapshot either.
    const json = await httpRequest(t.url, 'POST', '/v1/sys/storage/snapshot', { token: t.token, body: { snapshot: 'x' } });
    assert.equal(json.status, 400, json.text);
    assert.equal((await get(t, 'refuse/before')).body.data.data.v, 'new');
    assert.equal((await get(t, 'refuse/after')).status, 200);

    // The good file still restores, to the state it was taken in.
    assert.equal((await restoreSnapshot(t, snap.bytes)).status, 204);
    assert.equal((await get(t, 'refuse/before')).body.data.data.v, 'old');
    assert.equal((await get(t, 'refuse/after')).status, 404);
  });

  it('needs sudo: a token with read and update but not sudo on the path is denied', async () => {
    const t = target();
    const policy = 'path "sys/storage/snapshot" { capabilities = ["read", "update"] }';
    assert.equal((await httpRequest(t.url, 'PUT', '/v1/sys/policies/acl/snap-nosudo', { token: t.token, body: { policy } })).status, 204);
    const tok = await httpRequest(t.url, 'POST', '/v1/auth/token/create', { token: t.token, body: { policies: ['snap-nosudo'] } });
    const limited = tok.body.auth.client_token as string;
    assert.equal((await saveSnapshot(t, limited)).status, 403);
    const snap = await saveSnapshot(t);
    assert.equal((await restoreSnapshot(t, snap.bytes, limited)).status, 403);
    assert.equal((await saveSnapshot(t, 'not-a-token')).status, 403);
  });
}
