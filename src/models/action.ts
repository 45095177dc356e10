/**
 * `ModelAction`: one unit of work for one node type (spec §2).
 * @module
 */
import { z } from 'zod';
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import { BUILT_ACTION, type WorkflowBuild } from './built.js';
import { EnumActionType } from './enums.js';
import { deepFreeze, EMPTY_LIST, EMPTY_OBJECT, isEmptyObject, type JsonObject } from './json.js';
import {
  enumValue,
  enumValues,
  intField,
  isIntIn,
  isStringIn,
  jsonObjectValue,
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

/** Limits of an action's fields (spec §2; the reference's constants). */
export const ACTION_LIMITS = {
  targetNodeTypeMax: 100,
  priorityMin: 1,
  priorityMax: 10,
  timeoutMinMs: 100,
  timeoutMaxMs: 300_000,
  timeoutDefaultMs: 30_000,
  retryCountMax: 10,
} as const;

const actionShape = {
  actionId: zUuidDefault(),
  actionType: zEnum(EnumActionType),
  targetNodeType: z.string().min(1).max(ACTION_LIMITS.targetNodeTypeMax),
  operationData: zJsonObject.default(() => ({})),
  dependencies: z.array(zUuid).default(() => []),
  priority: z.number().int().min(ACTION_LIMITS.priorityMin).max(ACTION_LIMITS.priorityMax).default(1),
  timeoutMs: z
    .number()
    .int()
    .min(ACTION_LIMITS.timeoutMinMs)
    .max(ACTION_LIMITS.timeoutMaxMs)
    .default(ACTION_LIMITS.timeoutDefaultMs),
  retryCount: z.number().int().min(0).max(ACTION_LIMITS.retryCountMax).default(0),
  metadata: zJsonObject.default(() => ({})),
  // Stored in UTC: an offset is converted, a time without one is read as UTC (as the reference does).
  createdAt: z.iso.datetime({ offset: true, local: true }).transform(toUtc).default(nowIso),
  leaseId: zUuid.optional(),
  epoch: z.number().int().min(0).default(0),
};

/** A validated ISO-8601 time in UTC: an offset is converted, a time without one is read as UTC. */
function toUtc(time: string): string {
  return new Date(/(Z|[+-]\d{2}:?\d{2})$/i.test(time) ? time : `${time}Z`).toISOString();
}

/** Schema of an action as given (camelCase; `payload` is accepted as another name for `operationData`). */
const ActionObject = z.strictObject(actionShape);
/**
 * Compiled by zod (`z.compile`): the same schema with a generated fast path for valid input; invalid input is
 * handed to zod's runtime parser, so the issues (and the messages built from them) are zod's own.
 */
export const ModelActionSchema = z.compile(z.preprocess(acceptPayloadAlias, ActionObject));

/** What `fastAction` reads from the schema. */
const FAST = {
  actionTypes: enumValues(EnumActionType),
  targetNodeType: stringField(actionShape.targetNodeType),
  priority: intField(actionShape.priority),
  timeoutMs: intField(actionShape.timeoutMs),
  retryCount: intField(actionShape.retryCount),
  epoch: intField(actionShape.epoch),
};
/** The keys `fastAction` reads itself (`payload`, `createdAt` and `leaseId` are left to zod). */
const FAST_KEYS = new Set([
  'actionId',
  'actionType',
  'targetNodeType',
  'operationData',
  'dependencies',
  'priority',
  'timeoutMs',
  'retryCount',
  'metadata',
  'epoch',
]);

/**
 * `ModelActionSchema`'s parse of the usual action, built as one object (every field inside it, no copies of empty
 * defaults: the shared frozen empties instead), or undefined when zod must parse it (see `schemas.ts`). Not frozen.
 * @internal exported for the property test that holds it to the schema
 */
export function fastAction(given: unknown): Mutable<ModelAction> | undefined {
  if (typeof given !== 'object' || given === null || Array.isArray(given)) return undefined;
  for (const key in given) if (!FAST_KEYS.has(key)) return undefined;
  const v = given as Record<string, unknown>;
  const actionId = v.actionId === undefined ? randomUuid() : uuidValue(v.actionId);
  const actionType = enumValue(v.actionType, FAST.actionTypes);
  const targetNodeType = v.targetNodeType;
  const operationData = v.operationData === undefined ? EMPTY_OBJECT : jsonObjectValue(v.operationData, EMPTY_OBJECT);
  const dependencies = v.dependencies === undefined ? EMPTY_LIST : uuidListValue(v.dependencies, EMPTY_LIST);
  const priority = v.priority === undefined ? FAST.priority.fallback : v.priority;
  const timeoutMs = v.timeoutMs === undefined ? FAST.timeoutMs.fallback : v.timeoutMs;
  const retryCount = v.retryCount === undefined ? FAST.retryCount.fallback : v.retryCount;
  const metadata = v.metadata === undefined ? EMPTY_OBJECT : jsonObjectValue(v.metadata, EMPTY_OBJECT);
  const epoch = v.epoch === undefined ? FAST.epoch.fallback : v.epoch;
  if (
    actionId === undefined ||
    actionType === undefined ||
    !isStringIn(targetNodeType, FAST.targetNodeType) ||
    operationData === undefined ||
    dependencies === undefined ||
    !isIntIn(priority, FAST.priority) ||
    !isIntIn(timeoutMs, FAST.timeoutMs) ||
    !isIntIn(retryCount, FAST.retryCount) ||
    metadata === undefined ||
    !isIntIn(epoch, FAST.epoch)
  ) {
    return undefined;
  }
  return {
    actionId,
    actionType,
    targetNodeType,
    operationData,
    dependencies,
    priority,
    timeoutMs,
    retryCount,
    metadata,
    createdAt: nowIso(),
    epoch,
  };
}

let nowMs = Number.NaN;
let nowText = '';

/** The current time as ISO-8601 UTC, formatted once per millisecond (a workflow's actions are made in a burst). */
function nowIso(): string {
  const ms = Date.now();
  if (ms !== nowMs) {
    nowMs = ms;
    nowText = new Date(ms).toISOString();
  }
  return nowText;
}

/** An action as given to `createAction` or inside a step: only `actionType` and `targetNodeType` are required. */
export type ModelActionInput = Omit<z.input<typeof ActionObject>, 'dependencies' | 'actionType'> & {
  // Any string is accepted by the type (validated at runtime), so steps built in variables need no `as const`.
  actionType: EnumActionType | Uppercase<EnumActionType> | (string & {});
  dependencies?: readonly string[];
  payload?: JsonObject;
};

/** A validated, frozen action. */
export interface ModelAction {
  readonly actionId: string;
  readonly actionType: EnumActionType;
  readonly targetNodeType: string;
  readonly operationData: Readonly<JsonObject>;
  readonly dependencies: readonly string[];
  readonly priority: number;
  readonly timeoutMs: number;
  readonly retryCount: number;
  readonly metadata: Readonly<JsonObject>;
  readonly createdAt: string;
  readonly leaseId?: string | undefined;
  readonly epoch: number;
}

/** Whether `value` is an action already built by `createAction` (so it need not be parsed again). */
export function isBuiltAction(value: unknown): value is ModelAction {
  return BUILT_ACTION.has(value);
}

/**
 * Validate and freeze an action. Throws `OnexError` VALIDATION_ERROR naming the bad field, or
 * ORCHESTRATOR_SEMANTIC_CYCLE_DETECTED when the action depends on itself.
 */
export function createAction(input: ModelActionInput | ModelAction, where = 'action'): ModelAction {
  return buildAction(input, where);
}

/**
 * `createAction`, with `where` given as a function, called only to word an error (a workflow of 100k actions would
 * otherwise format 100k labels that no error reads), and `workflow` for an action built as part of a workflow (see
 * `WorkflowBuild`): not marked, its id counted when given.
 * @internal
 */
export function buildAction(
  input: ModelActionInput | ModelAction,
  where: string | (() => string),
  workflow?: WorkflowBuild,
): ModelAction {
  if (isBuiltAction(input)) {
    if (workflow) workflow.givenActionIds++;
    return input;
  }
  if (workflow && typeof input === 'object' && input !== null && input.actionId !== undefined) {
    workflow.givenActionIds++;
  }
  let action = fastAction(input);
  if (action === undefined) {
    const parsed = ModelActionSchema.safeParse(input);
    if (!parsed.success) throw validationError(parsed.error, typeof where === 'string' ? where : where());
    action = parsed.data as Mutable<ModelAction>;
    // The parse built fresh objects: empty ones become the shared frozen empties, as `fastAction` gives them.
    action.actionType = ACTION_TYPES.get(action.actionType) ?? action.actionType;
    if (action.dependencies.length === 0) action.dependencies = EMPTY_LIST;
    if (isEmptyObject(action.operationData)) action.operationData = EMPTY_OBJECT;
    if (isEmptyObject(action.metadata)) action.metadata = EMPTY_OBJECT;
  }
  const deps = action.dependencies;
  for (let i = 0; i < deps.length; i++) {
    if (deps[i] === action.actionId) {
      const label = typeof where === 'string' ? where : where();
      throw new OnexError(
        EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_CYCLE_DETECTED,
        `${label} ${action.actionId} depends on itself: ${action.actionId} -> ${action.actionId}`,
        { context: { actionId: action.actionId, cycle: [action.actionId, action.actionId] } },
      );
    }
  }
  Object.freeze(deps);
  deepFreeze(action.operationData);
  deepFreeze(action.metadata);
  if (!workflow) BUILT_ACTION.mark(action);
  return Object.freeze(action);
}

/** The enum values themselves (interned), by value: a parse returns a lowercased copy of what was given. */
const ACTION_TYPES = new Map<string, EnumActionType>(Object.values(EnumActionType).map((t) => [t, t]));

/** A copy of a built action with a new lease and epoch (the only fields that change after planning). */
export function withLease(action: ModelAction, leaseId: string, epoch: number): ModelAction {
  // Not marked as built: a run emits one copy per action, and marking each costs more than re-validating the rare
  // emitted action that is fed back in as input. One literal per key order (as `{ ...action, leaseId, epoch }`
  // orders them: a leaseId the action did not have goes last): a fixed shape, every field inside the object.
  const a = action;
  return Object.freeze(
    'leaseId' in a
      ? {
          actionId: a.actionId,
          actionType: a.actionType,
          targetNodeType: a.targetNodeType,
          operationData: a.operationData,
          dependencies: a.dependencies,
          priority: a.priority,
          timeoutMs: a.timeoutMs,
          retryCount: a.retryCount,
          metadata: a.metadata,
          createdAt: a.createdAt,
          leaseId,
          epoch,
        }
      : {
          actionId: a.actionId,
          actionType: a.actionType,
          targetNodeType: a.targetNodeType,
          operationData: a.operationData,
          dependencies: a.dependencies,
          priority: a.priority,
          timeoutMs: a.timeoutMs,
          retryCount: a.retryCount,
          metadata: a.metadata,
          createdAt: a.createdAt,
          epoch,
          leaseId,
        },
  );
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function acceptPayloadAlias(value: unknown): unknown {
  if (!value || typeof value !== 'object' || !('payload' in value)) return value;
  const { payload, ...rest } = value as Record<string, unknown>;
  if ('operationData' in rest && rest.operationData !== undefined) {
    throw new OnexError(
      EnumCoreErrorCode.VALIDATION_ERROR,
      'invalid action: give either operationData or payload, not both',
      { context: { fields: ['operationData', 'payload'] } },
    );
  }
  return { ...rest, operationData: payload };
}
