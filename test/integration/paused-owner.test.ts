// Fencing with two real processes (spec §7, the paused owner): process A runs a workflow and is paused (SIGSTOP) while
// an action is in flight — alive, not dead, so process B's `resume` must wait for A's lease to expire, and says so.
// B takes the run over and finishes it. Then A is continued (SIGCONT): every write it attempts from then on — the
// in-flight action's completion, its lease renewal, the run's end, and direct writes with its old lease and epochs —
// fails with the typed fencing error, A stops with that error, and the store is exactly as B left it.
// Against SQLite (one file, two processes) and PostgreSQL (one schema, two processes).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EnumCoreErrorCode,
  EnumStepState,
  EnumWorkflowState,
  PostgresStore,
  SqliteStore,
  type Store,
} from '../../src/index.js';
import { dropTestSchemas, postgresStoreUrl, requirePostgres } from '../store/support/postgres.js';
import { finish, startDriver, until } from './support/children.js';
import type { ReportLine } from './support/durable-child.js';
import { snapshotRun } from './support/recorded-runs.js';
import { writePausedOwnerWorkflow } from './support/workflows.js';

const root = mkdtempSync(join(tmpdir(), 'onex-paused-owner-'));
beforeAll(requirePostgres);
afterAll(async () => {
  rmSync(root, { recursive: true, force: true });
  await dropTestSchemas();
});

const FENCED = [EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_CONFLICT, EnumCoreErrorCode.ORCHESTRATOR_EXEC_STALE_EPOCH];

function readReport(path: string): ReportLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ReportLine);
}

/** The scheduler state letter of a Linux process (`T` when stopped). */
function procState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

const lines = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : []);

const CASES: [string, () => Promise<{ spec: string; open: () => Promise<Store> }>][] = [
  [
    'SQLite',
    async () => {
      const path = join(root, `${crypto.randomUUID()}.db`);
      return { spec: `sqlite:${path}`, open: async () => SqliteStore.open(path) };
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const url = postgresStoreUrl();
      return { spec: url, open: () => PostgresStore.open(url) };
    },
  ],
];

describe.each(CASES)('a paused owner is fenced off (%s, two processes)', (_name, makeStore) => {
  it('B waits for the lease, takes over and finishes; every later write of A fails and changes nothing', async () => {
    const { spec, open } = await makeStore();
    const dir = mkdtempSync(join(root, 'case-'));
    const files = { attemptsLog: join(dir, 'attempts.log'), ledger: join(dir, 'ledger.log') };
    const workflow = writePausedOwnerWorkflow(dir, files);
    const runId = crypto.randomUUID();
    const aReport = join(dir, 'a.jsonl');
    const bReport = join(dir, 'b.jsonl');
    const observer = await open();
    try {
      const a = startDriver(
        { mode: 'run', store: spec, runId, workflow, report: aReport, leaseMs: 3000, renewMs: 200, attack: true },
        { ONEX_TEST_PAUSE_MS: '2500' },
      );
      let slowAction = '';
      await until('A to start the slow action', async () => {
        const run = await observer.getRun(runId);
        slowAction = run?.actions[1]?.actionId ?? '';
        return run?.actions[1]?.state === EnumStepState.RUNNING;
      });
      a.process.kill('SIGSTOP');
      await until('A to be stopped', () => procState(a.pid) === 'T');
      const stoppedAt = Date.now();
      const aLinesWhenPaused = readReport(aReport).length;
      const heldUntil = (await observer.getRun(runId))!.leaseExpiresAt;

      const b = startDriver({
        mode: 'resume',
        store: spec,
        runId,
        workflow,
        report: bReport,
        leaseMs: 5000,
        renewMs: 1000,
      });
      const bExit = await finish(b);
      expect(bExit.code, b.stderr).toBe(0);
      const bLines = readReport(bReport);
      // B said it was waiting for A's lease (A is alive), and took over only once it had expired.
      const waits = bLines.filter((l) => l.event === 'wait');
      expect(waits.length).toBeGreaterThanOrEqual(1);
      expect(waits[0]).toMatchObject({ ownerPid: a.pid });
      const takeOver = bLines.find((l) => l.event === 'write' && l.op === 'takeOver' && l.ok);
      expect(takeOver).toBeDefined();
      expect((takeOver as { at: number }).at).toBeGreaterThanOrEqual(Date.parse(heldUntil));
      expect(bLines.at(-1)).toMatchObject({ event: 'done', ok: true, state: EnumWorkflowState.COMPLETED });
      const afterB = await snapshotRun(observer, runId);
      const bRun = (await observer.getRun(runId))!;
      expect(bRun.state).toBe(EnumWorkflowState.COMPLETED);
      expect(bRun.actions.every((x) => x.state === EnumStepState.COMPLETED)).toBe(true);
      // A, stopped, wrote nothing meanwhile.
      expect(readReport(aReport)).toHaveLength(aLinesWhenPaused);

      a.process.kill('SIGCONT');
      const aExit = await finish(a);
      expect(aExit.code, a.stderr).toBe(0);
      const aAfter = readReport(aReport).slice(aLinesWhenPaused);
      // Writes made after the pause (a write made before it may only be reported after it: it settles late).
      const writes = aAfter.filter((l) => l.event === 'write' && l.issued > stoppedAt);
      // Each is refused: by the store (fencing), or before it reaches the store once A knows its lease ran out.
      for (const w of writes) {
        expect(w, JSON.stringify(w)).toMatchObject({ ok: false });
        expect([...FENCED, EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_EXPIRED]).toContain((w as { code: string }).code);
      }
      // Then A writes straight to the store with its old lease and the epochs it last wrote: each action it wrote,
      // the run, the lease. The store refuses every one.
      const attacks = aAfter.filter((l) => l.event === 'attack');
      expect(attacks.length).toBeGreaterThanOrEqual(4);
      for (const x of attacks) {
        expect(x).toMatchObject({ ok: false, code: EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_CONFLICT });
      }
      // A stops with the fencing error, or first notices by its own clock that it slept past its lease.
      const done = aAfter.find((l) => l.event === 'done');
      expect(done).toMatchObject({ ok: false });
      expect([...FENCED, EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_EXPIRED]).toContain((done as { code: string }).code);
      // And nothing changed: the store is exactly as B left it.
      expect(await snapshotRun(observer, runId)).toEqual(afterB);

      // A started nothing after it woke up. The slow action ran twice (A, then B) under one key; the idempotent
      // ledger has it once.
      const attempts = lines(files.attemptsLog);
      expect(attempts.filter((k) => k === slowAction)).toHaveLength(2);
      expect(attempts).toHaveLength(4);
      expect(lines(files.ledger).map((l) => l.split(' ')[0])).toEqual(bRun.actions.map((x) => x.actionId));
    } finally {
      await observer.close();
    }
  }, 60_000);
});
