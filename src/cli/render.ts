/**
 * What the CLI shows a person: live step progress on a TTY, the summary table, the top rows of the last reduction.
 * @module
 */
import Table from 'cli-table3';
import { createLogUpdate } from 'log-update';
import pc from 'picocolors';
import type { RunEvent } from '../engine/run-options.js';
import type { ModelOrchestratorOutput } from '../models/orchestrator-output.js';

const ICON: Record<string, string> = {
  pending: pc.dim('·'),
  running: pc.cyan('▶'),
  completed: pc.green('✔'),
  failed: pc.red('✖'),
  timeout: pc.red('⏱'),
  skipped: pc.yellow('↷'),
  cancelled: pc.dim('■'),
  compensated: pc.magenta('↺'),
};

/** Live progress, one line per step, redrawn in place on stderr. */
export class Progress {
  private readonly lines = new Map<string, string>();
  private readonly render = createLogUpdate(process.stderr);

  constructor(stepNames: readonly string[]) {
    for (const name of stepNames) this.lines.set(name, `${ICON.pending} ${name}`);
    this.draw();
  }

  readonly onEvent = (event: RunEvent): void => {
    const extra =
      event.state === 'running'
        ? pc.dim(' …')
        : pc.dim(` ${formatMs(event.durationMs)}${event.attempt > 1 ? `, ${event.attempt} attempts` : ''}`);
    this.lines.set(event.stepName, `${ICON[event.state] ?? ' '} ${event.stepName} ${pc.dim(event.state)}${extra}`);
    this.draw();
  };

  done(): void {
    this.render.clear();
    this.render.done();
  }

  private draw(): void {
    this.render([...this.lines.values()].join('\n'));
  }
}

/** The summary table (step, state, duration, attempts) and the top rows of the last completed reduction. */
export function renderSummary(output: ModelOrchestratorOutput, color: boolean): string {
  const paint = color ? pc : pc.createColors(false);
  const table = new Table({
    head: ['step', 'state', 'duration', 'attempts'],
    style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [] },
  });
  for (const r of output.stepReports) {
    const state = r.reason ? `${r.state} (${r.reason})` : r.state;
    table.push([r.stepName, state, formatMs(r.durationMs), String(r.attempts)]);
  }
  const lines = [table.toString()];
  const top = topRows(output);
  if (top) {
    lines.push(paint.bold(`top rows of '${top.step}' (${top.total} in all)`));
    const rowsTable = new Table({
      head: top.columns,
      style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [] },
    });
    for (const row of top.rows) rowsTable.push(top.columns.map((c) => formatCell(row[c])));
    lines.push(rowsTable.toString());
  }
  const errors = output.errors.map((e) => paint.red(`[${e.code}] ${e.message}`));
  lines.push(...errors);
  lines.push(
    `${paint.bold(String(output.metadata.workflow_name))}: ${stateColor(paint, output.workflowState)} in ${formatMs(output.processingTimeMs)} ` +
      `(${output.stepsCompleted} completed, ${output.stepsFailed} failed, ${output.stepsSkipped} skipped; mode ${output.metadata.execution_mode})`,
  );
  return `${lines.join('\n')}\n`;
}

function stateColor(paint: Pick<typeof pc, 'green' | 'yellow' | 'red'>, state: string): string {
  if (state === 'completed') return paint.green(state);
  if (state === 'partial_success') return paint.yellow(state);
  return paint.red(state);
}

/** The last completed REDUCE step whose output is a list of rows (or an object), first 10 rows. */
function topRows(output: ModelOrchestratorOutput) {
  const reduceSteps = output.stepReports.filter(
    (r) =>
      r.state === 'completed' &&
      output.actionsEmitted.some((a) => a.actionType === 'reduce' && r.actions.some((x) => x.actionId === a.actionId)),
  );
  const step = reduceSteps[reduceSteps.length - 1];
  if (!step) return undefined;
  const value = output.stepOutputs[step.stepName];
  const rows: Record<string, unknown>[] = Array.isArray(value)
    ? value.filter((r) => r && typeof r === 'object')
    : value && typeof value === 'object'
      ? Object.entries(value).map(([key, v]) => ({ key, value: v }))
      : [];
  if (rows.length === 0) return undefined;
  const columns = [...new Set(rows.slice(0, 10).flatMap((r) => Object.keys(r)))];
  return { step: step.stepName, rows: rows.slice(0, 10), columns, total: rows.length };
}

function formatCell(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(3);
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  // A nested object in a summary cell is a glimpse, not the data (`--json` has it all): keep the table readable.
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text;
}

const MAX_CELL = 60;

/** `12 ms`, `1.52 s`. */
export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}
