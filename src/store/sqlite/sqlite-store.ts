/**
 * The SQLite store (better-sqlite3): the embedded default of the CLI, `./.onex/onex.db`. WAL mode with
 * `synchronous=NORMAL`: a committed write survives a crash of the process (it is in the WAL, in the OS page cache);
 * a power cut may lose the last commits but never corrupts the file. Writes made during one event-loop turn are
 * committed together in one IMMEDIATE transaction (see `WriteBatcher`), each still its own compare-and-set, so that
 * recording a run costs about one commit per turn, not one per state change; a claim (RUNNING) is committed at once,
 * with whatever is queued, so that the owner knows it still holds the action before its node runs. All SQL is
 * parameterised.
 * @module
 */
import type Database from 'better-sqlite3';
import { EnumCoreErrorCode } from '../../errors/error-codes.js';
import { OnexError } from '../../errors/onex-error.js';
import { EnumStepState, type EnumWorkflowState } from '../../models/enums.js';
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
import { type OpenSqliteOptions, openSqliteDatabase } from './open.js';

/** Options of `SqliteStore.open`. */
export type SqliteStoreOptions = OpenSqliteOptions;

type Write =
  | { readonly kind: 'action'; readonly t: ActionTransition; readonly result: string | undefined }
  | { readonly kind: 'run'; readonly t: RunTransition; readonly output: string | undefined };

interface RunRow {
  seq: number;
  run_id: string;
  workflow_id: string;
  workflow_name: string;
  workflow_hash: string;
  state: string;
  lease_id: string;
  epoch: number;
  lease_expires_ms: number;
  owner_host: string;
  owner_pid: number;
  cancel_requested: number;
  started_at: string;
  finished_at: string | null;
  steps_total: number;
  steps_completed: number | null;
  steps_failed: number | null;
  source: string | null;
  definition: string;
  output: string | null;
}

const SUMMARY_COLUMNS =
  'seq, run_id, workflow_id, workflow_name, workflow_hash, state, lease_id, epoch, lease_expires_ms, owner_host, ' +
  'owner_pid, cancel_requested, started_at, finished_at, steps_total, steps_completed, steps_failed, source';
const TERMINAL_SQL = [...TERMINAL_RUN_STATES].map((s) => `'${s}'`).join(', ');

/** A `Store` in one SQLite file, shared safely by several processes on one machine. */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  private readonly batcher: WriteBatcher<Write>;
  private readonly sql;
  private readonly applyInTransaction: Database.Transaction<(writes: readonly Write[]) => WriteOutcome[]>;
  private closed = false;

  private constructor(
    private readonly db: Database.Database,
    /** Absolute path of the database file. */
    readonly path: string,
  ) {
    this.sql = prepareStatements(db);
    // Built once: better-sqlite3 wraps the function on every `transaction()` call.
    this.applyInTransaction = db.transaction((writes: readonly Write[]) => writes.map((w) => this.applyWrite(w)));
    this.batcher = new WriteBatcher<Write>((writes) => this.applyBatch(writes), `SQLite store ${path}`);
  }

  /**
   * Open (creating when missing) the store at `path`. Throws CONFIGURATION_ERROR, leaving the file unchanged, when
   * it is not a SQLite database, is corrupt, belongs to another program, or was written by a newer onex.
   */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteStore {
    const db = openSqliteDatabase(path, options);
    return new SqliteStore(db, db.name);
  }

  beginRun(run: RunStart): void {
    const owner = run.owner ?? currentOwner();
    this.guarded(() =>
      this.db
        .transaction(() => {
          if (this.sql.runLease.get(run.runId)) throw runExists(run.runId);
          this.sql.insertRun.run({
            runId: run.runId,
            workflowId: run.workflowId,
            workflowName: run.workflowName,
            workflowHash: run.workflowHash,
            state: 'running',
            leaseId: run.leaseId,
            leaseExpiresMs: Date.now() + (run.leaseMs ?? DEFAULT_LEASE_MS),
            ownerHost: owner.host,
            ownerPid: owner.pid,
            startedAt: run.startedAt,
            stepsTotal: stepCountOf(run.definition, run.actions),
            source: run.source ? JSON.stringify(run.source) : null,
            definition: JSON.stringify(toWire(run.definition)),
          });
          run.actions.forEach((a, position) => {
            this.sql.insertAction.run(run.runId, a.actionId, position, a.stepId, run.leaseId, run.startedAt);
          });
        })
        .immediate(),
    );
  }

  /**
   * A claim (the move to RUNNING, made just before the node is called) is committed at once and returns its epoch
   * synchronously — or throws the fencing error, so a fenced-off owner never calls the node. Every other write joins
   * the batch of the current event-loop turn.
   */
  transitionAction(t: ActionTransition): number | Promise<number> {
    const result = toJsonColumn(t.result, `result of action ${t.actionId}`);
    if (t.state !== EnumStepState.RUNNING) return this.batcher.push({ kind: 'action', t, result });
    const outcome = this.batcher.applyNow({ kind: 'action', t, result });
    if (!outcome.ok) throw outcome.error;
    return outcome.epoch;
  }

  transitionRun(t: RunTransition): Promise<number> {
    const output = toJsonColumn(t.output === undefined ? undefined : toWire(t.output), `output of run ${t.runId}`);
    return this.batcher.push({ kind: 'run', t, output });
  }

  async renewLease(r: LeaseRenewal): Promise<LeaseStatus> {
    const row = this.guarded(() =>
      this.sql.renew.get({ runId: r.runId, leaseId: r.leaseId, expiresMs: Date.now() + r.leaseMs }),
    ) as { lease_expires_ms: number; cancel_requested: number; state: string } | undefined;
    if (!row) {
      const stored = this.guarded(() => this.runLease(r.runId));
      throw fenceError('run', r.runId, stored, { leaseId: r.leaseId, expectedEpoch: stored?.epoch ?? 0 });
    }
    return {
      leaseExpiresAt: new Date(row.lease_expires_ms).toISOString(),
      cancelRequested: row.cancel_requested === 1,
      state: row.state as EnumWorkflowState,
    };
  }

  async takeOver(t: TakeOver): Promise<StoredRun> {
    await this.batcher.flush();
    return this.guarded(() =>
      this.db
        .transaction((): StoredRun => {
          const run = this.sql.runRow.get(t.runId) as RunRow | undefined;
          if (!run) throw notFound('run', t.runId);
          if (TERMINAL_RUN_STATES.has(run.state)) throw runEnded(t.runId, run.state);
          if (!t.ownerDead && run.lease_id !== t.leaseId && run.lease_expires_ms > Date.now()) {
            if (run.lease_id === t.fromLeaseId && run.epoch === t.expectedEpoch) {
              throw leaseHeld(t.runId, {
                leaseId: run.lease_id,
                leaseExpiresAt: new Date(run.lease_expires_ms).toISOString(),
                ownerHost: run.owner_host,
                ownerPid: run.owner_pid,
              });
            }
          }
          const view = { runId: t.runId, id: t.runId, leaseId: t.fromLeaseId, expectedEpoch: t.expectedEpoch };
          const outcome = this.cas('run', view, () =>
            this.sql.takeOverRun.get({
              runId: t.runId,
              fromLeaseId: t.fromLeaseId,
              expectedEpoch: t.expectedEpoch,
              leaseId: t.leaseId,
              expiresMs: Date.now() + t.leaseMs,
              ownerHost: t.owner.host,
              ownerPid: t.owner.pid,
            }),
          );
          if (!outcome.ok) throw outcome.error;
          this.sql.takeOverActions.run(t.leaseId, t.runId);
          return this.readRun(t.runId)!;
        })
        .immediate(),
    );
  }

  async requestCancel(runId: string): Promise<RunSummary> {
    const row = this.guarded(() => {
      this.sql.requestCancel.run(runId);
      return this.sql.summaryOne.get(runId) as RunRow | undefined;
    });
    if (!row) throw notFound('run', runId);
    return this.guarded(() => this.summary(row));
  }

  async getRun(runId: string): Promise<StoredRun | undefined> {
    await this.batcher.flush();
    return this.guarded(() => this.readRun(runId));
  }

  async listRuns(limit = 50): Promise<RunSummary[]> {
    await this.batcher.flush();
    return this.guarded(() => (this.sql.summaries.all(limit) as RunRow[]).map((row) => this.summary(row)));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.batcher.flush();
    this.closed = true;
    this.db.close();
  }

  /** Run `fn`; a driver error (locked past the busy timeout, I/O, closed) becomes SERVICE_UNAVAILABLE naming the file. */
  private guarded<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof OnexError) throw err;
      throw new OnexError(
        EnumCoreErrorCode.SERVICE_UNAVAILABLE,
        `SQLite store ${this.path}: ${(err as Error)?.message ?? String(err)}`,
        {
          context: { store: 'sqlite', path: this.path, sqliteCode: (err as { code?: unknown })?.code ?? null },
          cause: err,
        },
      );
    }
  }

  // ---- writes ----------------------------------------------------------------------------------------------------

  /** One transaction for the whole batch; each write is its own compare-and-set with its own outcome. */
  private applyBatch(writes: readonly Write[]): WriteOutcome[] {
    return this.applyInTransaction.immediate(writes);
  }

  private applyWrite(w: Write): WriteOutcome {
    if (w.kind === 'action') {
      const t = w.t;
      return this.cas('action', { ...t, id: t.actionId }, () =>
        this.sql.actionCas.get({
          runId: t.runId,
          actionId: t.actionId,
          leaseId: t.leaseId,
          expectedEpoch: t.expectedEpoch,
          state: t.state,
          attempt: t.attempt,
          at: t.at,
          setResult: w.result === undefined ? 0 : 1,
          result: w.result ?? null,
          setError: t.error === undefined ? 0 : 1,
          errorCode: t.error?.code ?? null,
          errorMessage: t.error?.message ?? null,
          running: t.state === EnumStepState.RUNNING ? 1 : 0,
        }),
      );
    }
    const t = w.t;
    const counts = countsFromOutput(t.output);
    return this.cas('run', { ...t, id: t.runId }, () =>
      this.sql.runCas.get({
        runId: t.runId,
        leaseId: t.leaseId,
        expectedEpoch: t.expectedEpoch,
        state: t.state,
        terminal: TERMINAL_RUN_STATES.has(t.state) ? 1 : 0,
        at: t.at,
        setOutput: w.output === undefined ? 0 : 1,
        output: w.output ?? null,
        stepsCompleted: counts?.stepsCompleted ?? null,
        stepsFailed: counts?.stepsFailed ?? null,
      }),
    );
  }

  /**
   * The compare-and-set of this store, the one place every state change goes through: `update` is an
   * `UPDATE … WHERE lease_id = ? AND epoch = ? RETURNING epoch`; no row back means it matched nothing, and the row
   * as it is now says why (foreign lease, stale epoch, missing).
   */
  private cas(
    kind: 'run' | 'action',
    write: { readonly runId: string; readonly id: string; readonly leaseId: string; readonly expectedEpoch: number },
    update: () => unknown,
  ): WriteOutcome {
    const row = update() as { epoch: number } | undefined;
    if (row) return { ok: true, epoch: row.epoch };
    const run = this.runLease(write.runId);
    if (!run) return { ok: false, error: notFound('run', write.runId) };
    const stored =
      kind === 'run'
        ? run
        : (this.sql.actionLease.get(write.runId, write.id) as { leaseId: string; epoch: number } | undefined);
    return { ok: false, error: fenceError(kind, write.id, stored, write) };
  }

  // ---- reads -----------------------------------------------------------------------------------------------------

  private runLease(runId: string): { leaseId: string; epoch: number } | undefined {
    return this.sql.runLease.get(runId) as { leaseId: string; epoch: number } | undefined;
  }

  private readRun(runId: string): StoredRun | undefined {
    const row = this.sql.runRow.get(runId) as RunRow | undefined;
    if (!row) return undefined;
    const actions = (this.sql.actionsOf.all(runId) as ActionRow[]).map(actionOf);
    const { stepsTotal: _t, stepsCompleted: _c, stepsFailed: _f, ...summary } = this.summary(row, actions);
    return { ...summary, definition: JSON.parse(row.definition), output: fromJsonColumn(row.output), actions };
  }

  private summary(row: RunRow, actions?: readonly StoredAction[]): RunSummary {
    const counts =
      row.steps_completed !== null && row.steps_failed !== null
        ? { stepsCompleted: row.steps_completed, stepsFailed: row.steps_failed }
        : countsFromActions(actions ?? (this.sql.actionStates.all(row.run_id) as { stepId: string; state: string }[]));
    return {
      runId: row.run_id,
      workflowId: row.workflow_id,
      workflowName: row.workflow_name,
      workflowHash: row.workflow_hash,
      state: row.state as EnumWorkflowState,
      leaseId: row.lease_id,
      epoch: row.epoch,
      leaseExpiresAt: new Date(row.lease_expires_ms).toISOString(),
      ownerHost: row.owner_host,
      ownerPid: row.owner_pid,
      cancelRequested: row.cancel_requested === 1,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      source: row.source ? (JSON.parse(row.source) as RunSource) : null,
      stepsTotal: row.steps_total,
      ...counts,
    };
  }
}

/** Every statement of the store, prepared once. */
function prepareStatements(db: Database.Database) {
  return {
    insertRun: db.prepare(
      `INSERT INTO onex_runs (run_id, workflow_id, workflow_name, workflow_hash, state, lease_id, epoch,
         lease_expires_ms, owner_host, owner_pid, started_at, steps_total, source, definition)
       VALUES (@runId, @workflowId, @workflowName, @workflowHash, @state, @leaseId, 1, @leaseExpiresMs, @ownerHost,
         @ownerPid, @startedAt, @stepsTotal, @source, @definition)`,
    ),
    insertAction: db.prepare(
      `INSERT INTO onex_actions (run_id, action_id, position, step_id, state, attempt, epoch, lease_id, updated_at)
       VALUES (?, ?, ?, ?, 'pending', 0, 1, ?, ?)`,
    ),
    actionCas: db.prepare(
      `UPDATE onex_actions SET state = @state, attempt = @attempt, epoch = epoch + 1,
         result = CASE WHEN @setResult = 1 THEN @result ELSE result END,
         error_code = CASE WHEN @setError = 1 THEN @errorCode ELSE error_code END,
         error_message = CASE WHEN @setError = 1 THEN @errorMessage ELSE error_message END,
         started_at = COALESCE(started_at, CASE WHEN @running = 1 THEN @at END),
         updated_at = @at
       WHERE run_id = @runId AND action_id = @actionId AND lease_id = @leaseId AND epoch = @expectedEpoch
       RETURNING epoch`,
    ),
    runCas: db.prepare(
      `UPDATE onex_runs SET state = @state, epoch = epoch + 1,
         finished_at = CASE WHEN @terminal = 1 THEN @at ELSE finished_at END,
         output = CASE WHEN @setOutput = 1 THEN @output ELSE output END,
         steps_completed = CASE WHEN @setOutput = 1 THEN @stepsCompleted ELSE steps_completed END,
         steps_failed = CASE WHEN @setOutput = 1 THEN @stepsFailed ELSE steps_failed END
       WHERE run_id = @runId AND lease_id = @leaseId AND epoch = @expectedEpoch
       RETURNING epoch`,
    ),
    takeOverRun: db.prepare(
      `UPDATE onex_runs SET lease_id = @leaseId, epoch = epoch + 1, lease_expires_ms = @expiresMs,
         owner_host = @ownerHost, owner_pid = @ownerPid
       WHERE run_id = @runId AND lease_id = @fromLeaseId AND epoch = @expectedEpoch
       RETURNING epoch`,
    ),
    takeOverActions: db.prepare('UPDATE onex_actions SET lease_id = ?, epoch = epoch + 1 WHERE run_id = ?'),
    renew: db.prepare(
      `UPDATE onex_runs SET lease_expires_ms = CASE WHEN state IN (${TERMINAL_SQL}) THEN lease_expires_ms ELSE @expiresMs END
       WHERE run_id = @runId AND lease_id = @leaseId
       RETURNING lease_expires_ms, cancel_requested, state`,
    ),
    requestCancel: db.prepare(
      `UPDATE onex_runs SET cancel_requested = 1 WHERE run_id = ? AND state NOT IN (${TERMINAL_SQL})`,
    ),
    runLease: db.prepare('SELECT lease_id AS leaseId, epoch FROM onex_runs WHERE run_id = ?'),
    actionLease: db.prepare('SELECT lease_id AS leaseId, epoch FROM onex_actions WHERE run_id = ? AND action_id = ?'),
    runRow: db.prepare('SELECT * FROM onex_runs WHERE run_id = ?'),
    actionsOf: db.prepare('SELECT * FROM onex_actions WHERE run_id = ? ORDER BY position'),
    actionStates: db.prepare('SELECT step_id AS stepId, state FROM onex_actions WHERE run_id = ?'),
    summaryOne: db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM onex_runs WHERE run_id = ?`),
    summaries: db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM onex_runs ORDER BY seq DESC LIMIT ?`),
  };
}
