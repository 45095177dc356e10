/**
 * Tables of `onex runs` and `onex show` for a person (the `--json` forms are the views through `toWire`).
 * @module
 */
import Table from 'cli-table3';
import pc from 'picocolors';
import { formatMs } from './render.js';
import type { RunListView, RunView } from './run-view.js';

/** `2024-05-01 12:03:04Z` (seconds are enough to tell runs apart in a listing). */
function formatTime(iso: string | null): string {
  if (!iso) return '';
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function paint(color: boolean) {
  return color ? pc : pc.createColors(false);
}

function stateText(p: ReturnType<typeof paint>, state: string): string {
  if (state === 'completed') return p.green(state);
  if (state === 'partial_success' || state === 'running') return p.yellow(state);
  if (state === 'pending' || state === 'skipped') return p.dim(state);
  return p.red(state);
}

function duration(ms: number | null): string {
  return ms === null ? '' : formatMs(ms);
}

/** The `onex runs` table: id, workflow, state, started, duration, steps done/failed. */
export function renderRunList(runs: readonly RunListView[], color: boolean): string {
  if (runs.length === 0) return 'no runs recorded yet\n';
  const p = paint(color);
  const table = new Table({
    head: ['run id', 'workflow', 'state', 'started', 'duration', 'steps done/failed/total'],
    style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [] },
  });
  for (const r of runs) {
    const state = r.cancelRequested && r.state === 'running' ? `${r.state} (cancel requested)` : r.state;
    table.push([
      r.runId,
      r.workflowName,
      stateText(p, state),
      formatTime(r.startedAt),
      duration(r.durationMs),
      `${r.stepsCompleted}/${r.stepsFailed}/${r.stepsTotal}`,
    ]);
  }
  return `${table.toString()}\n`;
}

/** The `onex show` view: the run's header, then one row per step (and its actions when it has several). */
export function renderRun(run: RunView, color: boolean): string {
  const p = paint(color);
  const lines = [
    `${p.bold(run.workflowName)} — run ${run.runId}`,
    `  state     ${stateText(p, run.state)}${run.cancelRequested && run.state === 'running' ? ' (cancel requested)' : ''}`,
    `  started   ${formatTime(run.startedAt)}${run.finishedAt ? `   finished ${formatTime(run.finishedAt)}` : ''}`,
    `  duration  ${duration(run.durationMs)}`,
    `  steps     ${run.stepsCompleted} completed, ${run.stepsFailed} failed, ${run.stepsTotal} in all`,
    `  lease     ${run.leaseId} (pid ${run.ownerPid} on ${run.ownerHost}), epoch ${run.epoch}`,
  ];
  if (run.source?.workflowPath) lines.push(`  workflow  ${run.source.workflowPath}`);
  const table = new Table({
    head: ['step', 'state', 'attempts', 'duration', 'epoch', 'error'],
    style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [] },
    wordWrap: true,
    colWidths: [null, null, null, null, null, 60],
  });
  for (const s of run.steps) {
    table.push([
      s.stepName,
      stateText(p, s.reason ? `${s.state} (${s.reason})` : s.state),
      String(s.attempts),
      duration(s.durationMs),
      String(s.epoch),
      s.error ? `[${s.error.code}] ${s.error.message}` : '',
    ]);
    if (s.actions.length > 1) {
      for (const a of s.actions) {
        table.push([
          p.dim(`  ${a.actionId.slice(0, 8)}`),
          stateText(p, a.state),
          String(a.attempt),
          duration(a.durationMs),
          String(a.epoch),
          a.error ? `[${a.error.code}] ${a.error.message}` : '',
        ]);
      }
    }
  }
  lines.push(table.toString());
  lines.push(...resilienceLines(run.output));
  return `${lines.join('\n')}\n`;
}

/** Circuit breaker states and saga compensations, from the run's final output (spec §5: visible in `onex show`). */
function resilienceLines(output: unknown): string[] {
  const metadata = (output as { metadata?: Record<string, unknown> } | null)?.metadata;
  const lines: string[] = [];
  const breakers = metadata?.circuit_breakers as
    | Record<string, { state?: string; failure_threshold?: number }>
    | undefined;
  if (breakers && Object.keys(breakers).length > 0) {
    const states = Object.entries(breakers).map(([target, b]) => `${target} ${b.state ?? '?'}`);
    lines.push(`  circuit breakers  ${states.join(', ')}`);
  }
  const compensations = metadata?.compensations as { step_name?: string; state?: string }[] | undefined;
  if (compensations && compensations.length > 0) {
    lines.push(`  compensations     ${compensations.map((c) => `${c.step_name} ${c.state}`).join(', ')}`);
  }
  return lines;
}
