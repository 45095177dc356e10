/**
 * The `NodeContext` of one attempt: plain fields, plus what is costly to build made only when the node reads it —
 * `signal` (an AbortController per attempt) and `inputs` / `inputsById` (the dependencies' results). Most nodes read
 * neither, and a short step cannot afford to pay for them (bench/PROFILE.md).
 * @module
 */
import type { ModelONEXContainer } from '../container/container.js';
import type { ModelAction } from '../models/action.js';
import type { NodeContext } from '../nodes/context.js';
import type { Logger } from '../observability/logger.js';

/** Something that owns an abort signal (an `Attempt`). */
export interface SignalSource {
  readonly signal: AbortSignal;
}

/** The results an action receives: from its own step's dependencies, then from the steps it depends on. */
export interface ActionInputs {
  readonly inputs: readonly unknown[];
  readonly inputsById: Readonly<Record<string, unknown>>;
}

/**
 * Where a context reads what it is about, when asked (the run: results never change once recorded). Read on demand,
 * not copied into each context: the model objects are cold in the cache on a run's hot path (bench/PROFILE.md).
 */
export interface InputSource {
  inputsOf(a: number): ActionInputs;
  actionOf(a: number): ModelAction;
  stepNameOf(a: number): string;
}

/** Fields of a run every context of it shares. */
export interface RunContextFields {
  readonly workflowInput: Readonly<Record<string, unknown>>;
  readonly workflowId: string;
  readonly operationId: string;
  readonly container: ModelONEXContainer;
  readonly logger: Logger;
  readonly inputSource: InputSource;
}

/**
 * A node's context. Its abort signal is its attempt's (`source`), or — for a call the scheduler makes directly, where
 * the context stands for the attempt — its own, made on first read and aborted by `abort`.
 */
export class ActionContext implements NodeContext {
  private resolved: ActionInputs | undefined = undefined;
  private controller: AbortController | undefined = undefined;
  private abortReason: unknown = undefined;

  constructor(
    private readonly run: RunContextFields,
    private readonly index: number,
    readonly attempt: number,
    private readonly source: SignalSource | null,
  ) {}

  get action(): ModelAction {
    return this.run.inputSource.actionOf(this.index);
  }

  get stepName(): string {
    return this.run.inputSource.stepNameOf(this.index);
  }

  get inputs(): readonly unknown[] {
    this.resolved ??= this.run.inputSource.inputsOf(this.index);
    return this.resolved.inputs;
  }

  get inputsById(): Readonly<Record<string, unknown>> {
    this.resolved ??= this.run.inputSource.inputsOf(this.index);
    return this.resolved.inputsById;
  }

  get signal(): AbortSignal {
    if (this.source) return this.source.signal;
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** Abort this context's own signal (a direct call timed out or was cancelled). */
  abort(reason: unknown): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }

  get idempotencyKey(): string {
    return this.action.actionId;
  }

  get operationData(): Readonly<Record<string, unknown>> {
    return this.action.operationData;
  }

  get workflowInput(): Readonly<Record<string, unknown>> {
    return this.run.workflowInput;
  }

  get workflowId(): string {
    return this.run.workflowId;
  }

  get operationId(): string {
    return this.run.operationId;
  }

  get container(): ModelONEXContainer {
    return this.run.container;
  }

  get logger(): Logger {
    return this.run.logger;
  }

  /** A plain-object copy (spread loses getters): what the saga and user code that copies a context should use. */
  toJSON(): NodeContext {
    return {
      inputs: this.inputs,
      inputsById: this.inputsById,
      signal: this.signal,
      attempt: this.attempt,
      idempotencyKey: this.idempotencyKey,
      logger: this.logger,
      container: this.container,
      workflowInput: this.workflowInput,
      action: this.action,
      operationData: this.operationData,
      stepName: this.stepName,
      workflowId: this.workflowId,
      operationId: this.operationId,
    };
  }
}
