/**
 * Step counts of a run for listings: from the final output once the run ended (it knows skipped steps), else from
 * the states of the actions recorded so far. Shared by every store so that they all count the same way.
 * @module
 */
import { EnumStepState } from '../models/enums.js';

/** Number of steps of a run definition (wire form): `definition.steps.length`. */
export function stepCountOf(definition: unknown, actions: readonly { stepId: string }[]): number {
  const steps = (definition as { steps?: unknown } | null)?.steps;
  if (Array.isArray(steps)) return steps.length;
  return new Set(actions.map((a) => a.stepId)).size;
}

/** `{ stepsCompleted, stepsFailed }` of a final output (wire or camelCase form), when it has them. */
export function countsFromOutput(output: unknown): { stepsCompleted: number; stepsFailed: number } | undefined {
  // Wire form (as stored) or the camelCase model (as the engine hands it over).
  const o = output as Record<string, unknown> | null | undefined;
  if (!o) return undefined;
  const completed = o.steps_completed ?? o.stepsCompleted;
  const failed = o.steps_failed ?? o.stepsFailed;
  if (typeof completed !== 'number' || typeof failed !== 'number') return undefined;
  return { stepsCompleted: completed, stepsFailed: failed };
}

/** Steps whose actions all COMPLETED, and steps with a FAILED or TIMEOUT action. */
export function countsFromActions(actions: readonly { stepId: string; state: string }[]): {
  stepsCompleted: number;
  stepsFailed: number;
} {
  const byStep = new Map<string, { all: boolean; failed: boolean }>();
  for (const a of actions) {
    const s = byStep.get(a.stepId) ?? { all: true, failed: false };
    if (a.state !== EnumStepState.COMPLETED) s.all = false;
    if (a.state === EnumStepState.FAILED || a.state === EnumStepState.TIMEOUT) s.failed = true;
    byStep.set(a.stepId, s);
  }
  let stepsCompleted = 0;
  let stepsFailed = 0;
  for (const s of byStep.values()) {
    if (s.all) stepsCompleted++;
    if (s.failed) stepsFailed++;
  }
  return { stepsCompleted, stepsFailed };
}
