/**
 * The PostgreSQL schema, created and migrated by onex itself. Migrations run in one transaction under an advisory
 * lock keyed by the schema name, so several orchestrators starting at once against a new database do not race: one
 * creates, the others wait and find the work done. Identifiers come from a validated config, never from data.
 * @module
 */
import type { PoolClient } from 'pg';
import { EnumCoreErrorCode } from '../../errors/error-codes.js';
import { OnexError } from '../../errors/onex-error.js';

interface Migration {
  readonly version: number;
  readonly name: string;
  /** Statements with `$S` standing for the quoted schema name. */
  readonly sql: readonly string[];
}

/** Every schema version, in order. Never edit a released one: add the next. */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs and actions',
    sql: [
      `CREATE TABLE $S.onex_runs (
        seq BIGSERIAL PRIMARY KEY,
        run_id TEXT NOT NULL UNIQUE,
        workflow_id TEXT NOT NULL,
        workflow_name TEXT NOT NULL,
        workflow_hash TEXT NOT NULL,
        state TEXT NOT NULL,
        lease_id TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        lease_expires_at TIMESTAMPTZ NOT NULL,
        owner_host TEXT NOT NULL,
        owner_pid INTEGER NOT NULL,
        cancel_requested BOOLEAN NOT NULL DEFAULT false,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        steps_total INTEGER NOT NULL,
        steps_completed INTEGER,
        steps_failed INTEGER,
        source TEXT,
        definition TEXT NOT NULL,
        output TEXT
      )`,
      `CREATE TABLE $S.onex_actions (
        run_id TEXT NOT NULL REFERENCES $S.onex_runs(run_id) ON DELETE CASCADE,
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
      )`,
      'CREATE INDEX onex_actions_by_position ON $S.onex_actions (run_id, position)',
    ],
  },
];

/** The newest schema version this onex knows. */
export const POSTGRES_SCHEMA_VERSION = POSTGRES_MIGRATIONS[POSTGRES_MIGRATIONS.length - 1]!.version;

/**
 * Bring `schema` up to date on `client` (which must not be in a transaction). Refuses (CONFIGURATION_ERROR) a schema
 * that holds other tables but no `onex_migrations`, or one written by a newer onex; then nothing is changed.
 */
export async function migratePostgres(client: PoolClient, schema: string): Promise<number[]> {
  const S = `"${schema}"`;
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`onex-migrate:${schema}`]);
    const tables = (
      await client.query<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
        [schema],
      )
    ).rows.map((r) => r.table_name);
    if (tables.length > 0 && !tables.includes('onex_migrations')) {
      throw new OnexError(
        EnumCoreErrorCode.CONFIGURATION_ERROR,
        `PostgreSQL schema '${schema}' holds tables that are not onex's (${tables.slice(0, 8).join(', ')}); ` +
          'choose another schema with ?schema=name; nothing was changed',
        { context: { schema, tables: tables.slice(0, 8) } },
      );
    }
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${S}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${S}.onex_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
    );
    const current = Number(
      (await client.query<{ v: number | null }>(`SELECT MAX(version) AS v FROM ${S}.onex_migrations`)).rows[0]?.v ?? 0,
    );
    if (current > POSTGRES_SCHEMA_VERSION) {
      throw new OnexError(
        EnumCoreErrorCode.CONFIGURATION_ERROR,
        `PostgreSQL schema '${schema}' was written by a newer onex (schema version ${current}; this onex knows up to ${POSTGRES_SCHEMA_VERSION}); nothing was changed`,
        { context: { schema, version: current } },
      );
    }
    for (const m of POSTGRES_MIGRATIONS) {
      if (m.version <= current) continue;
      for (const statement of m.sql) await client.query(statement.replaceAll('$S', S));
      await client.query(`INSERT INTO ${S}.onex_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
  return applied;
}
