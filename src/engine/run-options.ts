/**
 * Options and collaborators of one workflow run.
 * @module
 */

import type { ModelONEXContainer } from '../container/container.js';
import type { OnexError } from '../errors/onex-error.js';
import type { EnumStepState } from '../models/enums.js';
import type { CircuitBreakerRegistry } from '../resilience/circuit-breakers.js';
import type { Store } from '../store/store.js';

/** Retry backoff settings (exponential, with jitter). */
export interface RetryBackoff {
  /** First delay before a retry. @default 100 */
  initialDelayMs: number;
  /** Longest delay between two attempts. @default 10000 */
  maxDelayMs: number;
}

/** Everything a run needs besides its plan. */
export interface RunDeps {
  readonly container: ModelONEXContainer;
  readonly store: Store;
  /** The owning orchestrator's lease id: written on every action it emits. */
  readonly leaseId: string;
  readonly backoff: RetryBackoff;
  /** Called on every step state change (live progress). */
  readonly onEvent?: ((event: RunEvent) => void) | undefined;
  /** Aborting this cancels the run (in-flight actions aborted, state CANCELLED). */
  readonly signal?: AbortSignal | undefined;
  /** The orchestrator's circuit breakers (shared by its workflows); none when undefined. */
  readonly breakers?: CircuitBreakerRegistry | undefined;
  /** Resume a recorded run instead of starting one (the run id is the input's operationId). */
  readonly resume?: ResumeState | undefined;
  /**
   * Whether the lease is still surely held, checked again right before a node is called once an asynchronous claim
   * was confirmed: the owner may have been paused between sending the claim and hearing back, its lease gone meanwhile.
   * An error means "do not call the node" (the lease keeper stops the run).
   */
  readonly leaseCheck?: (() => OnexError | null) | undefined;
}

/** What a recorded run already did: COMPLETED actions are not run again; the others run with the same key. */
export interface ResumeState {
  /** The run's epoch after this orchestrator took it over. */
  readonly runEpoch: number;
  /** By action id: the stored state, result, epoch and attempts (after the takeover). */
  readonly actions: ReadonlyMap<
    string,
    {
      readonly state: EnumStepState;
      readonly result: unknown;
      readonly epoch: number;
      readonly attempt: number;
      /** The recorded error of an action that failed. */
      readonly error?: { readonly code: string; readonly message: string } | null;
    }
  >;
}

/** A progress event. */
export interface RunEvent {
  readonly type: 'step';
  readonly stepId: string;
  readonly stepName: string;
  readonly state: string;
  readonly attempt: number;
  readonly durationMs: number;
}
