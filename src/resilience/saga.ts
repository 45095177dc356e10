/**
 * Saga compensation (spec §5): when a run fails under FAIL_FAST / RETRY / COMPENSATE, the effects it completed are
 * undone in reverse completion order. An action is compensated by its step's `compensation` node, else by its own
 * node's `compensate(input, result, ctx)`; actions with neither are left as they are. Each compensation has its own
 * retries and timeout, and is recorded COMPENSATED or FAILED (reported in the output, never hidden); one failure
 * does not stop the others.
 * @module
 */
import { ExponentialBackoff } from 'cockatiel';
import { Attempt, Sleep } from '../engine/attempt.js';
import type { RetryBackoff } from '../engine/run-options.js';
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { isRetryable, OnexError } from '../errors/onex-error.js';
import { EnumStepState } from '../models/enums.js';
import type { ModelWorkflowStep } from '../models/step.js';
import type { NodeContext } from '../nodes/context.js';
import type { Invoker } from '../nodes/node-adapter.js';

/** One completed action that may need undoing. */
export interface CompensationCandidate {
  readonly actionId: string;
  readonly step: ModelWorkflowStep;
  readonly operationData: Readonly<Record<string, unknown>>;
  readonly result: unknown;
  readonly retryCount: number;
  readonly timeoutMs: number;
  /** The node that ran the action. */
  readonly invoker: Invoker;
  /** The context the action ran with (signal and attempt are replaced). */
  readonly ctx: NodeContext;
}

/** How one compensation ended. */
export interface CompensationRecord {
  readonly actionId: string;
  readonly stepId: string;
  readonly stepName: string;
  readonly state: typeof EnumStepState.COMPENSATED | typeof EnumStepState.FAILED;
  readonly attempts: number;
  readonly error: { readonly code: string; readonly message: string } | null;
}

/** Resolve the invokers of a compensation target node type. */
export type InvokerLookup = (targetNodeType: string) => Invoker | undefined;

/** Undo `completed` (given in completion order) in reverse order, one at a time. */
export async function compensate(
  completed: readonly CompensationCandidate[],
  lookup: InvokerLookup,
  backoff: RetryBackoff,
  onRecord: (record: CompensationRecord) => void,
): Promise<CompensationRecord[]> {
  const records: CompensationRecord[] = [];
  for (const candidate of [...completed].reverse()) {
    const call = compensator(candidate, lookup);
    if (!call) continue;
    const record = await runWithRetries(candidate, call, backoff);
    records.push(record);
    onRecord(record);
  }
  return records;
}

type Call = (ctx: NodeContext) => unknown;

function compensator(c: CompensationCandidate, lookup: InvokerLookup): Call | undefined {
  const configured = c.step.compensation;
  const undo = { actionId: c.actionId, operationData: c.operationData, result: c.result };
  if (configured) {
    const invoker = lookup(configured.targetNodeType);
    if (!invoker) {
      return () => {
        throw new OnexError(
          EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_UNKNOWN_NODE_TYPE,
          `compensation of step '${c.step.stepName}': no node registered for '${configured.targetNodeType}'`,
          { retryable: false },
        );
      };
    }
    return (ctx) =>
      invoker.run(configured.operationData, {
        ...ctx,
        inputs: [c.result],
        operationData: configured.operationData,
        compensationFor: undo,
      });
  }
  const own = c.invoker.compensate;
  if (!own) return undefined;
  return (ctx) => own(c.operationData, c.result, { ...ctx, compensationFor: undo });
}

async function runWithRetries(
  c: CompensationCandidate,
  call: Call,
  settings: RetryBackoff,
): Promise<CompensationRecord> {
  const retries = c.step.compensation?.retryCount ?? c.retryCount;
  const timeoutMs = c.step.compensation?.timeoutMs ?? c.timeoutMs;
  let backoff = new ExponentialBackoff({ initialDelay: settings.initialDelayMs, maxDelay: settings.maxDelayMs }).next();
  let error: OnexError | null = null;
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      const attempt = new Attempt(
        (att) => call({ ...c.ctx, signal: att.signal, attempt: attempts }),
        timeoutMs,
        `compensation of action ${c.actionId}`,
      );
      await attempt.promise;
      error = null;
      break;
    } catch (err) {
      error = OnexError.from(err);
      if (attempts > retries || !isRetryable(error)) break;
      await new Sleep(backoff.duration).promise;
      backoff = backoff.next(undefined);
    }
  }
  return {
    actionId: c.actionId,
    stepId: c.step.stepId,
    stepName: c.step.stepName,
    state: error ? EnumStepState.FAILED : EnumStepState.COMPENSATED,
    attempts,
    error: error ? { code: error.code, message: `compensation failed: ${error.message}` } : null,
  };
}
