/**
 * What the scheduler reads of a plan for every step and every action, as dense columns made once per plan. The
 * model objects (steps, actions) are frozen, scattered over the old generation and many fields wide; a run that read
 * `timeoutMs` or `targetNodeType` from them paid a cache miss per object per step (bench/PROFILE.md, fourth pass).
 * Typed arrays and arrays of string pointers keep a 1,000-step run's hot facts in a few kilobytes read in order.
 * @module
 */
import { EnumExecutionMode } from '../models/enums.js';
import { handlesFailure } from './conditions.js';
import type { ExecutionPlan, IndexLists } from './plan-types.js';

/** The step needs no decision before it starts: enabled, no `skipOnFailure`, no condition. */
export const STEP_PLAIN = 1;
/** The step's condition is IF_ERROR or IF_TIMEOUT: it runs after a failed dependency. */
export const STEP_HANDLES_FAILURE = 2;
/** The step runs its actions in PARALLEL mode. */
export const STEP_PARALLEL = 4;

/** A plan's hot facts: steps and actions numbered as in `ExecutionPlan`. */
export class PlanColumns {
  /** `STEP_*` bits. */
  readonly stepFlags: Uint8Array;
  readonly stepTimeoutMs: Float64Array;
  /** Number of actions of each step. */
  readonly stepActionCount: Int32Array;
  /** The step's only action, or -1 when it has none or several. */
  readonly stepSingleAction: Int32Array;
  /** Per step, the steps it depends on; and the steps depending on it. */
  readonly stepDeps: IndexLists;
  readonly stepDependents: IndexLists;
  readonly stepIds: readonly string[];
  readonly actionStep: Int32Array;
  readonly actionTimeoutMs: Float64Array;
  /** Index into `targets` of each action's `targetNodeType`. */
  readonly actionTarget: Int32Array;
  readonly actionIds: readonly string[];
  readonly actionData: readonly Readonly<Record<string, unknown>>[];
  /** The distinct target node types of the plan's actions, in first-use order. */
  readonly targets: readonly string[];

  constructor(plan: ExecutionPlan) {
    const ns = plan.steps.length;
    const na = plan.actions.length;
    this.stepFlags = new Uint8Array(ns);
    this.stepTimeoutMs = new Float64Array(ns);
    this.stepActionCount = new Int32Array(ns);
    this.stepSingleAction = new Int32Array(ns);
    const stepIds = new Array<string>(ns);
    for (let s = 0; s < ns; s++) {
      const ps = plan.steps[s]!;
      const step = ps.step;
      let flags = 0;
      if (step.enabled && !step.skipOnFailure && step.condition === undefined) flags |= STEP_PLAIN;
      if (handlesFailure(step)) flags |= STEP_HANDLES_FAILURE;
      if (step.executionMode === EnumExecutionMode.PARALLEL) flags |= STEP_PARALLEL;
      this.stepFlags[s] = flags;
      this.stepTimeoutMs[s] = step.timeoutMs;
      this.stepActionCount[s] = ps.actions.length;
      this.stepSingleAction[s] = ps.actions.length === 1 ? ps.actions[0]! : -1;
      stepIds[s] = step.stepId;
    }
    this.stepIds = stepIds;
    this.stepDeps = indexLists(plan.steps.map((ps) => ps.deps));
    this.stepDependents = indexLists(plan.steps.map((ps) => ps.dependents));
    this.actionStep = new Int32Array(na);
    this.actionTimeoutMs = new Float64Array(na);
    this.actionTarget = new Int32Array(na);
    const actionIds = new Array<string>(na);
    const actionData = new Array<Readonly<Record<string, unknown>>>(na);
    const targetIndex = new Map<string, number>();
    for (let a = 0; a < na; a++) {
      const pa = plan.actions[a]!;
      const { action } = pa;
      this.actionStep[a] = pa.stepIndex;
      this.actionTimeoutMs[a] = action.timeoutMs;
      let t = targetIndex.get(action.targetNodeType);
      if (t === undefined) {
        t = targetIndex.size;
        targetIndex.set(action.targetNodeType, t);
      }
      this.actionTarget[a] = t;
      actionIds[a] = action.actionId;
      actionData[a] = action.operationData;
    }
    this.actionIds = actionIds;
    this.actionData = actionData;
    this.targets = [...targetIndex.keys()];
  }
}

/** `lists` flattened: list `i` is `items[start[i]]` up to `items[start[i + 1]]` (exclusive). */
function indexLists(lists: readonly (readonly number[])[]): IndexLists {
  const start = new Int32Array(lists.length + 1);
  for (let i = 0; i < lists.length; i++) start[i + 1] = start[i]! + lists[i]!.length;
  const items = new Int32Array(start[lists.length]!);
  for (let i = 0; i < lists.length; i++) items.set(lists[i]!, start[i]!);
  return { start, items };
}
