/**
 * A child process that runs (`run`) or resumes (`resume`) one workflow through the API, and reports everything it
 * does to a JSON-lines file, written synchronously so that a report survives the process being stopped or killed:
 * every store write it attempts with its outcome, each wait for a lease, and how `process()` / `resume()` ended.
 * With `attack`, after the run ended it also tries direct writes with its own lease and the epochs it last wrote.
 * Run with `node --import tsx durable-child.ts '<job JSON>'`.
 * @module
 */
import { appendFileSync } from 'node:fs';
import {
  createOrchestratorInput,
  EnumStepState,
  EnumWorkflowState,
  loadWorkflowFile,
  NodeOrchestrator,
  OnexError,
  openStore,
  type Store,
} from '../../../src/index.js';
import { quietContainer } from './recorded-runs.js';

/** What the parent asks for. */
export interface DriverJob {
  readonly mode: 'run' | 'resume';
  readonly store: string;
  readonly runId: string;
  /** The workflow file (its nodes module is loaded from it in both modes). */
  readonly workflow: string;
  readonly report: string;
  readonly leaseMs: number;
  readonly renewMs: number;
  readonly attack?: boolean;
}

/** One line of the report. */
export type ReportLine =
  | { event: 'started'; pid: number; leaseId: string }
  | {
      event: 'write';
      op: string;
      target: string;
      expectedEpoch: number | null;
      ok: boolean;
      code: string | null;
      /** When the write was made (`Date.now()`); the line itself is written when it settled. */
      issued: number;
      /** When it settled. */
      at: number;
    }
  | { event: 'wait'; leaseExpiresAt: string; waitMs: number; ownerPid: number }
  | { event: 'done'; ok: boolean; code: string | null; message: string; state: string | null; at: number }
  | { event: 'attack'; op: string; ok: boolean; code: string | null };

const job = JSON.parse(process.argv[2] ?? '{}') as DriverJob;
const report = (line: ReportLine) => appendFileSync(job.report, `${JSON.stringify(line)}\n`);

/** The store, with every write attempt and its outcome reported. */
function reporting(store: Store, lastEpochs: Map<string, number>): Store {
  const track = <T>(op: string, target: string, expectedEpoch: number | null, call: () => T | Promise<T>) => {
    const issued = Date.now();
    const settle = (ok: boolean, code: string | null) =>
      report({ event: 'write', op, target, expectedEpoch, ok, code, issued, at: Date.now() });
    try {
      return Promise.resolve(call()).then(
        (value) => {
          settle(true, null);
          return value;
        },
        (err: unknown) => {
          settle(false, OnexError.from(err).code);
          throw err;
        },
      );
    } catch (err) {
      settle(false, OnexError.from(err).code);
      throw err;
    }
  };
  return {
    kind: store.kind,
    beginRun: (r) => track('beginRun', r.runId, null, () => store.beginRun(r)),
    transitionAction: (t) =>
      track('transitionAction', t.actionId, t.expectedEpoch, () => store.transitionAction(t)).then((epoch) => {
        lastEpochs.set(t.actionId, epoch);
        return epoch;
      }),
    transitionRun: (t) => track('transitionRun', t.runId, t.expectedEpoch, () => store.transitionRun(t)),
    renewLease: (r) => track('renewLease', r.runId, null, () => store.renewLease(r)),
    takeOver: (t) => track('takeOver', t.runId, t.expectedEpoch, () => store.takeOver(t)),
    requestCancel: (id) => store.requestCancel(id),
    getRun: (id) => store.getRun(id),
    listRuns: (limit) => store.listRuns(limit),
    close: () => store.close(),
  };
}

async function main(): Promise<void> {
  const real = await openStore(job.store);
  const lastEpochs = new Map<string, number>();
  const store = reporting(real, lastEpochs);
  const loaded = await loadWorkflowFile(job.workflow, { container: quietContainer() });
  const orchestrator = new NodeOrchestrator(loaded.container, {
    store,
    leaseMs: job.leaseMs,
    leaseRenewMs: job.renewMs,
  });
  report({ event: 'started', pid: process.pid, leaseId: orchestrator.leaseId });
  let state: string | null = null;
  try {
    const output =
      job.mode === 'run'
        ? await orchestrator.process(createOrchestratorInput({ ...loaded.input, operationId: job.runId }))
        : await orchestrator.resume(job.runId, {
            onWait: (w) =>
              report({ event: 'wait', leaseExpiresAt: w.leaseExpiresAt, waitMs: w.waitMs, ownerPid: w.ownerPid }),
          });
    state = output.workflowState;
    report({ event: 'done', ok: true, code: null, message: '', state, at: Date.now() });
  } catch (err) {
    const error = OnexError.from(err);
    const partial = error.context.output as { workflowState?: string } | undefined;
    report({
      event: 'done',
      ok: false,
      code: error.code,
      message: error.message,
      state: partial?.workflowState ?? null,
      at: Date.now(),
    });
  }
  if (job.attack) {
    // A fenced-off owner that keeps trying: each write carries its lease and the last epoch it knew.
    const at = new Date().toISOString();
    for (const [actionId, epoch] of lastEpochs) {
      await attack(`transitionAction ${actionId}`, () =>
        real.transitionAction({
          runId: job.runId,
          actionId,
          leaseId: orchestrator.leaseId,
          expectedEpoch: epoch,
          state: EnumStepState.FAILED,
          attempt: 99,
          at,
        }),
      );
    }
    await attack('transitionRun', () =>
      real.transitionRun({
        runId: job.runId,
        leaseId: orchestrator.leaseId,
        expectedEpoch: 1,
        state: EnumWorkflowState.FAILED,
        at,
      }),
    );
    await attack('renewLease', () =>
      real.renewLease({ runId: job.runId, leaseId: orchestrator.leaseId, leaseMs: 60_000 }),
    );
  }
  await real.close();
}

async function attack(op: string, write: () => unknown): Promise<void> {
  try {
    await write();
    report({ event: 'attack', op, ok: true, code: null });
  } catch (err) {
    report({ event: 'attack', op, ok: false, code: OnexError.from(err).code });
  }
}

await main();
process.exit(0);
