/**
 * Lease timings of the CLI's orchestrator: `ONEX_LEASE_MS` (default 15000) and `ONEX_LEASE_RENEW_MS` (default 5000,
 * and below the lease). Operators shorten them to detect dead owners sooner; tests shorten them to stay fast.
 * @module
 */
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';

/** `{ leaseMs, leaseRenewMs }` from the environment; only the variables that are set. */
export function leaseOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): { leaseMs?: number; leaseRenewMs?: number } {
  const read = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0) {
      throw new OnexError(EnumCoreErrorCode.INVALID_PARAMETER, `${name}=${raw}: expected a positive integer (ms)`, {
        context: { [name]: raw },
      });
    }
    return value;
  };
  const leaseMs = read('ONEX_LEASE_MS');
  const leaseRenewMs = read('ONEX_LEASE_RENEW_MS');
  return {
    ...(leaseMs !== undefined ? { leaseMs } : {}),
    ...(leaseRenewMs !== undefined ? { leaseRenewMs } : {}),
  };
}
