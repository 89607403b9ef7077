/**
 * Creating Coffer's PostgreSQL tables when several nodes start at once against a new database.
 *
 * `CREATE TABLE IF NOT EXISTS` is not safe under concurrency: two sessions that both find the
 * table missing both insert its catalog rows, and the loser fails with a duplicate on pg_type
 * (42710), pg_class (42P07) or a unique index (23505), depending on timing. So every Coffer
 * schema change takes one transaction-scoped advisory lock first: the statements of all nodes
 * run one node after the other, and the later ones find the objects and skip them.
 */

import type { FailoverPool } from './postgres-hosts.js';

/** The advisory lock every Coffer schema change holds (a constant: tables may share a database). */
const SCHEMA_LOCK = "pg_advisory_xact_lock(hashtext('coffer:schema'))";

/**
 * Run idempotent DDL (`CREATE … IF NOT EXISTS`) under the schema lock, in one transaction.
 * Sent as one simple-protocol message, which PostgreSQL runs as a single implicit transaction:
 * the lock is held to its end, and an error rolls everything back and leaves the session clean.
 */
export async function createSchema(pool: Pick<FailoverPool, 'query'>, ddl: readonly string[]): Promise<void> {
  await pool.query([`SELECT ${SCHEMA_LOCK}`, ...ddl].join(';\n'));
}
