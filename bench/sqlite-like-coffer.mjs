// A better-sqlite3 database with the settings of Coffer's SQLite storage (src/storage/sqlite.ts):
// locking_mode EXCLUSIVE, journal_mode WAL, the same WITHOUT ROWID table. Shared by the raw
// engine (bench/raw-sqlite.mjs, synchronous FULL: one fsync per commit) and the write floor
// (bench/floor-server.mjs, synchronous NORMAL with the WAL fdatasync'ed apart, as Coffer does).
import Database from 'better-sqlite3';

/** Opens `file` with Coffer's settings and `synchronous` ('FULL' or 'NORMAL'). */
export function openLikeCoffer(file, synchronous) {
  const db = new Database(file);
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.exec('CREATE TABLE IF NOT EXISTS coffer_kv (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID');
  return db;
}
