// The store contract against SQLite, plus what is SQLite's own: WAL mode, the migrations table, durability across
// reopening, several connections on one file, and files it must refuse without changing a byte.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { EnumCoreErrorCode, EnumStepState, SqliteStore } from '../../src/index.js';
import { failure, runStoreSuite, sampleRun } from './contract.js';

const root = mkdtempSync(join(tmpdir(), 'onex-sqlite-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dbPath = () => join(root, `${crypto.randomUUID()}.db`);

runStoreSuite({ name: 'sqlite', newStore: async () => SqliteStore.open(dbPath()) });

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('SqliteStore', () => {
  it('creates the file and its directory, in WAL mode with synchronous=NORMAL and a migrations table', async () => {
    const path = join(root, 'nested', 'dir', 'onex.db');
    const store = SqliteStore.open(path);
    await store.close();
    const db = new Database(path, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const versions = db.prepare('SELECT version FROM onex_migrations').all() as { version: number }[];
      expect(versions.map((v) => v.version)).toEqual([1]);
    } finally {
      db.close();
    }
    // synchronous is per connection: check the store's own.
    const again = SqliteStore.open(path);
    const inner = (again as unknown as { db: Database.Database }).db;
    expect(inner.pragma('synchronous', { simple: true })).toBe(1);
    await again.close();
  });

  it('keeps committed runs across close and reopen, and migrates an existing file only once', async () => {
    const path = dbPath();
    const lease = crypto.randomUUID();
    const start = sampleRun(lease);
    const first = SqliteStore.open(path);
    await first.beginRun(start);
    await first.transitionAction({
      runId: start.runId,
      actionId: start.actions[0]!.actionId,
      leaseId: lease,
      expectedEpoch: 1,
      state: EnumStepState.COMPLETED,
      attempt: 1,
      at: new Date().toISOString(),
      result: [1, 'two'],
    });
    await first.close();
    const second = SqliteStore.open(path);
    const run = await second.getRun(start.runId);
    expect(run?.actions[0]).toMatchObject({ state: EnumStepState.COMPLETED, epoch: 2, result: [1, 'two'] });
    await second.close();
    const db = new Database(path, { readonly: true });
    expect((db.prepare('SELECT COUNT(*) AS n FROM onex_migrations').get() as { n: number }).n).toBe(1);
    db.close();
  });

  it('fences writers on two connections to one file: the second sees the first one write and is refused', async () => {
    const path = dbPath();
    const a = SqliteStore.open(path);
    const b = SqliteStore.open(path);
    try {
      const lease = crypto.randomUUID();
      const start = sampleRun(lease);
      await a.beginRun(start);
      const write = {
        runId: start.runId,
        actionId: start.actions[0]!.actionId,
        leaseId: lease,
        expectedEpoch: 1,
        state: EnumStepState.RUNNING,
        attempt: 1,
        at: new Date().toISOString(),
      };
      expect(await a.transitionAction(write)).toBe(2);
      const err = await failure(() => b.transitionAction(write));
      expect(err.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_EXEC_STALE_EPOCH);
      expect((await b.getRun(start.runId))?.actions[0]?.epoch).toBe(2);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('rejects a result that cannot be stored as JSON with VALIDATION_ERROR, writing nothing', async () => {
    const store = SqliteStore.open(dbPath());
    const lease = crypto.randomUUID();
    const start = sampleRun(lease);
    await store.beginRun(start);
    const err = await failure(() =>
      store.transitionAction({
        runId: start.runId,
        actionId: start.actions[0]!.actionId,
        leaseId: lease,
        expectedEpoch: 1,
        state: EnumStepState.COMPLETED,
        attempt: 1,
        at: new Date().toISOString(),
        result: { big: 10n },
      }),
    );
    expect(err.code).toBe(EnumCoreErrorCode.VALIDATION_ERROR);
    expect(err.message).toContain(start.actions[0]!.actionId);
    expect((await store.getRun(start.runId))?.actions[0]?.epoch).toBe(1);
    await store.close();
  });

  describe('refuses files that are not its own, leaving them byte for byte unchanged', () => {
    it('a corrupt file (not a database)', () => {
      const path = dbPath();
      writeFileSync(path, Buffer.alloc(8192, 'garbage! '));
      const before = sha(path);
      let message = '';
      try {
        SqliteStore.open(path);
      } catch (err) {
        expect((err as { code: string }).code).toBe(EnumCoreErrorCode.CONFIGURATION_ERROR);
        message = (err as Error).message;
      }
      expect(message).toContain(path);
      expect(message).toMatch(/not a SQLite database, or it is corrupt/);
      expect(sha(path)).toBe(before);
      expect(existsSync(`${path}-wal`)).toBe(false);
    });

    it('a truncated onex database (its header intact, its pages gone)', async () => {
      const path = dbPath();
      const store = SqliteStore.open(path);
      for (let i = 0; i < 20; i++) await store.beginRun(sampleRun(crypto.randomUUID(), { steps: 5, perStep: 5 }));
      await store.close();
      const bytes = readFileSync(path);
      writeFileSync(path, Buffer.concat([bytes.subarray(0, 4096), Buffer.alloc(bytes.length - 4096, 0x5a)]));
      const before = sha(path);
      const err = await failure(() => SqliteStore.open(path).listRuns());
      expect([EnumCoreErrorCode.CONFIGURATION_ERROR, EnumCoreErrorCode.SERVICE_UNAVAILABLE]).toContain(err.code);
      expect(err.message).toContain(path);
      expect(sha(path)).toBe(before);
    });

    it("another program's SQLite database", async () => {
      const path = dbPath();
      const foreign = new Database(path);
      foreign.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices VALUES (1, 9.5);');
      foreign.close();
      const before = sha(path);
      const err = await failure(() => SqliteStore.open(path));
      expect(err.code).toBe(EnumCoreErrorCode.CONFIGURATION_ERROR);
      expect(err.message).toMatch(/another program, not an onex store \(tables: invoices\)/);
      expect(sha(path)).toBe(before);
      const check = new Database(path, { readonly: true });
      expect(check.pragma('journal_mode', { simple: true })).toBe('delete');
      check.close();
    });

    it('an onex database written by a newer onex', async () => {
      const path = dbPath();
      await SqliteStore.open(path).close();
      const db = new Database(path);
      db.prepare("INSERT INTO onex_migrations (version, name, applied_at) VALUES (99, 'future', 'x')").run();
      db.close();
      const before = sha(path);
      const err = await failure(() => SqliteStore.open(path));
      expect(err.code).toBe(EnumCoreErrorCode.CONFIGURATION_ERROR);
      expect(err.message).toContain('newer onex (schema version 99');
      expect(sha(path)).toBe(before);
    });

    it('a directory', async () => {
      const path = join(root, 'a-directory.db');
      mkdirSync(path);
      const err = await failure(() => SqliteStore.open(path));
      expect(err.code).toBe(EnumCoreErrorCode.CONFIGURATION_ERROR);
      expect(err.message).toContain('is a directory');
    });
  });
});
