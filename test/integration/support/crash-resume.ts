/**
 * The crash-and-resume scenario, run against one store: `onex run` of a 500-action workflow in a child process,
 * killed with SIGKILL at seeded random moments; each time `onex resume` takes over in a new child, which is killed
 * again; a last `onex resume` finishes the run. Every effect logs each attempt (`attempts.log`) and records its key
 * once in an idempotent ledger. After each kill the test reads which actions the store holds COMPLETED: none of them
 * may run again; all others rerun with the same key; and the final output must equal a run that was never killed.
 * @module
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import {
  EnumStepState,
  EnumWorkflowState,
  loadWorkflowFile,
  MemoryStore,
  NodeOrchestrator,
  type Store,
  toWire,
} from '../../../src/index.js';
import { type Child, finish, startCli, until } from './children.js';
import { quietContainer } from './recorded-runs.js';
import { writeCrashWorkflow } from './workflows.js';

const ACTIONS = 500;
/** Bytes per line of the attempts log: a uuid and a newline. */
const LINE = 37;

/** mulberry32: a small seeded PRNG, so a failing kill schedule can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What one kill left behind. */
interface KillPoint {
  /** Actions the store held COMPLETED right after the kill. */
  readonly completed: ReadonlySet<string>;
  /** Lines of the attempts log at that moment. */
  readonly logLines: number;
}

/** Run the scenario; `storeSpec` is what the CLI gets, `openStore` opens the same store in the test. */
export async function crashAndResume(options: {
  readonly storeSpec: string;
  readonly openStore: () => Promise<Store>;
  readonly seed: number;
  readonly kills: number;
}): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'onex-crash-'));
  const observer = await options.openStore();
  try {
    const files = { attemptsLog: join(dir, 'attempts.log'), ledger: join(dir, 'ledger.log') };
    const workflow = writeCrashWorkflow(dir, files);
    const lines = () => (existsSync(files.attemptsLog) ? Math.floor(statSync(files.attemptsLog).size / LINE) : 0);
    const rand = prng(options.seed);
    // Kill points spread over the run: sorted fractions of the 500 actions, each past the previous one.
    const fractions = Array.from({ length: options.kills }, () => 0.03 + rand() * 0.87).sort((x, y) => x - y);
    const points: KillPoint[] = [];
    let runId = '';
    const env = { ONEX_LEASE_MS: '3000', ONEX_LEASE_RENEW_MS: '1000' };
    for (let k = 0; k < options.kills; k++) {
      const args = k === 0 ? ['run', workflow] : ['resume', runId];
      const child = startCli([...args, '--store', options.storeSpec, '--json'], env);
      const target = Math.min(Math.max(Math.floor(fractions[k]! * ACTIONS), lines() + 2), ACTIONS - 20);
      await until(`kill #${k + 1}: ${target} attempts logged`, () => lines() >= target || gone(child), 60_000);
      if (gone(child)) throw new Error(`child exited before kill #${k + 1}: ${child.stderr}`);
      await new Promise((r) => setTimeout(r, Math.floor(rand() * 4)));
      child.process.kill('SIGKILL');
      const exit = await child.exited;
      expect(exit.signal, `kill #${k + 1} landed after the child ended: ${child.stderr}`).toBe('SIGKILL');
      if (!runId) runId = (await observer.listRuns(1))[0]!.runId;
      const run = (await observer.getRun(runId))!;
      expect(run.state).toBe(EnumWorkflowState.RUNNING);
      points.push({
        completed: new Set(run.actions.filter((a) => a.state === EnumStepState.COMPLETED).map((a) => a.actionId)),
        logLines: lines(),
      });
    }

    const last = startCli(['resume', runId, '--store', options.storeSpec, '--json'], env);
    const exit = await finish(last, 90_000);
    expect(exit.code, last.stderr).toBe(0);
    const doc = JSON.parse(last.stdout) as Record<string, unknown>;

    // The store: the run and all 500 actions COMPLETED.
    const run = (await observer.getRun(runId))!;
    expect(run.state).toBe(EnumWorkflowState.COMPLETED);
    expect(run.actions).toHaveLength(ACTIONS);
    expect(run.actions.every((a) => a.state === EnumStepState.COMPLETED)).toBe(true);
    const actionIds = new Set(run.actions.map((a) => a.actionId));

    // No action the store held COMPLETED at a kill ran again afterwards.
    const attempts = readFileSync(files.attemptsLog, 'utf8').split('\n').filter(Boolean);
    for (const [k, point] of points.entries()) {
      const rerun = attempts.slice(point.logLines).filter((key) => point.completed.has(key));
      expect(rerun, `actions COMPLETED at kill #${k + 1} ran again`).toEqual([]);
    }
    // Every action ran, always under its own action id as key; the interrupted ones ran again with the same key.
    expect(new Set(attempts)).toEqual(actionIds);
    expect(attempts.length).toBeGreaterThan(ACTIONS);
    // The idempotent ledger holds each completed action's effect exactly once.
    const ledger = readFileSync(files.ledger, 'utf8').split('\n').filter(Boolean);
    expect(ledger).toHaveLength(ACTIONS);
    expect(new Set(ledger.map((l) => l.split(' ')[0]))).toEqual(actionIds);
    expect(points.length).toBe(options.kills);
    expect(points[points.length - 1]!.completed.size).toBeGreaterThan(points[0]!.completed.size);

    // The output equals that of a run nobody killed.
    const reference = await referenceRun(workflow, dir);
    expect(doc.workflow_state).toBe('completed');
    for (const field of ['workflow_state', 'steps_completed', 'steps_failed', 'steps_skipped', 'step_outputs']) {
      expect(doc[field], field).toEqual(reference[field]);
    }
    expect(doc.operation_id).toBe(runId);
  } finally {
    await observer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function gone(child: Child): boolean {
  return child.process.exitCode !== null || child.process.signalCode !== null;
}

/** The same workflow, run once in this process with nobody killing it (its effects go to files of their own). */
async function referenceRun(workflow: string, dir: string): Promise<Record<string, unknown>> {
  const loaded = await loadWorkflowFile(workflow, {
    container: quietContainer(),
    inputData: { attempts_log: join(dir, 'reference-attempts.log'), ledger: join(dir, 'reference-ledger.log') },
  });
  const output = await new NodeOrchestrator(loaded.container, { store: new MemoryStore() }).process(loaded.input);
  return toWire(output) as Record<string, unknown>;
}
