/**
 * Finding a run by id for `show`, `resume` and `cancel`: the full id, or a prefix of at least 4 characters that
 * only one of the recent runs starts with (as git does with commit ids).
 * @module
 */
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import { notFound } from '../store/fencing.js';
import type { Store, StoredRun } from '../store/store.js';

/** How many recent runs a prefix is matched against. */
const PREFIX_SCAN = 1000;

/** The run `idOrPrefix` names. NOT_FOUND when none; INVALID_PARAMETER when a prefix names several. */
export async function findRun(store: Store, idOrPrefix: string): Promise<StoredRun> {
  const exact = await store.getRun(idOrPrefix);
  if (exact) return exact;
  if (idOrPrefix.length >= 4) {
    const matches = (await store.listRuns(PREFIX_SCAN)).filter((r) => r.runId.startsWith(idOrPrefix));
    if (matches.length > 1) {
      throw new OnexError(
        EnumCoreErrorCode.INVALID_PARAMETER,
        `run id prefix '${idOrPrefix}' is ambiguous: ${matches
          .slice(0, 5)
          .map((r) => r.runId)
          .join(', ')}${matches.length > 5 ? ', …' : ''}`,
        { context: { prefix: idOrPrefix, matches: matches.length } },
      );
    }
    const only = matches[0] && (await store.getRun(matches[0].runId));
    if (only) return only;
  }
  throw notFound('run', idOrPrefix);
}
