// The CLI end to end (`node bin/onex.js`, built from the sources): every `onex run` is recorded with no set-up in
// ./.onex/onex.db; `onex runs` and `onex show` read the history (tables and --json); `onex resume` finishes a run
// killed with SIGKILL; `onex cancel` stops a run in another live process; `--store postgres://…` / ONEX_STORE put the
// same data in PostgreSQL; bad stores and unknown run ids are typed errors with exit 2 that run and write nothing.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnumStepState, SqliteStore } from '../../src/index.js';
import {
  adminQuery,
  dropTestSchemas,
  postgresStoreUrl,
  requirePostgres,
  uniqueSchema,
} from '../store/support/postgres.js';
import { ensureBuilt, onex, startOnex } from './support/built-cli.js';
import { DURABLE_NODES, finish, until } from './support/children.js';
import { deadPid, recordCrashedRun } from './support/recorded-runs.js';
import { writeCrashWorkflow, writeSmallWorkflow } from './support/workflows.js';

const root = mkdtempSync(join(tmpdir(), 'onex-cli-durable-'));
beforeAll(async () => {
  await requirePostgres();
  ensureBuilt();
}, 120_000);
afterAll(async () => {
  rmSync(root, { recursive: true, force: true });
  await dropTestSchemas();
});

/** A fresh working directory with effect files of its own. */
function sandbox() {
  const cwd = mkdtempSync(join(root, 'cwd-'));
  const files = { attemptsLog: join(cwd, 'attempts.log'), ledger: join(cwd, 'ledger.log') };
  const attempts = () =>
    existsSync(files.attemptsLog) ? readFileSync(files.attemptsLog, 'utf8').split('\n').filter(Boolean) : [];
  return { cwd, files, attempts };
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const STACK = /^\s+at /m;

/** The run id the summary's last line names. */
function runIdOf(stdout: string): string {
  const m = /run ([0-9a-f-]{36}) recorded in/.exec(stdout);
  if (!m) throw new Error(`no run id in:\n${stdout}`);
  return m[1]!;
}

describe('onex run records every run; onex runs / show read the history', () => {
  it('records in ./.onex/onex.db with no set-up; runs and show, as tables and as JSON', async () => {
    const { cwd, files } = sandbox();
    const workflow = writeSmallWorkflow(cwd, files, { name: 'history' });
    const run = await onex(['run', workflow], cwd);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const id = runIdOf(run.stdout);
    expect(run.stdout).toContain(`run ${id} recorded in sqlite:.onex/onex.db`);
    const db = new Database(join(cwd, '.onex', 'onex.db'), { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();

    const list = await onex(['runs', '--json'], cwd);
    expect(list.code).toBe(0);
    const runs = JSON.parse(list.stdout) as Record<string, unknown>[];
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      run_id: id,
      workflow_name: 'history',
      state: 'completed',
      steps_total: 3,
      steps_completed: 3,
      steps_failed: 0,
    });
    expect(typeof runs[0]!.started_at).toBe('string');
    expect(runs[0]!.duration_ms).toEqual(expect.any(Number));

    const table = await onex(['runs'], cwd);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`${id}\\s+│ history\\s+│ completed .*│ 3/0/3`));

    const shown = await onex(['show', id, '--json'], cwd);
    expect(shown.code).toBe(0);
    const doc = JSON.parse(shown.stdout) as { steps: Record<string, unknown>[]; state: string; epoch: number };
    expect(doc.state).toBe('completed');
    expect(doc.epoch).toBe(2);
    expect(doc.steps.map((s) => [s.step_name, s.state, s.attempts, s.epoch, s.error])).toEqual([
      ['start', 'completed', 1, 3, null],
      ['middle', 'completed', 1, 3, null],
      ['finish', 'completed', 1, 3, null],
    ]);
    for (const s of doc.steps) expect(s.duration_ms).toEqual(expect.any(Number));

    // A unique prefix names the run too.
    const human = await onex(['show', id.slice(0, 8)], cwd);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`run ${id}`);
    expect(human.stdout).toMatch(/│ middle\s+│ completed\s+│ 1\s+│/);
  });

  it('show gives the failed step its error code and message; run exits 1', async () => {
    const { cwd, files } = sandbox();
    const run = await onex(['run', writeSmallWorkflow(cwd, files, { fail: true, name: 'failing' })], cwd);
    expect(run.code).toBe(1);
    const id = runIdOf(run.stdout);
    const shown = await onex(['show', id, '--json'], cwd);
    const doc = JSON.parse(shown.stdout) as { state: string; steps: Record<string, unknown>[] };
    expect(doc.state).toBe('failed');
    const middle = doc.steps.find((s) => s.step_name === 'middle')!;
    expect(middle.state).toBe('failed');
    expect(middle.error).toEqual({ code: 'ONEX_CORE_081_OPERATION_FAILED', message: 'explode: action 2 always fails' });
    const human = await onex(['show', id], cwd);
    expect(human.stdout).toMatch(
      /│ middle\s+│ failed\s+│ 1\s+│ .*│ \[ONEX_CORE_081_OPERATION_FAILED\] explode: action 2/,
    );
    const list = JSON.parse((await onex(['runs', '--json'], cwd)).stdout) as Record<string, unknown>[];
    expect(list[0]).toMatchObject({ run_id: id, state: 'failed', steps_failed: 1 });
  });

  it('an unknown run id is NOT_FOUND with exit 2 for show, resume and cancel, and writes nothing', async () => {
    const { cwd, files } = sandbox();
    await onex(['run', writeSmallWorkflow(cwd, files)], cwd);
    const db = join(cwd, '.onex', 'onex.db');
    const before = (await SqliteStore.open(db).listRuns()).map((r) => [r.runId, r.epoch, r.state]);
    for (const command of ['show', 'resume', 'cancel']) {
      const result = await onex([command, '00000000-dead-4bad-8bad-000000000000'], cwd);
      expect(result.code, command).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim()).toBe(
        '[ONEX_CORE_028_NOT_FOUND] run 00000000-dead-4bad-8bad-000000000000 does not exist in the store',
      );
    }
    const store = SqliteStore.open(db);
    expect((await store.listRuns()).map((r) => [r.runId, r.epoch, r.state])).toEqual(before);
    await store.close();
  });

  it('resume and cancel of a run that already ended are INVALID_STATE, exit 2', async () => {
    const { cwd, files } = sandbox();
    const id = runIdOf((await onex(['run', writeSmallWorkflow(cwd, files)], cwd)).stdout);
    const resumed = await onex(['resume', id], cwd);
    expect(resumed.code).toBe(2);
    expect(resumed.stderr).toContain(`[ONEX_CORE_086_INVALID_STATE] run ${id} already ended (completed)`);
    const cancelled = await onex(['cancel', id], cwd);
    expect(cancelled.code).toBe(2);
    expect(cancelled.stderr).toContain('there is nothing to cancel');
  });
});

describe('onex resume', () => {
  it('finishes a run killed with SIGKILL: completed actions do not run again, the output is the full run', async () => {
    const { cwd, files, attempts } = sandbox();
    const workflow = writeCrashWorkflow(cwd, files, { chains: 1, stepsPerChain: 4, perStep: 5, ms: 40 });
    const child = startOnex(['run', workflow], cwd, { ONEX_LEASE_MS: '60000' });
    await until('half the actions to run', () => attempts().length >= 10, 30_000);
    child.process.kill('SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');

    const list = JSON.parse((await onex(['runs', '--json'], cwd)).stdout) as Record<string, unknown>[];
    expect(list[0]).toMatchObject({ state: 'running', workflow_name: 'crash-and-resume' });
    const id = String(list[0]!.run_id);
    const before = JSON.parse((await onex(['show', id, '--json'], cwd)).stdout) as {
      steps: { state: string; actions: { action_id: string; state: string }[] }[];
    };
    const completed = before.steps.flatMap((s) =>
      s.actions.filter((a) => a.state === 'completed').map((a) => a.action_id),
    );
    expect(completed.length).toBeGreaterThan(0);
    expect(before.steps.some((s) => s.state !== 'completed')).toBe(true);
    const logged = attempts().length;

    // The owner is provably dead (same host, pid gone): resume takes over at once, without waiting 60 s.
    const resumed = await onex(['resume', id, '--json'], cwd);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toBe('');
    const output = JSON.parse(resumed.stdout) as Record<string, unknown>;
    expect(output).toMatchObject({ operation_id: id, workflow_state: 'completed', steps_completed: 4 });
    expect(Object.keys(output.step_outputs as object)).toEqual([
      'chain0_step0',
      'chain0_step1',
      'chain0_step2',
      'chain0_step3',
    ]);
    const rerun = attempts()
      .slice(logged)
      .filter((k) => completed.includes(k));
    expect(rerun).toEqual([]);
    expect(new Set(attempts()).size).toBe(20);
    const after = JSON.parse((await onex(['show', id, '--json'], cwd)).stdout) as { state: string };
    expect(after.state).toBe('completed');
  });
});

describe('runs recorded through the API', () => {
  it('resume needs --nodes when the run records no nodes module; cancel of a run whose owner died records it', async () => {
    const { cwd, files, attempts } = sandbox();
    const db = join(cwd, '.onex', 'onex.db');
    const store = SqliteStore.open(db);
    const one = crypto.randomUUID();
    const action = (n: number) => [{ actionType: 'effect' as const, targetNodeType: 'record', operationData: { n } }];
    const input = {
      workflowName: 'api-run',
      inputData: { attempts_log: files.attemptsLog, ledger: files.ledger },
      steps: [
        { stepId: one, stepName: 'one', actions: action(1) },
        { stepName: 'two', dependsOn: [one], actions: action(2) },
      ],
    };
    const resumable = await recordCrashedRun(store, input, {
      owner: { pid: deadPid() },
      completed: (ids) => ({ [ids.one![0]!]: { n: 1, total: 1 } }),
    });
    const orphan = await recordCrashedRun(store, input, { owner: { pid: deadPid() } });
    await store.close();

    const refused = await onex(['resume', resumable.runId], cwd);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toMatch(/^\[ONEX_CORE_122_DEPENDENCY_UNAVAILABLE\] run .* records no nodes module/);
    const resumed = await onex(['resume', resumable.runId, '--nodes', DURABLE_NODES, '--json'], cwd);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({
      workflow_state: 'completed',
      step_outputs: { one: { n: 1, total: 1 }, two: { n: 2, total: 3 } },
    });
    expect(attempts()).toEqual([resumable.actionIds.two![0]]);

    const cancelled = await onex(['cancel', orphan.runId], cwd);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout.trim()).toBe(
      `run ${orphan.runId} cancelled (its owner was gone; the cancellation was recorded here)`,
    );
    const doc = JSON.parse((await onex(['show', orphan.runId, '--json'], cwd)).stdout) as { state: string };
    expect(doc.state).toBe('cancelled');
  });

  it('runs and show in a directory with no store yet create nothing', async () => {
    const { cwd } = sandbox();
    const runs = await onex(['runs'], cwd);
    expect(runs).toMatchObject({ code: 0, stdout: 'no runs recorded yet\n' });
    expect(JSON.parse((await onex(['runs', '--json'], cwd)).stdout)).toEqual([]);
    expect((await onex(['show', 'abcd'], cwd)).code).toBe(2);
    expect(existsSync(join(cwd, '.onex'))).toBe(false);
  });
});

describe('onex cancel', () => {
  it('stops a run in another live process: it aborts at its next renewal, exits 1, and the run is CANCELLED', async () => {
    const { cwd, files } = sandbox();
    const workflow = writeSmallWorkflow(cwd, files, { pause: true, name: 'to-cancel' });
    const owner = startOnex(['run', workflow], cwd, { ONEX_TEST_PAUSE_MS: '60000', ONEX_LEASE_RENEW_MS: '100' });
    const db = join(cwd, '.onex', 'onex.db');
    let id = '';
    await until('the paused step to run', async () => {
      if (!existsSync(db)) return false;
      const store = SqliteStore.open(db);
      try {
        const [run] = await store.listRuns(1);
        const middle = run && (await store.getRun(run.runId))?.actions[1];
        id = run?.runId ?? '';
        return middle?.state === EnumStepState.RUNNING;
      } finally {
        await store.close();
      }
    });
    const cancelled = await onex(['cancel', id], cwd);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout.trim()).toBe(`run ${id} cancelled`);
    const ownerExit = await finish(owner, 30_000);
    expect(ownerExit.code).toBe(1);
    expect(owner.stderr).toMatch(/^\[ONEX_CORE_320_ORCHESTRATOR_EXEC_CANCELLED\] /);
    expect(owner.stderr).not.toMatch(STACK);
    const doc = JSON.parse((await onex(['show', id, '--json'], cwd)).stdout) as {
      state: string;
      steps: { step_name: string; state: string }[];
    };
    expect(doc.state).toBe('cancelled');
    expect(doc.steps.find((s) => s.step_name === 'middle')!.state).toBe('cancelled');
    expect(doc.steps.find((s) => s.step_name === 'finish')!.state).not.toBe('completed');
  });

  it('--no-wait only records the request', async () => {
    const { cwd, files } = sandbox();
    const workflow = writeSmallWorkflow(cwd, files, { pause: true, name: 'no-wait' });
    // A long renewal interval: the owner does not notice within the test unless the request is recorded.
    const owner = startOnex(['run', workflow], cwd, { ONEX_TEST_PAUSE_MS: '60000', ONEX_LEASE_RENEW_MS: '300' });
    const db = join(cwd, '.onex', 'onex.db');
    let id = '';
    await until('the run to be recorded', async () => {
      if (!existsSync(db)) return false;
      const store = SqliteStore.open(db);
      try {
        id = (await store.listRuns(1))[0]?.runId ?? '';
        return id !== '';
      } finally {
        await store.close();
      }
    });
    const requested = await onex(['cancel', id, '--no-wait', '--json'], cwd);
    expect(requested.code).toBe(0);
    expect(JSON.parse(requested.stdout)).toEqual({ run_id: id, state: 'running', how: 'requested' });
    const list = JSON.parse((await onex(['runs', '--json'], cwd)).stdout) as Record<string, unknown>[];
    expect(list[0]).toMatchObject({ run_id: id, cancel_requested: true });
    expect((await finish(owner, 30_000)).code).toBe(1);
  });
});

describe('stores named with --store and ONEX_STORE', () => {
  it('--store postgres://… records the run in PostgreSQL; ONEX_STORE selects it for runs and show', async () => {
    const { cwd, files } = sandbox();
    const schema = uniqueSchema();
    const url = postgresStoreUrl(schema);
    const run = await onex(['run', writeSmallWorkflow(cwd, files, { name: 'in-postgres' }), '--store', url], cwd);
    expect(run.code, run.stderr).toBe(0);
    const id = runIdOf(run.stdout);
    expect(run.stdout).toContain(`run ${id} recorded in ${url}`);
    expect(existsSync(join(cwd, '.onex'))).toBe(false);
    const rows = await adminQuery<{ run_id: string; state: string }>(`SELECT run_id, state FROM "${schema}".onex_runs`);
    expect(rows).toEqual([{ run_id: id, state: 'completed' }]);
    const list = JSON.parse((await onex(['runs', '--json'], cwd, { ONEX_STORE: url })).stdout) as Record<
      string,
      unknown
    >[];
    expect(list.map((r) => r.run_id)).toEqual([id]);
    const shown = await onex(['show', id, '--json', '--store', url], cwd);
    expect((JSON.parse(shown.stdout) as { steps: unknown[] }).steps).toHaveLength(3);
  });

  it('an unreachable PostgreSQL is SERVICE_UNAVAILABLE, exit 2, and nothing runs', async () => {
    const { cwd, files, attempts } = sandbox();
    const result = await onex(
      ['run', writeSmallWorkflow(cwd, files), '--store', 'postgres://postgres@127.0.0.1:1/test'],
      cwd,
    );
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^\[ONEX_CORE_205_SERVICE_UNAVAILABLE\] PostgreSQL store 127\.0\.0\.1:1\/test is unreachable/,
    );
    expect(result.stderr).not.toMatch(STACK);
    expect(attempts()).toEqual([]);
  });

  it('a corrupt ./.onex/onex.db is CONFIGURATION_ERROR, exit 2, nothing runs and the file is left as it was', async () => {
    const { cwd, files, attempts } = sandbox();
    mkdirSync(join(cwd, '.onex'));
    const db = join(cwd, '.onex', 'onex.db');
    writeFileSync(db, 'this is not a database '.repeat(300));
    const hash = () => createHash('sha256').update(readFileSync(db)).digest('hex');
    const before = hash();
    const result = await onex(['run', writeSmallWorkflow(cwd, files)], cwd);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(
      /^\[ONEX_CORE_044_CONFIGURATION_ERROR\] SQLite store .*onex\.db: it is not a SQLite database, or it is corrupt/,
    );
    expect(attempts()).toEqual([]);
    const listed = await onex(['runs'], cwd);
    expect(listed.code).toBe(2);
    expect(hash()).toBe(before);
    expect(statSync(db).size).toBe('this is not a database '.length * 300);
  });

  it('--store memory runs without writing anything to disk; a bad store name is exit 2', async () => {
    const { cwd, files } = sandbox();
    const ok = await onex(['run', writeSmallWorkflow(cwd, files), '--store', 'memory'], cwd);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(UUID);
    expect(existsSync(join(cwd, '.onex'))).toBe(false);
    const bad = await onex(['runs', '--store', 'mongodb://x'], cwd);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^\[ONEX_CORE_001_INVALID_PARAMETER\] store 'mongodb:\/\/x': unknown store/);
  });
});
