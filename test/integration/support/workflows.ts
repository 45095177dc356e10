/**
 * Workflow files the multi-process tests write into their temporary directories.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DURABLE_NODES } from './children.js';

/** Where a workflow's effects log their attempts and record their keys. */
export interface EffectFiles {
  readonly attemptsLog: string;
  readonly ledger: string;
}

/**
 * `chains` chains of `stepsPerChain` steps with `perStep` EFFECT actions each (500 actions with the defaults), in
 * PARALLEL mode. Each step depends on the one before it in its chain, so resumed results must flow downstream.
 */
export function writeCrashWorkflow(
  dir: string,
  files: EffectFiles,
  options: { chains?: number; stepsPerChain?: number; perStep?: number; ms?: number } = {},
): string {
  const chains = options.chains ?? 5;
  const stepsPerChain = options.stepsPerChain ?? 5;
  const perStep = options.perStep ?? 20;
  const steps: Record<string, unknown>[] = [];
  let n = 0;
  for (let c = 0; c < chains; c++) {
    for (let s = 0; s < stepsPerChain; s++) {
      steps.push({
        step_name: `chain${c}_step${s}`,
        ...(s > 0 ? { depends_on: [`chain${c}_step${s - 1}`] } : {}),
        actions: Array.from({ length: perStep }, () => ({
          action_type: 'effect',
          target_node_type: 'record',
          operation_data: { n: n++, ms: options.ms ?? 4 },
        })),
      });
    }
  }
  return writeWorkflow(dir, 'crash.yaml', {
    workflow_name: 'crash-and-resume',
    execution_mode: 'parallel',
    max_parallel_steps: 4,
    nodes: DURABLE_NODES,
    input_data: { attempts_log: files.attemptsLog, ledger: files.ledger },
    steps,
  });
}

/** `first` → `slow` (a `pause_point`) → `last`, sequential. */
export function writePausedOwnerWorkflow(dir: string, files: EffectFiles): string {
  return writeWorkflow(dir, 'paused.yaml', {
    workflow_name: 'paused-owner',
    execution_mode: 'sequential',
    nodes: DURABLE_NODES,
    input_data: { attempts_log: files.attemptsLog, ledger: files.ledger },
    steps: [
      { step_name: 'first', action_type: 'effect', target_node_type: 'record', operation_data: { n: 1 } },
      { step_name: 'slow', action_type: 'effect', target_node_type: 'pause_point', operation_data: { n: 2 } },
      { step_name: 'last', action_type: 'effect', target_node_type: 'record', operation_data: { n: 3 } },
    ],
  });
}

function writeWorkflow(dir: string, name: string, doc: Record<string, unknown>): string {
  const path = join(dir, name);
  writeFileSync(path, stringify(doc));
  return path;
}

/** `start` → `middle` (an `explode` when `fail`) → `finish`, sequential, `record` effects of `ms` each. */
export function writeSmallWorkflow(
  dir: string,
  files: EffectFiles,
  options: { fail?: boolean; ms?: number; pause?: boolean; name?: string } = {},
): string {
  const ms = options.ms ?? 0;
  const middle = options.pause ? 'pause_point' : options.fail ? 'explode' : 'record';
  return writeWorkflow(dir, `${options.name ?? 'small'}.yaml`, {
    workflow_name: options.name ?? 'small',
    execution_mode: 'sequential',
    nodes: DURABLE_NODES,
    input_data: { attempts_log: files.attemptsLog, ledger: files.ledger },
    steps: [
      { step_name: 'start', action_type: 'effect', target_node_type: 'record', operation_data: { n: 1, ms } },
      { step_name: 'middle', action_type: 'effect', target_node_type: middle, operation_data: { n: 2, ms } },
      { step_name: 'finish', action_type: 'effect', target_node_type: 'record', operation_data: { n: 3, ms } },
    ],
  });
}
