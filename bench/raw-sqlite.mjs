#!/usr/bin/env node
// The raw engine rate for the durable-write comparison: better-sqlite3 with the settings Coffer's
// SQLite storage uses (src/storage/sqlite.ts: locking_mode EXCLUSIVE, journal_mode WAL,
// synchronous FULL, the same WITHOUT ROWID table), one fsync'd transaction per INSERT, for
// argv[3] seconds in the database file argv[2]. Runs as its own process so its CPU is separate.
// Prints one JSON line: { inserts, rps }.
import { randomBytes } from 'node:crypto';
import { openLikeCoffer } from './sqlite-like-coffer.mjs';

const [file, seconds = '3'] = process.argv.slice(2);
const db = openLikeCoffer(file, 'FULL');
const insert = db.prepare('INSERT INTO coffer_kv (key, value) VALUES (?, ?)');
// About the size of a sealed KV v2 version (the secret, its metadata, the barrier's framing).
const value = randomBytes(256);
process.stdout.write('go\n');
const start = performance.now();
const end = start + Number(seconds) * 1000;
let n = 0;
while (performance.now() < end) {
  insert.run(`raw/${n}`, value); // autocommit: one transaction, one WAL fsync
  n++;
}
const elapsed = (performance.now() - start) / 1000;
db.close();
process.stdout.write(JSON.stringify({ inserts: n, rps: n / elapsed }) + '\n');
