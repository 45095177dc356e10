/**
 * PostgreSQL for the store tests: the server at 127.0.0.1:5432, database `test` (override with ONEX_TEST_POSTGRES_URL).
 * Every store gets a schema of its own (`onex_t_<random>`), dropped at the end. When the server is absent the tests
 * fail with a message that says so: they never skip.
 * @module
 */
import pg from 'pg';

/** The test server, without a schema. */
export const POSTGRES_URL = process.env.ONEX_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const made = new Set<string>();

/** A fresh schema name, remembered for `dropTestSchemas`. */
export function uniqueSchema(): string {
  const name = `onex_t_${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`;
  made.add(name);
  return name;
}

/** The store URL of a fresh schema (or of `schema`). */
export function postgresStoreUrl(schema: string = uniqueSchema()): string {
  made.add(schema);
  return `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}schema=${schema}`;
}

/** Run `sql` on the test server (set-up and inspection only). */
export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(
  sql: string,
  params: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL is required by these tests and is not reachable at ${POSTGRES_URL} ` +
        `(set ONEX_TEST_POSTGRES_URL to use another server): ${(err as Error).message}`,
    );
  }
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Throw a clear error unless the test server answers. */
export async function requirePostgres(): Promise<void> {
  await adminQuery('SELECT 1');
}

/** Drop every schema made through this module. */
export async function dropTestSchemas(): Promise<void> {
  const names = [...made];
  made.clear();
  if (names.length === 0) return;
  await adminQuery(names.map((n) => `DROP SCHEMA IF EXISTS "${n}" CASCADE`).join('; '));
}
