/**
 * W7, BATCH vs PARALLEL: 10,000 small upserts into SQLite (better-sqlite3, a temp file) through one EFFECT node.
 * `batch`: the workflow runs in BATCH mode and the node's `processBatch` writes each batch in one transaction.
 * `parallel`: the same node in PARALLEL mode, where each action's `execute` is one autocommit statement.
 * `direct-tx` / `direct-autocommit` (engine b0): the same upserts written straight to the database, the floor.
 *
 * The database runs in WAL mode with `synchronous = FULL`: every committed transaction is durable (one WAL fsync
 * per commit), which is what makes a transaction per batch worth having. With `synchronous = NORMAL` commits skip
 * the fsync and the database cost nearly vanishes for both modes.
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  type BatchItem,
  ModelONEXContainer,
  type NodeContext,
  NodeEffect,
  NodeOrchestrator,
} from '../../dist/index.js';
import { measure } from '../lib/measure.js';
import type { ResultRow } from '../lib/protocol.js';
import { summarize } from '../lib/stats.js';

export const W7_UPSERTS = 10_000;
export const W7_BATCH_SIZE = 100;
/** Actions (or processBatch calls) in flight; the statement itself is synchronous in better-sqlite3. */
export const W7_PARALLEL_STEPS = 100;

export const W7_VARIANTS = ['batch', 'parallel', 'direct-tx', 'direct-autocommit'] as const;
export type W7Variant = (typeof W7_VARIANTS)[number];

interface Upsert {
  readonly k: number;
  readonly v: number;
}

/** A temp SQLite file with one key-value table and the upsert statement. */
function openTarget() {
  const dir = mkdtempSync(join(tmpdir(), 'onex-bench-w7-'));
  const db = new Database(join(dir, 'w7.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)');
  const upsert = db.prepare('INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v');
  const upsertMany = db.transaction((rows: readonly Upsert[]) => {
    for (const r of rows) upsert.run(r.k, r.v);
  });
  /** Null when every key holds `v`, else what is wrong. */
  const check = (v: number): string | null => {
    const row = db.prepare('SELECT COUNT(*) AS n, SUM(v = ?) AS current FROM kv').get(v) as {
      n: number;
      current: number;
    };
    return row.n === W7_UPSERTS && row.current === W7_UPSERTS
      ? null
      : `table holds ${row.n} rows, ${row.current} with this run's value (expected ${W7_UPSERTS})`;
  };
  const close = () => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { upsert, upsertMany, check, close };
}

type Target = ReturnType<typeof openTarget>;

/** The EFFECT node: one statement per `execute`, one transaction per `processBatch`. Counts its calls. */
class UpsertNode extends NodeEffect<Upsert, number> {
  executeCalls = 0;
  batchCalls = 0;
  largestBatch = 0;
  readonly seen: Int32Array = new Int32Array(W7_UPSERTS);

  constructor(
    container: ModelONEXContainer,
    private readonly target: Target,
  ) {
    super(container);
  }

  execute(input: Upsert, _ctx: NodeContext): number {
    this.executeCalls++;
    this.seen[input.k]!++;
    this.target.upsert.run(input.k, input.v);
    return input.k;
  }

  override processBatch(items: readonly BatchItem[], _ctx: NodeContext): number[] {
    this.batchCalls++;
    this.largestBatch = Math.max(this.largestBatch, items.length);
    const rows = items.map((item) => item.operationData as unknown as Upsert);
    for (const r of rows) this.seen[r.k]!++;
    this.target.upsertMany(rows);
    return rows.map((r) => r.k);
  }
}

export async function runBatchWorkload(variant: W7Variant): Promise<ResultRow> {
  const target = openTarget();
  let run = 0;
  try {
    if (variant === 'direct-tx' || variant === 'direct-autocommit') {
      const measured = await measure({
        before: () => void run++,
        run: async () => {
          const rows = Array.from({ length: W7_UPSERTS }, (_, k) => ({ k, v: run }));
          if (variant === 'direct-autocommit') for (const r of rows) target.upsert.run(r.k, r.v);
          else for (let i = 0; i < rows.length; i += W7_BATCH_SIZE) target.upsertMany(rows.slice(i, i + W7_BATCH_SIZE));
        },
        check: () => target.check(run),
      });
      return row(
        variant,
        variant === 'direct-tx' ? `B0 (direct, 1 transaction per ${W7_BATCH_SIZE})` : 'B0 (direct, autocommit)',
        'b0',
        measured,
      );
    }
    const container = new ModelONEXContainer();
    const node = new UpsertNode(container, target);
    container.registerNode('upsert', node);
    const orchestrator = new NodeOrchestrator(container);
    const mode = variant === 'batch' ? 'batch' : 'parallel';
    const stepIds = Array.from({ length: W7_UPSERTS }, () => crypto.randomUUID());
    const inputFor = (v: number) => ({
      workflowName: `w7-${mode}`,
      executionMode: mode,
      maxParallelSteps: W7_PARALLEL_STEPS,
      batchSize: W7_BATCH_SIZE,
      steps: stepIds.map((stepId, k) => ({
        stepId,
        stepName: `u${k}`,
        actions: [{ actionType: 'effect' as const, targetNodeType: 'upsert', operationData: { k, v } }],
      })),
    });
    let input = inputFor(0);
    let calls = { execute: 0, batch: 0 };
    let lastBatches = 0;
    const measured = await measure({
      before: () => {
        run++;
        input = inputFor(run);
        node.seen.fill(0);
        node.largestBatch = 0;
        calls = { execute: node.executeCalls, batch: node.batchCalls };
      },
      run: async () => {
        const out = await orchestrator.process(input);
        if (out.stepsCompleted !== W7_UPSERTS) throw new Error(`completed ${out.stepsCompleted} of ${W7_UPSERTS}`);
      },
      check: () => {
        const twice = node.seen.findIndex((n) => n !== 1);
        if (twice !== -1) return `upsert ${twice} was applied ${node.seen[twice]} times`;
        const executes = node.executeCalls - calls.execute;
        const batches = node.batchCalls - calls.batch;
        if (mode === 'parallel' && (executes !== W7_UPSERTS || batches !== 0)) {
          return `${executes} execute and ${batches} processBatch calls (expected ${W7_UPSERTS} and 0)`;
        }
        // Every action went through processBatch, in batches of at most batchSize (so at least N / batchSize calls).
        if (mode === 'batch' && (executes !== 0 || node.largestBatch > W7_BATCH_SIZE)) {
          return `${executes} execute calls and a batch of ${node.largestBatch} (expected 0 and ≤ ${W7_BATCH_SIZE})`;
        }
        lastBatches = batches;
        return target.check(run);
      },
    });
    return row(
      variant,
      mode === 'batch'
        ? 'onex BATCH (processBatch, 1 transaction per batch)'
        : 'onex PARALLEL (1 statement per action)',
      'onex',
      measured,
      mode === 'batch' ? { processBatchCalls: lastBatches } : {},
    );
  } finally {
    target.close();
  }
}

function row(
  variant: W7Variant,
  label: string,
  engine: string,
  measured: Awaited<ReturnType<typeof measure>>,
  extra: Record<string, number> = {},
): ResultRow {
  const summary = summarize(measured.samplesMs);
  return {
    workload: 'W7',
    engine,
    variant,
    label,
    status: 'ok',
    steps: W7_UPSERTS,
    warmups: measured.warmups,
    verifiedRuns: measured.verifiedRuns,
    ...summary,
    perStepUs: (1000 * summary.medianMs) / W7_UPSERTS,
    extra: { batchSize: W7_BATCH_SIZE, journal: 'WAL, synchronous=FULL', ...extra },
  };
}
