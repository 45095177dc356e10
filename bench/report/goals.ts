/**
 * The issue's goals, each computed from the result rows as a ratio with PASS / FAIL. A goal whose inputs are
 * missing (an engine n/a or a job that failed) is "n/a", never a pass.
 * @module
 */
import type { ResultRow, WorkloadId } from '../lib/protocol.js';
import { num } from './format.js';

export type Verdict = 'PASS' | 'FAIL' | 'INCONCLUSIVE' | 'n/a';

/** One goal line. */
export interface GoalResult {
  readonly goal: string;
  readonly workload: WorkloadId;
  /** The measured ratio (or MB), null when it could not be computed. */
  readonly value: number | null;
  /** The value as printed, e.g. `87.3×`. */
  readonly measured: string;
  readonly target: string;
  readonly verdict: Verdict;
  readonly note?: string;
}

const find = (rows: readonly ResultRow[], workload: WorkloadId, engine: string, variant?: string) =>
  rows.find((r) => r.workload === workload && r.engine === engine && (variant === undefined || r.variant === variant));

const ok = (row: ResultRow | undefined): row is ResultRow & { medianMs: number } =>
  row?.status === 'ok' && typeof row.medianMs === 'number';

function missing(goal: string, workload: WorkloadId, target: string, why: string): GoalResult {
  return { goal, workload, value: null, measured: '—', target, verdict: 'n/a', note: why };
}

function why(row: ResultRow | undefined, name: string): string {
  if (!row) return `${name} not run`;
  return `${name}: ${row.status}${row.reason ? ` (${row.reason})` : ''}`;
}

/** Compare `value` with `bound`: at most (≤) or at least (≥). */
function judge(
  goal: string,
  workload: WorkloadId,
  value: number,
  unit: string,
  bound: number,
  atMost: boolean,
): GoalResult {
  const pass = atMost ? value <= bound : value >= bound;
  return {
    goal,
    workload,
    value,
    measured: `${num(value)}${unit}`,
    target: `${atMost ? '≤' : '≥'} ${bound}${unit}`,
    verdict: pass ? 'PASS' : 'FAIL',
  };
}

export function computeGoals(rows: readonly ResultRow[]): GoalResult[] {
  const goals: GoalResult[] = [];
  for (const w of ['W1', 'W2', 'W3'] as const) {
    const onex = find(rows, w, 'onex');
    const b0 = find(rows, w, 'b0');
    const perStep = `${w}: onex per step / B0 per step`;
    if (ok(onex) && ok(b0)) goals.push(judge(perStep, w, onex.medianMs / b0.medianMs, '×', 5, true));
    else goals.push(missing(perStep, w, '≤ 5×', ok(onex) ? why(b0, 'B0') : why(onex, 'onex')));
    for (const [peer, name] of [
      ['langgraph', 'LangGraph'],
      ['llamaindex', 'LlamaIndex'],
    ] as const) {
      const other = find(rows, w, peer);
      const goal = `${w}: ${name} time / onex time`;
      if (ok(onex) && ok(other)) goals.push(judge(goal, w, other.medianMs / onex.medianMs, '×', 20, false));
      else goals.push(missing(goal, w, '≥ 20×', ok(onex) ? why(other, name) : why(onex, 'onex')));
    }
  }

  const w4 = find(rows, 'W4', 'onex');
  const w4Ratio = w4?.extra?.makespanOverIdeal;
  if (ok(w4) && typeof w4Ratio === 'number') {
    goals.push(judge('W4: onex makespan / ideal', 'W4', w4Ratio, '×', 1.1, true));
  } else goals.push(missing('W4: onex makespan / ideal', 'W4', '≤ 1.1×', why(w4, 'onex')));

  const w5 = find(rows, 'W5', 'onex', 'plan');
  const w5Ratio = w5?.extra?.planOverKahn;
  if (ok(w5) && typeof w5Ratio === 'number') {
    goals.push(judge('W5: onex plan() / bare Kahn sort (same process)', 'W5', w5Ratio, '×', 10, true));
  } else goals.push(missing('W5: onex plan() / bare Kahn sort (same process)', 'W5', '≤ 10×', why(w5, 'onex')));

  const batch = find(rows, 'W7', 'onex', 'batch');
  const parallel = find(rows, 'W7', 'onex', 'parallel');
  const w7 = 'W7: onex PARALLEL time / BATCH time';
  if (ok(batch) && ok(parallel)) goals.push(judge(w7, 'W7', parallel.medianMs / batch.medianMs, '×', 10, false));
  else goals.push(missing(w7, 'W7', '≥ 10×', ok(batch) ? why(parallel, 'PARALLEL') : why(batch, 'BATCH')));

  goals.push(memoryGoal(find(rows, 'MEM', 'onex')));
  return goals;
}

function memoryGoal(row: ResultRow | undefined): GoalResult {
  const goal = 'Memory: RSS growth after GC, W3 × 10,000 runs';
  const growth = row?.extra?.rssGrowthMb;
  const runs = row?.extra?.completedRuns;
  const target = row?.extra?.targetRuns;
  if (row?.status !== 'ok' || typeof growth !== 'number' || typeof runs !== 'number' || typeof target !== 'number') {
    return missing(goal, 'MEM', '< 50 MB', why(row, 'onex'));
  }
  const measured = `${num(growth)} MB`;
  const base = { goal, workload: 'MEM' as const, value: growth, measured, target: '< 50 MB' };
  if (growth >= 50) {
    const note = runs < target ? `already over after ${num(runs)} of ${num(target)} runs (time budget)` : undefined;
    return { ...base, verdict: 'FAIL', ...(note ? { note } : {}) };
  }
  if (runs < target) {
    return {
      ...base,
      verdict: 'INCONCLUSIVE',
      note: `only ${num(runs)} of ${num(target)} runs within the time budget`,
    };
  }
  return { ...base, verdict: 'PASS' };
}
