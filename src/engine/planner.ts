/**
 * The planner (spec §3): builds the step and action graphs, rejects bad graphs before anything runs (unknown or
 * duplicate ids, payload limits, cycles with their path), and computes the deterministic order, the waves and the
 * critical path. Pure and O(V + E log V).
 * @module
 */
import { createHash } from 'node:crypto';
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import { canonicalJson, jsonByteSize } from '../models/json.js';
import {
  createOrchestratorInput,
  type ModelOrchestratorInput,
  type ModelOrchestratorInputInput,
} from '../models/orchestrator-input.js';
import { compileWhen } from './conditions.js';
import { Heap } from './heap.js';
import type { ExecutionPlan, PlannedAction, PlannedStep } from './plan-types.js';

/** Payload limits (the reference's defaults; overridable with the same environment variables). */
export const PAYLOAD_LIMITS = {
  perActionBytes: envInt('ONEX_MAX_STEP_PAYLOAD_SIZE_BYTES', 64 * 1024),
  totalBytes: envInt('ONEX_MAX_TOTAL_PAYLOAD_SIZE_BYTES', 10 * 1024 * 1024),
};

function envInt(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

/** Plans of built (deep-frozen, so unchangeable) inputs: a workflow prepared once is planned once. */
const plans = new WeakMap<ModelOrchestratorInput, ExecutionPlan>();

/**
 * Validate `input` and compute its plan. Throws `OnexError` naming the offending step or action. An input built
 * with `createOrchestratorInput` is frozen, so its plan is computed once and reused.
 */
export function planWorkflow(raw: ModelOrchestratorInputInput | ModelOrchestratorInput): ExecutionPlan {
  const input = createOrchestratorInput(raw);
  let plan = plans.get(input);
  if (!plan) {
    plan = computePlan(input);
    plans.set(input, plan);
  }
  return plan;
}

function computePlan(input: ModelOrchestratorInput): ExecutionPlan {
  // A `when` that does not parse is a bad workflow: reject it before anything runs.
  for (const step of input.steps) if (step.when) compileWhen(step.when, step.stepName);
  const stepIndexById = indexSteps(input);
  const { actions, actionIndexById, totalPayloadBytes } = indexActions(input);
  const { plannedActions, stepDeps } = resolveDependencies(input, actions, actionIndexById, stepIndexById);
  const n = input.steps.length;
  const dependents: number[][] = Array.from({ length: n }, () => []);
  for (let s = 0; s < n; s++) for (const d of stepDeps[s]!) dependents[d]!.push(s);
  const stepActions: number[][] = Array.from({ length: n }, () => []);
  for (const a of plannedActions) stepActions[a.stepIndex]!.push(a.index);
  // Reference-style steps order by declaration only (the reference ignores priority when ordering).
  const priority = stepActions.map((ids, s) =>
    input.steps[s]!.stepType !== undefined
      ? 1
      : ids.reduce((p, i) => Math.max(p, plannedActions[i]!.action.priority), 1),
  );

  const order = input.dependencyResolutionEnabled
    ? topologicalOrder(n, stepDeps, dependents, priority, (cycle) => cycleError(input, cycle))
    : declaredOrder(input, stepDeps);
  for (let s = 0; s < n; s++) checkLocalCycle(input, s, stepActions[s]!, plannedActions);

  const wave = new Array<number>(n).fill(0);
  for (const s of order) for (const d of stepDeps[s]!) wave[s] = Math.max(wave[s]!, wave[d]! + 1);
  const cpl = new Array<number>(n).fill(1);
  for (let i = order.length - 1; i >= 0; i--) {
    const s = order[i]!;
    for (const t of dependents[s]!) cpl[s] = Math.max(cpl[s]!, cpl[t]! + 1);
  }
  const orderIndex = new Array<number>(n);
  order.forEach((s, i) => {
    orderIndex[s] = i;
  });

  const steps: PlannedStep[] = input.steps.map((step, s) => ({
    index: s,
    step,
    actions: stepActions[s]!,
    deps: stepDeps[s]!,
    dependents: dependents[s]!,
    priority: priority[s]!,
    wave: wave[s]!,
    criticalPathLength: cpl[s]!,
    orderIndex: orderIndex[s]!,
  }));
  const waves: number[][] = [];
  for (const s of order) {
    const level = wave[s]!;
    if (!waves[level]) waves[level] = [];
    waves[level].push(s);
  }
  const actionOrder: number[] = [];
  for (const s of order) for (const a of localOrder(steps[s]!, plannedActions)) actionOrder.push(a);

  return {
    input,
    steps,
    actions: plannedActions,
    order,
    waves,
    criticalPath: criticalPath(steps, order),
    actionOrder,
    workflowHash: hashDefinition(input, stepIndexById, actionIndexById),
    totalPayloadBytes,
  };
}

function indexSteps(input: ModelOrchestratorInput): Map<string, number> {
  const byId = new Map<string, number>();
  input.steps.forEach((step, i) => {
    const seen = byId.get(step.stepId);
    if (seen !== undefined) {
      const first = input.steps[seen]!;
      throw new OnexError(
        EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_DUPLICATE_STEP_ID,
        `Workflow contains duplicate step IDs: ${step.stepId} (steps '${first.stepName}' and '${step.stepName}')`,
        { context: { stepId: step.stepId, stepNames: [first.stepName, step.stepName] } },
      );
    }
    byId.set(step.stepId, i);
  });
  return byId;
}

function indexActions(input: ModelOrchestratorInput) {
  const actions: { stepIndex: number; action: ModelOrchestratorInput['steps'][number]['actions'][number] }[] = [];
  const actionIndexById = new Map<string, number>();
  let totalPayloadBytes = 0;
  input.steps.forEach((step, s) => {
    for (const action of step.actions) {
      const seen = actionIndexById.get(action.actionId);
      if (seen !== undefined) {
        const other = input.steps[actions[seen]!.stepIndex]!;
        throw new OnexError(
          EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_DUPLICATE_STEP_ID,
          `Workflow contains duplicate action IDs: ${action.actionId} (in steps '${other.stepName}' and '${step.stepName}')`,
          { context: { actionId: action.actionId, stepNames: [other.stepName, step.stepName] } },
        );
      }
      const bytes = payloadBytes(action.operationData, step.stepName, action.actionId);
      if (bytes > PAYLOAD_LIMITS.perActionBytes) {
        throw new OnexError(
          EnumCoreErrorCode.WORKFLOW_PAYLOAD_SIZE_EXCEEDED,
          `step '${step.stepName}' action ${action.actionId}: payload is ${bytes} bytes, over the ${PAYLOAD_LIMITS.perActionBytes}-byte limit`,
          {
            context: {
              stepName: step.stepName,
              actionId: action.actionId,
              bytes,
              limit: PAYLOAD_LIMITS.perActionBytes,
            },
          },
        );
      }
      totalPayloadBytes += bytes;
      if (totalPayloadBytes > PAYLOAD_LIMITS.totalBytes) {
        throw new OnexError(
          EnumCoreErrorCode.WORKFLOW_TOTAL_PAYLOAD_EXCEEDED,
          `workflow payloads exceed the ${PAYLOAD_LIMITS.totalBytes}-byte total at step '${step.stepName}' action ${action.actionId}`,
          { context: { stepName: step.stepName, actionId: action.actionId, limit: PAYLOAD_LIMITS.totalBytes } },
        );
      }
      actionIndexById.set(action.actionId, actions.length);
      actions.push({ stepIndex: s, action });
    }
  });
  return { actions, actionIndexById, totalPayloadBytes };
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

function resolveDependencies(
  input: ModelOrchestratorInput,
  actions: ReturnType<typeof indexActions>['actions'],
  actionIndexById: Map<string, number>,
  stepIndexById: Map<string, number>,
) {
  const stepDepSets = input.steps.map(() => new Set<number>());
  input.steps.forEach((step, s) => {
    for (const id of step.dependsOn) {
      const d = stepIndexById.get(id);
      if (d === undefined) {
        throw new OnexError(
          EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_INVALID_DEPENDENCY,
          `Step '${step.stepName}' depends on non-existent step: ${id}`,
          { context: { stepName: step.stepName, stepId: step.stepId, dependency: id } },
        );
      }
      if (d === s) throwCycle(input, [s, s]);
      stepDepSets[s]!.add(d);
    }
  });
  const localIndex = new Map<number, number>();
  const perStepCount = new Array<number>(input.steps.length).fill(0);
  actions.forEach((a, i) => {
    localIndex.set(i, perStepCount[a.stepIndex]!);
    perStepCount[a.stepIndex]!++;
  });
  const plannedActions: PlannedAction[] = actions.map(({ stepIndex, action }, index) => {
    const deps: number[] = [];
    const localDeps: number[] = [];
    for (const id of action.dependencies) {
      const d = actionIndexById.get(id);
      if (d === undefined) {
        const step = input.steps[stepIndex]!;
        throw new OnexError(
          EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_INVALID_DEPENDENCY,
          `Step '${step.stepName}' action ${action.actionId} depends on non-existent action: ${id}`,
          { context: { stepName: step.stepName, actionId: action.actionId, dependency: id } },
        );
      }
      deps.push(d);
      const depStep = actions[d]!.stepIndex;
      if (depStep === stepIndex) localDeps.push(localIndex.get(d)!);
      else stepDepSets[stepIndex]!.add(depStep);
    }
    return { index, stepIndex, action, deps, localDeps };
  });
  const stepDeps = stepDepSets.map((set) => [...set].sort((a, b) => a - b));
  return { plannedActions, stepDeps };
}

/** Kahn's algorithm; among ready steps the higher priority, then the earlier declared, goes first. */
function topologicalOrder(
  n: number,
  deps: readonly (readonly number[])[],
  dependents: readonly (readonly number[])[],
  priority: readonly number[],
  onCycle: (cycle: number[]) => never,
): number[] {
  const remaining = deps.map((d) => d.length);
  const ready = new Heap((a, b) => priority[a]! > priority[b]! || (priority[a] === priority[b] && a < b));
  for (let s = 0; s < n; s++) if (remaining[s] === 0) ready.push(s);
  const order: number[] = [];
  while (ready.size > 0) {
    const s = ready.pop()!;
    order.push(s);
    for (const t of dependents[s]!) if (--remaining[t]! === 0) ready.push(t);
  }
  if (order.length < n) onCycle(findCycle(n, deps, remaining));
  return order;
}

/** With dependency resolution off, declaration order is the order; a dependency on a later step is an error. */
function declaredOrder(input: ModelOrchestratorInput, deps: readonly (readonly number[])[]): number[] {
  return input.steps.map((step, s) => {
    const later = deps[s]!.find((d) => d >= s);
    if (later !== undefined) {
      throw new OnexError(
        EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_INVALID_DEPENDENCY,
        `dependency resolution is disabled, but step '${step.stepName}' depends on step '${input.steps[later]!.stepName}' declared after it`,
        { context: { stepName: step.stepName, dependency: input.steps[later]!.stepId } },
      );
    }
    return s;
  });
}

/** A cycle among the nodes Kahn could not order (those with `remaining > 0`), as a closed path `[a, b, …, a]`. */
function findCycle(_n: number, deps: readonly (readonly number[])[], remaining: readonly number[]): number[] {
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

function throwCycle(input: ModelOrchestratorInput, cycle: number[]): never {
  return cycleError(input, cycle);
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
  ids: readonly number[],
  actions: readonly PlannedAction[],
) {
  if (!ids.some((i) => actions[i]!.localDeps.length > 0)) return;
  const deps = ids.map((i) => actions[i]!.localDeps);
  const dependents: number[][] = ids.map(() => []);
  deps.forEach((ds, i) => {
    for (const d of ds) dependents[d]!.push(i);
  });
  topologicalOrder(
    ids.length,
    deps,
    dependents,
    ids.map(() => 1),
    (cycle) => {
      const names = cycle.map((i) => actions[ids[i]!]!.action.actionId);
      throw new OnexError(
        EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_CYCLE_DETECTED,
        `Step '${input.steps[s]!.stepName}' actions form a dependency cycle: ${names.join(' -> ')}`,
        { context: { stepName: input.steps[s]!.stepName, cycle: names } },
      );
    },
  );
}

/** A step's actions in an order that respects their same-step dependencies (declaration order otherwise). */
export function localOrder(step: PlannedStep, actions: readonly PlannedAction[]): number[] {
  const ids = step.actions;
  if (!ids.some((i) => actions[i]!.localDeps.length > 0)) return [...ids];
  const deps = ids.map((i) => actions[i]!.localDeps);
  const dependents: number[][] = ids.map(() => []);
  deps.forEach((ds, i) => {
    for (const d of ds) dependents[d]!.push(i);
  });
  const prio = ids.map((i) => actions[i]!.action.priority);
  return topologicalOrder(ids.length, deps, dependents, prio, () => {
    throw new Error('unreachable: cycles are rejected at planning');
  }).map((i) => ids[i]!);
}

function criticalPath(steps: readonly PlannedStep[], order: readonly number[]): number[] {
  if (steps.length === 0) return [];
  let best = order[0]!;
  for (const s of order) if (steps[s]!.criticalPathLength > steps[best]!.criticalPathLength) best = s;
  const path = [best];
  for (;;) {
    const current = steps[path[path.length - 1]!]!;
    let next: number | undefined;
    for (const t of current.dependents) {
      if (steps[t]!.criticalPathLength === current.criticalPathLength - 1) {
        if (next === undefined || steps[t]!.orderIndex < steps[next]!.orderIndex) next = t;
      }
    }
    if (next === undefined) return path;
    path.push(next);
  }
}

/**
 * Hash of the canonical definition with every id replaced by its position, so reloading the same file gives the same
 * hash. Model fields go in a fixed order (arrays, no key sorting needed); user data (operation data, compensation)
 * is canonical JSON (sorted keys). Fed to the hash step by step: no copy of the whole definition is built.
 */
function hashDefinition(
  input: ModelOrchestratorInput,
  stepIndexById: Map<string, number>,
  actionIndexById: Map<string, number>,
): string {
  const position = new Map<string, string>();
  input.steps.forEach((step, s) => {
    step.actions.forEach((a, i) => {
      position.set(a.actionId, `${s}.${i}`);
    });
  });
  const where = (id: string) => position.get(id) ?? actionIndexById.get(id) ?? null;
  const hash = createHash('sha256');
  hash.update(
    JSON.stringify([
      input.workflowName ?? null,
      input.executionMode,
      input.failureStrategy,
      input.maxParallelSteps,
      input.globalTimeoutMs,
      input.batchSize,
    ]),
  );
  for (const step of input.steps) {
    hash.update(
      JSON.stringify([
        step.stepName,
        step.executionMode,
        step.timeoutMs,
        step.dependsOn.map((id) => stepIndexById.get(id) ?? null),
        step.condition ?? null,
        step.conditionKey ?? null,
        step.when ?? null,
        step.enabled,
        step.skipOnFailure,
      ]),
    );
    hash.update(step.compensation ? canonicalJson(step.compensation) : 'null');
    for (const a of step.actions) {
      hash.update(
        JSON.stringify([
          a.actionType,
          a.targetNodeType,
          a.dependencies.map(where),
          a.priority,
          a.timeoutMs,
          a.retryCount,
        ]),
      );
      hash.update(canonicalJson(a.operationData));
    }
  }
  return hash.digest('hex');
}
