import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import { PostgresStorage } from '../../src/storage/postgres.js';
import { pgAdmin, pgUrl, requirePostgres } from '../helpers/postgres.js';
import { runSnapshotConformance } from './storage-conformance.js';

const table = `coffer_snap_test_${process.pid}_${randomBytes(4).toString('hex')}`;

if (await requirePostgres('postgres snapshot storage')) {
  after(async () => {
    await pgAdmin(`DROP TABLE IF EXISTS "${table}"`);
    await pgAdmin(`DROP TABLE IF EXISTS "${table}_ha_changes"`);
    await pgAdmin(`DROP TABLE IF EXISTS "${table}_ha"`);
  });
  runSnapshotConformance('postgresql', async () => {
    const s = await PostgresStorage.open({ connectionUrl: pgUrl, table });
    await pgAdmin(`DELETE FROM "${table}"`);
    return s;
  });
  let node = 0;
  runSnapshotConformance('postgresql with ha', async () => {
    const s = await PostgresStorage.open({ connectionUrl: pgUrl, table: `${table}_ha`, ha: { nodeId: `snap${node++}` } });
    await pgAdmin(`DELETE FROM "${table}_ha"`);
    return s;
  });
}
