/**
 * Helpers for column-wise run records (the memory store's tables, the output's snapshot): step and action states as
 * small integers (PENDING = 0) for typed arrays, which live off the garbage-collected heap, sparse columns made on
 * their first value, and timestamps as indices into a run's few distinct strings.
 * @module
 */
import { EnumStepState } from './enums.js';

/** Every state, by code. */
export const STATE_BY_CODE: readonly EnumStepState[] = Object.freeze([
  EnumStepState.PENDING,
  EnumStepState.RUNNING,
  EnumStepState.COMPLETED,
  EnumStepState.FAILED,
  EnumStepState.SKIPPED,
  EnumStepState.CANCELLED,
  EnumStepState.TIMEOUT,
  EnumStepState.COMPENSATED,
]);

/** The code of `state` (a switch: the states are interned constants, so each case is one comparison). */
export function stateCode(state: EnumStepState): number {
  switch (state) {
    case EnumStepState.PENDING:
      return 0;
    case EnumStepState.RUNNING:
      return 1;
    case EnumStepState.COMPLETED:
      return 2;
    case EnumStepState.FAILED:
      return 3;
    case EnumStepState.SKIPPED:
      return 4;
    case EnumStepState.CANCELLED:
      return 5;
    case EnumStepState.TIMEOUT:
      return 6;
    default:
      return 7;
  }
}

/** `column` with `value` at `i`; a column of `n` `blank`s is made on the first write (pass `null` until then). */
export function put<T>(column: T[] | null, n: number, blank: T, i: number, value: T): T[] {
  const c = column ?? new Array<T>(n).fill(blank);
  c[i] = value;
  return c;
}

/** `put`, except that writing the blank into a column not made yet makes nothing (`null` stays `null`). */
export function putSparse<T>(column: T[] | null, n: number, blank: T, i: number, value: T): T[] | null {
  return column === null && value === blank ? null : put(column, n, blank, i, value);
}

/**
 * The index of `value` in `values`, appended unless it equals the last one: a run's timestamps come in order and most
 * fall in the same millisecond, so a column of indices into a short list stands for a column of strings.
 */
export function lastOrAppend(values: string[], value: string): number {
  const last = values.length - 1;
  if (last >= 0 && values[last] === value) return last;
  values.push(value);
  return last + 1;
}
