// Column helpers of the run records (src/models/columns.ts): every state has a distinct small code that maps back to
// it, and a sparse column appears on its first value, blank elsewhere.
import { describe, expect, it } from 'vitest';
import { lastOrAppend, put, putSparse, STATE_BY_CODE, stateCode } from '../../../src/models/columns.js';
import { EnumStepState, isFinalStepState } from '../../../src/models/enums.js';

describe('state codes', () => {
  it('give every state its own code, PENDING first, and map back', () => {
    const states = Object.values(EnumStepState);
    const codes = states.map(stateCode);
    expect(new Set(codes).size).toBe(states.length);
    expect(stateCode(EnumStepState.PENDING)).toBe(0);
    for (const state of states) expect(STATE_BY_CODE[stateCode(state)]).toBe(state);
    expect(Math.max(...codes)).toBeLessThan(256); // they fit a Uint8Array
  });
});

describe('put', () => {
  it('makes the column on the first value, blanks elsewhere, then writes in place', () => {
    let column: (string | null)[] | null = null;
    column = put(column, 4, null, 2, 'x');
    expect(column).toEqual([null, null, 'x', null]);
    const same = put(column, 4, null, 0, 'y');
    expect(same).toBe(column);
    expect(column).toEqual(['y', null, 'x', null]);
  });
});

describe('putSparse', () => {
  it('makes no column for a blank, and otherwise writes as put does (blanks included, once the column exists)', () => {
    expect(putSparse<string | null>(null, 3, null, 1, null)).toBeNull();
    const column = putSparse<string | null>(null, 3, null, 1, 'x');
    expect(column).toEqual([null, 'x', null]);
    expect(putSparse(column, 3, null, 1, null)).toBe(column);
    expect(column).toEqual([null, null, null]);
  });
});

describe('isFinalStepState', () => {
  it('is true for every state but PENDING and RUNNING, and false for text that is no state', () => {
    for (const state of Object.values(EnumStepState)) {
      expect(isFinalStepState(state)).toBe(state !== EnumStepState.PENDING && state !== EnumStepState.RUNNING);
    }
    expect(isFinalStepState('done')).toBe(false);
    expect(isFinalStepState('')).toBe(false);
  });
});

describe('lastOrAppend', () => {
  it('reuses the last entry when the value repeats it, appends otherwise', () => {
    const values: string[] = [];
    expect(lastOrAppend(values, 'a')).toBe(0);
    expect(lastOrAppend(values, 'a')).toBe(0);
    expect(lastOrAppend(values, 'b')).toBe(1);
    // Only the last entry is compared: a value seen earlier is appended again (timestamps only move forward).
    expect(lastOrAppend(values, 'a')).toBe(2);
    expect(values).toEqual(['a', 'b', 'a']);
  });
});
