/**
 * Helpers for column-wise run records (the memory store's tables, the output's snapshot): step and action states as
 * small integers (PENDING = 0) for typed arrays, which live off the garbage-collected heap, and sparse columns made on
 * their first value.
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

/**
 * Typed columns of `rows` rows carved out of one buffer: making an `ArrayBuffer` costs microseconds (it lives off the
 * collected heap), so a record with seven numeric columns makes one, not seven. Ask for wider columns first.
 */
export class ColumnBuffer {
  private readonly buffer: ArrayBuffer;
  private offset = 0;

  constructor(
    private readonly rows: number,
    columns: { readonly float64?: number; readonly int32?: number; readonly uint8?: number },
  ) {
    const { float64 = 0, int32 = 0, uint8 = 0 } = columns;
    this.buffer = new ArrayBuffer(rows * (8 * float64 + 4 * int32 + uint8) + 8);
  }

  float64(): Float64Array {
    return new Float64Array(this.buffer, this.take(8), this.rows);
  }

  int32(): Int32Array {
    return new Int32Array(this.buffer, this.take(4), this.rows);
  }

  uint8(): Uint8Array {
    return new Uint8Array(this.buffer, this.take(1), this.rows);
  }

  /** The next column's offset, aligned to `width`. */
  private take(width: number): number {
    const at = Math.ceil(this.offset / width) * width;
    this.offset = at + width * this.rows;
    return at;
  }
}
