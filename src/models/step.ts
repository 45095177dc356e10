/**
 * `ModelWorkflowStep`: a group of actions with a mode, a timeout, dependencies and a condition (spec §2).
 * Reference-style steps (`stepType`, no actions) are accepted and expanded into one action by
 * `createOrchestratorInput`, which knows the workflow id the reference puts into the action's payload.
 * @module
 */
import { z } from 'zod';
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import { buildAction, type ModelAction, type ModelActionInput } from './action.js';
import { BUILT_STEP, type WorkflowBuild } from './built.js';
import { EnumBranchCondition, EnumExecutionMode, EnumStepType, RESERVED_EXECUTION_MODES } from './enums.js';
import { deepFreeze, EMPTY_LIST, EMPTY_OBJECT, isEmptyObject } from './json.js';
import {
  defaultOf,
  enumValue,
  enumValues,
  intField,
  isIntIn,
  isStringIn,
  jsonObjectValue,
  listOf,
  randomUuid,
  stringField,
  uuidListValue,
  uuidValue,
  zEnum,
  zJsonObject,
  zUuid,
  zUuidDefault,
} from './schemas.js';
import { validationError } from './validation.js';

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

/** Schema of a step as given (camelCase); compiled by zod, as `ModelActionSchema` is. */
export const ModelWorkflowStepSchema = z.compile(z.strictObject(stepShape));

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

/** Validate and freeze a step and its actions. Throws `OnexError` naming the step and the field. */
export function createWorkflowStep(
  input: ModelWorkflowStepInput | ModelWorkflowStep,
  where = 'step',
): ModelWorkflowStep {
  return buildStep(input, where);
}

/**
 * `createWorkflowStep`, with `where` given as a function, called only to word an error, and `workflow` for a step
 * built as part of a workflow (see `buildAction`).
 * @internal
 */
export function buildStep(
  input: ModelWorkflowStepInput | ModelWorkflowStep,
  where: string | (() => string),
  workflow?: WorkflowBuild,
): ModelWorkflowStep {
  if (BUILT_STEP.has(input)) {
    if (workflow) workflow.givenActionIds += (input as ModelWorkflowStep).actions.length;
    return input as ModelWorkflowStep;
  }
  let parsed = fastStep(input);
  if (parsed === undefined) {
    const result = ModelWorkflowStepSchema.safeParse(input);
    if (!result.success) throw validationError(result.error, typeof where === 'string' ? where : where());
    parsed = result.data as Mutable<ParsedStep> & { actions: unknown[] };
    parsed.executionMode = MODES.get(parsed.executionMode) ?? parsed.executionMode;
  }
  // Made into the step in place, then frozen.
  const step = parsed;
  const label = () => `${typeof where === 'string' ? where : where()} '${step.stepName}'`;
  if (step.executionMode !== EnumExecutionMode.SEQUENTIAL) checkStepMode(step.executionMode, label);
  const stepType = checkStepType(step.stepType, label);
  const condition = step.condition ?? (step.when || step.conditionFunction ? EnumBranchCondition.CUSTOM : undefined);
  if (condition !== undefined || step.when !== undefined) checkCondition(step, condition, label);
  const actions = step.actions;
  for (let i = 0; i < actions.length; i++) {
    actions[i] = buildAction(actions[i] as ModelActionInput, () => `${label()} actions[${i}]`, workflow);
  }
  // Set in place: same fields, same key order as `{ ...parsed, condition, stepType }`.
  step.condition = condition;
  (step as { stepType?: EnumStepType }).stepType = stepType;
  // Fresh objects from the parse: the empty ones become the shared frozen empties, the others are frozen (user data
  // deeply: the parse copied the top level only).
  if (actions.length === 0) step.actions = EMPTY_LIST as never[];
  else Object.freeze(actions);
  if (step.dependsOn.length === 0) step.dependsOn = EMPTY_LIST as never[];
  else Object.freeze(step.dependsOn);
  if (isEmptyObject(step.metadata)) step.metadata = EMPTY_OBJECT;
  else deepFreeze(step.metadata);
  if (step.compensation) deepFreeze(step.compensation);
  if (!workflow) BUILT_STEP.mark(step);
  return Object.freeze(step) as unknown as ModelWorkflowStep;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** What `fastStep` reads from the schema. */
const FAST = {
  modes: enumValues(EnumExecutionMode),
  defaultMode: defaultOf<EnumExecutionMode>(stepShape.executionMode),
  stepName: stringField(stepShape.stepName),
  timeoutMs: intField(stepShape.timeoutMs),
  enabled: defaultOf<boolean>(stepShape.enabled),
  skipOnFailure: defaultOf<boolean>(stepShape.skipOnFailure),
};
/** The keys `fastStep` reads itself: a step without condition, compensation, tolerances or reference fields. */
const FAST_KEYS = new Set([
  'stepId',
  'stepName',
  'executionMode',
  'actions',
  'timeoutMs',
  'metadata',
  'dependsOn',
  'enabled',
  'skipOnFailure',
]);

/**
 * `ModelWorkflowStepSchema`'s parse of the usual step (with `condition` and `stepType` added, undefined, as
 * `buildStep` adds them), built as one object with a fresh `actions` list to build the actions into; or undefined
 * when zod must parse it (see `schemas.ts`). Not frozen.
 * @internal exported for the property test that holds it to the schema
 */
export function fastStep(given: unknown): (Mutable<ParsedStep> & { actions: unknown[] }) | undefined {
  if (typeof given !== 'object' || given === null || Array.isArray(given)) return undefined;
  for (const key in given) if (!FAST_KEYS.has(key)) return undefined;
  const v = given as Record<string, unknown>;
  const stepId = v.stepId === undefined ? randomUuid() : uuidValue(v.stepId);
  const stepName = v.stepName;
  const executionMode = v.executionMode === undefined ? FAST.defaultMode : enumValue(v.executionMode, FAST.modes);
  const list = v.actions;
  const timeoutMs = v.timeoutMs === undefined ? FAST.timeoutMs.fallback : v.timeoutMs;
  const metadata = v.metadata === undefined ? EMPTY_OBJECT : jsonObjectValue(v.metadata, EMPTY_OBJECT);
  const dependsOn = v.dependsOn === undefined ? EMPTY_LIST : uuidListValue(v.dependsOn, EMPTY_LIST);
  const enabled = v.enabled === undefined ? FAST.enabled : v.enabled;
  const skipOnFailure = v.skipOnFailure === undefined ? FAST.skipOnFailure : v.skipOnFailure;
  if (
    stepId === undefined ||
    !isStringIn(stepName, FAST.stepName) ||
    executionMode === undefined ||
    (list !== undefined && !Array.isArray(list)) ||
    !isIntIn(timeoutMs, FAST.timeoutMs) ||
    metadata === undefined ||
    dependsOn === undefined ||
    typeof enabled !== 'boolean' ||
    typeof skipOnFailure !== 'boolean'
  ) {
    return undefined;
  }
  const actions: unknown[] = list === undefined ? [] : listOf<unknown>(list.length, undefined);
  if (list !== undefined) for (let i = 0; i < list.length; i++) actions[i] = list[i];
  return {
    stepId,
    stepName,
    executionMode,
    actions,
    timeoutMs,
    metadata,
    dependsOn: dependsOn as string[],
    enabled,
    skipOnFailure,
    condition: undefined,
    stepType: undefined,
  };
}

/** The enum values themselves (interned), by value: a parse returns a lowercased copy of what was given. */
const MODES = new Map<string, EnumExecutionMode>(Object.values(EnumExecutionMode).map((m) => [m, m]));

function checkStepMode(mode: EnumExecutionMode, label: () => string): void {
  const reserved = RESERVED_EXECUTION_MODES[mode];
  if (reserved) {
    throw new OnexError(
      EnumCoreErrorCode.VALIDATION_ERROR,
      `${label()}: execution mode '${mode}' is reserved for ${reserved} and not accepted in v1.0`,
      { context: { executionMode: mode } },
    );
  }
  if (mode === EnumExecutionMode.BATCH) {
    throw new OnexError(
      EnumCoreErrorCode.VALIDATION_ERROR,
      `${label()}: a step's own actions run 'sequential' or 'parallel'; 'batch' is a workflow execution mode`,
      { context: { executionMode: mode } },
    );
  }
}

const STEP_TYPES = new Set<string>(Object.values(EnumStepType));

function checkStepType(stepType: string | undefined, label: () => string): EnumStepType | undefined {
  if (stepType === undefined) return undefined;
  const value = stepType.toLowerCase();
  if (value === 'conditional') {
    throw new OnexError(
      EnumCoreErrorCode.VALIDATION_ERROR,
      `${label()}: step type 'conditional' is reserved for v1.1+ and not accepted in v1.0`,
      { context: { stepType } },
    );
  }
  if (!STEP_TYPES.has(value)) {
    throw new OnexError(
      EnumCoreErrorCode.ORCHESTRATOR_STRUCT_INVALID_STEP_TYPE,
      `${label()}: unknown step type '${stepType}' (expected one of ${Object.values(EnumStepType).join(', ')})`,
      { context: { stepType } },
    );
  }
  return value as EnumStepType;
}

function checkCondition(
  step: Pick<ParsedStep, 'conditionKey' | 'conditionFunction' | 'when'>,
  condition: EnumBranchCondition | undefined,
  label: () => string,
) {
  const fail = (message: string) => {
    throw new OnexError(EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_INVALID_CONDITION, `${label()}: ${message}`, {
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
