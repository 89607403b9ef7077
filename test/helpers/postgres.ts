/**
 * The PostgreSQL server tests use: COFFER_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/test.
 * When none answers within 2 s, tests that need it are skipped with the reason, unless CI is
 * set, in which case they fail.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { redactConnectionUrl } from '../../src/storage/postgres.js';

/** The connection string tests use. */
export const pgUrl = process.env.COFFER_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
/** The same, safe to print. */
export const pgShown = redactConnectionUrl(pgUrl);

/** Resolves to undefined when the server answers, or to the reason it does not. */
export async function probePostgres(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    return (err as Error).message || String(err);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * The test server's URL with Coffer's sessions named `name` (a URL's application_name wins over
 * Coffer's own), so that {@link pgCutSessions} cuts exactly those and not the sessions of suites
 * running beside the test.
 */
export function pgUrlNamed(name: string): string {
  return `${pgUrl}${pgUrl.includes('?') ? '&' : '?'}application_name=${name}`;
}

/** Terminates the test database's sessions named `name` (see {@link pgUrlNamed}); resolves to how many were cut. */
export async function pgCutSessions(name: string): Promise<number> {
  // The filter runs in a subquery first: pg_terminate_backend must never see another session.
  const rows = await pgAdminRows(
    `SELECT (count(*) FILTER (WHERE pg_terminate_backend(pid)))::int AS n FROM (SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = '${name}') AS named`,
  );
  return rows[0]!.n as number;
}

/** Runs one statement on a short-lived admin connection. */
export async function pgAdmin(sql: string): Promise<void> {
  await pgAdminRows(sql);
}

/** Runs one statement on a short-lived admin connection; resolves to its rows. */
export async function pgAdminRows(sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

/**
 * True when PostgreSQL answers. Otherwise registers one test named `name` that is skipped
 * with the reason (or fails under CI) and returns false.
 */
export async function requirePostgres(name: string): Promise<boolean> {
  const unreachable = await probePostgres();
  if (unreachable === undefined) return true;
  const reason = `PostgreSQL not reachable at ${pgShown} (${unreachable}); set COFFER_TEST_PG_URL to run these tests`;
  console.log(reason);
  if (process.env.CI) test(name, () => assert.fail(`${reason}; CI is set, so this is a failure`));
  else test(name, (t) => t.skip(reason));
  return false;
}
