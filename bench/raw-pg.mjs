#!/usr/bin/env node
// The raw engine rate on PostgreSQL for the durable-write comparison: plain INSERTs (autocommit,
// one transaction each) through `pg` on argv[4] connections for argv[3] seconds into a fresh table
// shaped like Coffer's (key TEXT PRIMARY KEY, value BYTEA). argv[2] = connection URL.
// Prints one JSON line: { inserts, rps }.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const [url, seconds = '3', connections = '64'] = process.argv.slice(2);
const table = `coffer_bench_raw_${process.pid}`;
const admin = new pg.Client({ connectionString: url });
await admin.connect();
await admin.query(`CREATE TABLE ${table} (key TEXT PRIMARY KEY, value BYTEA NOT NULL)`);
const clients = await Promise.all(Array.from({ length: Number(connections) }, async () => {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
}));
const value = randomBytes(256);
let n = 0;
process.stdout.write('go\n');
const start = performance.now();
const end = start + Number(seconds) * 1000;
await Promise.all(clients.map(async (c, i) => {
  let j = 0;
  while (performance.now() < end) {
    await c.query(`INSERT INTO ${table} (key, value) VALUES ($1, $2)`, [`raw/${i}/${j++}`, value]);
    n++;
  }
}));
const elapsed = (performance.now() - start) / 1000;
await Promise.all(clients.map((c) => c.end()));
await admin.query(`DROP TABLE ${table}`);
await admin.end();
process.stdout.write(JSON.stringify({ inserts: n, rps: n / elapsed }) + '\n');
