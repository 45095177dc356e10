/**
 * JSON helpers shared by the models, the planner and the stores: byte size, canonical form, hashing, freezing.
 * @module
 */
import { createHash } from 'node:crypto';

/** A JSON object as nodes receive and return it. */
export type JsonObject = { [key: string]: unknown };

/** Size in bytes of the UTF-8 JSON encoding of `value`; throws when the value is not JSON-serialisable. */
export function jsonByteSize(value: unknown): number {
  const text = JSON.stringify(value, rejectNonJson);
  return text === undefined ? 0 : Buffer.byteLength(text, 'utf8');
}

function rejectNonJson(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol') {
    throw new TypeError(`value of type ${typeof value} is not JSON`);
  }
  return value;
}

/** JSON with object keys sorted at every level: equal values give equal strings. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? 'null';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (typeof v !== 'function' && v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** Hex sha-256 of a string. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Freeze plain objects and arrays, recursively. Class instances (Dates, Buffers, nodes) are left alone. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    const proto = Object.getPrototypeOf(value);
    if (Array.isArray(value) || proto === Object.prototype || proto === null) {
      Object.freeze(value);
      for (const v of Object.values(value)) deepFreeze(v);
    }
  }
  return value;
}

/** Read a dotted path (`a.b.0.c`) out of a value; undefined when any segment is missing. */
export function getPath(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}
