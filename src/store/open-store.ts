/**
 * One string names a store (`--store`, `ONEX_STORE`): `memory`, `sqlite:<path>` (or a path ending in `.db` /
 * `.sqlite`), `postgres://…` / `postgresql://…`.
 * @module
 */
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import { MemoryStore } from './memory/memory-store.js';
import { redact } from './postgres/config.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/** The SQLite file the CLI records runs in when no store is named, relative to the working directory. */
export const DEFAULT_SQLITE_PATH = '.onex/onex.db';

/** A store spec, parsed. */
export type StoreSpec =
  | { readonly kind: 'memory' }
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string };

/** Parse a store spec; INVALID_PARAMETER for anything else. */
export function parseStoreSpec(spec: string): StoreSpec {
  const value = spec.trim();
  if (value === 'memory') return { kind: 'memory' };
  if (/^postgres(ql)?:\/\//i.test(value)) return { kind: 'postgres', url: value };
  if (value.startsWith('sqlite:')) {
    const path = value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!path) {
      throw new OnexError(EnumCoreErrorCode.INVALID_PARAMETER, `store '${value}': sqlite: needs a file path`, {
        context: { store: value },
      });
    }
    return { kind: 'sqlite', path };
  }
  if (/\.(db|sqlite3?)$/i.test(value)) return { kind: 'sqlite', path: value };
  throw new OnexError(
    EnumCoreErrorCode.INVALID_PARAMETER,
    `store '${redact(value)}': unknown store (expected memory, sqlite:<path> or postgres://host:port/database)`,
    { context: { store: redact(value) } },
  );
}

/**
 * Open the store named by `spec` (see `parseStoreSpec`). Errors are typed: INVALID_PARAMETER for a bad spec,
 * CONFIGURATION_ERROR for a file or schema that is not onex's, SERVICE_UNAVAILABLE for an unreachable server.
 */
export async function openStore(spec: string): Promise<Store> {
  const parsed = parseStoreSpec(spec);
  if (parsed.kind === 'memory') return new MemoryStore();
  if (parsed.kind === 'sqlite') return SqliteStore.open(parsed.path);
  return PostgresStore.open(parsed.url);
}
