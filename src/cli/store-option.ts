/**
 * `--store` / `ONEX_STORE`: which store the CLI records runs in.
 * @module
 */
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import { MemoryStore } from '../store/memory/memory-store.js';
import type { Store } from '../store/store.js';

/** Open the store named by `spec` (`memory`; durable stores plug in here). */
export async function openStore(spec: string | undefined): Promise<Store> {
  const value = spec ?? process.env.ONEX_STORE ?? 'memory';
  if (value === 'memory') return new MemoryStore();
  throw new OnexError(EnumCoreErrorCode.INVALID_PARAMETER, `--store '${value}': unknown store (expected memory)`, {
    context: { store: value },
  });
}
