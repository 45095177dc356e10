/**
 * The planner (spec §3): builds the step and action graphs, rejects bad graphs before anything runs (unknown or
 * duplicate ids, payload limits, cycles with their path), and computes the deterministic order, the waves and the
 * critical path. Pure and O(V + E log V).
 *
 * Planning works on flat arrays (`PlanOutline`: index lists in typed arrays, no object per step): that is all
 * `NodeOrchestrator.plan()` reports from. The scheduler's `ExecutionPlan`, an object per step and per action, is
 * built from the outline when a workflow is run.
 * @module
 */
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import type { ModelAction } from '../models/action.js';
import { hasGeneratedIdsOnly } from '../models/built.js';
import { definitionHash } from '../models/definition-hash.js';
import { jsonByteSize } from '../models/json.js';
import {
  createOrchestratorInput,
  type ModelOrchestratorInput,
  type ModelOrchestratorInputInput,
} from '../models/orchestrator-input.js';
import { compileWhen } from './conditions.js';
import { Heap, KeyHeap } from './heap.js';
import type { ExecutionPlan, IndexLists, PlannedAction, PlannedStep, PlanOutline } from './plan-types.js';

/** Payload limits (the reference's defaults; overridable with the same environment variables). */
export const PAYLOAD_LIMITS = {
  perActionBytes: envInt('ONEX_MAX_STEP_PAYLOAD_SIZE_BYTES', 64 * 1024),
  totalBytes: envInt('ONEX_MAX_TOTAL_PAYLOAD_SIZE_BYTES', 10 * 1024 * 1024),
};

function envInt(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

/** Outlines and plans of built (deep-frozen, so unchangeable) inputs: a workflow prepared once is planned once. */
const outlines = new WeakMap<ModelOrchestratorInput, Outline>();
const plans = new WeakMap<ModelOrchestratorInput, ExecutionPlan>();

/**
 * Validate `input` and compute its plan. Throws `OnexError` naming the offending step or action. An input built
 * with `createOrchestratorInput` is frozen, so its plan is computed once and reused.
 */
export function planWorkflow(raw: ModelOrchestratorInputInput | ModelOrchestratorInput): ExecutionPlan {
  const input = createOrchestratorInput(raw);
  let plan = plans.get(input);
  if (!plan) {
    plan = executionPlan(outlineOf(input));
    plans.set(input, plan);
  }
  return plan;
}

/** Validate `input` and plan it, without the per-step objects of an `ExecutionPlan` (see `PlanOutline`). */
export function outlineWorkflow(raw: ModelOrchestratorInputInput | ModelOrchestratorInput): PlanOutline {
  return outlineOf(createOrchestratorInput(raw));
}

/** The workflow hash of an outline, computed when first asked for (it goes over every payload). */
export function workflowHashOf(outline: PlanOutline): string {
  const o = outline as Outline;
  o.hash ??= definitionHash(o.input, o);
  return o.hash;
}

/** A `PlanOutline` with what the hash needs, and the hash once computed. */
interface Outline extends PlanOutline {
  /** The step index of every `dependsOn` entry, in declaration order (repeats kept). */
  readonly dependsOn: Int32Array;
  hash?: string;
}

function outlineOf(input: ModelOrchestratorInput): Outline {
  let outline = outlines.get(input);
  if (!outline) {
    outline = computeOutline(input);
    outlines.set(input, outline);
  }
  return outline;
}

function computeOutline(input: ModelOrchestratorInput): Outline {
  // A `when` that does not parse is a bad workflow: reject it before anything runs.
  for (let s = 0; s < input.steps.length; s++) {
    const step = input.steps[s]!;
    if (step.when) compileWhen(step.when, step.stepName);
  }
  const n = input.steps.length;
  const stepIndexById = indexSteps(input);
  const index = indexActions(input);
  const { actions, firstAction } = index;
  const resolved = resolveDependencies(input, index, stepIndexById);
  const { stepDeps, localDeps, hasLocalDeps } = resolved;
  const dependents = dependentsOf(stepDeps);
  // Highest action priority, 1 without actions; reference-style steps order by declaration only (the reference
  // ignores priority when ordering).
  const priority = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    let p = 1;
    if (input.steps[s]!.stepType === undefined) {
      for (let a = firstAction[s]!; a < firstAction[s + 1]!; a++)
        if (actions[a]!.priority > p) p = actions[a]!.priority;
    }
    priority[s] = p;
  }

  const order = input.dependencyResolutionEnabled
    ? orderSteps(stepDeps, dependents, priority, (cycle) => cycleError(input, cycle))
    : declaredOrder(input, stepDeps);
  for (let s = 0; s < n; s++) if (hasLocalDeps[s]) checkLocalCycle(input, s, firstAction, actions, localDeps);

  const wave = new Int32Array(n);
  for (const s of order) {
    let w = 0;
    for (let e = stepDeps.start[s]!; e < stepDeps.start[s + 1]!; e++) w = Math.max(w, wave[stepDeps.items[e]!]! + 1);
    wave[s] = w;
  }
  const criticalPathLength = new Int32Array(n);
  for (let i = order.length - 1; i >= 0; i--) {
    const s = order[i]!;
    let c = 1;
    for (let e = dependents.start[s]!; e < dependents.start[s + 1]!; e++) {
      c = Math.max(c, criticalPathLength[dependents.items[e]!]! + 1);
    }
    criticalPathLength[s] = c;
  }
  const orderIndex = new Int32Array(n);
  for (let i = 0; i < order.length; i++) orderIndex[order[i]!] = i;
  const waves: number[][] = [];
  for (const s of order) {
    const level = wave[s]!;
    if (!waves[level]) waves[level] = [];
    waves[level].push(s);
  }
  const actionOrder: number[] = new Array(actions.length);
  let emitted = 0;
  for (const s of order) {
    if (hasLocalDeps[s]) {
      const ids = range(firstAction[s]!, firstAction[s + 1]!);
      for (const a of localActionOrder(ids, actions, localDeps)) actionOrder[emitted++] = a;
    } else {
      for (let a = firstAction[s]!; a < firstAction[s + 1]!; a++) actionOrder[emitted++] = a;
    }
  }
  return {
    input,
    actions,
    firstAction,
    actionStep: index.actionStep,
    actionDeps: resolved.actionDeps,
    localDeps,
    stepDeps,
    dependents,
    priority,
    order,
    wave,
    criticalPathLength,
    orderIndex,
    waves,
    criticalPath: criticalPath(order, dependents, criticalPathLength, orderIndex),
    actionOrder,
    totalPayloadBytes: index.totalPayloadBytes,
    dependsOn: resolved.dependsOn,
  };
}

/** The scheduler's plan: an object per step and per action, their index lists as arrays. */
function executionPlan(outline: Outline): ExecutionPlan {
  const { input, actions, firstAction, actionStep, stepDeps, dependents } = outline;
  const plannedActions: PlannedAction[] = new Array(actions.length);
  for (let a = 0; a < actions.length; a++) {
    plannedActions[a] = {
      index: a,
      stepIndex: actionStep[a]!,
      action: actions[a]!,
      deps: listOf(outline.actionDeps, a),
      localDeps: listOf(outline.localDeps, a),
    };
  }
  const steps: PlannedStep[] = new Array(input.steps.length);
  for (let s = 0; s < steps.length; s++) {
    steps[s] = {
      index: s,
      step: input.steps[s]!,
      actions: range(firstAction[s]!, firstAction[s + 1]!),
      deps: listOf(stepDeps, s),
      dependents: listOf(dependents, s),
      priority: outline.priority[s]!,
      wave: outline.wave[s]!,
      criticalPathLength: outline.criticalPathLength[s]!,
      orderIndex: outline.orderIndex[s]!,
    };
  }
  return {
    input,
    steps,
    actions: plannedActions,
    order: outline.order,
    waves: outline.waves,
    criticalPath: outline.criticalPath,
    actionOrder: outline.actionOrder,
    // Computed when first read (a run's metadata and store record): it goes over every payload.
    get workflowHash(): string {
      return workflowHashOf(outline);
    },
    totalPayloadBytes: outline.totalPayloadBytes,
  };
}

/** Shared by every planned step and action without such indices (frozen, so sharing is safe). */
const NONE: readonly number[] = Object.freeze([]);

/**
 * A list of `length` indices for the caller to fill. Short ones are literals: allocated inline and exactly, where
 * `new Array(n)` costs a call, and `[]` grown by push keeps room for 17 entries (at 100k steps, most of a plan).
 */
function indexList(length: number): number[] {
  switch (length) {
    case 1:
      return [0];
    case 2:
      return [0, 0];
    case 3:
      return [0, 0, 0];
    case 4:
      return [0, 0, 0, 0];
    default:
      return new Array<number>(length);
  }
}

/** The entries of list `i` as an array (the shared empty one when there are none). */
function listOf(lists: IndexLists, i: number): readonly number[] {
  const from = lists.start[i]!;
  const length = lists.start[i + 1]! - from;
  if (length === 0) return NONE;
  const out = indexList(length);
  for (let k = 0; k < length; k++) out[k] = lists.items[from + k]!;
  return out;
}

/** `from`, `from + 1`, … up to `to` (exclusive). */
function range(from: number, to: number): readonly number[] {
  if (to === from) return NONE;
  const out = indexList(to - from);
  for (let k = 0; k < to - from; k++) out[k] = from + k;
  return out;
}

function indexSteps(input: ModelOrchestratorInput): Map<string, number> {
  const byId = new Map<string, number>();
  const steps = input.steps;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    // One hash lookup per id: a repeated id leaves the size unchanged (the first holder is found again to name it).
    byId.set(step.stepId, i);
    if (byId.size !== i + 1) {
      const first = steps.find((other) => other.stepId === step.stepId)!;
      throw new OnexError(
        EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_DUPLICATE_STEP_ID,
        `Workflow contains duplicate step IDs: ${step.stepId} (steps '${first.stepName}' and '${step.stepName}')`,
        { context: { stepId: step.stepId, stepNames: [first.stepName, step.stepName] } },
      );
    }
  }
  return byId;
}

/**
 * Actions numbered step by step in declaration order, so the actions of step `s` are `firstAction[s]` up to
 * `firstAction[s + 1]` (exclusive), and `actionStep[a]` is the step of action `a`.
 */
interface ActionIndex {
  readonly actions: readonly ModelAction[];
  /** Undefined when no action depends on another and every action id was generated (see `indexActions`). */
  readonly actionIndexById: Map<string, number> | undefined;
  readonly firstAction: Int32Array;
  readonly actionStep: Int32Array;
  readonly totalPayloadBytes: number;
}

function indexActions(input: ModelOrchestratorInput): ActionIndex {
  const steps = input.steps;
  const n = steps.length;
  const firstAction = new Int32Array(n + 1);
  for (let s = 0; s < n; s++) firstAction[s + 1] = firstAction[s]! + steps[s]!.actions.length;
  const m = firstAction[n]!;
  const actions: ModelAction[] = new Array(m);
  const actionStep = new Int32Array(m);
  // Action ids are needed to resolve action dependencies, and checked for repeats unless every one is a fresh random
  // uuid (the usual workflow: none given, none depended on): then the planner hashes no action id at all.
  let dependedOn = false;
  for (let s = 0; s < n && !dependedOn; s++)
    for (let k = 0; k < steps[s]!.actions.length; k++) dependedOn ||= steps[s]!.actions[k]!.dependencies.length > 0;
  const actionIndexById = dependedOn || !hasGeneratedIdsOnly(steps) ? new Map<string, number>() : undefined;
  const { perActionBytes, totalBytes } = PAYLOAD_LIMITS;
  let totalPayloadBytes = 0;
  let a = 0;
  for (let s = 0; s < n; s++) {
    const step = steps[s]!;
    // Indexed loops: the model arrays are frozen, and for…of over a frozen array allocates its iterator here.
    for (let k = 0; k < step.actions.length; k++) {
      const action = step.actions[k]!;
      actionIndexById?.set(action.actionId, a);
      if (actionIndexById && actionIndexById.size !== a + 1) {
        const other = steps[actionStep[actions.findIndex((b) => b?.actionId === action.actionId)]!]!;
        throw new OnexError(
          EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_DUPLICATE_STEP_ID,
          `Workflow contains duplicate action IDs: ${action.actionId} (in steps '${other.stepName}' and '${step.stepName}')`,
          { context: { actionId: action.actionId, stepNames: [other.stepName, step.stepName] } },
        );
      }
      const bytes = payloadBytes(action.operationData, step.stepName, action.actionId);
      if (bytes > perActionBytes) {
        throw new OnexError(
          EnumCoreErrorCode.WORKFLOW_PAYLOAD_SIZE_EXCEEDED,
          `step '${step.stepName}' action ${action.actionId}: payload is ${bytes} bytes, over the ${perActionBytes}-byte limit`,
          { context: { stepName: step.stepName, actionId: action.actionId, bytes, limit: perActionBytes } },
        );
      }
      totalPayloadBytes += bytes;
      if (totalPayloadBytes > totalBytes) {
        throw new OnexError(
          EnumCoreErrorCode.WORKFLOW_TOTAL_PAYLOAD_EXCEEDED,
          `workflow payloads exceed the ${totalBytes}-byte total at step '${step.stepName}' action ${action.actionId}`,
          { context: { stepName: step.stepName, actionId: action.actionId, limit: totalBytes } },
        );
      }
      actions[a] = action;
      actionStep[a] = s;
      a++;
    }
  }
  return { actions, actionIndexById, firstAction, actionStep, totalPayloadBytes };
}

function payloadBytes(data: unknown, stepName: string, actionId: string): number {
  try {
    return jsonByteSize(data);
  } catch (err) {
    throw new OnexError(
      EnumCoreErrorCode.VALIDATION_ERROR,
      `step '${stepName}' action ${actionId}: operationData is not JSON (${(err as Error).message})`,
      { context: { stepName, actionId }, cause: err },
    );
  }
}

/**
 * Every dependency as an index: `dependsOn` (all unknown ids and self-dependencies reported first, step by step),
 * then the actions' `dependencies`. A step depends on the steps it names and on the steps of its actions'
 * dependencies in other steps (sorted, each once); an action's dependencies in its own step are its `localDeps`.
 */
function resolveDependencies(input: ModelOrchestratorInput, index: ActionIndex, stepIndexById: Map<string, number>) {
  const { actions, actionIndexById, firstAction, actionStep } = index;
  const steps = input.steps;
  const n = steps.length;
  const m = actions.length;
  const dependsOnStart = new Int32Array(n + 1);
  for (let s = 0; s < n; s++) dependsOnStart[s + 1] = dependsOnStart[s]! + steps[s]!.dependsOn.length;
  const dependsOn = new Int32Array(dependsOnStart[n]!);
  for (let s = 0; s < n; s++) {
    const step = steps[s]!;
    let e = dependsOnStart[s]!;
    for (let k = 0; k < step.dependsOn.length; k++) {
      const id = step.dependsOn[k]!;
      const d = stepIndexById.get(id);
      if (d === undefined) {
        throw new OnexError(
          EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_INVALID_DEPENDENCY,
          `Step '${step.stepName}' depends on non-existent step: ${id}`,
          { context: { stepName: step.stepName, stepId: step.stepId, dependency: id } },
        );
      }
      if (d === s) cycleError(input, [s, s]);
      dependsOn[e++] = d;
    }
  }

  const actionDepsStart = new Int32Array(m + 1);
  for (let a = 0; a < m; a++) actionDepsStart[a + 1] = actionDepsStart[a]! + actions[a]!.dependencies.length;
  const actionDeps = new Int32Array(actionDepsStart[m]!);
  // Same-step dependencies (indices in the step), and how many steps each step gains through its actions.
  const localStart = new Int32Array(m + 1);
  const localItems: number[] = [];
  const hasLocalDeps = new Uint8Array(n);
  let implied = 0;
  for (let a = 0; a < m; a++) {
    const action = actions[a]!;
    const s = actionStep[a]!;
    let e = actionDepsStart[a]!;
    for (let k = 0; k < action.dependencies.length; k++) {
      const id = action.dependencies[k]!;
      const d = actionIndexById!.get(id);
      if (d === undefined) {
        const step = steps[s]!;
        throw new OnexError(
          EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_INVALID_DEPENDENCY,
          `Step '${step.stepName}' action ${action.actionId} depends on non-existent action: ${id}`,
          { context: { stepName: step.stepName, actionId: action.actionId, dependency: id } },
        );
      }
      actionDeps[e++] = d;
      if (actionStep[d] === s) {
        localItems.push(d - firstAction[s]!);
        hasLocalDeps[s] = 1;
      } else {
        implied++;
      }
    }
    localStart[a + 1] = localItems.length;
  }

  // Each step's dependencies once each, sorted: its dependsOn, then the steps of its actions' dependencies.
  const stepDepsStart = new Int32Array(n + 1);
  const stepDepsItems = new Int32Array(dependsOn.length + implied);
  const listed = new Int32Array(n); // listed[d] === s + 1 once d is listed for s
  let end = 0;
  for (let s = 0; s < n; s++) {
    const from = end;
    for (let e = dependsOnStart[s]!; e < dependsOnStart[s + 1]!; e++) {
      const d = dependsOn[e]!;
      if (listed[d] !== s + 1) {
        listed[d] = s + 1;
        stepDepsItems[end++] = d;
      }
    }
    for (let a = firstAction[s]!; a < firstAction[s + 1]!; a++) {
      for (let e = actionDepsStart[a]!; e < actionDepsStart[a + 1]!; e++) {
        const d = actionStep[actionDeps[e]!]!;
        if (d !== s && listed[d] !== s + 1) {
          listed[d] = s + 1;
          stepDepsItems[end++] = d;
        }
      }
    }
    if (end - from > 1) stepDepsItems.subarray(from, end).sort();
    stepDepsStart[s + 1] = end;
  }
  return {
    dependsOn,
    actionDeps: { start: actionDepsStart, items: actionDeps },
    localDeps: { start: localStart, items: Int32Array.from(localItems) },
    hasLocalDeps,
    stepDeps: { start: stepDepsStart, items: stepDepsItems.subarray(0, end) },
  };
}

/** The dependents of every step, each list in declaration order of the dependents. */
function dependentsOf(deps: IndexLists): IndexLists {
  const n = deps.start.length - 1;
  const start = new Int32Array(n + 1);
  for (const d of deps.items) start[d + 1]!++;
  for (let s = 0; s < n; s++) start[s + 1]! += start[s]!;
  const items = new Int32Array(deps.items.length);
  const filled = start.slice(0, n);
  for (let s = 0; s < n; s++) {
    for (let e = deps.start[s]!; e < deps.start[s + 1]!; e++) items[filled[deps.items[e]!]!++] = s;
  }
  return { start, items };
}

/** Kahn's algorithm over the steps; among ready steps the higher priority, then the earlier declared, goes first. */
function orderSteps(
  deps: IndexLists,
  dependents: IndexLists,
  priority: Int32Array,
  onCycle: (cycle: number[]) => never,
): number[] {
  const n = priority.length;
  const remaining = new Int32Array(n);
  for (let s = 0; s < n; s++) remaining[s] = deps.start[s + 1]! - deps.start[s]!;
  // The ready queue orders by one number: (top priority - priority) * n + index, smallest first.
  let top = 0;
  for (let s = 0; s < n; s++) top = Math.max(top, priority[s]!);
  const ready = new KeyHeap(n);
  for (let s = 0; s < n; s++) if (remaining[s] === 0) ready.push((top - priority[s]!) * n + s);
  const order: number[] = new Array(n);
  let ordered = 0;
  while (ready.size > 0) {
    const s = ready.pop() % n;
    order[ordered++] = s;
    for (let e = dependents.start[s]!; e < dependents.start[s + 1]!; e++) {
      const t = dependents.items[e]!;
      if (--remaining[t]! === 0) ready.push((top - priority[t]!) * n + t);
    }
  }
  if (ordered < n)
    onCycle(
      findCycle(
        Array.from({ length: n }, (_, s) => listOf(deps, s)),
        remaining,
      ),
    );
  return order;
}

/** Kahn's algorithm over small lists (a step's actions); same tie-breaking as `orderSteps`. */
function topologicalOrder(
  deps: readonly (readonly number[])[],
  priority: readonly number[],
  onCycle: (cycle: number[]) => never,
): number[] {
  const n = deps.length;
  const dependents: number[][] = deps.map(() => []);
  deps.forEach((ds, i) => {
    for (const d of ds) dependents[d]!.push(i);
  });
  const remaining = new Int32Array(n);
  for (let s = 0; s < n; s++) remaining[s] = deps[s]!.length;
  const ready = new Heap((a, b) => priority[a]! > priority[b]! || (priority[a] === priority[b] && a < b));
  for (let s = 0; s < n; s++) if (remaining[s] === 0) ready.push(s);
  const order: number[] = [];
  while (ready.size > 0) {
    const s = ready.pop()!;
    order.push(s);
    for (const t of dependents[s]!) if (--remaining[t]! === 0) ready.push(t);
  }
  if (order.length < n) onCycle(findCycle(deps, remaining));
  return order;
}

/** With dependency resolution off, declaration order is the order; a dependency on a later step is an error. */
function declaredOrder(input: ModelOrchestratorInput, deps: IndexLists): number[] {
  return input.steps.map((step, s) => {
    // Dependencies are sorted: the last is the latest declared.
    const last = deps.start[s + 1]! > deps.start[s]! ? deps.items[deps.start[s + 1]! - 1]! : -1;
    if (last >= s) {
      let later = deps.start[s]!;
      while (deps.items[later]! < s) later++;
      const other = input.steps[deps.items[later]!]!;
      throw new OnexError(
        EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_INVALID_DEPENDENCY,
        `dependency resolution is disabled, but step '${step.stepName}' depends on step '${other.stepName}' declared after it`,
        { context: { stepName: step.stepName, dependency: other.stepId } },
      );
    }
    return s;
  });
}

/** A cycle among the nodes Kahn could not order (those with `remaining > 0`), as a closed path `[a, b, …, a]`. */
function findCycle(deps: readonly (readonly number[])[], remaining: Int32Array): number[] {
  // Every unordered node has an unordered dependency, so walking dependencies must revisit a node.
  const start = remaining.findIndex((r) => r > 0);
  const position = new Map<number, number>();
  const path: number[] = [];
  let current = start;
  while (!position.has(current)) {
    position.set(current, path.length);
    path.push(current);
    current = deps[current]!.find((d) => remaining[d]! > 0)!;
  }
  // path walks from dependents to dependencies; report it in execution direction (dependency -> dependent).
  const loop = path.slice(position.get(current)!).reverse();
  return [...loop, loop[0]!];
}

function cycleError(input: ModelOrchestratorInput, cycle: number[]): never {
  const names = cycle.map((s) => input.steps[s]!.stepName);
  throw new OnexError(
    EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_CYCLE_DETECTED,
    `Workflow contains dependency cycles: ${names.join(' -> ')}`,
    { context: { cycle: names, stepIds: cycle.map((s) => input.steps[s]!.stepId) } },
  );
}

function checkLocalCycle(
  input: ModelOrchestratorInput,
  s: number,
  firstAction: Int32Array,
  actions: readonly ModelAction[],
  localDeps: IndexLists,
) {
  const ids = range(firstAction[s]!, firstAction[s + 1]!);
  topologicalOrder(
    ids.map((a) => listOf(localDeps, a)),
    ids.map(() => 1),
    (cycle) => {
      const names = cycle.map((i) => actions[ids[i]!]!.actionId);
      throw new OnexError(
        EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_CYCLE_DETECTED,
        `Step '${input.steps[s]!.stepName}' actions form a dependency cycle: ${names.join(' -> ')}`,
        { context: { stepName: input.steps[s]!.stepName, cycle: names } },
      );
    },
  );
}

/** A step's actions (`ids`) in an order that respects their same-step dependencies, by priority otherwise. */
function localActionOrder(
  ids: readonly number[],
  actions: readonly ModelAction[],
  localDeps: IndexLists,
): readonly number[] {
  const deps = ids.map((a) => listOf(localDeps, a));
  if (!deps.some((ds) => ds.length > 0)) return ids;
  const order = topologicalOrder(
    deps,
    ids.map((a) => actions[a]!.priority),
    () => {
      throw new Error('unreachable: cycles are rejected at planning');
    },
  );
  return order.map((i) => ids[i]!);
}

/** A step's actions in an order that respects their same-step dependencies (declaration order otherwise). */
export function localOrder(step: PlannedStep, actions: readonly PlannedAction[]): number[] {
  const ids = step.actions;
  if (!ids.some((i) => actions[i]!.localDeps.length > 0)) return [...ids];
  const order = topologicalOrder(
    ids.map((i) => actions[i]!.localDeps),
    ids.map((i) => actions[i]!.action.priority),
    () => {
      throw new Error('unreachable: cycles are rejected at planning');
    },
  );
  return order.map((i) => ids[i]!);
}

function criticalPath(
  order: readonly number[],
  dependents: IndexLists,
  length: Int32Array,
  orderIndex: Int32Array,
): number[] {
  if (order.length === 0) return [];
  let best = order[0]!;
  for (const s of order) if (length[s]! > length[best]!) best = s;
  const path = [best];
  for (;;) {
    const current = path[path.length - 1]!;
    let next: number | undefined;
    for (let e = dependents.start[current]!; e < dependents.start[current + 1]!; e++) {
      const t = dependents.items[e]!;
      if (length[t] === length[current]! - 1) {
        if (next === undefined || orderIndex[t]! < orderIndex[next]!) next = t;
      }
    }
    if (next === undefined) return path;
    path.push(next);
  }
}
