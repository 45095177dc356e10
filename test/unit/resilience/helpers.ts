// Helpers of the resilience tests: a quiet container, orchestrators with millisecond backoff, one-action steps with
// ids chosen up front, and recorders that nodes use to report what happened to them (calls, completion order,
// concurrency per node type). The engine's output is what the tests check; the recorders are the independent witness.
import {
  type ModelActionInput,
  ModelONEXContainer,
  type ModelOrchestratorOutput,
  type ModelWorkflowStepInput,
  NodeOrchestrator,
  type NodeOrchestratorOptions,
} from '../../../src/index.js';
import { createLogger } from '../../../src/observability/logger.js';

/** A container whose logger writes nothing. */
export function quietContainer(): ModelONEXContainer {
  return new ModelONEXContainer({ logger: createLogger('silent') });
}

/** An orchestrator with millisecond retry backoff; circuit breakers off unless `options` turns them on. */
export function orchestratorFor(
  container: ModelONEXContainer,
  options: NodeOrchestratorOptions = {},
): NodeOrchestrator {
  return new NodeOrchestrator(container, {
    retryBackoff: { initialDelayMs: 1, maxDelayMs: 4 },
    circuitBreakers: false,
    ...options,
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Sleep `ms` unless the signal aborts first; then reject with its reason (a node that honours its signal). */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A one-action step whose step and action ids are known up front. */
export interface TestStep extends ModelWorkflowStepInput {
  stepId: string;
  stepName: string;
}

type ActionExtras = Partial<Omit<ModelActionInput, 'targetNodeType'>>;
type StepExtras = Omit<ModelWorkflowStepInput, 'stepName' | 'actions' | 'stepId'>;

/** A step named `stepName` with one action on `targetNodeType` (COMPUTE unless `action.actionType` says otherwise). */
export function step(
  stepName: string,
  targetNodeType: string,
  action: ActionExtras = {},
  extras: StepExtras = {},
): TestStep & { actionId: string } {
  const actionId = action.actionId ?? crypto.randomUUID();
  return {
    ...extras,
    stepId: crypto.randomUUID(),
    stepName,
    actionId,
    actions: [{ actionType: 'compute', ...action, actionId, targetNodeType }],
  };
}

/** Strip the helper-only `actionId` so a step passes the model's strict schema. */
export function steps(...list: readonly (TestStep & { actionId?: string })[]): ModelWorkflowStepInput[] {
  return list.map(({ actionId: _unused, ...rest }) => rest);
}

// One definition of these for every engine-level test (test/unit/engine/support.ts).
export { outputOf, rejectionOf } from '../engine/support.js';

/** Step name → state. */
export function statesByName(output: ModelOrchestratorOutput): Record<string, string> {
  return Object.fromEntries(output.stepReports.map((r) => [r.stepName, r.state]));
}

/** Step name → skip reason. */
export function reasonsByName(output: ModelOrchestratorOutput): Record<string, string | null> {
  return Object.fromEntries(output.stepReports.map((r) => [r.stepName, r.reason]));
}

/** Step name → attempts of its (only) action. */
export function attemptsByName(output: ModelOrchestratorOutput): Record<string, number> {
  return Object.fromEntries(output.stepReports.map((r) => [r.stepName, r.attempts]));
}

/** Concurrency per node type, counted by the nodes themselves. */
export class ConcurrencyMeter {
  private readonly now = new Map<string, number>();
  readonly peak = new Map<string, number>();

  async track<T>(type: string, body: () => Promise<T>): Promise<T> {
    const n = (this.now.get(type) ?? 0) + 1;
    this.now.set(type, n);
    this.peak.set(type, Math.max(this.peak.get(type) ?? 0, n));
    try {
      return await body();
    } finally {
      this.now.set(type, (this.now.get(type) ?? 1) - 1);
    }
  }
}

/** Run `scenario` `times` times (each run must hold on its own: "every time"). */
export async function repeat(times: number, scenario: (round: number) => Promise<void>): Promise<void> {
  for (let round = 0; round < times; round++) await scenario(round);
}
