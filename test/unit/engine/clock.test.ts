// The scheduler's wall clock (src/engine/clock.ts): ISO strings from a performance.now() reading agree with the wall
// clock, and a reading later by n ms gives a time later by n ms.
import { describe, expect, it } from 'vitest';
import { isoAt, nowIso } from '../../../src/engine/clock.js';

describe('isoAt', () => {
  it('gives the wall time of a performance.now() reading', () => {
    const before = Date.now();
    const iso = isoAt(performance.now());
    const after = Date.now();
    const ms = Date.parse(iso);
    // Floored to the millisecond; the offset between the clocks is read to within a millisecond or so.
    expect(ms).toBeGreaterThanOrEqual(before - 2);
    expect(ms).toBeLessThanOrEqual(after + 2);
    expect(iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('moves with the reading, and agrees with nowIso', () => {
    const p = performance.now();
    const a = Date.parse(isoAt(p));
    const b = Date.parse(isoAt(p + 250));
    expect(b - a).toBeGreaterThanOrEqual(249);
    expect(b - a).toBeLessThanOrEqual(251);
    expect(Math.abs(Date.parse(nowIso()) - Date.parse(isoAt(performance.now())))).toBeLessThanOrEqual(2);
  });
});
