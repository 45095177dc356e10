/**
 * A recorded run as `onex runs` / `onex show` present it: one document (camelCase; `toWire` makes the `--json` form)
 * with a view of each step. A run that ended has a final output, whose step reports know what the actions do not
 * (skipped steps and why); a run still going, or one that crashed, is described from its actions as recorded.
 * @module
 */
import { EnumStepState, isFinalStepState } from '../models/enums.js';
import { TERMINAL_RUN_STATES } from '../store/fencing.js';
import type { RunSummary, StoredAction, StoredError, StoredRun } from '../store/store.js';

/** One action as `show` presents it. */
export interface ActionView {
  readonly actionId: string;
  readonly state: string;
  readonly attempt: number;
  readonly epoch: number;
  readonly startedAt: string | null;
  readonly updatedAt: string;
  readonly durationMs: number | null;
  readonly error: StoredError | null;
  readonly result: unknown;
}

/** One step as `show` presents it. */
export interface StepView {
  readonly stepId: string;
  readonly stepName: string;
  readonly state: string;
  readonly reason: string | null;
  readonly attempts: number;
  readonly durationMs: number | null;
  /** Highest epoch among its actions. */
  readonly epoch: number;
  readonly error: StoredError | null;
  readonly actions: readonly ActionView[];
}

/** A run in a listing, with its duration. */
export type RunListView = RunSummary & { readonly durationMs: number | null };

/** A run as `show` presents it. */
export type RunView = RunListView & { readonly steps: readonly StepView[]; readonly output: unknown };

/** A listing row: the summary plus its duration (so far, for a run still going). */
export function runListView(run: RunSummary, now = Date.now()): RunListView {
  const start = Date.parse(run.startedAt);
  const end = run.finishedAt ? Date.parse(run.finishedAt) : TERMINAL_RUN_STATES.has(run.state) ? null : now;
  return { ...run, durationMs: end === null || Number.isNaN(start) ? null : Math.max(end - start, 0) };
}

/** The whole view of one run. */
export function runView(run: StoredRun, now = Date.now()): RunView {
  const { actions, definition, output, ...rest } = run;
  const base = runListView({ ...rest, stepsTotal: 0, stepsCompleted: 0, stepsFailed: 0 }, now);
  const steps = stepViews(run, now);
  return {
    ...base,
    stepsTotal: steps.length,
    stepsCompleted: steps.filter((s) => s.state === EnumStepState.COMPLETED).length,
    stepsFailed: steps.filter((s) => s.state === EnumStepState.FAILED || s.state === EnumStepState.TIMEOUT).length,
    steps,
    output: output ?? null,
  };
}

interface WireStep {
  step_id?: unknown;
  step_name?: unknown;
}
interface WireReport {
  step_id?: unknown;
  state?: unknown;
  reason?: unknown;
  attempts?: unknown;
  duration_ms?: unknown;
  error?: { code?: unknown; message?: unknown } | null;
}

function stepViews(run: StoredRun, now: number): StepView[] {
  const defined = ((run.definition as { steps?: WireStep[] } | null)?.steps ?? []).map((s) => ({
    stepId: String(s.step_id ?? ''),
    stepName: String(s.step_name ?? s.step_id ?? ''),
  }));
  const reports = new Map<string, WireReport>();
  for (const r of (run.output as { step_reports?: WireReport[] } | null | undefined)?.step_reports ?? []) {
    reports.set(String(r.step_id), r);
  }
  const byStep = new Map<string, StoredAction[]>();
  for (const a of run.actions) {
    const list = byStep.get(a.stepId) ?? [];
    list.push(a);
    byStep.set(a.stepId, list);
  }
  return defined.map(({ stepId, stepName }) => {
    const actions = byStep.get(stepId) ?? [];
    const actionViews = actions.map((a) => actionView(a, now));
    const epoch = actions.reduce((n, a) => Math.max(n, a.epoch), 0);
    const report = reports.get(stepId);
    if (report) {
      return {
        stepId,
        stepName,
        state: String(report.state),
        reason: report.reason === null || report.reason === undefined ? null : String(report.reason),
        attempts: Number(report.attempts ?? 0),
        durationMs: typeof report.duration_ms === 'number' ? report.duration_ms : null,
        epoch,
        error: report.error ? { code: String(report.error.code), message: String(report.error.message) } : null,
        actions: actionViews,
      };
    }
    const starts = actions.map((a) => a.startedAt).filter((t): t is string => t !== null);
    const allDone = actions.length > 0 && actions.every((a) => isFinalStepState(a.state));
    const first = starts.length > 0 ? Math.min(...starts.map(Date.parse)) : null;
    const last = allDone ? Math.max(...actions.map((a) => Date.parse(a.updatedAt))) : now;
    return {
      stepId,
      stepName,
      state: derivedState(actions),
      reason: null,
      attempts: actions.reduce((n, a) => Math.max(n, a.attempt), 0),
      durationMs: first === null ? null : Math.max(last - first, 0),
      epoch,
      error: actions.find((a) => a.error)?.error ?? null,
      actions: actionViews,
    };
  });
}

/** A step's state from its actions: any running → running, else the worst ending, else completed or pending. */
function derivedState(actions: readonly StoredAction[]): string {
  const states = new Set(actions.map((a) => a.state));
  if (actions.length === 0) return EnumStepState.PENDING;
  for (const s of [EnumStepState.RUNNING, EnumStepState.TIMEOUT, EnumStepState.FAILED, EnumStepState.CANCELLED]) {
    if (states.has(s)) return s;
  }
  if (actions.every((a) => a.state === EnumStepState.COMPLETED)) return EnumStepState.COMPLETED;
  return states.has(EnumStepState.COMPLETED) ? EnumStepState.RUNNING : EnumStepState.PENDING;
}

function actionView(a: StoredAction, now: number): ActionView {
  const start = a.startedAt ? Date.parse(a.startedAt) : null;
  const end = isFinalStepState(a.state) ? Date.parse(a.updatedAt) : now;
  return {
    actionId: a.actionId,
    state: a.state,
    attempt: a.attempt,
    epoch: a.epoch,
    startedAt: a.startedAt,
    updatedAt: a.updatedAt,
    durationMs: start === null ? null : Math.max(end - start, 0),
    error: a.error,
    result: a.result ?? null,
  };
}
