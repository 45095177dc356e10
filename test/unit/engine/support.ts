// Shared helpers of the engine behaviour tests: a quiet container, an orchestrator with tiny retry delays, step
// builders with known ids, and recorders that nodes use to report what they saw (timings, concurrency, signals).
import {
  type ModelActionInput,
  ModelONEXContainer,
  type ModelOrchestratorOutput,
  type ModelWorkflowStepInput,
  NodeOrchestrator,
  type NodeOrchestratorOptions,
  OnexError,
} from '../../../src/index.js';
import { createLogger } from '../../../src/observability/logger.js';

/** A container whose logger writes nothing (tests assert on outputs, not on logs). */
export function quietContainer(): ModelONEXContainer {
  return new ModelONEXContainer({ logger: createLogger('silent') });
}

/** An orchestrator with millisecond retry backoff, so retry tests stay fast. */
export function fastOrchestrator(container: ModelONEXContainer, options: NodeOrchestratorOptions = {}) {
  return new NodeOrchestrator(container, { retryBackoff: { initialDelayMs: 1, maxDelayMs: 5 }, ...options });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Sleep `ms`, but reject with the signal's reason as soon as it aborts (a well-behaved node). */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A promise that never settles: a node that hangs and ignores its signal. */
export function never(): Promise<never> {
  return new Promise<never>(() => {});
}

/** One step with one action and ids chosen up front, so other steps can name it in `dependsOn` / `dependencies`. */
export type TestStep = ModelWorkflowStepInput & { stepId: string; stepName: string; actionId: string };

type ActionExtras = Omit<ModelActionInput, 'actionType' | 'targetNodeType'> & {
  actionType?: ModelActionInput['actionType'];
};
type StepExtras = Omit<ModelWorkflowStepInput, 'stepName' | 'actions'>;

/** Build a one-action step running `targetNodeType` (a COMPUTE action unless `action.actionType` says otherwise). */
export function oneActionStep(
  stepName: string,
  targetNodeType: string,
  action: ActionExtras = {},
  step: StepExtras = {},
): TestStep {
  const actionId = action.actionId ?? crypto.randomUUID();
  const stepId = step.stepId ?? crypto.randomUUID();
  return {
    ...step,
    stepId,
    stepName,
    actionId,
    actions: [{ actionType: 'compute', ...action, actionId, targetNodeType }],
  };
}

/** Strip the helper-only `actionId` field so the step passes the model's strict schema. */
export function asInput(steps: readonly TestStep[]): ModelWorkflowStepInput[] {
  return steps.map(({ actionId: _actionId, ...rest }) => rest);
}

/** Await a promise that must reject with an `OnexError`, and return that error. */
export async function rejectionOf(promise: Promise<unknown>): Promise<OnexError> {
  let value: unknown;
  try {
    value = await promise;
  } catch (err) {
    if (err instanceof OnexError) return err;
    throw new Error(`expected an OnexError, got ${String(err)}`);
  }
  throw new Error(`expected a rejection, got ${JSON.stringify(value)?.slice(0, 200)}`);
}

/** The partial output a FAIL_FAST rejection carries in `context.output`. */
export function outputOf(err: OnexError): ModelOrchestratorOutput {
  const output = err.context.output;
  if (!output || typeof output !== 'object' || !('workflowState' in output)) {
    throw new Error(`error ${String(err)} carries no output in its context`);
  }
  return output as ModelOrchestratorOutput;
}

/** Start and end times of one node call, measured by the node itself. */
export interface Interval {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

/** Nodes record their own intervals and in-flight count here (the engine's own counters are what is checked). */
export class Recorder {
  readonly intervals: Interval[] = [];
  readonly starts: string[] = [];
  inFlight = 0;
  peak = 0;

  /** Run `body` as node `name`: counts it in flight and records its interval. */
  async track<T>(name: string, body: () => Promise<T> | T): Promise<T> {
    const start = performance.now();
    this.starts.push(name);
    this.inFlight++;
    this.peak = Math.max(this.peak, this.inFlight);
    try {
      return await body();
    } finally {
      this.inFlight--;
      this.intervals.push({ name, start, end: performance.now() });
    }
  }

  interval(name: string): Interval {
    const found = this.intervals.find((i) => i.name === name);
    if (!found) throw new Error(`no interval recorded for '${name}'`);
    return found;
  }
}

/** Whether two intervals overlap in time. */
export function overlaps(a: Interval, b: Interval): boolean {
  return a.start < b.end && b.start < a.end;
}

/** Step name → state, from the output's step reports. */
export function statesByName(output: ModelOrchestratorOutput): Record<string, string> {
  return Object.fromEntries(output.stepReports.map((r) => [r.stepName, r.state]));
}

/** Step name → skip reason (null when not skipped). */
export function reasonsByName(output: ModelOrchestratorOutput): Record<string, string | null> {
  return Object.fromEntries(output.stepReports.map((r) => [r.stepName, r.reason]));
}
