/**
 * `OnexError`: the one error type onex throws. It carries a code from `EnumCoreErrorCode`, a message that names
 * what is wrong, a plain-JSON `context`, and the `cause`. `String(err)` is `[<code>] <message>`.
 * @module
 */
import { EnumCoreErrorCode, RETRYABLE_CODES } from './error-codes.js';

const MARK = Symbol.for('onex.OnexError');
const CODE_PATTERN = /^ONEX_[A-Z]+_\d{3}_[A-Z0-9_]+$/;

/** Options of an `OnexError`. */
export interface OnexErrorOptions {
  /** Plain JSON describing the failure (ids, paths, limits). @default {} */
  context?: Record<string, unknown>;
  /** The error this one wraps. */
  cause?: unknown;
  /**
   * Whether a retry may help. Undefined means "decide by code": TIMEOUT, RESOURCE_UNAVAILABLE and
   * SERVICE_UNAVAILABLE retry, other codes do not. VALIDATION_ERROR never retries, whatever this says.
   */
  retryable?: boolean;
}

/** The typed error of onex: `code` + `message` + `context` + `cause`. */
export class OnexError extends Error {
  readonly code: string;
  readonly context: Record<string, unknown>;
  readonly retryable: boolean | undefined;

  constructor(code: string, message: string, options: OnexErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OnexError';
    this.code = code;
    this.context = options.context ?? {};
    this.retryable = options.retryable;
    Object.defineProperty(this, MARK, { value: true });
  }

  /** `instanceof` that also holds across duplicated package copies and realms. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARK] === true;
  }

  /** An error that the engine must never retry (the node says another attempt cannot help). */
  static nonRetryable(code: string, message: string, context?: Record<string, unknown>): OnexError {
    return new OnexError(code, message, { context, retryable: false });
  }

  /** An error that the engine should retry (while attempts remain), whatever its code. */
  static retryable(code: string, message: string, context?: Record<string, unknown>): OnexError {
    return new OnexError(code, message, { context, retryable: true });
  }

  /**
   * Turn anything a node threw into an `OnexError`. An `OnexError` is returned as is; an `Error` whose `code`
   * is an onex code keeps it; anything else (including non-Error values) becomes `fallbackCode`.
   */
  static from(value: unknown, fallbackCode: string = EnumCoreErrorCode.OPERATION_FAILED): OnexError {
    if (value instanceof OnexError) return value;
    if (value instanceof Error) {
      const own = (value as { code?: unknown }).code;
      const code = typeof own === 'string' && CODE_PATTERN.test(own) ? own : fallbackCode;
      const flag = (value as { retryable?: unknown }).retryable;
      const retryable = typeof flag === 'boolean' ? flag : code === fallbackCode ? true : undefined;
      return new OnexError(code, value.message || value.name, { cause: value, retryable });
    }
    return new OnexError(fallbackCode, `non-Error value thrown: ${describe(value)}`, {
      context: { thrown: describe(value) },
      retryable: true,
    });
  }

  override toString(): string {
    return `[${this.code}] ${this.message}`;
  }

  /** Plain JSON form (used in outputs, stores and queue messages). */
  toJSON(): { code: string; message: string; context: Record<string, unknown> } {
    return { code: this.code, message: this.message, context: this.context };
  }
}

/** Whether another attempt could help, per spec §4: VALIDATION_ERROR never, explicit flags win, else by code. */
export function isRetryable(error: OnexError): boolean {
  if (error.code === EnumCoreErrorCode.VALIDATION_ERROR) return false;
  if (error.retryable !== undefined) return error.retryable;
  return RETRYABLE_CODES.has(error.code);
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    return typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}
