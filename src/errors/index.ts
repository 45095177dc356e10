export { EnumCoreErrorCode, RETRYABLE_CODES } from './error-codes.js';
export { isRetryable, OnexError, type OnexErrorOptions } from './onex-error.js';
