/**
 * Circuit breakers per `targetNodeType` (spec §5), shared by every workflow of one orchestrator. Built on cockatiel's
 * `CircuitBreakerPolicy` with a `ConsecutiveBreaker`: after N consecutive failures the circuit opens and calls are
 * rejected at once with RESOURCE_UNAVAILABLE without reaching the node; after the cool-down one probe goes through
 * (half-open) and its outcome closes or re-opens the circuit.
 * @module
 */
import {
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  isBrokenCircuitError,
} from 'cockatiel';
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import { EnumCircuitState } from '../models/enums.js';

/** Settings of one breaker. */
export interface CircuitBreakerSettings {
  /** Consecutive failures that open the circuit. @default 3 */
  failureThreshold: number;
  /** How long an open circuit rejects before letting one probe through. @default 30000 */
  cooldownMs: number;
}

/** Breaker settings: defaults for every node type, overrides per node type, or `false` to turn breakers off. */
export interface CircuitBreakerOptions extends Partial<CircuitBreakerSettings> {
  /** Overrides by `targetNodeType`; `false` turns the breaker off for that node type. */
  perNodeType?: Record<string, Partial<CircuitBreakerSettings> | false>;
}

/** A breaker's state as shown in output metadata and `onex show` (snake_case: it lives in metadata, a wire map). */
export interface CircuitSnapshot {
  state: EnumCircuitState;
  failure_threshold: number;
  cooldown_ms: number;
}

const STATE: Record<CircuitState, EnumCircuitState> = {
  [CircuitState.Closed]: EnumCircuitState.CLOSED,
  [CircuitState.Open]: EnumCircuitState.OPEN,
  [CircuitState.HalfOpen]: EnumCircuitState.HALF_OPEN,
  [CircuitState.Isolated]: EnumCircuitState.OPEN,
};

/** Cancellations (fail-fast, run cancel) say nothing about the node's health and never count as failures. */
function countsAsFailure(err: unknown): boolean {
  return !(err instanceof OnexError && err.code === EnumCoreErrorCode.ORCHESTRATOR_EXEC_CANCELLED);
}

interface BreakerEntry {
  readonly policy: CircuitBreakerPolicy;
  readonly settings: CircuitBreakerSettings;
  /** No failure counted since the last success while closed: calls may bypass the policy (see `execute`). */
  clean: boolean;
}

/** The breakers of one orchestrator, one per target node type, created on first use. */
export class CircuitBreakerRegistry {
  private readonly policies = new Map<string, BreakerEntry | null>();
  private readonly defaults: CircuitBreakerSettings;
  /** Entries not clean (a failure counted since their last success): while none is, every call may skip the policy. */
  private unclean = 0;

  constructor(private readonly options: CircuitBreakerOptions | false = {}) {
    const given = options === false ? {} : options;
    this.defaults = { failureThreshold: given.failureThreshold ?? 3, cooldownMs: given.cooldownMs ?? 30_000 };
  }

  /**
   * Run `call` through the breaker of `targetNodeType`. When the circuit is open, `call` is not invoked and the
   * promise rejects with RESOURCE_UNAVAILABLE (retryable: the circuit may half-open later).
   */
  execute<T>(targetNodeType: string, call: () => Promise<T>): Promise<T> {
    const entry = this.entry(targetNodeType);
    if (!entry) return call();
    // Fast path: closed with no failure counted since the last success — the policy would only pass the call through.
    // Its outcome still reaches the policy when it matters: every failure, and the success that ends a streak.
    if (entry.clean && entry.policy.state === CircuitState.Closed) {
      return call().then(
        (value) => {
          this.recordSuccess(targetNodeType);
          return value;
        },
        async (err: unknown) => {
          await this.recordFailure(targetNodeType, err);
          throw err;
        },
      );
    }
    return this.throughPolicy(targetNodeType, entry, call);
  }

  private async throughPolicy<T>(targetNodeType: string, entry: BreakerEntry, call: () => Promise<T>): Promise<T> {
    try {
      const value = await entry.policy.execute(call);
      if (entry.policy.state === CircuitState.Closed) this.setClean(entry, true);
      return value;
    } catch (err) {
      if (isBrokenCircuitError(err)) {
        throw new OnexError(
          EnumCoreErrorCode.RESOURCE_UNAVAILABLE,
          `circuit breaker for '${targetNodeType}' is open (${entry.settings.failureThreshold} consecutive failures); retry after ${entry.settings.cooldownMs} ms`,
          { context: { targetNodeType, circuitState: STATE[entry.policy.state] } },
        );
      }
      if (countsAsFailure(err)) this.setClean(entry, false);
      throw err;
    }
  }

  /**
   * Whether a call to `targetNodeType` may skip the breaker's policy: there is no breaker, or it is closed with no
   * failure counted since the last success (the policy would only pass the call through). Such a call reports its
   * outcome with `recordSuccess` / `recordFailure`.
   */
  isClear(targetNodeType: string): boolean {
    const entry = this.entry(targetNodeType);
    return entry === null || (entry.clean && entry.policy.state === CircuitState.Closed);
  }

  /** A call that skipped the policy succeeded: when failures were counted meanwhile, it ends their streak. */
  recordSuccess(targetNodeType: string): void {
    const entry = this.policies.get(targetNodeType);
    if (!entry || entry.clean || entry.policy.state !== CircuitState.Closed) return;
    entry.policy
      .execute(() => Promise.resolve())
      .then(
        () => {
          if (entry.policy.state === CircuitState.Closed) this.setClean(entry, true);
        },
        () => undefined,
      );
  }

  /**
   * A call that skipped the policy failed: count it (the circuit may open). Resolves once counted; undefined when
   * there is nothing to count (no breaker, or a cancellation, which says nothing about the node's health).
   */
  recordFailure(targetNodeType: string, err: unknown): Promise<void> | undefined {
    // Made here when the call skipped `isClear` (see `allClear`): the first failure of a node type creates its breaker.
    const entry = this.entry(targetNodeType);
    if (!entry || !countsAsFailure(err)) return undefined;
    this.setClean(entry, false);
    return entry.policy
      .execute(() => Promise.reject(err))
      .then(
        () => undefined,
        () => undefined,
      );
  }

  /**
   * Every breaker is closed and clean (the usual case): every call may skip its policy, and successes need not be
   * reported. One read instead of a lookup by node type per call.
   */
  get allClear(): boolean {
    return this.unclean === 0;
  }

  private setClean(entry: BreakerEntry, clean: boolean): void {
    if (entry.clean === clean) return;
    entry.clean = clean;
    this.unclean += clean ? -1 : 1;
  }

  /** Whether breakers are on for `targetNodeType`. */
  enabled(targetNodeType: string): boolean {
    return this.entry(targetNodeType) !== null;
  }

  /** State of the breaker of `targetNodeType` (CLOSED when it was never used). */
  state(targetNodeType: string): EnumCircuitState {
    const entry = this.policies.get(targetNodeType);
    return entry ? STATE[entry.policy.state] : EnumCircuitState.CLOSED;
  }

  /** States of the given node types (or every breaker created so far). */
  snapshot(targetNodeTypes?: Iterable<string>): Record<string, CircuitSnapshot> {
    const out: Record<string, CircuitSnapshot> = {};
    for (const target of targetNodeTypes ?? this.policies.keys()) {
      const entry = this.entry(target);
      if (entry) {
        const { failureThreshold, cooldownMs } = entry.settings;
        out[target] = {
          state: STATE[entry.policy.state],
          failure_threshold: failureThreshold,
          cooldown_ms: cooldownMs,
        };
      }
    }
    return out;
  }

  private entry(targetNodeType: string) {
    let entry = this.policies.get(targetNodeType);
    if (entry === undefined) {
      const override = this.options === false ? false : this.options.perNodeType?.[targetNodeType];
      if (this.options === false || override === false) {
        entry = null;
      } else {
        const settings = { ...this.defaults, ...override };
        const policy = circuitBreaker(handleWhen(countsAsFailure), {
          halfOpenAfter: settings.cooldownMs,
          breaker: new ConsecutiveBreaker(settings.failureThreshold),
        });
        entry = { policy, settings, clean: true };
      }
      this.policies.set(targetNodeType, entry);
    }
    return entry;
  }
}
