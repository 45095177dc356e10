/**
 * The shape of an execution plan: what the planner computes and the scheduler follows.
 * @module
 */
import type { ModelAction } from '../models/action.js';
import type { ModelOrchestratorInput } from '../models/orchestrator-input.js';
import type { ModelWorkflowStep } from '../models/step.js';

/** One action in the plan, with its dependencies as indices. */
export interface PlannedAction {
  /** Index in `plan.actions` (planned order is `plan.actionOrder`). */
  readonly index: number;
  readonly stepIndex: number;
  readonly action: ModelAction;
  /** Indices (in `plan.actions`) of the actions this one depends on, in the order the action lists them. */
  readonly deps: readonly number[];
  /** Indices (in the step's own `actions`) of same-step dependencies. */
  readonly localDeps: readonly number[];
}

/** One step in the plan. */
export interface PlannedStep {
  readonly index: number;
  readonly step: ModelWorkflowStep;
  /** Indices into `plan.actions`, in declaration order. */
  readonly actions: readonly number[];
  /** Step indices this step depends on (through `dependsOn` or through its actions' dependencies), sorted. */
  readonly deps: readonly number[];
  readonly dependents: readonly number[];
  /** Highest priority among the step's actions (1 when it has none). */
  readonly priority: number;
  /** Topological level: 0 for steps without dependencies. */
  readonly wave: number;
  /** Number of steps on the longest path from this step to a sink, this step included. */
  readonly criticalPathLength: number;
  /** Position in the planned order. */
  readonly orderIndex: number;
}

/** The result of planning: pure data, nothing has run. */
export interface ExecutionPlan {
  readonly input: ModelOrchestratorInput;
  readonly steps: readonly PlannedStep[];
  readonly actions: readonly PlannedAction[];
  /** Step indices in planned order (Kahn; ties by priority, then declaration). */
  readonly order: readonly number[];
  /** Step indices grouped by topological level. */
  readonly waves: readonly (readonly number[])[];
  /** Step indices of one longest dependency chain. */
  readonly criticalPath: readonly number[];
  /** Action indices in emission order (steps in planned order, each step's actions in their own order). */
  readonly actionOrder: readonly number[];
  /** sha-256 of the canonical definition (ids replaced by positions, so it is stable across loads). */
  readonly workflowHash: string;
  readonly totalPayloadBytes: number;
}

/** Lists of indices, flat: the entries of list `i` are `items[start[i]]` up to `items[start[i + 1]]` (exclusive). */
export interface IndexLists {
  readonly start: Int32Array;
  readonly items: Int32Array;
}

/**
 * The result of planning in flat arrays, without an object per step or action: what `NodeOrchestrator.plan()`
 * reports from, and what an `ExecutionPlan` is built from. Steps and actions are numbered as in `ExecutionPlan`.
 */
export interface PlanOutline {
  readonly input: ModelOrchestratorInput;
  /** Every action, numbered step by step in declaration order. */
  readonly actions: readonly ModelAction[];
  /** The actions of step `s` are `firstAction[s]` up to `firstAction[s + 1]` (exclusive). */
  readonly firstAction: Int32Array;
  /** The step of each action. */
  readonly actionStep: Int32Array;
  /** Per action, the actions it depends on, in the order it lists them. */
  readonly actionDeps: IndexLists;
  /** Per action, its same-step dependencies as positions in its step. */
  readonly localDeps: IndexLists;
  /** Per step, the steps it depends on (sorted), and the steps depending on it. */
  readonly stepDeps: IndexLists;
  readonly dependents: IndexLists;
  readonly priority: Int32Array;
  readonly order: readonly number[];
  readonly wave: Int32Array;
  readonly criticalPathLength: Int32Array;
  readonly orderIndex: Int32Array;
  readonly waves: readonly (readonly number[])[];
  readonly criticalPath: readonly number[];
  readonly actionOrder: readonly number[];
  readonly totalPayloadBytes: number;
}
