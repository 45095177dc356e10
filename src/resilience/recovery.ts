/**
 * Recovery (spec §5): what the tutorial's `NodeResilientPipelineOrchestrator` does, as a setting. A run that fails
 * with a recoverable code (TIMEOUT, RESOURCE_UNAVAILABLE by default) is recovered by the strategies given, in order:
 *
 * - `retry`: run the workflow again, at most `maxRetries` times, after an exponential backoff with jitter
 *   (cockatiel's `ExponentialBackoff`), with one parallel slot less each time (the tutorial's load shedding);
 * - `skip`: run it again under CONTINUE_ON_ERROR, so the failing step is recorded and skipped while independent
 *   branches finish: PARTIAL_SUCCESS (`recovery_strategy: 'partial_results'`, the tutorial's value);
 * - `rollback`: accept the failed run once the saga undid its effects (it compensates under FAIL_FAST / RETRY /
 *   COMPENSATE) and return its output instead of rejecting; a compensation that FAILED means no clean rollback, so
 *   the error is thrown.
 *
 * The fourth way of the tutorial, "use cached results", is per node: `NodeCompute`'s `fallbackToCache` option.
 * A recovered output carries `metadata.recovery_strategy`, `metadata.recovery_attempts` (recovery attempts made:
 * re-runs, plus one for an accepted rollback) and `metadata.recovered_errors` (why each earlier run failed). Every re-run gets a fresh `operationId` (the run id) and
 * keeps the action ids, so effects see the same idempotency key on every run.
 * @module
 */
import { ExponentialBackoff, type IBackoff } from 'cockatiel';
import type { ModelONEXContainer } from '../container/container.js';
import type { RetryBackoff } from '../engine/run-options.js';
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import { EnumFailureStrategy, EnumLogLevel, EnumStepState } from '../models/enums.js';
import {
  createOrchestratorInput,
  type ModelOrchestratorInput,
  type ModelOrchestratorInputInput,
} from '../models/orchestrator-input.js';
import type { ModelOrchestratorOutput } from '../models/orchestrator-output.js';
import { NodeOrchestrator, type NodeOrchestratorOptions, type ProcessOptions } from '../nodes/node-orchestrator.js';

/** How a failed run is recovered: run again, run again skipping failures, or accept the compensated failure. */
export type RecoveryStrategy = 'retry' | 'skip' | 'rollback';

/** The `metadata.recovery_strategy` value each strategy leaves on the output it recovered. */
export const RECOVERY_STRATEGY_METADATA: Readonly<Record<RecoveryStrategy, string>> = Object.freeze({
  retry: 'retry',
  skip: 'partial_results',
  rollback: 'rollback',
});

/** Codes recovered from unless `recoverOn` says otherwise (the tutorial's `_can_recover`). */
export const DEFAULT_RECOVERABLE_CODES: readonly string[] = Object.freeze([
  EnumCoreErrorCode.TIMEOUT,
  EnumCoreErrorCode.RESOURCE_UNAVAILABLE,
]);

/** Options of `processWithRecovery` and `NodeResilientOrchestrator`. */
export interface RecoveryOptions {
  /** Error codes of a failed run that recovery handles; any other failure is thrown as is. @default TIMEOUT, RESOURCE_UNAVAILABLE */
  recoverOn?: readonly string[];
  /** The strategies to try, in order; each is tried once (`retry` up to `maxRetries` runs). @default 'retry' */
  strategy?: RecoveryStrategy | readonly RecoveryStrategy[];
  /** Most re-runs of the `retry` strategy. @default 3 */
  maxRetries?: number;
  /** Delay before each retry: exponential with jitter. @default { initialDelayMs: 100, maxDelayMs: 10000 } */
  backoff?: Partial<RetryBackoff>;
  /** Lower `maxParallelSteps` by one on each retry (never below 1), as the tutorial does. @default true */
  reduceParallelism?: boolean;
  /** Called before each recovery attempt (after its backoff was chosen, before it sleeps). */
  onRecovery?: (event: RecoveryEvent) => void;
}

/** One recovery attempt about to start. */
export interface RecoveryEvent {
  readonly strategy: RecoveryStrategy;
  /** 1 for the first recovery attempt of this call, 2 for the next, … */
  readonly attempt: number;
  /** Why the previous run failed. */
  readonly error: OnexError;
  /** How long it waits before running again (0 when it does not run again). */
  readonly delayMs: number;
}

interface Settings {
  readonly recoverOn: ReadonlySet<string>;
  readonly strategies: readonly RecoveryStrategy[];
  readonly maxRetries: number;
  readonly backoff: RetryBackoff;
  readonly reduceParallelism: boolean;
  readonly onRecovery: ((event: RecoveryEvent) => void) | undefined;
}

const STRATEGIES: readonly RecoveryStrategy[] = ['retry', 'skip', 'rollback'];

/** Check the options once, up front: a typo in a strategy name must not surface only when a run fails. */
function settingsOf(options: RecoveryOptions): Settings {
  const strategies: readonly RecoveryStrategy[] =
    options.strategy === undefined
      ? ['retry']
      : typeof options.strategy === 'string'
        ? [options.strategy]
        : options.strategy;
  const bad = (message: string) =>
    new OnexError(EnumCoreErrorCode.INVALID_PARAMETER, `recovery options: ${message}`, {
      context: { strategy: [...strategies] },
    });
  if (strategies.length === 0) throw bad('strategy must name at least one of retry, skip, rollback');
  for (const s of strategies) {
    if (!STRATEGIES.includes(s)) throw bad(`unknown strategy '${String(s)}' (expected retry, skip or rollback)`);
  }
  if (new Set(strategies).size !== strategies.length) throw bad('each strategy may be given once');
  // Rollback ends recovery (it returns the failed, compensated run), so anything after it could never run.
  if (strategies.includes('rollback') && strategies.at(-1) !== 'rollback') throw bad("'rollback' must come last");
  const maxRetries = options.maxRetries ?? 3;
  if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > 100) {
    throw bad(`maxRetries must be an integer in 0..100, got ${options.maxRetries}`);
  }
  const backoff = { initialDelayMs: 100, maxDelayMs: 10_000, ...options.backoff };
  if (!(backoff.initialDelayMs >= 0) || !(backoff.maxDelayMs >= backoff.initialDelayMs)) {
    throw bad(`backoff needs 0 <= initialDelayMs <= maxDelayMs, got ${JSON.stringify(backoff)}`);
  }
  return {
    recoverOn: new Set(options.recoverOn ?? DEFAULT_RECOVERABLE_CODES),
    strategies,
    maxRetries,
    backoff,
    reduceParallelism: options.reduceParallelism ?? true,
    onRecovery: options.onRecovery,
  };
}

/**
 * Run `input` on `orchestrator`; when the run fails with a code in `recoverOn`, recover it with the strategies of
 * `options`, in order (see the module comment). Resolves with the first output a strategy obtains, marked with
 * `metadata.recovery_strategy`; when the first run succeeds its output is returned untouched. Rejects with the last
 * failure (its code and `context.output`, plus `context.recoveryAttempts`) when every strategy failed; at once with
 * the run's own error for an invalid workflow or a failure whose code is not recoverable; with INVALID_PARAMETER for
 * bad options (before anything runs).
 *
 * @example
 * ```ts
 * const output = await processWithRecovery(orchestrator, input, {
 *   recoverOn: [EnumCoreErrorCode.TIMEOUT, EnumCoreErrorCode.RESOURCE_UNAVAILABLE],
 *   strategy: ['retry', 'skip'],
 *   maxRetries: 2,
 *   backoff: { initialDelayMs: 200 },
 * });
 * output.metadata.recovery_strategy; // 'retry' or 'partial_results' when a recovery was needed
 * ```
 */
export async function processWithRecovery(
  orchestrator: NodeOrchestrator,
  input: ModelOrchestratorInputInput | ModelOrchestratorInput,
  options: RecoveryOptions = {},
  processOptions: ProcessOptions = {},
): Promise<ModelOrchestratorOutput> {
  return runWithRecovery(
    (next) => orchestrator.process(next, processOptions),
    orchestrator.container,
    input,
    settingsOf(options),
    processOptions.signal,
  );
}

/** Options of `NodeResilientOrchestrator`: the orchestrator's own, plus how its runs recover. */
export interface NodeResilientOrchestratorOptions extends NodeOrchestratorOptions {
  /** How failed runs recover. @default retry up to 3 times on TIMEOUT / RESOURCE_UNAVAILABLE */
  recovery?: RecoveryOptions;
}

/**
 * An orchestrator whose `process()` recovers failed runs (the tutorial's `NodeResilientPipelineOrchestrator`):
 * `process(input)` is `processWithRecovery(this, input, options.recovery)`.
 *
 * @example
 * ```ts
 * const orchestrator = new NodeResilientOrchestrator(container, { recovery: { strategy: ['retry', 'skip'] } });
 * const output = await orchestrator.process(input); // PARTIAL_SUCCESS instead of a rejection when retries fail
 * ```
 */
export class NodeResilientOrchestrator extends NodeOrchestrator {
  private readonly recovery: Settings;

  constructor(container: ModelONEXContainer, options: NodeResilientOrchestratorOptions = {}) {
    const { recovery, ...rest } = options;
    super(container, rest);
    this.recovery = settingsOf(recovery ?? {});
  }

  override process(
    input: ModelOrchestratorInputInput | ModelOrchestratorInput,
    options: ProcessOptions = {},
  ): Promise<ModelOrchestratorOutput> {
    return runWithRecovery(
      (next) => super.process(next, options),
      this.container,
      input,
      this.recovery,
      options.signal,
    );
  }
}

type Run = (input: ModelOrchestratorInput) => Promise<ModelOrchestratorOutput>;

/** What each failed run of one call left behind, for `metadata.recovered_errors`. */
interface Failure {
  readonly operation_id: string | null;
  readonly code: string;
  readonly message: string;
}

async function runWithRecovery(
  run: Run,
  container: ModelONEXContainer,
  given: ModelOrchestratorInputInput | ModelOrchestratorInput,
  settings: Settings,
  signal: AbortSignal | undefined,
): Promise<ModelOrchestratorOutput> {
  // Validate first: an invalid workflow is never "recovered".
  const base = createOrchestratorInput(given);
  let error: OnexError;
  try {
    return await run(base);
  } catch (err) {
    error = recoverableOr(err, settings);
  }
  const failures: Failure[] = [failureOf(error)];
  let attempt = 0;
  const announce = (strategy: RecoveryStrategy, delayMs: number) => {
    attempt++;
    container.emitLogEvent(EnumLogLevel.WARNING, 'Attempting error recovery', {
      strategy,
      attempt,
      delayMs,
      error: String(error),
      workflowId: base.workflowId,
    });
    settings.onRecovery?.({ strategy, attempt, error, delayMs });
  };
  const done = (output: ModelOrchestratorOutput, strategy: RecoveryStrategy) =>
    annotate(output, strategy, attempt, failures);

  for (const strategy of settings.strategies) {
    if (strategy === 'rollback') {
      announce(strategy, 0);
      const output = outputOf(error);
      if (output && rolledBack(output)) return done(output, strategy);
      break;
    }
    if (strategy === 'retry') {
      let backoff: IBackoff<unknown> | undefined;
      for (let retry = 1; retry <= settings.maxRetries; retry++) {
        backoff = backoff
          ? backoff.next(undefined)
          : new ExponentialBackoff({
              initialDelay: settings.backoff.initialDelayMs,
              maxDelay: settings.backoff.maxDelayMs,
            }).next();
        announce(strategy, backoff.duration);
        await sleep(backoff.duration, signal);
        const maxParallelSteps = settings.reduceParallelism
          ? Math.max(1, base.maxParallelSteps - retry)
          : base.maxParallelSteps;
        try {
          return done(await run(rerun(base, { maxParallelSteps })), strategy);
        } catch (err) {
          error = recoverableOr(err, settings);
          failures.push(failureOf(error));
        }
      }
      continue;
    }
    // skip: one more run under CONTINUE_ON_ERROR, which resolves even when steps fail.
    announce(strategy, 0);
    try {
      return done(await run(rerun(base, { failureStrategy: EnumFailureStrategy.CONTINUE_ON_ERROR })), strategy);
    } catch (err) {
      error = recoverableOr(err, settings);
      failures.push(failureOf(error));
    }
  }
  throw new OnexError(error.code, `${error.message} (recovery gave up after ${attempt} attempt(s))`, {
    context: { ...error.context, recoveryAttempts: attempt },
    cause: error,
  });
}

/** The error as an `OnexError` when recovery handles it; anything else is rethrown unchanged. */
function recoverableOr(err: unknown, settings: Settings): OnexError {
  if (err instanceof OnexError && settings.recoverOn.has(err.code) && outputOf(err)) return err;
  throw err;
}

/** The partial output a failed run carries (none for an invalid workflow). */
function outputOf(error: OnexError): ModelOrchestratorOutput | undefined {
  const output = error.context.output;
  return output && typeof output === 'object' && 'workflowState' in output
    ? (output as ModelOrchestratorOutput)
    : undefined;
}

function failureOf(error: OnexError): Failure {
  return { operation_id: outputOf(error)?.operationId ?? null, code: error.code, message: error.message };
}

/**
 * Whether the saga undid the failed run: it ran under a compensating strategy (CONTINUE_ON_ERROR never compensates)
 * and no compensation FAILED. A run that completed no compensable effect has nothing to undo, which counts.
 */
function rolledBack(output: ModelOrchestratorOutput): boolean {
  if (output.metadata.failure_strategy === EnumFailureStrategy.CONTINUE_ON_ERROR) return false;
  const records = output.metadata.compensations;
  if (!Array.isArray(records)) return true;
  return records.every((r: unknown) => (r as { state?: unknown })?.state === EnumStepState.COMPENSATED);
}

/** The same workflow as a new run: fresh run id, same action ids (the idempotency keys), some fields changed. */
function rerun(
  base: ModelOrchestratorInput,
  changes: Partial<Pick<ModelOrchestratorInput, 'maxParallelSteps' | 'failureStrategy'>>,
): ModelOrchestratorInput {
  return createOrchestratorInput({ ...base, ...changes, operationId: crypto.randomUUID() });
}

function annotate(
  output: ModelOrchestratorOutput,
  strategy: RecoveryStrategy,
  attempts: number,
  failures: readonly Failure[],
): ModelOrchestratorOutput {
  return {
    ...output,
    metadata: {
      ...output.metadata,
      recovery_strategy: RECOVERY_STRATEGY_METADATA[strategy],
      recovery_attempts: attempts,
      recovered_errors: failures.map((f) => ({ ...f })),
    },
  };
}

/** Wait `ms`, or reject with CANCELLED as soon as `signal` aborts (recovery must not outlive a cancel). */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const cancelled = () => new OnexError(EnumCoreErrorCode.ORCHESTRATOR_EXEC_CANCELLED, 'recovery cancelled');
    if (signal?.aborted) return reject(cancelled());
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
