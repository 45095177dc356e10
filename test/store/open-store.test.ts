// The public API of durable runs that the other files do not exercise on their own: store specs (`parseStoreSpec`,
// `openStore`, `DEFAULT_SQLITE_PATH`), the lease defaults, and the orchestrator's lease options.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_LEASE_MS,
  DEFAULT_LEASE_RENEW_MS,
  DEFAULT_SQLITE_PATH,
  EnumCoreErrorCode,
  type LeaseRenewal,
  type LeaseStatus,
  MemoryStore,
  ModelONEXContainer,
  NodeOrchestrator,
  openStore,
  PostgresStore,
  type PostgresStoreOptions,
  parseStoreSpec,
  type RunOwner,
  type RunSource,
  type RunSummary,
  SqliteStore,
  type SqliteStoreOptions,
  type StoredError,
  type StoreSpec,
  type TakeOver,
} from '../../src/index.js';
import { failure, sampleRun } from './contract.js';
import { dropTestSchemas, POSTGRES_URL, postgresStoreUrl, requirePostgres } from './support/postgres.js';

const root = mkdtempSync(join(tmpdir(), 'onex-open-store-'));
beforeAll(requirePostgres);
afterAll(async () => {
  rmSync(root, { recursive: true, force: true });
  await dropTestSchemas();
});

describe('parseStoreSpec', () => {
  it.each<[string, StoreSpec]>([
    ['memory', { kind: 'memory' }],
    ['sqlite:.onex/onex.db', { kind: 'sqlite', path: '.onex/onex.db' }],
    ['sqlite:///var/lib/onex.db', { kind: 'sqlite', path: '/var/lib/onex.db' }],
    ['runs.sqlite', { kind: 'sqlite', path: 'runs.sqlite' }],
    ['/tmp/x.db', { kind: 'sqlite', path: '/tmp/x.db' }],
    ['postgres://127.0.0.1:5432/test', { kind: 'postgres', url: 'postgres://127.0.0.1:5432/test' }],
    ['postgresql://u:p@db/x?schema=s', { kind: 'postgres', url: 'postgresql://u:p@db/x?schema=s' }],
  ])('%s', (spec, expected) => {
    expect(parseStoreSpec(spec)).toEqual(expected);
  });

  it('rejects anything else with INVALID_PARAMETER, hiding a password', async () => {
    const err = await failure(() => parseStoreSpec('mysql://root:hunter2@db/x'));
    expect(err.code).toBe(EnumCoreErrorCode.INVALID_PARAMETER);
    expect(err.message).toContain("store 'mysql://root:***@db/x': unknown store");
    expect(err.message).not.toContain('hunter2');
    expect((await failure(() => parseStoreSpec('sqlite:'))).code).toBe(EnumCoreErrorCode.INVALID_PARAMETER);
  });
});

describe('openStore', () => {
  it('opens each kind of store', async () => {
    const memory = await openStore('memory');
    expect(memory).toBeInstanceOf(MemoryStore);
    const sqlite = await openStore(`sqlite:${join(root, 'a', DEFAULT_SQLITE_PATH)}`);
    expect(sqlite).toBeInstanceOf(SqliteStore);
    expect((sqlite as SqliteStore).path).toBe(join(root, 'a', '.onex', 'onex.db'));
    const postgres = await openStore(postgresStoreUrl());
    expect(postgres).toBeInstanceOf(PostgresStore);
    expect([memory.kind, sqlite.kind, postgres.kind]).toEqual(['memory', 'sqlite', 'postgres']);
    for (const s of [memory, sqlite, postgres]) await s.close();
  });

  it('passes store options through', async () => {
    const sqliteOptions: SqliteStoreOptions = { busyTimeoutMs: 250 };
    const sqlite = SqliteStore.open(join(root, 'b.db'), sqliteOptions);
    expect(
      (sqlite as unknown as { db: { pragma(s: string, o: object): unknown } }).db.pragma('busy_timeout', {
        simple: true,
      }),
    ).toBe(250);
    await sqlite.close();
    const pgOptions: PostgresStoreOptions = { maxConnections: 1, connectTimeoutMs: 300 };
    const err = await failure(() => PostgresStore.open('postgres://postgres@10.255.255.1:5432/test', pgOptions));
    expect(err.code).toBe(EnumCoreErrorCode.SERVICE_UNAVAILABLE);
    const pg = await PostgresStore.open(postgresStoreUrl(), pgOptions);
    expect(pg.config.display).toBe(`${new URL(POSTGRES_URL).host}/test`);
    await pg.close();
  });
});

describe('lease defaults and options', () => {
  it('leases last 15 s and are renewed every 5 s unless told otherwise', () => {
    expect(DEFAULT_LEASE_MS).toBe(15_000);
    expect(DEFAULT_LEASE_RENEW_MS).toBe(5_000);
    const node = new NodeOrchestrator(new ModelONEXContainer());
    expect([node.leaseMs, node.leaseRenewMs]).toEqual([15_000, 5_000]);
    // A short lease gets a renewal interval well inside it.
    const short = new NodeOrchestrator(new ModelONEXContainer(), { leaseMs: 900 });
    expect(short.leaseRenewMs).toBe(300);
  });

  it('refuses a renewal interval that is not below the lease', async () => {
    const err = await failure(
      () => new NodeOrchestrator(new ModelONEXContainer(), { leaseMs: 100, leaseRenewMs: 100 }),
    );
    expect(err.code).toBe(EnumCoreErrorCode.INVALID_PARAMETER);
  });

  it('the lease types describe what the store is given and returns', async () => {
    const store = new MemoryStore();
    const lease = crypto.randomUUID();
    const owner: RunOwner = { host: 'h', pid: 1 };
    const source: RunSource = { workflowPath: null, nodesPath: '/n.js' };
    const start = { ...sampleRun(lease, { owner }), source };
    store.beginRun(start);
    const renewal: LeaseRenewal = { runId: start.runId, leaseId: lease, leaseMs: 1000 };
    const status: LeaseStatus = await store.renewLease(renewal);
    expect(status.state).toBe('running');
    const takeOver: TakeOver = {
      runId: start.runId,
      fromLeaseId: lease,
      expectedEpoch: 1,
      leaseId: crypto.randomUUID(),
      leaseMs: 1000,
      owner,
      ownerDead: true,
      at: new Date().toISOString(),
    };
    const taken = await store.takeOver(takeOver);
    const error: StoredError | null = taken.actions[0]!.error;
    expect(error).toBeNull();
    const [summary]: RunSummary[] = await store.listRuns();
    expect(summary).toMatchObject({ ownerHost: 'h', ownerPid: 1, source, epoch: 2 });
  });
});
