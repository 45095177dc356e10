// Column helpers of the run records (src/models/columns.ts): every state has a distinct small code that maps back to
// it, and a sparse column appears on its first value, blank elsewhere.
import { describe, expect, it } from 'vitest';
import { ColumnBuffer, put, STATE_BY_CODE, stateCode } from '../../../src/models/columns.js';
import { EnumStepState } from '../../../src/models/enums.js';

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

describe('ColumnBuffer', () => {
  it('carves separate, aligned, zeroed columns out of one buffer', () => {
    for (const rows of [1, 3, 1000]) {
      const columns = new ColumnBuffer(rows, { float64: 1, int32: 2, uint8: 1 });
      const f = columns.float64();
      const a = columns.int32();
      const b = columns.int32();
      const u = columns.uint8();
      for (const c of [f, a, b, u]) {
        expect(c.length).toBe(rows);
        expect(c.byteOffset % c.BYTES_PER_ELEMENT).toBe(0);
        expect([...c].every((v) => v === 0)).toBe(true);
      }
      expect(f.buffer).toBe(u.buffer);
      f.fill(1.5);
      a.fill(-1);
      b.fill(7);
      u.fill(255);
      // Writing one column leaves the others as written.
      expect([...f].every((v) => v === 1.5)).toBe(true);
      expect([...a].every((v) => v === -1)).toBe(true);
      expect([...b].every((v) => v === 7)).toBe(true);
      expect([...u].every((v) => v === 255)).toBe(true);
    }
  });
});
