/**
 * The workflow hash (spec §2, `metadata.workflow_hash`): sha-256 of the canonical definition, with every id replaced
 * by its position so that reloading the same file gives the same hash. Stored with every run and compared on resume,
 * so the bytes hashed never change (test/unit/planner/hash.test.ts pins them).
 * @module
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './json.js';
import type { ModelOrchestratorInput } from './orchestrator-input.js';

/** The input's ids resolved to positions, as the planner resolved them (every one exists). */
export interface ResolvedIds {
  /** The step index of every `dependsOn` entry, step by step in declaration order (repeats kept). */
  readonly dependsOn: Int32Array;
  /** The action index of every action's `dependencies` entry: those of action `a` at `start[a]` up to `start[a + 1]`. */
  readonly actionDeps: { readonly start: Int32Array; readonly items: Int32Array };
  /** Step of each action (actions numbered step by step in declaration order). */
  readonly actionStep: Int32Array;
  /** Index of each step's first action (and the number of actions at the end). */
  readonly firstAction: Int32Array;
}

/**
 * The hash. Model fields go in a fixed order, as JSON arrays (no key sorting needed); user data (operation data,
 * compensation) as canonical JSON (sorted keys). Each record is written out field by field — enum values and numbers
 * need no escaping, user strings go through JSON.stringify — so the text is byte for byte JSON.stringify of the
 * array, without building the array; it is fed to the hash in chunks of about 64 KiB.
 */
export function definitionHash(input: ModelOrchestratorInput, ids: ResolvedIds): string {
  const { dependsOn, actionDeps, actionStep, firstAction } = ids;
  const hash = createHash('sha256');
  let chunk = JSON.stringify([
    input.workflowName ?? null,
    input.executionMode,
    input.failureStrategy,
    input.maxParallelSteps,
    input.globalTimeoutMs,
    input.batchSize,
  ]);
  let listed = 0;
  let a = 0;
  const steps = input.steps;
  for (let si = 0; si < steps.length; si++) {
    const step = steps[si]!;
    let deps = '';
    for (let k = 0; k < step.dependsOn.length; k++)
      deps += k === 0 ? `${dependsOn[listed++]}` : `,${dependsOn[listed++]}`;
    chunk += `[${JSON.stringify(step.stepName)},"${step.executionMode}",${step.timeoutMs},[${deps}],${jsonOrNull(step.condition)},${jsonOrNull(step.conditionKey)},${jsonOrNull(step.when)},${step.enabled},${step.skipOnFailure}]`;
    chunk += step.compensation ? canonicalJson(step.compensation) : 'null';
    const actions = step.actions;
    for (let ai = 0; ai < actions.length; ai++) {
      const action = actions[ai]!;
      // An action dependency by its position, `"step.action"`.
      let positions = '';
      for (let e = actionDeps.start[a]!; e < actionDeps.start[a + 1]!; e++) {
        const d = actionDeps.items[e]!;
        const s = actionStep[d]!;
        positions += `${positions ? ',' : ''}"${s}.${d - firstAction[s]!}"`;
      }
      a++;
      chunk += `["${action.actionType}",${JSON.stringify(action.targetNodeType)},[${positions}],${action.priority},${action.timeoutMs},${action.retryCount}]`;
      chunk += canonicalJson(action.operationData);
    }
    if (chunk.length >= 65_536) {
      hash.update(chunk);
      chunk = '';
    }
  }
  hash.update(chunk);
  return hash.digest('hex');
}

/** JSON of an optional string (`null` when absent). */
function jsonOrNull(value: string | undefined): string {
  return value === undefined ? 'null' : JSON.stringify(value);
}
