/**
 * The SQLite schema, created and migrated by onex itself: `onex_migrations` records each applied version; missing
 * versions are applied in order inside one IMMEDIATE transaction, so two processes opening a new file at once do not
 * both create it (the second waits on the lock, then finds the work done).
 * @module
 */
import type Database from 'better-sqlite3';

/** One schema version. Never edit a released one: add the next. */
interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Every schema version, in order. */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs and actions',
    sql: `
      CREATE TABLE onex_runs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL UNIQUE,
        workflow_id TEXT NOT NULL,
        workflow_name TEXT NOT NULL,
        workflow_hash TEXT NOT NULL,
        state TEXT NOT NULL,
        lease_id TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        lease_expires_ms INTEGER NOT NULL,
        owner_host TEXT NOT NULL,
        owner_pid INTEGER NOT NULL,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        steps_total INTEGER NOT NULL,
        steps_completed INTEGER,
        steps_failed INTEGER,
        source TEXT,
        definition TEXT NOT NULL,
        output TEXT
      );
      CREATE TABLE onex_actions (
        run_id TEXT NOT NULL REFERENCES onex_runs(run_id) ON DELETE CASCADE,
        action_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        step_id TEXT NOT NULL,
        state TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        epoch INTEGER NOT NULL,
        lease_id TEXT NOT NULL,
        result TEXT,
        error_code TEXT,
        error_message TEXT,
        started_at TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (run_id, action_id)
      ) WITHOUT ROWID;
      CREATE INDEX onex_actions_by_position ON onex_actions(run_id, position);
    `,
  },
];

/** The newest schema version this onex knows. */
export const SQLITE_SCHEMA_VERSION = SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 1]!.version;

/** Bring the schema up to date. Returns the versions applied now (empty when it already was). */
export function migrateSqlite(db: Database.Database): number[] {
  const applied: number[] = [];
  db.transaction(() => {
    db.exec(
      'CREATE TABLE IF NOT EXISTS onex_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
    );
    const row = db.prepare('SELECT MAX(version) AS v FROM onex_migrations').get() as { v: number | null };
    const current = row.v ?? 0;
    const record = db.prepare('INSERT INTO onex_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of SQLITE_MIGRATIONS) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, new Date().toISOString());
      applied.push(m.version);
    }
  }).immediate();
  return applied;
}
