/**
 * `--store` / `ONEX_STORE`: which store the CLI records runs in. With neither, the SQLite file `./.onex/onex.db`
 * relative to the working directory: every run is recorded with no set-up.
 * @module
 */
import { isAbsolute, relative } from 'node:path';
import { DEFAULT_SQLITE_PATH, openStore as openNamedStore } from '../store/open-store.js';
import { redact } from '../store/postgres/config.js';
import type { Store } from '../store/store.js';

/** The store spec the CLI uses: `--store`, else `ONEX_STORE`, else `sqlite:.onex/onex.db`. */
export function storeSpec(spec: string | undefined): string {
  return spec ?? process.env.ONEX_STORE ?? `sqlite:${DEFAULT_SQLITE_PATH}`;
}

/** Open the store named by `spec` (or the default). Throws a typed `OnexError` when it cannot be used. */
export async function openStore(spec: string | undefined): Promise<Store> {
  return openNamedStore(storeSpec(spec));
}

/** The store spec as people should see it: passwords hidden, paths relative to the working directory. */
export function describeStore(spec: string | undefined): string {
  const value = storeSpec(spec);
  if (value.startsWith('sqlite:')) {
    const path = value.slice('sqlite:'.length);
    return `sqlite:${isAbsolute(path) ? relative(process.cwd(), path) || path : path}`;
  }
  return redact(value);
}
