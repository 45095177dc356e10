/**
 * Shared zod building blocks: ids, enums that accept any letter case, JSON objects.
 * @module
 */
import { z } from 'zod';

/** A UUID (any version), normalised to lowercase as on the wire. */
export const zUuid = z.guid().transform((s) => s.toLowerCase());

/** A UUID that defaults to a fresh random one. */
export const zUuidDefault = () => zUuid.default(() => crypto.randomUUID());

/** An enum given by its `as const` object; input in any case (`PARALLEL` or `parallel`). */
export function zEnum<T extends Record<string, string>>(values: T) {
  const allowed = Object.values(values) as [T[keyof T], ...T[keyof T][]];
  return z.preprocess((v) => (typeof v === 'string' ? v.toLowerCase() : v), z.enum(allowed));
}

/** A JSON object (string keys). */
export const zJsonObject = z.record(z.string(), z.unknown());
