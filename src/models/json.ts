/**
 * JSON helpers shared by the models, the planner and the stores: byte size, canonical form, hashing, freezing.
 * @module
 */
import { createHash } from 'node:crypto';

/** A JSON object as nodes receive and return it. */
export type JsonObject = { [key: string]: unknown };

/** The empty object and list every model without such data shares (frozen; a workflow has many of them). */
export const EMPTY_OBJECT: Readonly<JsonObject> = Object.freeze({});
export const EMPTY_LIST: readonly never[] = Object.freeze([]);

/** Whether a plain object has no enumerable keys. */
export function isEmptyObject(value: object): boolean {
  for (const _ in value) return false;
  return true;
}

/** Size in bytes of the UTF-8 JSON encoding of `value`; throws when the value is not JSON-serialisable. */
export function jsonByteSize(value: unknown): number {
  // Flat objects of plain values (the usual operation data) need no check per key: JSON.stringify cannot meet a
  // bigint, function or symbol in them, so it gives the same text as with the checking replacer.
  const text = isFlatJson(value) ? JSON.stringify(value) : JSON.stringify(value, rejectNonJson);
  return text === undefined ? 0 : utf8Length(text);
}

function rejectNonJson(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol') {
    throw new TypeError(`value of type ${typeof value} is not JSON`);
  }
  return value;
}

/** A plain object (prototype Object.prototype) whose own values are strings, numbers, booleans, null or undefined. */
function isFlatJson(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const key in value) {
    const v: unknown = (value as Record<string, unknown>)[key];
    const t = typeof v;
    if (t !== 'string' && t !== 'number' && t !== 'boolean' && t !== 'undefined' && v !== null) return false;
  }
  return true;
}

/** UTF-8 length of JSON text (which has no lone surrogates: JSON.stringify escapes them). */
function utf8Length(text: string): number {
  if (text.length > 256) return Buffer.byteLength(text, 'utf8');
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 2; // a surrogate pair: 4 bytes for 2 code units
      i++;
    } else bytes += 2;
  }
  return bytes;
}

/** JSON with object keys sorted at every level: equal values give equal strings. */
export function canonicalJson(value: unknown): string {
  if (isFlatJson(value)) {
    const flat = flatCanonicalJson(value);
    if (flat !== undefined) return flat;
  }
  return JSON.stringify(sortKeys(value)) ?? 'null';
}

/**
 * `canonicalJson` of a flat object without the sorted copy; undefined when a key may be an array index (an object
 * lists those first, in numeric order, whatever order they were added in) or is `__proto__`: the general path
 * handles those.
 */
function flatCanonicalJson(value: Record<string, unknown>): string | undefined {
  const keys = Object.keys(value);
  const n = keys.length;
  for (let i = 0; i < n; i++) {
    const key = keys[i]!;
    const c = key.charCodeAt(0);
    // (`__proto__` would set the copy's prototype in `sortKeys` instead of adding a key.)
    if ((c >= 48 && c <= 57) || key === '__proto__') return undefined;
  }
  // Keys already in order (most operation data is written that way): JSON.stringify writes the same text in one go.
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = keys[i - 1]! < keys[i]!;
  if (sorted) return JSON.stringify(value);
  // Operation data has a handful of keys: an insertion sort in place (Array#sort allocates a work copy per call,
  // which hashing 10,000 steps pays 10,000 times). Same order as `sort()`: UTF-16 code units.
  if (n <= 16) {
    for (let i = 1; i < n; i++) {
      const key = keys[i]!;
      let j = i - 1;
      while (j >= 0 && keys[j]! > key) {
        keys[j + 1] = keys[j]!;
        j--;
      }
      keys[j + 1] = key;
    }
  } else {
    keys.sort();
  }
  let out = '{';
  for (let i = 0; i < n; i++) {
    const key = keys[i]!;
    const v = value[key];
    if (v === undefined) continue;
    if (out.length > 1) out += ',';
    out += `${JSON.stringify(key)}:${JSON.stringify(v)}`;
  }
  return `${out}}`;
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
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) freezePlain(value);
  return value;
}

function freezePlain(value: object): void {
  if (Array.isArray(value)) {
    Object.freeze(value);
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) freezePlain(v);
    }
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return;
  Object.freeze(value);
  // Own enumerable string keys, as Object.values lists them, without building the list.
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const v: unknown = (value as Record<string, unknown>)[key];
    if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) freezePlain(v);
  }
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
