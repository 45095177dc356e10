/**
 * The PostgreSQL store (`pg`): the shared store, for several orchestrator processes on several machines. Lease
 * expiries use the database's clock (`clock_timestamp()`), so machines with skewed clocks agree on when a lease
 * expired. Writes made during one event-loop turn are committed together in one transaction, and the action writes
 * of a batch go to the server as one multi-row compare-and-set (`UPDATE … FROM unnest(…)`), each row still matched
 * on its own `(lease_id, epoch)`. All values are bound parameters; the schema name is a validated identifier.
 * @module
 */
import pg from 'pg';
import { EnumCoreErrorCode } from '../../errors/error-codes.js';
import { OnexError } from '../../errors/onex-error.js';
import type { EnumWorkflowState } from '../../models/enums.js';
import { toWire } from '../../models/wire.js';
import { type ActionRow, actionOf } from '../action-row.js';
import { fenceError, leaseHeld, notFound, runEnded, runExists, TERMINAL_RUN_STATES } from '../fencing.js';
import { fromJsonColumn, toJsonColumn } from '../json-column.js';
import { currentOwner } from '../owner.js';
import {
  type ActionTransition,
  DEFAULT_LEASE_MS,
  type LeaseRenewal,
  type LeaseStatus,
  type RunSource,
  type RunStart,
  type RunSummary,
  type RunTransition,
  type Store,
  type StoredAction,
  type StoredRun,
  type TakeOver,
} from '../store.js';
import { countsFromActions, countsFromOutput, stepCountOf } from '../summary.js';
import { WriteBatcher, type WriteOutcome } from '../write-batcher.js';
import { type PostgresConfig, parsePostgresUrl } from './config.js';
import { migratePostgres } from './migrations.js';

type Queryable = pg.Pool | pg.PoolClient;

/** Options of `PostgresStore.open`. */
export interface PostgresStoreOptions {
  /** Most connections. @default 4 */
  maxConnections?: number;
  /** Give up connecting after this long. @default 5000 */
  connectTimeoutMs?: number;
}

type Write =
  | { readonly kind: 'action'; readonly t: ActionTransition; readonly result: string | undefined }
  | { readonly kind: 'run'; readonly t: RunTransition; readonly output: string | undefined };
type ActionWrite = Extract<Write, { kind: 'action' }>;

interface RunRow {
  run_id: string;
  workflow_id: string;
  workflow_name: string;
  workflow_hash: string;
  state: string;
  lease_id: string;
  epoch: number;
  lease_expires_at: Date;
  owner_host: string;
  owner_pid: number;
  cancel_requested: boolean;
  started_at: string;
  finished_at: string | null;
  steps_total: number;
  steps_completed: number | null;
  steps_failed: number | null;
  source: string | null;
  definition?: string;
  output?: string | null;
}

const SUMMARY_COLUMNS =
  'run_id, workflow_id, workflow_name, workflow_hash, state, lease_id, epoch, lease_expires_at, owner_host, ' +
  'owner_pid, cancel_requested, started_at, finished_at, steps_total, steps_completed, steps_failed, source';
const TERMINAL = [...TERMINAL_RUN_STATES];
/** How long the server lets a session sit idle inside a transaction (a stopped client) before ending it. */
const IDLE_IN_TRANSACTION_MS = 10_000;

/** A `Store` in a PostgreSQL schema. */
export class PostgresStore implements Store {
  readonly kind = 'postgres';
  private readonly batcher: WriteBatcher<Write>;
  private readonly S: string;
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    readonly config: PostgresConfig,
  ) {
    this.S = `"${config.schema}"`;
    this.batcher = new WriteBatcher<Write>((writes) => this.applyBatch(writes), `PostgreSQL store ${config.display}`);
  }

  /**
   * Connect to `url` (`postgres://user@host:port/db?schema=name`) and create or migrate the schema. Throws
   * SERVICE_UNAVAILABLE when the server cannot be reached, CONFIGURATION_ERROR when it refuses (unknown database,
   * authentication) or the schema is not onex's; nothing is written then.
   */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const config = parsePostgresUrl(url);
    const pool = new pg.Pool({
      connectionString: config.connectionString,
      max: options.maxConnections ?? 4,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      // A paused or hung client must not hold row locks forever: the server ends a session idle inside a transaction.
      options: `-c idle_in_transaction_session_timeout=${IDLE_IN_TRANSACTION_MS}`,
    });
    // An idle connection the server closes emits 'error' on the pool; without a listener that would crash the process.
    pool.on('error', () => {});

    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      await pool.end().catch(() => {});
      throw connectError(config, err);
    }
    try {
      await migratePostgres(client, config.schema);
    } catch (err) {
      client.release();
      await pool.end().catch(() => {});
      throw err instanceof OnexError ? err : connectError(config, err);
    }
    client.release();
    return new PostgresStore(pool, config);
  }

  async beginRun(run: RunStart): Promise<void> {
    const owner = run.owner ?? currentOwner();
    await this.transaction(async (c) => {
      const inserted = await c.query(
        `INSERT INTO ${this.S}.onex_runs (run_id, workflow_id, workflow_name, workflow_hash, state, lease_id, epoch,
           lease_expires_at, owner_host, owner_pid, started_at, steps_total, source, definition)
         VALUES ($1, $2, $3, $4, 'running', $5, 1, clock_timestamp() + make_interval(secs => $6::double precision / 1000),
           $7, $8, $9, $10, $11, $12)
         ON CONFLICT (run_id) DO NOTHING`,
        [
          run.runId,
          run.workflowId,
          run.workflowName,
          run.workflowHash,
          run.leaseId,
          run.leaseMs ?? DEFAULT_LEASE_MS,
          owner.host,
          owner.pid,
          run.startedAt,
          stepCountOf(run.definition, run.actions),
          run.source ? JSON.stringify(run.source) : null,
          JSON.stringify(toWire(run.definition)),
        ],
      );
      if (inserted.rowCount === 0) throw runExists(run.runId);
      if (run.actions.length === 0) return;
      await c.query(
        `INSERT INTO ${this.S}.onex_actions (run_id, action_id, position, step_id, state, attempt, epoch, lease_id, updated_at)
         SELECT $1, a.action_id, a.position, a.step_id, 'pending', 0, 1, $2, $3
         FROM unnest($4::text[], $5::text[]) WITH ORDINALITY AS a(action_id, step_id, position)`,
        [run.runId, run.leaseId, run.startedAt, run.actions.map((a) => a.actionId), run.actions.map((a) => a.stepId)],
      );
    });
  }

  transitionAction(t: ActionTransition): Promise<number> {
    const result = toJsonColumn(t.result, `result of action ${t.actionId}`);
    return this.batcher.push({ kind: 'action', t, result });
  }

  transitionRun(t: RunTransition): Promise<number> {
    const output = toJsonColumn(t.output === undefined ? undefined : toWire(t.output), `output of run ${t.runId}`);
    return this.batcher.push({ kind: 'run', t, output });
  }

  async renewLease(r: LeaseRenewal): Promise<LeaseStatus> {
    const { rows } = await this.query<{ lease_expires_at: Date; cancel_requested: boolean; state: string }>(
      this.pool,
      `UPDATE ${this.S}.onex_runs SET lease_expires_at = CASE WHEN state = ANY($3::text[]) THEN lease_expires_at
         ELSE clock_timestamp() + make_interval(secs => $4::double precision / 1000) END
       WHERE run_id = $1 AND lease_id = $2
       RETURNING lease_expires_at, cancel_requested, state`,
      [r.runId, r.leaseId, TERMINAL, r.leaseMs],
    );
    const row = rows[0];
    if (!row) {
      const stored = await this.runLease(this.pool, r.runId);
      throw fenceError('run', r.runId, stored, { leaseId: r.leaseId, expectedEpoch: stored?.epoch ?? 0 });
    }
    return {
      leaseExpiresAt: row.lease_expires_at.toISOString(),
      cancelRequested: row.cancel_requested,
      state: row.state as EnumWorkflowState,
    };
  }

  async takeOver(t: TakeOver): Promise<StoredRun> {
    await this.batcher.flush();
    return this.transaction(async (c) => {
      const { rows } = await this.query<RunRow & { expired: boolean }>(
        c,
        `SELECT *, lease_expires_at <= clock_timestamp() AS expired FROM ${this.S}.onex_runs WHERE run_id = $1 FOR UPDATE`,
        [t.runId],
      );
      const run = rows[0];
      if (!run) throw notFound('run', t.runId);
      if (TERMINAL_RUN_STATES.has(run.state)) throw runEnded(t.runId, run.state);
      const sameView = run.lease_id === t.fromLeaseId && run.epoch === t.expectedEpoch;
      if (sameView && !t.ownerDead && run.lease_id !== t.leaseId && !run.expired) {
        throw leaseHeld(t.runId, {
          leaseId: run.lease_id,
          leaseExpiresAt: run.lease_expires_at.toISOString(),
          ownerHost: run.owner_host,
          ownerPid: run.owner_pid,
        });
      }
      const [outcome] = await this.cas(
        c,
        'run',
        [{ runId: t.runId, id: t.runId, leaseId: t.fromLeaseId, expectedEpoch: t.expectedEpoch }],
        `UPDATE ${this.S}.onex_runs SET lease_id = $4, epoch = epoch + 1,
           lease_expires_at = clock_timestamp() + make_interval(secs => $5::double precision / 1000),
           owner_host = $6, owner_pid = $7
         WHERE run_id = $1 AND lease_id = $2 AND epoch = $3
         RETURNING run_id, run_id AS id, epoch`,
        [t.runId, t.fromLeaseId, t.expectedEpoch, t.leaseId, t.leaseMs, t.owner.host, t.owner.pid],
      );
      if (!outcome?.ok) throw outcome?.error ?? notFound('run', t.runId);
      await c.query(`UPDATE ${this.S}.onex_actions SET lease_id = $1, epoch = epoch + 1 WHERE run_id = $2`, [
        t.leaseId,
        t.runId,
      ]);
      return (await this.readRun(c, t.runId))!;
    });
  }

  async requestCancel(runId: string): Promise<RunSummary> {
    await this.query(
      this.pool,
      `UPDATE ${this.S}.onex_runs SET cancel_requested = true WHERE run_id = $1 AND NOT (state = ANY($2::text[]))`,
      [runId, TERMINAL],
    );
    const { rows } = await this.query<RunRow>(
      this.pool,
      `SELECT ${SUMMARY_COLUMNS} FROM ${this.S}.onex_runs WHERE run_id = $1`,
      [runId],
    );
    if (!rows[0]) throw notFound('run', runId);
    return this.summary(this.pool, rows[0]);
  }

  async getRun(runId: string): Promise<StoredRun | undefined> {
    await this.batcher.flush();
    return this.readRun(this.pool, runId);
  }

  async listRuns(limit = 50): Promise<RunSummary[]> {
    await this.batcher.flush();
    const { rows } = await this.query<RunRow>(
      this.pool,
      `SELECT ${SUMMARY_COLUMNS} FROM ${this.S}.onex_runs ORDER BY seq DESC LIMIT $1`,
      [limit],
    );
    return Promise.all(rows.map((row) => this.summary(this.pool, row)));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.batcher.flush();
    this.closed = true;
    await this.pool.end();
  }

  /** Drop this store's schema and everything in it (tests and tear-down). */
  async dropSchema(): Promise<void> {
    await this.batcher.flush();
    await this.query(this.pool, `DROP SCHEMA IF EXISTS ${this.S} CASCADE`, []);
  }

  // ---- writes ----------------------------------------------------------------------------------------------------

  /**
   * One transaction for the whole batch. Consecutive action writes on distinct actions go as one multi-row
   * compare-and-set; a run write, or a second write to an action already in the segment, starts a new segment, so
   * writes still apply in the order they were made.
   */
  private async applyBatch(writes: readonly Write[]): Promise<WriteOutcome[]> {
    return this.transaction(async (c) => {
      const outcomes: WriteOutcome[] = [];
      let segment: ActionWrite[] = [];
      let keys = new Set<string>();
      const flushSegment = async () => {
        if (segment.length > 0) outcomes.push(...(await this.casActions(c, segment)));
        segment = [];
        keys = new Set();
      };
      for (const w of writes) {
        if (w.kind === 'run') {
          await flushSegment();
          outcomes.push(...(await this.casRun(c, w)));
          continue;
        }
        const key = `${w.t.runId}\u0000${w.t.actionId}`;
        if (keys.has(key)) await flushSegment();
        segment.push(w);
        keys.add(key);
      }
      await flushSegment();
      return outcomes;
    });
  }

  private casActions(c: pg.PoolClient, writes: readonly ActionWrite[]): Promise<WriteOutcome[]> {
    const col = <T>(f: (w: ActionWrite) => T) => writes.map(f);
    return this.cas(
      c,
      'action',
      writes.map((w) => ({ ...w.t, id: w.t.actionId })),
      `UPDATE ${this.S}.onex_actions AS a SET state = v.state, attempt = v.attempt, epoch = a.epoch + 1,
         result = CASE WHEN v.set_result THEN v.result ELSE a.result END,
         error_code = CASE WHEN v.set_error THEN v.error_code ELSE a.error_code END,
         error_message = CASE WHEN v.set_error THEN v.error_message ELSE a.error_message END,
         started_at = COALESCE(a.started_at, CASE WHEN v.state = 'running' THEN v.at END),
         updated_at = v.at
       FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::int[], $7::bool[], $8::text[],
         $9::bool[], $10::text[], $11::text[], $12::text[])
         AS v(run_id, action_id, lease_id, expected_epoch, state, attempt, set_result, result, set_error, error_code,
           error_message, at)
       WHERE a.run_id = v.run_id AND a.action_id = v.action_id AND a.lease_id = v.lease_id AND a.epoch = v.expected_epoch
       RETURNING a.run_id, a.action_id AS id, a.epoch`,
      [
        col((w) => w.t.runId),
        col((w) => w.t.actionId),
        col((w) => w.t.leaseId),
        col((w) => w.t.expectedEpoch),
        col((w) => w.t.state),
        col((w) => w.t.attempt),
        col((w) => w.result !== undefined),
        col((w) => w.result ?? null),
        col((w) => w.t.error !== undefined),
        col((w) => w.t.error?.code ?? null),
        col((w) => w.t.error?.message ?? null),
        col((w) => w.t.at),
      ],
    );
  }

  private casRun(c: pg.PoolClient, w: Extract<Write, { kind: 'run' }>): Promise<WriteOutcome[]> {
    const t = w.t;
    const counts = countsFromOutput(t.output);
    return this.cas(
      c,
      'run',
      [{ ...t, id: t.runId }],
      `UPDATE ${this.S}.onex_runs SET state = $4, epoch = epoch + 1,
         finished_at = CASE WHEN $5::boolean THEN $6 ELSE finished_at END,
         output = CASE WHEN $7::boolean THEN $8 ELSE output END,
         steps_completed = CASE WHEN $7::boolean THEN $9::int ELSE steps_completed END,
         steps_failed = CASE WHEN $7::boolean THEN $10::int ELSE steps_failed END
       WHERE run_id = $1 AND lease_id = $2 AND epoch = $3
       RETURNING run_id, run_id AS id, epoch`,
      [
        t.runId,
        t.leaseId,
        t.expectedEpoch,
        t.state,
        TERMINAL_RUN_STATES.has(t.state),
        t.at,
        w.output !== undefined,
        w.output ?? null,
        counts?.stepsCompleted ?? null,
        counts?.stepsFailed ?? null,
      ],
    );
  }

  /**
   * The compare-and-set of this store, the one place every state change goes through: `sql` is an
   * `UPDATE … WHERE lease_id = … AND epoch = … RETURNING run_id, <id>, epoch` over `writes`; a write whose row did not come
   * back matched nothing, and the row as it is now says why (foreign lease, stale epoch, missing).
   */
  private async cas(
    c: pg.PoolClient,
    kind: 'run' | 'action',
    writes: readonly { runId: string; id: string; leaseId: string; expectedEpoch: number }[],
    sql: string,
    params: unknown[],
  ): Promise<WriteOutcome[]> {
    const { rows } = await this.query<{ run_id: string; id: string; epoch: number }>(c, sql, params);
    const done = new Map(rows.map((r) => [`${r.run_id}\u0000${r.id}`, r.epoch]));
    const outcomes: WriteOutcome[] = [];
    for (const w of writes) {
      const epoch = done.get(`${w.runId}\u0000${w.id}`);
      if (epoch !== undefined) {
        outcomes.push({ ok: true, epoch });
        continue;
      }
      const run = await this.runLease(c, w.runId);
      if (!run) {
        outcomes.push({ ok: false, error: notFound('run', w.runId) });
        continue;
      }
      const stored =
        kind === 'run'
          ? run
          : (
              await this.query<{ leaseId: string; epoch: number }>(
                c,
                `SELECT lease_id AS "leaseId", epoch FROM ${this.S}.onex_actions WHERE run_id = $1 AND action_id = $2`,
                [w.runId, w.id],
              )
            ).rows[0];
      outcomes.push({ ok: false, error: fenceError(kind, w.id, stored, w) });
    }
    return outcomes;
  }

  // ---- reads and plumbing ----------------------------------------------------------------------------------------

  private async runLease(q: Queryable, runId: string): Promise<{ leaseId: string; epoch: number } | undefined> {
    const { rows } = await this.query<{ leaseId: string; epoch: number }>(
      q,
      `SELECT lease_id AS "leaseId", epoch FROM ${this.S}.onex_runs WHERE run_id = $1`,
      [runId],
    );
    return rows[0];
  }

  private async readRun(q: Queryable, runId: string): Promise<StoredRun | undefined> {
    const { rows } = await this.query<RunRow>(q, `SELECT * FROM ${this.S}.onex_runs WHERE run_id = $1`, [runId]);
    const row = rows[0];
    if (!row) return undefined;
    const actions = (
      await this.query<ActionRow>(q, `SELECT * FROM ${this.S}.onex_actions WHERE run_id = $1 ORDER BY position`, [
        runId,
      ])
    ).rows.map(actionOf);
    const { stepsTotal: _t, stepsCompleted: _c, stepsFailed: _f, ...summary } = await this.summary(q, row, actions);
    return {
      ...summary,
      definition: JSON.parse(row.definition ?? 'null'),
      output: fromJsonColumn(row.output),
      actions,
    };
  }

  private async summary(q: Queryable, row: RunRow, actions?: readonly StoredAction[]): Promise<RunSummary> {
    let counts: { stepsCompleted: number; stepsFailed: number };
    if (row.steps_completed !== null && row.steps_failed !== null) {
      counts = { stepsCompleted: row.steps_completed, stepsFailed: row.steps_failed };
    } else if (actions) {
      counts = countsFromActions(actions);
    } else {
      const { rows } = await this.query<{ stepId: string; state: string }>(
        q,
        `SELECT step_id AS "stepId", state FROM ${this.S}.onex_actions WHERE run_id = $1`,
        [row.run_id],
      );
      counts = countsFromActions(rows);
    }
    return {
      runId: row.run_id,
      workflowId: row.workflow_id,
      workflowName: row.workflow_name,
      workflowHash: row.workflow_hash,
      state: row.state as EnumWorkflowState,
      leaseId: row.lease_id,
      epoch: row.epoch,
      leaseExpiresAt: row.lease_expires_at.toISOString(),
      ownerHost: row.owner_host,
      ownerPid: row.owner_pid,
      cancelRequested: row.cancel_requested,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      source: row.source ? (JSON.parse(row.source) as RunSource) : null,
      stepsTotal: row.steps_total,
      ...counts,
    };
  }

  /** Run `fn` in one transaction on one connection; any error rolls it back. */
  private async transaction<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw connectError(this.config, err);
    }
    try {
      await client.query('BEGIN');
      const value = await fn(client);
      await client.query('COMMIT');
      return value;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  private async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    q: Queryable,
    sql: string,
    params: unknown[],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await q.query<R>(sql, params);
    } catch (err) {
      throw connectError(this.config, err);
    }
  }
}

/** A driver error as a typed one: unreachable → SERVICE_UNAVAILABLE; refused (auth, database) → CONFIGURATION_ERROR. */
function connectError(config: PostgresConfig, err: unknown): OnexError {
  if (err instanceof OnexError) return err;
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' && e.message ? e.message : String(err);
  const refused = /^(28|3D|42501)/.test(code);
  return new OnexError(
    refused ? EnumCoreErrorCode.CONFIGURATION_ERROR : EnumCoreErrorCode.SERVICE_UNAVAILABLE,
    refused
      ? `PostgreSQL store ${config.display} refused onex: ${message}`
      : `PostgreSQL store ${config.display} is unreachable or failed: ${message}`,
    { context: { store: 'postgres', server: config.display, pgCode: code || null }, cause: err },
  );
}
