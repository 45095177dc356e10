/**
 * Opening the SQLite file: every check that can refuse the file (not a database, corrupt, another program's
 * database, a newer onex's schema) runs with reads only, *before* the first write (WAL mode, migrations), so a
 * refused file is left byte for byte as it was.
 * @module
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { EnumCoreErrorCode } from '../../errors/error-codes.js';
import { OnexError } from '../../errors/onex-error.js';
import { migrateSqlite, SQLITE_SCHEMA_VERSION } from './migrations.js';

/** Options of `openSqliteDatabase`. */
export interface OpenSqliteOptions {
  /** How long a write waits for another process's lock before failing. @default 5000 */
  busyTimeoutMs?: number;
}

/** Open (creating when missing) and migrate the onex database at `path`. Throws a typed `OnexError` when refused. */
export function openSqliteDatabase(path: string, options: OpenSqliteOptions = {}): Database.Database {
  const file = resolve(path);
  const exists = fileExists(file);
  if (!exists) {
    try {
      mkdirSync(dirname(file), { recursive: true });
    } catch (err) {
      throw refused(file, `cannot create its directory (${(err as NodeJS.ErrnoException).code ?? err})`, err);
    }
  }
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: options.busyTimeoutMs ?? 5000 });
  } catch (err) {
    throw refused(file, `cannot open it (${describe(err)})`, err);
  }
  try {
    inspect(db, file);
    // The first writes: only once the file is known to be empty or onex's own.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrateSqlite(db);
  } catch (err) {
    db.close();
    if (err instanceof OnexError) throw err;
    throw new OnexError(
      EnumCoreErrorCode.SERVICE_UNAVAILABLE,
      `SQLite store ${file}: cannot prepare it (${describe(err)})`,
      {
        context: { store: 'sqlite', path: file, sqliteCode: (err as { code?: unknown }).code ?? null },
        cause: err,
      },
    );
  }
  return db;
}

/** Read-only checks: a database, not corrupt, and either empty or an onex store of a version we know. */
function inspect(db: Database.Database, file: string): void {
  let tables: string[];
  try {
    tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map(
      (r) => r.name,
    );
  } catch (err) {
    throw refused(file, `it is not a SQLite database, or it is corrupt (${describe(err)})`, err);
  }
  const own = tables.filter((t) => t.startsWith('onex_') || t === 'sqlite_sequence');
  if (tables.length > 0 && !tables.includes('onex_migrations')) {
    throw refused(
      file,
      `it is a SQLite database of another program, not an onex store (tables: ${tables.slice(0, 8).join(', ')})`,
    );
  }
  if (own.length !== tables.length) {
    const foreign = tables.filter((t) => !own.includes(t));
    throw refused(file, `it holds tables that are not onex's (${foreign.slice(0, 8).join(', ')})`);
  }
  if (tables.includes('onex_migrations')) {
    let version: number;
    try {
      version = (db.prepare('SELECT MAX(version) AS v FROM onex_migrations').get() as { v: number | null }).v ?? 0;
    } catch (err) {
      throw refused(file, `its onex_migrations table is unreadable (${describe(err)})`, err);
    }
    if (version > SQLITE_SCHEMA_VERSION) {
      throw refused(
        file,
        `it was written by a newer onex (schema version ${version}; this onex knows up to ${SQLITE_SCHEMA_VERSION})`,
      );
    }
  }
}

function fileExists(file: string): boolean {
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw refused(file, 'it is a directory');
    return true;
  } catch (err) {
    if (err instanceof OnexError) throw err;
    return false;
  }
}

function refused(file: string, why: string, cause?: unknown): OnexError {
  return new OnexError(
    EnumCoreErrorCode.CONFIGURATION_ERROR,
    `SQLite store ${file}: ${why}; the file was left unchanged`,
    {
      context: { store: 'sqlite', path: file, sqliteCode: (cause as { code?: unknown } | undefined)?.code ?? null },
      cause,
    },
  );
}

function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  return typeof e?.message === 'string' ? e.message : String(err);
}
