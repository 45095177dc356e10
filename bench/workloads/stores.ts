/**
 * The durable stores W6 runs W3 on. Each entry says where its source lives, which public export opens it, and how
 * to count the bytes it writes; while the source or the export is missing the entry reports why, and W6 prints
 * "n/a" for it. Adding a store is one entry here.
 * @module
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Store } from '../../dist/index.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** An open store, with a way to count what it wrote and to clean up after itself. */
export interface OpenedStore {
  readonly store: Store;
  /** Where it writes, for the table. */
  readonly where: string;
  /** A counter of bytes written so far (monotonic; only differences are meaningful). */
  bytesWritten(): Promise<number>;
  /** What `bytesWritten` counts. */
  readonly bytesCounted: string;
  close(): Promise<void>;
}

/** One durable store W6 knows about. */
export interface DurableStoreSpec {
  readonly id: 'sqlite' | 'postgres';
  readonly label: string;
  /** Its source folder, relative to the repository root. */
  readonly sourceDir: string;
  /** The `src/index.ts` export with a static `open`. */
  readonly exportName: string;
  open(opener: StoreOpener): Promise<OpenedStore>;
}

/** `SqliteStore.open(path)` / `PostgresStore.open(url)`, whichever the entry names. */
type StoreOpener = (target: string) => Promise<Store>;

/** Bytes this process handed to write(2) and friends (SQLite writes its pages and WAL frames from this process). */
function processWriteBytes(): number {
  const line = readFileSync('/proc/self/io', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('wchar:'));
  if (!line) throw new Error('/proc/self/io has no wchar line');
  return Number(line.slice('wchar:'.length).trim());
}

/** The schema W6 creates and drops; a URL naming another schema is used as it is and never dropped. */
const BENCH_PG_SCHEMA = 'onex_bench';

/** PostgreSQL URL for W6: `ONEX_BENCH_PG_URL`, else the local server, in a schema of the bench's own. */
export const BENCH_PG_URL =
  process.env.ONEX_BENCH_PG_URL ?? `postgres://postgres@localhost:5432/postgres?schema=${BENCH_PG_SCHEMA}`;

export const DURABLE_STORES: readonly DurableStoreSpec[] = [
  {
    id: 'sqlite',
    label: 'onex + SQLite store',
    sourceDir: 'src/store/sqlite',
    exportName: 'SqliteStore',
    async open(opener) {
      const dir = mkdtempSync(join(tmpdir(), 'onex-bench-w6-'));
      const file = join(dir, 'onex.db');
      const store = await opener(file);
      return {
        store,
        where: 'temp file',
        bytesWritten: async () => processWriteBytes(),
        bytesCounted: 'bytes written by this process (/proc/self/io wchar)',
        async close() {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    id: 'postgres',
    label: 'onex + PostgreSQL store',
    sourceDir: 'src/store/postgres',
    exportName: 'PostgresStore',
    async open(opener) {
      const pg = (await import('pg')).default;
      const url = new URL(BENCH_PG_URL);
      const ours = url.searchParams.get('schema') === BENCH_PG_SCHEMA;
      url.searchParams.delete('schema');
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      // Start from an empty schema of our own, so earlier runs' rows do not change the numbers.
      const dropOurs = async () => {
        if (ours) await client.query(`DROP SCHEMA IF EXISTS ${BENCH_PG_SCHEMA} CASCADE`);
      };
      await dropOurs();
      const store = await opener(BENCH_PG_URL);
      return {
        store,
        where: url.host,
        // The server writes, not this process: count its WAL (server-wide, so other clients' writes count too).
        bytesWritten: async () => {
          const res = await client.query<{ wal_bytes: string }>('SELECT wal_bytes::text FROM pg_stat_wal');
          return Number(res.rows[0]!.wal_bytes);
        },
        bytesCounted: 'WAL bytes of the server (pg_stat_wal.wal_bytes)',
        async close() {
          await store.close();
          await dropOurs();
          await client.end();
        },
      };
    },
  },
];

/** Open `spec`'s store, or say why it is not available yet. */
export async function openDurableStore(spec: DurableStoreSpec): Promise<OpenedStore | { unavailable: string }> {
  if (!existsSync(join(ROOT, spec.sourceDir))) return { unavailable: `${spec.sourceDir} does not exist yet` };
  const api: Record<string, unknown> = await import('../../dist/index.js');
  const exported = api[spec.exportName];
  const open = typeof exported === 'function' ? (exported as unknown as Record<string, unknown>).open : undefined;
  if (typeof open !== 'function') {
    return { unavailable: `src/index.ts does not export ${spec.exportName} (with a static open) yet` };
  }
  const opener: StoreOpener = async (target) => (await open.call(exported, target)) as Store;
  try {
    return await spec.open(opener);
  } catch (err) {
    return { unavailable: `cannot open: ${err instanceof Error ? err.message : String(err)}` };
  }
}
