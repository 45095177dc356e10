/**
 * Shared zod building blocks: ids, enums that accept any letter case, JSON objects; the uuid generator; and the
 * helpers of the models' fast paths (see below).
 * @module
 */
import { randomFillSync } from 'node:crypto';
import { z } from 'zod';

const HEX_UPPER = /[A-F]/;

/** A UUID (any version), normalised to lowercase as on the wire (one already in lowercase is kept: no copy). */
export const zUuid = z.guid().transform((id) => (HEX_UPPER.test(id) ? id.toLowerCase() : id));

/** A UUID that defaults to a fresh random one. */
export const zUuidDefault = () => zUuid.default(randomUuid);

/** An enum given by its `as const` object; input in any case (`PARALLEL` or `parallel`). */
export function zEnum<T extends Record<string, string>>(values: T) {
  const allowed = Object.values(values) as [T[keyof T], ...T[keyof T][]];
  return z.preprocess((v) => (typeof v === 'string' ? v.toLowerCase() : v), z.enum(allowed));
}

/** A JSON object (string keys). */
export const zJsonObject = z.record(z.string(), z.unknown());

// Random bytes for 256 uuids at a time; the text of one uuid is written into `text` and decoded in one call.
const pool = new Uint8Array(16 * 256);
let poolAt = pool.length;
const text = Buffer.alloc(36, '-');
const HEX_DIGITS = new TextEncoder().encode('0123456789abcdef');
/** Where the text of each of the 16 bytes starts (the dashes sit at 8, 13, 18 and 23). */
const AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/**
 * A random (version 4) UUID in lowercase, as `crypto.randomUUID()` makes it (bytes from the same CSPRNG, version and
 * variant bits set the same way), but as one flat string: `randomUUID()` joins it from 20 pieces, a rope of ~490
 * bytes that a plan of 100k actions would keep until something flattened it (56 bytes flat), and builds it ~5×
 * slower.
 */
export function randomUuid(): string {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const at = poolAt;
  poolAt += 16;
  pool[at + 6] = (pool[at + 6]! & 0x0f) | 0x40;
  pool[at + 8] = (pool[at + 8]! & 0x3f) | 0x80;
  for (let k = 0; k < 16; k++) {
    const byte = pool[at + k]!;
    text[AT[k]!] = HEX_DIGITS[byte >> 4]!;
    text[AT[k]! + 1] = HEX_DIGITS[byte & 15]!;
  }
  return text.toString('latin1', 0, 36);
}

/*
 * Fast paths. A model's builder first tries a specialised parser for the usual input (`fastAction`, `fastStep`): it
 * accepts only values the schema accepts as they are, and returns what the schema's parse returns for them, or
 * gives up (returns undefined) on anything else — a value it does not check itself, a bound it cannot decide, an
 * invalid value — and zod parses the input (and words the errors). The bounds and defaults below are read from the
 * schemas, and a property test holds each fast parser to its schema's parse.
 */

/** A string field: its length bounds, as zod counts them (code points). */
export interface StringField {
  readonly min: number;
  readonly max: number;
}

/** An integer field: bounds and default. */
export interface IntField {
  readonly min: number;
  readonly max: number;
  readonly fallback: number | undefined;
}

type Introspected = z.ZodType & {
  unwrap?: () => z.ZodType;
  def: { type: string; defaultValue?: unknown };
  minValue?: number | null;
  maxValue?: number | null;
  isInt?: boolean;
  minLength?: number | null;
  maxLength?: number | null;
};

/** The schema under a `.default()`, and the default (a value, or a function's result read once). */
function withoutDefault(schema: z.ZodType): { inner: Introspected; fallback: unknown } {
  const s = schema as Introspected;
  if (s.def.type === 'default') return { inner: s.unwrap!() as Introspected, fallback: s.def.defaultValue };
  return { inner: s, fallback: undefined };
}

/** The bounds and default of `z.number().int().min(a).max(b).default(d)` (the bounds optional). */
export function intField(schema: z.ZodType): IntField {
  const { inner, fallback } = withoutDefault(schema);
  if (inner.def.type !== 'number' || inner.isInt !== true) throw new TypeError('intField: not an integer schema');
  return {
    min: inner.minValue ?? Number.MIN_SAFE_INTEGER,
    max: inner.maxValue ?? Number.MAX_SAFE_INTEGER,
    fallback: fallback as number | undefined,
  };
}

/** The length bounds of `z.string().min(a).max(b)` (either optional). */
export function stringField(schema: z.ZodType): StringField {
  const { inner } = withoutDefault(schema);
  if (inner.def.type !== 'string') throw new TypeError('stringField: not a string schema');
  return { min: inner.minLength ?? 0, max: inner.maxLength ?? Number.MAX_SAFE_INTEGER };
}

/** The default of a `.default(value)` field whose value is a primitive. */
export function defaultOf<T>(schema: z.ZodType): T {
  return withoutDefault(schema).fallback as T;
}

/** Whether `value` is an integer within `field`'s bounds (as `z.number().int().min().max()` checks it). */
export function isIntIn(value: unknown, field: IntField): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= field.min && value <= field.max;
}

/**
 * Whether `value` is a string the field surely accepts. zod counts code points, which a UTF-16 length bounds from
 * above (so `length <= max` decides) and from below by half (so `length >= 2 * min` decides; any non-empty string
 * has at least one). Undecided lengths give false: zod decides those.
 */
export function isStringIn(value: unknown, field: StringField): value is string {
  if (typeof value !== 'string' || value.length > field.max) return false;
  return field.min <= 1 ? value.length >= field.min : value.length >= 2 * field.min;
}

/** The canonical enum value for an accepted input (any letter case), or undefined. */
export function enumValue<T extends string>(value: unknown, values: ReadonlyMap<string, T>): T | undefined {
  if (typeof value !== 'string') return undefined;
  return values.get(value) ?? values.get(value.toLowerCase());
}

/** The values of an `as const` enum object, by themselves (for `enumValue`). */
export function enumValues<T extends Record<string, string>>(values: T): ReadonlyMap<string, T[keyof T]> {
  return new Map(Object.values(values).map((v) => [v, v as T[keyof T]]));
}

/** Per character code below 128: 1 for a lowercase hex digit, 2 for an uppercase one, 0 otherwise. */
const HEX_CLASS = new Uint8Array(128);
for (const c of '0123456789abcdef') HEX_CLASS[c.charCodeAt(0)] = 1;
for (const c of 'ABCDEF') HEX_CLASS[c.charCodeAt(0)] = 2;

/** The classes (see HEX_CLASS) of `text[from]` up to `text[to]` or-ed together; 0 when one is not a hex digit. */
function hexRun(text: string, from: number, to: number): number {
  let classes = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    const cls = c < 128 ? HEX_CLASS[c]! : 0;
    if (cls === 0) return 0;
    classes |= cls;
  }
  return classes;
}

/**
 * `zUuid`'s output for an accepted id, or undefined: zod's `guid` pattern (8-4-4-4-12 hex digits, any case) checked
 * run by run over the character codes (a third of the regular expression's time, on the 300k ids of a 100k-step
 * workflow), then lowercased.
 */
export function uuidValue(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length !== 36) return undefined;
  if (value.charCodeAt(8) !== 45 || value.charCodeAt(13) !== 45 || value.charCodeAt(18) !== 45) return undefined;
  if (value.charCodeAt(23) !== 45) return undefined; // the four dashes
  const a = hexRun(value, 0, 8);
  const b = hexRun(value, 9, 13);
  const c = hexRun(value, 14, 18);
  const d = hexRun(value, 19, 23);
  const e = hexRun(value, 24, 36);
  if (a === 0 || b === 0 || c === 0 || d === 0 || e === 0) return undefined;
  return ((a | b | c | d | e) & 2) === 0 ? value : value.toLowerCase();
}

/**
 * A list of `length` entries for the caller to fill (holding `fill` until then). Short ones are literals, allocated
 * inline from an allocation site: V8 allocates a site's objects straight in the old generation once it sees them
 * all survive, which spares the copying through the young one that models built by the hundred thousand cost.
 */
export function listOf<T>(length: number, fill: T): T[] {
  switch (length) {
    case 1:
      return [fill];
    case 2:
      return [fill, fill];
    case 3:
      return [fill, fill, fill];
    default:
      return new Array<T>(length).fill(fill);
  }
}

/** `z.array(zUuid)`'s output for an accepted list (the shared empty list for an empty one), or undefined. */
export function uuidListValue(value: unknown, empty: readonly string[]): readonly string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  if (value.length === 0) return empty;
  const out = listOf<string>(value.length, '');
  for (let i = 0; i < value.length; i++) {
    const id = uuidValue(value[i]);
    if (id === undefined) return undefined;
    out[i] = id;
  }
  return out;
}

/**
 * `zJsonObject`'s output for a plain object (prototype `Object.prototype`, no own `constructor`: what zod's plain
 * object test surely accepts) without symbol keys: a copy of its own enumerable string keys but `__proto__`, or the
 * shared empty object when it has none. Undefined for anything else.
 */
export function jsonObjectValue(
  value: unknown,
  empty: Readonly<Record<string, unknown>>,
): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype)
    return undefined;
  if (Object.hasOwn(value, 'constructor') || Object.getOwnPropertySymbols(value).length > 0) return undefined;
  let copy: Record<string, unknown> | undefined;
  for (const key in value) {
    if (key === '__proto__' || !Object.hasOwn(value, key)) continue;
    copy ??= {};
    copy[key] = (value as Record<string, unknown>)[key];
  }
  return copy ?? (empty as Record<string, unknown>);
}
