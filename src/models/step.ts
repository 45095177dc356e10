/**
 * `ModelWorkflowStep`: a group of actions with a mode, a timeout, dependencies and a condition (spec §2).
 * Reference-style steps (`stepType`, no actions) are accepted and expanded into one action by
 * `createOrchestratorInput`, which knows the workflow id the reference puts into the action's payload.
 * @module
 */
import { z } from 'zod';
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import { createAction, type ModelAction, type ModelActionInput } from './action.js';
import { EnumBranchCondition, EnumExecutionMode, EnumStepType, RESERVED_EXECUTION_MODES } from './enums.js';
import { deepFreeze } from './json.js';
import { zEnum, zJsonObject, zUuid, zUuidDefault } from './schemas.js';
import { parseOrThrow } from './validation.js';

/** `conditionFunction(step, previousResults)`: CUSTOM condition in code; previousResults are earlier step outputs. */
export type ConditionFunction = (step: ModelWorkflowStep, previousResults: readonly unknown[]) => boolean;

const stepShape = {
  stepId: zUuidDefault(),
  stepName: z.string().min(1).max(255),
  executionMode: zEnum(EnumExecutionMode).default(EnumExecutionMode.SEQUENTIAL),
  actions: z.array(z.unknown()).default(() => []),
  timeoutMs: z.number().int().min(100).max(300_000).default(30_000),
  metadata: zJsonObject.default(() => ({})),
  dependsOn: z.array(zUuid).default(() => []),
  condition: zEnum(EnumBranchCondition).optional(),
  conditionKey: z.string().min(1).optional(),
  conditionFunction: z.custom<ConditionFunction>((v) => typeof v === 'function', 'expected a function').optional(),
  when: z.string().min(1).optional(),
  enabled: z.boolean().default(true),
  skipOnFailure: z.boolean().default(false),
  compensation: z
    .strictObject({
      targetNodeType: z.string().min(1).max(100),
      operationData: zJsonObject.default(() => ({})),
      retryCount: z.number().int().min(0).max(10).optional(),
      timeoutMs: z.number().int().min(100).max(300_000).optional(),
    })
    .optional(),
  toleratedFailureCount: z.number().int().min(0).optional(),
  toleratedFailurePercentage: z.number().min(0).max(100).optional(),
  // Reference-style fields (omnibase_core ModelWorkflowStep).
  stepType: z.string().optional(),
  correlationId: zUuid.optional(),
  priority: z.number().int().min(1).max(1000).optional(),
  retryCount: z.number().int().min(0).max(10).optional(),
  errorAction: z.enum(['stop', 'continue', 'retry', 'compensate']).optional(),
  continueOnError: z.boolean().optional(),
  orderIndex: z.number().int().min(0).optional(),
  parallelGroup: z.string().max(100).optional(),
  maxParallelInstances: z.number().int().min(1).max(100).optional(),
  maxMemoryMb: z.number().int().min(1).max(32_768).optional(),
  maxCpuPercent: z.number().int().min(1).max(100).optional(),
};

/** Schema of a step as given (camelCase). */
export const ModelWorkflowStepSchema = z.strictObject(stepShape);

/** A step as given: only `stepName` is required (plus `actions`, or a reference `stepType`). */
export type ModelWorkflowStepInput = Omit<z.input<typeof ModelWorkflowStepSchema>, 'actions'> & {
  actions?: readonly (ModelActionInput | ModelAction)[];
};

type ParsedStep = z.output<typeof ModelWorkflowStepSchema>;

/** A validated, frozen step. */
export interface ModelWorkflowStep extends Readonly<Omit<ParsedStep, 'actions' | 'dependsOn' | 'metadata'>> {
  readonly actions: readonly ModelAction[];
  readonly dependsOn: readonly string[];
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly stepType?: EnumStepType | undefined;
}

const built = new WeakSet<object>();

/** Validate and freeze a step and its actions. Throws `OnexError` naming the step and the field. */
export function createWorkflowStep(
  input: ModelWorkflowStepInput | ModelWorkflowStep,
  where = 'step',
): ModelWorkflowStep {
  if (typeof input === 'object' && input !== null && built.has(input)) return input as ModelWorkflowStep;
  const parsed = parseOrThrow(ModelWorkflowStepSchema, input, where);
  const label = `${where} '${parsed.stepName}'`;
  checkStepMode(parsed.executionMode, label);
  const stepType = checkStepType(parsed.stepType, label);
  const condition =
    parsed.condition ?? (parsed.when || parsed.conditionFunction ? EnumBranchCondition.CUSTOM : undefined);
  checkCondition({ ...parsed, condition }, label);
  const actions = parsed.actions.map((a, i) => createAction(a as ModelActionInput, `${label} actions[${i}]`));
  const step: ModelWorkflowStep = { ...parsed, condition, stepType, actions: Object.freeze(actions) };
  deepFreeze(step);
  built.add(step);
  return step;
}

function checkStepMode(mode: EnumExecutionMode, label: string): void {
  const reserved = RESERVED_EXECUTION_MODES[mode];
  if (reserved) {
    throw new OnexError(
      EnumCoreErrorCode.VALIDATION_ERROR,
      `${label}: execution mode '${mode}' is reserved for ${reserved} and not accepted in v1.0`,
      { context: { executionMode: mode } },
    );
  }
  if (mode === EnumExecutionMode.BATCH) {
    throw new OnexError(
      EnumCoreErrorCode.VALIDATION_ERROR,
      `${label}: a step's own actions run 'sequential' or 'parallel'; 'batch' is a workflow execution mode`,
      { context: { executionMode: mode } },
    );
  }
}

function checkStepType(stepType: string | undefined, label: string): EnumStepType | undefined {
  if (stepType === undefined) return undefined;
  const value = stepType.toLowerCase();
  if (value === 'conditional') {
    throw new OnexError(
      EnumCoreErrorCode.VALIDATION_ERROR,
      `${label}: step type 'conditional' is reserved for v1.1+ and not accepted in v1.0`,
      { context: { stepType } },
    );
  }
  if (!(Object.values(EnumStepType) as string[]).includes(value)) {
    throw new OnexError(
      EnumCoreErrorCode.ORCHESTRATOR_STRUCT_INVALID_STEP_TYPE,
      `${label}: unknown step type '${stepType}' (expected one of ${Object.values(EnumStepType).join(', ')})`,
      { context: { stepType } },
    );
  }
  return value as EnumStepType;
}

function checkCondition(
  step: Pick<ParsedStep, 'condition' | 'conditionKey' | 'conditionFunction' | 'when'>,
  label: string,
) {
  const { condition } = step;
  const fail = (message: string) => {
    throw new OnexError(EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_INVALID_CONDITION, `${label}: ${message}`, {
      context: { condition },
    });
  };
  if ((condition === EnumBranchCondition.IF_TRUE || condition === EnumBranchCondition.IF_FALSE) && !step.conditionKey) {
    fail(`condition '${condition}' needs a conditionKey (a dotted path into the dependencies' results)`);
  }
  if (condition === EnumBranchCondition.CUSTOM && !step.conditionFunction && !step.when) {
    fail(`condition 'custom' needs a conditionFunction or a 'when' expression`);
  }
  if (step.when && step.conditionFunction) fail(`give either conditionFunction or 'when', not both`);
  if (step.when && condition !== EnumBranchCondition.CUSTOM)
    fail(`'when' goes with condition 'custom', not '${condition}'`);
}
