/**
 * The `NodeContext` of one attempt: plain fields, plus a `signal` read from the attempt only when the node asks
 * (so attempts whose node never looks at it never build an AbortController).
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

/** A node's context, with the signal of its attempt. */
export class ActionContext implements NodeContext {
  constructor(
    readonly inputs: readonly unknown[],
    readonly inputsById: Readonly<Record<string, unknown>>,
    readonly attempt: number,
    readonly action: ModelAction,
    readonly stepName: string,
    readonly workflowInput: Readonly<Record<string, unknown>>,
    readonly workflowId: string,
    readonly operationId: string,
    readonly container: ModelONEXContainer,
    readonly logger: Logger,
    private readonly source: SignalSource,
  ) {}

  get signal(): AbortSignal {
    return this.source.signal;
  }

  get idempotencyKey(): string {
    return this.action.actionId;
  }

  get operationData(): Readonly<Record<string, unknown>> {
    return this.action.operationData;
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
