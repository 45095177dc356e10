/**
 * The report: the results table (one line per workload × engine) and the goals table, as Markdown. `npm run bench`
 * prints it and the README shows the same text, generated from `bench/results/latest.json`.
 * @module
 */
import type { ResultRow } from '../lib/protocol.js';
import { markdownTable, ms, num } from './format.js';
import type { GoalResult } from './goals.js';

/** What `bench/results/latest.json` holds. */
export interface BenchReport {
  readonly generatedAt: string;
  readonly complete: boolean;
  readonly environment: Readonly<Record<string, string | number>>;
  readonly rows: readonly ResultRow[];
  readonly goals: readonly GoalResult[];
}

const WORKLOAD_TITLES: Readonly<Record<string, string>> = {
  W1: 'W1 chain of 1,000',
  W2: 'W2 fan-out/fan-in 1→1,000→1',
  W3: 'W3 20 layers × 50, 2 random deps',
  W4: 'W4 = W3 + 1 ms timer per step, ≤ 8 at once',
  W5: 'W5 plan 100,000 actions',
  W6: 'W6 W3 on a durable store',
  W7: 'W7 10,000 SQLite upserts',
  MEM: 'Memory: W3 run 10,000×',
};

/** The workload-specific measurements of a row, in a few words. */
function notes(row: ResultRow): string {
  const x = row.extra ?? {};
  switch (row.workload) {
    case 'W4':
      return (
        `makespan/ideal ${num(Number(x.makespanOverIdeal))}× (ideal ${ms(Number(x.idealMs))} = ${x.idealTimers} × ` +
        `${num(Number(x.timerCostMs))} ms timer); before 1st step ${ms(Number(x.startLatencyMs))}, after last ${ms(Number(x.tailMs))}` +
        (x.childMediansMs !== undefined ? `; best of 2 children, medians ${x.childMediansMs} ms` : '')
      );
    case 'W5':
      return row.variant === 'plan'
        ? `peak RSS +${num(Number(x.peakRssMb))} MB; bare Kahn in the same process ${ms(Number(x.kahnMedianMs))} → ${num(Number(x.planOverKahn))}×`
        : `peak RSS +${num(Number(x.peakRssMb))} MB`;
    case 'W6':
      return `${num(Number(x.actionsPerSec))} actions/s, ${num(Number(x.bytesPerAction))} B written/action (${x.bytesCounted})`;
    case 'W7':
      return x.processBatchCalls !== undefined
        ? `${x.processBatchCalls} processBatch calls; ${x.journal}`
        : String(x.journal ?? '');
    case 'MEM':
      return `${num(Number(x.completedRuns))} of ${num(Number(x.targetRuns))} runs (stopped by ${x.stoppedBy}), ${ms(Number(x.meanRunMs))}/run; RSS growth ${num(Number(x.rssGrowthMb))} MB after GC; runs:MB ${x.checkpointsRunsToMb}`;
    default:
      return x.childMediansMs !== undefined ? `best of 2 children, medians ${x.childMediansMs} ms` : '';
  }
}

/** Median time of the B0 row of the same workload, to print every engine as a multiple of the floor. */
function floorOf(rows: readonly ResultRow[], row: ResultRow): number | undefined {
  if (!['W1', 'W2', 'W3', 'W4'].includes(row.workload)) return undefined;
  const b0 = rows.find((r) => r.workload === row.workload && r.engine === 'b0' && r.status === 'ok');
  return b0?.medianMs;
}

export function resultsTable(rows: readonly ResultRow[]): string {
  const body = rows.map((row) => {
    const engine = row.label;
    const title = WORKLOAD_TITLES[row.workload] ?? row.workload;
    if (row.status !== 'ok') {
      const status = row.status === 'n/a' ? 'n/a' : 'ERROR';
      return [title, engine, status, '', '', '', '', row.reason ?? ''];
    }
    const runs = `${row.warmups ?? 0}+${row.runs ?? 0}`;
    const median = row.medianMs === undefined ? '—' : ms(row.medianMs);
    const spread = row.madPct === undefined ? '—' : `±${num(row.madPct)}%`;
    const perStep = row.perStepUs === undefined ? '—' : `${num(row.perStepUs)} µs`;
    const floor = floorOf(rows, row);
    const vsB0 = floor && row.medianMs !== undefined ? `${num(row.medianMs / floor)}×` : '';
    return [title, engine, runs, median, spread, perStep, vsB0, notes(row)];
  });
  return markdownTable(['Workload', 'Engine', 'Warm-up+runs', 'Median', '± (MAD)', 'Per step', 'vs B0', 'Notes'], body);
}

export function goalsTable(goals: readonly GoalResult[]): string {
  return markdownTable(
    ['Goal', 'Measured', 'Target', 'Result', 'Note'],
    goals.map((g) => [g.goal, g.measured, g.target, g.verdict, g.note ?? '']),
  );
}

/** The whole report as Markdown (console and README). */
export function renderReport(report: BenchReport): string {
  const env = report.environment;
  const failed = report.goals.filter((g) => g.verdict !== 'PASS').length;
  return [
    `Measured ${report.generatedAt.slice(0, 16).replace('T', ' ')} UTC on ${env.cpu} (${env.cpus} cores), Node ${env.node}; ` +
      `load average ${env.loadAtStart} at the start, ${env.loadAtEnd} at the end. Every run of every engine was checked: ` +
      'each step ran exactly once, after all of its dependencies had ended. Median of the measured runs after a warm-up of at least 1 s; ' +
      '± is the median absolute deviation.',
    '',
    resultsTable(report.rows),
    '',
    `Goals (${report.goals.length - failed} of ${report.goals.length} met):`,
    '',
    goalsTable(report.goals),
  ].join('\n');
}
