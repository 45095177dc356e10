/**
 * Values kept as JSON text by the durable stores. A result is serialised when the write is *made*, not when it is
 * flushed, so a node that later mutates the object it returned cannot change what was recorded.
 * @module
 */
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';

/**
 * JSON text of `value`; `undefined` stays `undefined` (nothing to store). Throws VALIDATION_ERROR naming `what` when
 * the value cannot be kept as JSON (a BigInt, a cycle), because a durable run must be resumable from what it stored.
 */
export function toJsonColumn(value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (err) {
    throw new OnexError(
      EnumCoreErrorCode.VALIDATION_ERROR,
      `${what} cannot be stored as JSON (${(err as Error)?.message ?? err}); durable stores keep results as JSON`,
      { context: { what }, cause: err, retryable: false },
    );
  }
}

/** The value of a JSON column; SQL NULL is `undefined`. */
export function fromJsonColumn(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return undefined;
  return JSON.parse(text);
}
