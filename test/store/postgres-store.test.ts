// The store contract against PostgreSQL (127.0.0.1:5432, database `test`; each store in a schema of its own, dropped
// at the end), plus what is PostgreSQL's own: the migrations table, several processes' pools on one schema, and the
// typed errors for a server that is unreachable or refuses, or a schema that is not onex's. Never skipped: when the
// server is absent, `requirePostgres` fails the run with a message that says so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnumCoreErrorCode, EnumStepState, PostgresStore } from '../../src/index.js';
import { failure, runStoreSuite, sampleRun } from './contract.js';
import {
  adminQuery,
  dropTestSchemas,
  POSTGRES_URL,
  postgresStoreUrl,
  requirePostgres,
  uniqueSchema,
} from './support/postgres.js';

beforeAll(requirePostgres);
afterAll(dropTestSchemas);

runStoreSuite({ name: 'postgres', newStore: () => PostgresStore.open(postgresStoreUrl()) });

describe('PostgresStore', () => {
  it('creates its schema with a migrations table, and a second open (another process) migrates nothing', async () => {
    const schema = uniqueSchema();
    const first = await PostgresStore.open(postgresStoreUrl(schema));
    const second = await PostgresStore.open(postgresStoreUrl(schema));
    try {
      const rows = await adminQuery<{ version: number }>(`SELECT version FROM "${schema}".onex_migrations`);
      expect(rows.map((r) => r.version)).toEqual([1]);
      const tables = await adminQuery<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
        [schema],
      );
      expect(tables.map((t) => t.table_name)).toEqual(['onex_actions', 'onex_migrations', 'onex_runs']);
      // Both pools see the same data and fence each other.
      const lease = crypto.randomUUID();
      const start = sampleRun(lease);
      await first.beginRun(start);
      const write = {
        runId: start.runId,
        actionId: start.actions[0]!.actionId,
        leaseId: lease,
        expectedEpoch: 1,
        state: EnumStepState.RUNNING,
        attempt: 1,
        at: new Date().toISOString(),
      };
      expect(await second.transitionAction(write)).toBe(2);
      expect((await failure(() => first.transitionAction(write))).code).toBe(
        EnumCoreErrorCode.ORCHESTRATOR_EXEC_STALE_EPOCH,
      );
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('opens concurrently against a new schema without racing on its creation', async () => {
    const schema = uniqueSchema();
    const stores = await Promise.all(Array.from({ length: 4 }, () => PostgresStore.open(postgresStoreUrl(schema))));
    const rows = await adminQuery<{ n: string }>(`SELECT COUNT(*) AS n FROM "${schema}".onex_migrations`);
    expect(Number(rows[0]!.n)).toBe(1);
    for (const s of stores) await s.close();
  });

  it('keeps SQL injection in values as data', async () => {
    const store = await PostgresStore.open(postgresStoreUrl());
    try {
      const lease = crypto.randomUUID();
      const start = { ...sampleRun(lease), workflowName: "x'); DROP TABLE onex_runs; --" };
      await store.beginRun(start);
      expect((await store.getRun(start.runId))?.workflowName).toBe("x'); DROP TABLE onex_runs; --");
      expect(await store.listRuns()).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it('an unreachable server (port 1) is SERVICE_UNAVAILABLE, naming the server', async () => {
    const err = await failure(() => PostgresStore.open('postgres://postgres@127.0.0.1:1/test'));
    expect(err.code).toBe(EnumCoreErrorCode.SERVICE_UNAVAILABLE);
    expect(err.message).toContain('127.0.0.1:1/test');
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('a database that does not exist is CONFIGURATION_ERROR', async () => {
    const url = new URL(POSTGRES_URL);
    url.pathname = '/onex_no_such_database';
    const err = await failure(() => PostgresStore.open(url.toString()));
    expect(err.code).toBe(EnumCoreErrorCode.CONFIGURATION_ERROR);
    expect(err.message).toContain('onex_no_such_database');
  });

  it('a schema name that is not a plain identifier is INVALID_PARAMETER, before connecting', async () => {
    const err = await failure(() => PostgresStore.open(`${POSTGRES_URL}?schema=bad"name`));
    expect(err.code).toBe(EnumCoreErrorCode.INVALID_PARAMETER);
  });

  it("refuses a schema that holds another program's tables, and changes nothing in it", async () => {
    const schema = uniqueSchema();
    await adminQuery(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".invoices (id int primary key)`);
    const err = await failure(() => PostgresStore.open(postgresStoreUrl(schema)));
    expect(err.code).toBe(EnumCoreErrorCode.CONFIGURATION_ERROR);
    expect(err.message).toContain('invoices');
    const tables = await adminQuery<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
      [schema],
    );
    expect(tables.map((t) => t.table_name)).toEqual(['invoices']);
  });

  it('refuses a schema written by a newer onex', async () => {
    const schema = uniqueSchema();
    await (await PostgresStore.open(postgresStoreUrl(schema))).close();
    await adminQuery(`INSERT INTO "${schema}".onex_migrations (version, name) VALUES (42, 'future')`);
    const err = await failure(() => PostgresStore.open(postgresStoreUrl(schema)));
    expect(err.code).toBe(EnumCoreErrorCode.CONFIGURATION_ERROR);
    expect(err.message).toContain('newer onex');
  });
});
