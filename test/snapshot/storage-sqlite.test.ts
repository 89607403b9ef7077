import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { SqliteStorage } from '../../src/storage/sqlite.js';
import { runSnapshotConformance } from './storage-conformance.js';

const root = await mkdtemp(join(tmpdir(), 'coffer-snap-sqlite-'));
let n = 0;
after(() => rm(root, { recursive: true, force: true }));
runSnapshotConformance('sqlite', () => SqliteStorage.open(join(root, `db${n++}.db`)));
