/**
 * `onex runs` and `onex show <id>`: the run history in the store (spec §8). Each returns its exit code.
 * @module
 */
import { existsSync } from 'node:fs';
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import { toWire } from '../models/wire.js';
import { MemoryStore } from '../store/memory/memory-store.js';
import { parseStoreSpec } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { EXIT, printError } from './exit.js';
import { findRun } from './find-run.js';
import { renderRun, renderRunList } from './render-history.js';
import { runListView, runView } from './run-view.js';
import { openStore, storeSpec } from './store-option.js';

/** Options of the history commands. */
export interface HistoryOptions {
  verbose?: boolean;
  store?: string;
  json?: boolean;
}

/**
 * Open the store, run `fn`, close the store; any error prints `[code] message` and exits 2. With `readOnly`, a SQLite
 * file that does not exist yet is not created: there is simply no history (an empty store stands in for it).
 */
export async function withStore(
  options: { store?: string; verbose?: boolean },
  fn: (store: Store) => Promise<number>,
  readOnly = false,
): Promise<number> {
  let store: Store;
  try {
    const spec = parseStoreSpec(storeSpec(options.store));
    store =
      readOnly && spec.kind === 'sqlite' && !existsSync(spec.path) ? new MemoryStore() : await openStore(options.store);
  } catch (err) {
    printError(err, !!options.verbose);
    return EXIT.invalid;
  }
  try {
    return await fn(store);
  } catch (err) {
    printError(err, !!options.verbose);
    return EXIT.invalid;
  } finally {
    await store.close().catch(() => {});
  }
}

/** `onex runs [--limit n] [--json]`: the most recent runs first. */
export async function runsCommand(options: HistoryOptions & { limit?: string }): Promise<number> {
  const limit = options.limit === undefined ? 20 : Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    printError(
      new OnexError(EnumCoreErrorCode.INVALID_PARAMETER, `--limit ${options.limit}: expected a positive integer`),
      false,
    );
    return EXIT.invalid;
  }
  return withStore(
    options,
    async (store) => {
      const runs = (await store.listRuns(limit)).map((r) => runListView(r));
      if (options.json) process.stdout.write(`${JSON.stringify(toWire(runs), null, 2)}\n`);
      else process.stdout.write(renderRunList(runs, process.stdout.isTTY === true));
      return EXIT.completed;
    },
    true,
  );
}

/** `onex show <id> [--json]`: one run step by step. */
export async function showCommand(id: string, options: HistoryOptions): Promise<number> {
  return withStore(
    options,
    async (store) => {
      const view = runView(await findRun(store, id));
      if (options.json) process.stdout.write(`${JSON.stringify(toWire(view), null, 2)}\n`);
      else process.stdout.write(renderRun(view, process.stdout.isTTY === true));
      return EXIT.completed;
    },
    true,
  );
}
