// Floors for the request scenarios (see bench/README.md, "Floors"): the least a server must do
// for an audited read or a durable audited write, with none of Coffer's own work (no token, no
// policy, no routing, no barrier). They show how much of a target's budget the required work
// alone takes.
//
//   node bench/floor-server.mjs read <audit file>
//     node:http; per request two audit lines of the size and shape of Coffer's KV-read entries
//     (fresh time and request id each), appended like Coffer's file device (lines of one
//     event-loop turn in one write, the next batch once it returned) before the answer.
//   node bench/floor-server.mjs write <audit file> <database file>
//     node:http POST; the JSON body parsed, its value sealed with AES-256-GCM into one row of a
//     better-sqlite3 table with Coffer's settings, group-committed like Coffer's SQLite storage
//     (WAL, synchronous NORMAL, the WAL fdatasync'ed off the event loop, acknowledged after the
//     sync), and a request and a response audit line, before the answer.
// Prints its port.
import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { openLikeCoffer } from './sqlite-like-coffer.mjs';

const [mode, auditFile, dbFile] = process.argv.slice(2);

/** Coffer's file audit device, reduced to its write pattern. */
function auditLog(path) {
  const fd = fs.openSync(path, 'a', 0o600);
  let queue = [];
  let scheduled = false;
  let writing = false;
  const flush = () => {
    scheduled = false;
    if (queue.length === 0) return;
    writing = true;
    const batch = queue;
    queue = [];
    let text = '';
    for (const { line } of batch) text += line + '\n';
    fs.write(fd, text, (err) => {
      writing = false;
      for (const { done } of batch) done(err);
      if (queue.length > 0) flush();
    });
  };
  return (line, done) => {
    queue.push({ line, done });
    if (!scheduled && !writing) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}

const hmac = (c) => `hmac-sha256:${c.repeat(64)}`;
const auth = { client_token: hmac('a'), accessor: hmac('b'), display_name: 'token', policies: ['default', 'bench-read'], token_policies: ['default', 'bench-read'], metadata: null, entity_id: '', token_type: 'service' };
const request = (id, path, data) => ({ id, operation: data ? 'update' : 'read', mount_type: 'kv', mount_accessor: 'kv_0123abcd', mount_point: 'secret/', client_token: auth.client_token, client_token_accessor: auth.accessor, namespace: { id: 'root' }, path, data, remote_address: '127.0.0.1' });
const readData = { data: { username: 'app', password: 'correct horse battery staple' }, metadata: { created_time: '2026-12-03T16:06:58.603000000Z', custom_metadata: null, deletion_time: '', destroyed: false, version: 1 } };
const hashedRead = { data: { username: hmac('c'), password: hmac('d') }, metadata: { created_time: hmac('e'), custom_metadata: null, deletion_time: hmac('f'), destroyed: false, version: 1 } };

function answer(res, body) {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const log = auditLog(auditFile);
let handler;
if (mode === 'read') {
  // Everything but the time and the request id rendered once (Coffer memoizes these parts too):
  // the floor is the cheapest way to write the two lines, not a naive one.
  const ID = '00000000-0000-0000-0000-000000000000';
  const split = (text) => text.split(ID);
  const path = 'secret/data/bench';
  const [reqHead, reqTail] = split(JSON.stringify({ type: 'request', auth, request: request(ID, path, null) }).slice(1));
  const [respHead, respTail] = split(JSON.stringify({ type: 'response', auth, request: request(ID, path, null), response: { mount_type: 'kv', mount_accessor: 'kv_0123abcd', mount_point: 'secret/', data: hashedRead } }).slice(1));
  const [bodyHead, bodyTail] = split(JSON.stringify({ request_id: ID, lease_id: '', renewable: false, lease_duration: 0, data: readData, wrap_info: null, warnings: null, auth: null, mount_type: 'kv' }));
  handler = (req, res) => {
    const id = randomUUID();
    const time = `{"time":"${new Date().toISOString()}",`;
    log(time + reqHead + id + reqTail, () => {});
    log(time + respHead + id + respTail, (err) => {
      if (err) res.writeHead(500).end();
      else answer(res, bodyHead + id + bodyTail);
    });
  };
} else if (mode === 'write') {
  const db = openLikeCoffer(dbFile, 'NORMAL');
  const put = db.prepare('INSERT INTO coffer_kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  const commit = db.transaction((group) => {
    for (const w of group) put.run(w.key, w.value);
  });
  const walFd = fs.openSync(`${dbFile}-wal`, 'r');
  const key = randomBytes(32);
  let pending = [];
  let unsynced = [];
  let syncing = false;
  let timer;
  const sync = () => {
    if (syncing || unsynced.length === 0) return;
    syncing = true;
    const group = unsynced;
    unsynced = [];
    fs.fdatasync(walFd, (err) => {
      syncing = false;
      for (const w of group) w.done(err);
      if (pending.length > 0) flush();
      sync();
    });
  };
  const flush = () => {
    timer = undefined;
    const group = pending;
    pending = [];
    if (group.length === 0) return;
    commit(group);
    unsynced.push(...group);
    sync();
  };
  let version = 0;
  handler = (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const data = JSON.parse(Buffer.concat(chunks).toString('utf8')).data;
      const id = randomUUID();
      const time = new Date().toISOString();
      const path = req.url.slice(4);
      const hashed = Object.fromEntries(Object.keys(data).map((k) => [k, hmac('c')]));
      log(JSON.stringify({ time, type: 'request', auth, request: request(id, path, { data: hashed }) }), () => {});
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const value = Buffer.concat([iv, cipher.update(JSON.stringify(data)), cipher.final(), cipher.getAuthTag()]);
      const v = ++version;
      pending.push({ key: path, value, done: (err) => {
        if (err) return void res.writeHead(500).end();
        const out = { created_time: time, custom_metadata: null, deletion_time: '', destroyed: false, version: v };
        log(JSON.stringify({ time, type: 'response', auth, request: request(id, path, { data: hashed }), response: { mount_type: 'kv', data: out } }), () => {
          answer(res, JSON.stringify({ request_id: id, lease_id: '', renewable: false, lease_duration: 0, data: out, wrap_info: null, warnings: null, auth: null, mount_type: 'kv' }));
        });
      } });
      timer ??= syncing ? undefined : setImmediate(flush);
    });
  };
} else {
  console.error('usage: node bench/floor-server.mjs read <audit file> | write <audit file> <database file>');
  process.exit(2);
}
const server = http.createServer(handler);
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
