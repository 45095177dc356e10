// The JSON helpers' shortcuts for flat objects (json.ts) against the general definitions: canonical JSON is
// JSON.stringify of a key-sorted copy, the byte size is the UTF-8 length of JSON.stringify and non-JSON values throw.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, deepFreeze, jsonByteSize } from '../../../src/models/json.js';

/** The definition: keys sorted at every level (functions and undefined dropped), then JSON.stringify. */
function sortedCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedCopy);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (typeof v !== 'function' && v !== undefined) out[key] = sortedCopy(v);
    }
    return out;
  }
  return value;
}

const keys = fc.oneof(
  fc.string(),
  fc.constantFrom('10', '2', '0', '01', '-1', '__proto__', 'é', '😀', 'a"b', 'a\\b', '\u2028', 'constructor'),
);
const flatValues = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.constantFrom('\ud800', 'é'.repeat(200), 'x'.repeat(300)),
);
/** A flat object of plain values, built key by key (so `__proto__` becomes an own key, as JSON.parse makes it). */
const flatObjects = fc.array(fc.tuple(keys, flatValues), { maxLength: 8 }).map((entries) => {
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries)
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
});

describe('canonicalJson', () => {
  it('is JSON.stringify of a key-sorted copy, for flat objects and anything else', () => {
    fc.assert(
      fc.property(fc.oneof(flatObjects, fc.anything()), (value) => {
        expect(canonicalJson(value)).toBe(JSON.stringify(sortedCopy(value)) ?? 'null');
      }),
      { numRuns: 3000 },
    );
  });

  it('gives the same text when the keys were written in order already (the one-call path)', () => {
    fc.assert(
      fc.property(flatObjects, (value) => {
        const inOrder: Record<string, unknown> = {};
        for (const key of Object.keys(value).sort()) inOrder[key] = (value as Record<string, unknown>)[key];
        expect(canonicalJson(inOrder)).toBe(JSON.stringify(sortedCopy(value)) ?? 'null');
        expect(canonicalJson(inOrder)).toBe(canonicalJson(value));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('jsonByteSize', () => {
  it('is the UTF-8 length of the JSON text', () => {
    fc.assert(
      fc.property(fc.oneof(flatObjects, fc.jsonValue()), (value) => {
        const text = JSON.stringify(value);
        expect(jsonByteSize(value)).toBe(text === undefined ? 0 : Buffer.byteLength(text, 'utf8'));
      }),
      { numRuns: 3000 },
    );
  });

  it('rejects values that are not JSON, flat or nested', () => {
    for (const value of [{ n: 1n }, { f: () => 1 }, { s: Symbol('s') }, { deep: { n: 1n } }, { toJSON: () => 1n }]) {
      expect(() => jsonByteSize(value)).toThrow(TypeError);
    }
  });
});

describe('deepFreeze', () => {
  it('freezes plain objects and arrays at every level, and leaves class instances alone', () => {
    const when = new Date(0);
    const value = deepFreeze({ a: [{ b: 1 }], c: { d: { e: [] } }, when, nothing: Object.create(null) });
    expect(Object.isFrozen(value.a[0])).toBe(true);
    expect(Object.isFrozen(value.c.d.e)).toBe(true);
    expect(Object.isFrozen(value.nothing)).toBe(true);
    expect(Object.isFrozen(when)).toBe(false);
  });
});
