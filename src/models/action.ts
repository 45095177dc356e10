/**
 * `ModelAction`: one unit of work for one node type (spec §2).
 * @module
 */
import { z } from 'zod';
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import { EnumActionType } from './enums.js';
import { deepFreeze, type JsonObject } from './json.js';
import { zEnum, zJsonObject, zUuid, zUuidDefault } from './schemas.js';
import { parseOrThrow } from './validation.js';

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
  createdAt: z.iso
    .datetime({ offset: true, local: true })
    .transform((s) => new Date(/(Z|[+-]\d{2}:?\d{2})$/i.test(s) ? s : `${s}Z`).toISOString())
    .default(() => new Date().toISOString()),
  leaseId: zUuid.optional(),
  epoch: z.number().int().min(0).default(0),
};

/** Schema of an action as given (camelCase; `payload` is accepted as another name for `operationData`). */
const ActionObject = z.strictObject(actionShape);
export const ModelActionSchema = z.preprocess(acceptPayloadAlias, ActionObject);

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

const built = new WeakSet<object>();

/** Whether `value` is an action already built by `createAction` (so it need not be parsed again). */
export function isBuiltAction(value: unknown): value is ModelAction {
  return typeof value === 'object' && value !== null && built.has(value);
}

/**
 * Validate and freeze an action. Throws `OnexError` VALIDATION_ERROR naming the bad field, or
 * ORCHESTRATOR_SEMANTIC_CYCLE_DETECTED when the action depends on itself.
 */
export function createAction(input: ModelActionInput | ModelAction, where = 'action'): ModelAction {
  if (isBuiltAction(input)) return input;
  const action = parseOrThrow(ModelActionSchema, input, where) as ModelAction;
  if (action.dependencies.includes(action.actionId)) {
    throw new OnexError(
      EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_CYCLE_DETECTED,
      `${where} ${action.actionId} depends on itself: ${action.actionId} -> ${action.actionId}`,
      { context: { actionId: action.actionId, cycle: [action.actionId, action.actionId] } },
    );
  }
  deepFreeze(action);
  built.add(action);
  return action;
}

/** A copy of a built action with a new lease and epoch (the only fields that change after planning). */
export function withLease(action: ModelAction, leaseId: string, epoch: number): ModelAction {
  // Not registered as built: a run emits one copy per action, and registering each costs more than re-validating the
  // rare emitted action that is fed back in as input.
  return Object.freeze({ ...action, leaseId, epoch });
}

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
