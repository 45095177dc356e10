/**
 * What a node receives besides its operation data (spec §4 "Data flow").
 * @module
 */
import type { ModelONEXContainer } from '../container/container.js';
import type { ModelAction } from '../models/action.js';
import type { Logger } from '../observability/logger.js';

/** The context of one attempt of one action. */
export interface NodeContext {
  /** Results of the actions this action depends on (in the order it lists them), then outputs of its step's `dependsOn` steps. */
  readonly inputs: readonly unknown[];
  /** The same results by action id (and step outputs by step id). */
  readonly inputsById: Readonly<Record<string, unknown>>;
  /** Aborted when the action times out, its step or workflow times out, or the run is cancelled or fails fast. */
  readonly signal: AbortSignal;
  /** 1 for the first attempt, 2 for the first retry, … */
  readonly attempt: number;
  /** Stable across attempts and resumes: the action id. Use it to make effects idempotent. */
  readonly idempotencyKey: string;
  readonly logger: Logger;
  readonly container: ModelONEXContainer;
  /** The workflow's `inputData` (`input_data` in files). */
  readonly workflowInput: Readonly<Record<string, unknown>>;
  /** The action being run. */
  readonly action: ModelAction;
  /** The action's operation data (also the first argument of every node call). */
  readonly operationData: Readonly<Record<string, unknown>>;
  readonly stepName: string;
  readonly workflowId: string;
  readonly operationId: string;
  /** Set when this call undoes a completed action (saga compensation): what is being undone. */
  readonly compensationFor?: {
    readonly actionId: string;
    readonly operationData: Readonly<Record<string, unknown>>;
    readonly result: unknown;
  };
}

/** One item of a `processBatch` call. */
export interface BatchItem {
  readonly operationData: Readonly<Record<string, unknown>>;
  readonly ctx: NodeContext;
}
