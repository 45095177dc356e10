/**
 * The one fencing rule every store applies: a write must carry the stored lease and the stored epoch.
 * @module
 */
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';

/** Throw the typed error for a write whose `(leaseId, epoch)` does not match what is stored. */
export function checkFence(
  what: string,
  stored: { leaseId: string; epoch: number },
  write: { leaseId: string; expectedEpoch: number },
): void {
  if (stored.leaseId !== write.leaseId) {
    throw new OnexError(
      EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_CONFLICT,
      `${what}: write rejected, it is owned by lease ${stored.leaseId}, not ${write.leaseId}`,
      { context: { owner: stored.leaseId, writer: write.leaseId } },
    );
  }
  if (stored.epoch !== write.expectedEpoch) {
    throw new OnexError(
      EnumCoreErrorCode.ORCHESTRATOR_EXEC_STALE_EPOCH,
      `${what}: write rejected, stale epoch ${write.expectedEpoch} (stored epoch is ${stored.epoch})`,
      { context: { storedEpoch: stored.epoch, writeEpoch: write.expectedEpoch } },
    );
  }
}

/** NOT_FOUND for a run or action the store does not hold. */
export function notFound(what: string, id: string): OnexError {
  return new OnexError(EnumCoreErrorCode.NOT_FOUND, `${what} ${id} does not exist in the store`, { context: { id } });
}
