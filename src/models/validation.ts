/**
 * Turns zod failures into `OnexError(VALIDATION_ERROR)` whose message names the offending field.
 * @module
 */
import type { z } from 'zod';
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';

/** Render a zod issue path as `steps[2].actions[0].priority`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/** Parse `value` with `schema`; on failure throw VALIDATION_ERROR listing every issue with its path. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw validationError(result.error, what);
}

/** The VALIDATION_ERROR for a failed parse of `what`: every issue with its path. */
export function validationError(error: z.ZodError, what: string): OnexError {
  const issues = error.issues.map((issue) => ({
    path: formatPath(issue.path),
    message: issue.message,
  }));
  const text = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  return new OnexError(EnumCoreErrorCode.VALIDATION_ERROR, `invalid ${what}: ${text}`, { context: { issues } });
}
