/**
 * Helpers of the in-process durability tests: a quiet container, a pid that provably belongs to no process, and a
 * "crashed" run written straight through the store API — what a process leaves behind when it dies mid-run.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import {
  createOrchestratorInput,
  EnumStepState,
  ModelONEXContainer,
  type ModelOrchestratorInput,
  type ModelOrchestratorInputInput,
  NodeOrchestrator,
  type Store,
  toWire,
} from '../../../src/index.js';
import { createLogger } from '../../../src/observability/logger.js';

/** A container whose logger writes nothing. */
export function quietContainer(): ModelONEXContainer {
  return new ModelONEXContainer({ logger: createLogger('silent') });
}

/** The pid of a process that has exited and been reaped: provably dead on this host. */
export function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' });
  if (!child.pid) throw new Error('could not spawn a short-lived process');
  return child.pid;
}

/** A recorded run as a process leaves it when it dies: some actions COMPLETED, some RUNNING, the rest PENDING. */
export interface CrashedRun {
  readonly input: ModelOrchestratorInput;
  readonly runId: string;
  /** Action ids by step name. */
  readonly actionIds: Record<string, string[]>;
  readonly leaseId: string;
}

/**
 * Record `raw` as started by lease `leaseId` of process `owner`, then apply `completed` (action id → result) and
 * `running` (action ids, attempt 1) through the store, as that process would have.
 */
export async function recordCrashedRun(
  store: Store,
  raw: ModelOrchestratorInputInput,
  options: {
    owner: { host?: string; pid: number };
    leaseMs?: number;
    completed?: (ids: Record<string, string[]>) => Record<string, unknown>;
    running?: (ids: Record<string, string[]>) => string[];
    /** Actions that failed for good (recorded FAILED with this error). */
    failed?: (ids: Record<string, string[]>) => Record<string, { code: string; message: string }>;
    /** Completed actions whose compensation was recorded (COMPENSATED) before the crash. */
    compensated?: (ids: Record<string, string[]>) => string[];
  },
): Promise<CrashedRun> {
  const input = createOrchestratorInput(raw);
  const leaseId = crypto.randomUUID();
  const plan = new NodeOrchestrator(quietContainer()).plan(input);
  const actionIds: Record<string, string[]> = {};
  for (const step of input.steps) actionIds[step.stepName] = step.actions.map((a) => a.actionId);
  await store.beginRun({
    runId: input.operationId,
    workflowId: input.workflowId,
    workflowName: input.workflowName ?? 'unnamed',
    workflowHash: plan.workflowHash,
    leaseId,
    startedAt: new Date().toISOString(),
    definition: toWire(input),
    actions: input.steps.flatMap((s) => s.actions.map((a) => ({ actionId: a.actionId, stepId: s.stepId }))),
    leaseMs: options.leaseMs ?? 60_000,
    owner: { host: options.owner.host ?? hostname(), pid: options.owner.pid },
  });
  const at = new Date().toISOString();
  for (const [actionId, result] of Object.entries(options.completed?.(actionIds) ?? {})) {
    await store.transitionAction({
      runId: input.operationId,
      actionId,
      leaseId,
      expectedEpoch: 1,
      state: EnumStepState.RUNNING,
      attempt: 1,
      at,
    });
    await store.transitionAction({
      runId: input.operationId,
      actionId,
      leaseId,
      expectedEpoch: 2,
      state: EnumStepState.COMPLETED,
      attempt: 1,
      at,
      result,
    });
  }
  for (const actionId of options.running?.(actionIds) ?? []) {
    await store.transitionAction({
      runId: input.operationId,
      actionId,
      leaseId,
      expectedEpoch: 1,
      state: EnumStepState.RUNNING,
      attempt: 1,
      at,
    });
  }
  const epochs = new Map<string, number>(Object.keys(options.completed?.(actionIds) ?? {}).map((id) => [id, 3]));
  for (const [actionId, error] of Object.entries(options.failed?.(actionIds) ?? {})) {
    for (const [epoch, state] of [
      [1, EnumStepState.RUNNING],
      [2, EnumStepState.FAILED],
    ] as const) {
      await store.transitionAction({
        runId: input.operationId,
        actionId,
        leaseId,
        expectedEpoch: epoch,
        state,
        attempt: 1,
        at,
        ...(state === EnumStepState.FAILED ? { error } : {}),
      });
    }
  }
  for (const actionId of options.compensated?.(actionIds) ?? []) {
    await store.transitionAction({
      runId: input.operationId,
      actionId,
      leaseId,
      expectedEpoch: epochs.get(actionId) ?? 3,
      state: EnumStepState.COMPENSATED,
      attempt: 1,
      at,
    });
  }
  return { input, runId: input.operationId, actionIds, leaseId };
}

/** A JSON copy of a stored run (what a refused write must leave alone). */
export async function snapshotRun(store: Store, runId: string): Promise<unknown> {
  return JSON.parse(JSON.stringify((await store.getRun(runId)) ?? null));
}
