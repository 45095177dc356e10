/**
 * `ModelOrchestratorInput`: a workflow to plan or run (spec §2), with reference-style steps expanded into actions
 * exactly as omnibase_core's executor creates them (omnibase-core.md §1, §5).
 * @module
 */
import { z } from 'zod';
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import { createAction } from './action.js';
import { BUILT_INPUT, BUILT_STEP_LIST, markGeneratedIds, type WorkflowBuild } from './built.js';
import {
  EnumActionType,
  EnumExecutionMode,
  EnumFailureStrategy,
  EnumStepType,
  RESERVED_EXECUTION_MODES,
} from './enums.js';
import { deepFreeze } from './json.js';
import { zEnum, zJsonObject, zUuidDefault } from './schemas.js';
import { buildStep, createWorkflowStep, type ModelWorkflowStep, type ModelWorkflowStepInput } from './step.js';
import { parseOrThrow } from './validation.js';

const inputShape = {
  workflowId: zUuidDefault(),
  operationId: zUuidDefault(),
  workflowName: z.string().min(1).max(255).optional(),
  steps: z.array(z.unknown()),
  executionMode: zEnum(EnumExecutionMode).default(EnumExecutionMode.SEQUENTIAL),
  dependencyResolutionEnabled: z.boolean().default(true),
  failureStrategy: zEnum(EnumFailureStrategy).default(EnumFailureStrategy.FAIL_FAST),
  maxParallelSteps: z.number().int().min(1).default(5),
  globalTimeoutMs: z.number().int().min(100).max(86_400_000).default(300_000),
  batchSize: z.number().int().min(1).default(100),
  /** Bulkheads: most actions of one target node type in flight at once in this run (by targetNodeType). */
  nodeConcurrency: z.record(z.string(), z.number().int().min(1)).default(() => ({})),
  inputData: zJsonObject.default(() => ({})),
  metadata: zJsonObject.default(() => ({})),
};

/** Schema of an orchestrator input as given (camelCase); compiled by zod, as `ModelActionSchema` is. */
export const ModelOrchestratorInputSchema = z.compile(z.strictObject(inputShape));

/** An orchestrator input as given: only `steps` is required. */
export type ModelOrchestratorInputInput = Omit<z.input<typeof ModelOrchestratorInputSchema>, 'steps'> & {
  steps: readonly (ModelWorkflowStepInput | ModelWorkflowStep)[];
};

/** A validated, frozen orchestrator input. */
export interface ModelOrchestratorInput
  extends Readonly<Omit<z.output<typeof ModelOrchestratorInputSchema>, 'steps' | 'metadata' | 'inputData'>> {
  readonly steps: readonly ModelWorkflowStep[];
  readonly inputData: Readonly<Record<string, unknown>>;
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** Reference mapping step_type → (action type, target node type) from `_create_action_for_step`. */
export const STEP_TYPE_ACTION_MAP: Readonly<
  Record<string, { actionType: EnumActionType; target: string; kind: string }>
> = {
  [EnumStepType.COMPUTE]: { actionType: EnumActionType.COMPUTE, target: 'NodeCompute', kind: 'process' },
  [EnumStepType.EFFECT]: { actionType: EnumActionType.EFFECT, target: 'NodeEffect', kind: 'execute' },
  [EnumStepType.REDUCER]: { actionType: EnumActionType.REDUCE, target: 'NodeReducer', kind: 'aggregate' },
  [EnumStepType.ORCHESTRATOR]: {
    actionType: EnumActionType.ORCHESTRATE,
    target: 'NodeOrchestrator',
    kind: 'coordinate',
  },
  [EnumStepType.CUSTOM]: { actionType: EnumActionType.CUSTOM, target: 'NodeCustom', kind: 'custom' },
  [EnumStepType.PARALLEL]: { actionType: EnumActionType.CUSTOM, target: 'NodeCustom', kind: 'custom' },
};

/** Validate and freeze an orchestrator input. Throws `OnexError` naming the bad field, step or action. */
export function createOrchestratorInput(
  input: ModelOrchestratorInputInput | ModelOrchestratorInput,
): ModelOrchestratorInput {
  if (BUILT_INPUT.has(input)) return input as ModelOrchestratorInput;
  const parsed = parseOrThrow(ModelOrchestratorInputSchema, input, 'orchestrator input');
  const reserved = RESERVED_EXECUTION_MODES[parsed.executionMode];
  if (reserved) {
    throw new OnexError(
      EnumCoreErrorCode.VALIDATION_ERROR,
      `Execution mode '${parsed.executionMode}' is reserved for ${reserved} and not accepted in v1.0`,
      { context: { executionMode: parsed.executionMode } },
    );
  }
  const given = (input as { steps?: unknown }).steps;
  const steps = BUILT_STEP_LIST.has(given) ? (given as readonly ModelWorkflowStep[]) : buildSteps(parsed);
  const result: ModelOrchestratorInput = { ...parsed, steps };
  BUILT_INPUT.mark(result);
  deepFreeze(result);
  return result;
}

/** The built steps of a parsed input, reference-style ones expanded; frozen and marked as a built step list. */
function buildSteps(parsed: { workflowId: string; steps: unknown[] }): readonly ModelWorkflowStep[] {
  // The parse copied the list: its entries become the built steps in place.
  const steps = parsed.steps as ModelWorkflowStep[];
  const build: WorkflowBuild = { givenActionIds: 0 };
  let references = 0;
  for (let i = 0; i < steps.length; i++) {
    const step = buildStep(steps[i] as ModelWorkflowStepInput, () => `steps[${i}]`, build);
    if (isReferenceStyle(step)) references++;
    steps[i] = step;
  }
  if (references > 0) {
    const referenceIds = new Set(steps.filter(isReferenceStyle).map((s) => s.stepId));
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      if (isReferenceStyle(step)) steps[i] = expandReferenceStep(step, parsed.workflowId, referenceIds);
    }
  }
  BUILT_STEP_LIST.mark(steps);
  Object.freeze(steps);
  // Every action id generated here, none given (a reference step's action takes its step's id: given too).
  if (build.givenActionIds === 0 && references === 0) markGeneratedIds(steps);
  return steps;
}

function isReferenceStyle(step: ModelWorkflowStep): boolean {
  return step.stepType !== undefined && step.actions.length === 0;
}

/**
 * One action per reference step, as the reference executor builds it: mapped type and target,
 * priority = min(step priority, 10), the step's timeout and retries (default 3), and dependencies = the step's
 * `depends_on`. The action id is the step id, so those step ids are also valid action ids.
 */
function expandReferenceStep(
  step: ModelWorkflowStep,
  workflowId: string,
  referenceIds: Set<string>,
): ModelWorkflowStep {
  const mapping = STEP_TYPE_ACTION_MAP[step.stepType as string] ?? STEP_TYPE_ACTION_MAP.custom!;
  const correlationId = step.correlationId ?? crypto.randomUUID();
  const action = createAction(
    {
      actionId: step.stepId,
      actionType: mapping.actionType,
      targetNodeType: mapping.target,
      operationData: { kind: mapping.kind, workflow_id: workflowId, step_id: step.stepId, step_name: step.stepName },
      dependencies: step.dependsOn.filter((id) => referenceIds.has(id)),
      priority: Math.min(step.priority ?? 100, 10),
      timeoutMs: step.timeoutMs,
      retryCount: step.retryCount ?? 3,
      metadata: {
        correlation_id: correlationId,
        parameters: { step_name: step.stepName, correlation_id: correlationId },
      },
    },
    `step '${step.stepName}'`,
  );
  return createWorkflowStep({ ...step, correlationId, actions: [action] } as unknown as ModelWorkflowStepInput);
}
