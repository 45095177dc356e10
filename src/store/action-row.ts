/**
 * An action as the SQL stores keep it (one row of `onex_actions`), and its mapping to `StoredAction`: one definition
 * for SQLite and PostgreSQL, so both read back exactly the same thing.
 * @module
 */
import type { EnumStepState } from '../models/enums.js';
import { fromJsonColumn } from './json-column.js';
import type { StoredAction } from './store.js';

/** One row of `onex_actions`. */
export interface ActionRow {
  action_id: string;
  step_id: string;
  state: string;
  attempt: number;
  epoch: number;
  lease_id: string;
  result: string | null;
  error_code: string | null;
  error_message: string | null;
  started_at: string | null;
  updated_at: string;
}

/** The stored action a row holds. */
export function actionOf(row: ActionRow): StoredAction {
  return {
    actionId: row.action_id,
    stepId: row.step_id,
    state: row.state as EnumStepState,
    attempt: row.attempt,
    epoch: row.epoch,
    leaseId: row.lease_id,
    result: fromJsonColumn(row.result),
    error: row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? '' },
    startedAt: row.started_at,
    updatedAt: row.updated_at,
  };
}
