/**
 * The CLI commands `run`, `plan` and `validate` (spec §8). Each returns its exit code. The history commands
 * (`runs`, `show`) are in `history.ts`, `resume` and `cancel` in `control.ts`.
 * @module
 */

import { ModelONEXContainer } from '../container/container.js';
import type { ExecutionPlan } from '../engine/plan-types.js';
import { planWorkflow } from '../engine/planner.js';
import { OnexError } from '../errors/onex-error.js';
import { type LoadedWorkflow, loadDataFile, loadWorkflowFile } from '../loader/workflow-file.js';
import { toWire } from '../models/wire.js';
import { NodeOrchestrator } from '../nodes/node-orchestrator.js';
import { createLogger } from '../observability/logger.js';
import type { Store } from '../store/store.js';
import { EXIT, printError } from './exit.js';
import { leaseOptionsFromEnv } from './lease-env.js';
import { Progress } from './render.js';
import { reportRun } from './report-run.js';
import { describeStore, openStore } from './store-option.js';

/** Options shared by every command. */
export interface GlobalOptions {
  verbose?: boolean;
}

async function load(
  file: string,
  options: { mode?: string; inputFile?: string; json?: boolean },
): Promise<LoadedWorkflow> {
  const inputData = options.inputFile ? loadDataFile(options.inputFile) : undefined;
  const container = new ModelONEXContainer({
    logger: createLogger(process.env.ONEX_LOG_LEVEL ?? (options.json ? 'silent' : 'warn')),
  });
  return loadWorkflowFile(file, { mode: options.mode, inputData, container });
}

function planOf(loaded: LoadedWorkflow): ExecutionPlan {
  try {
    return planWorkflow(loaded.input);
  } catch (err) {
    const error = OnexError.from(err);
    throw new OnexError(error.code, `${loaded.displayPath}: ${error.message}`, {
      context: error.context,
      cause: error,
    });
  }
}

/** `onex run <file>`: run it, recorded in the store; progress on a TTY, then the summary (or `--json`: the output alone). */
export async function runCommand(
  file: string,
  options: GlobalOptions & { mode?: string; inputFile?: string; store?: string; json?: boolean },
): Promise<number> {
  let loaded: LoadedWorkflow;
  let store: Store;
  let orchestrator: NodeOrchestrator;
  try {
    loaded = await load(file, options);
    planOf(loaded);
    store = await openStore(options.store);
  } catch (err) {
    printError(err, !!options.verbose);
    return EXIT.invalid;
  }
  try {
    orchestrator = new NodeOrchestrator(loaded.container, {
      store,
      circuitBreakers: loaded.circuitBreakers,
      ...leaseOptionsFromEnv(),
    });
  } catch (err) {
    await store.close();
    printError(err, !!options.verbose);
    return EXIT.invalid;
  }
  const tty = !options.json && process.stderr.isTTY === true;
  const progress = tty ? new Progress(loaded.input.steps.map((s) => s.stepName)) : undefined;
  try {
    return await reportRun(
      orchestrator.process(loaded.input, {
        onEvent: progress?.onEvent,
        source: { workflowPath: loaded.path, nodesPath: loaded.nodesPath ?? null },
      }),
      {
        json: options.json,
        verbose: options.verbose,
        progress,
        footer: (output) => `run ${output.operationId} recorded in ${describeStore(options.store)}\n`,
      },
    );
  } finally {
    await store.close();
  }
}

/** `onex plan <file>`: waves, critical path and actions; runs nothing. */
export async function planCommand(
  file: string,
  options: GlobalOptions & { json?: boolean; mermaid?: boolean },
): Promise<number> {
  let loaded: LoadedWorkflow;
  let plan: ExecutionPlan;
  try {
    loaded = await load(file, { json: options.json });
    plan = planOf(loaded);
  } catch (err) {
    printError(err, !!options.verbose);
    return EXIT.invalid;
  }
  const orchestrator = new NodeOrchestrator(loaded.container);
  const view = orchestrator.plan(plan.input);
  const name = (s: number) => plan.steps[s]!.step.stepName;
  if (options.mermaid) {
    const id = (s: number) => `s${s}`;
    const lines = ['flowchart TD'];
    for (const s of plan.order) lines.push(`  ${id(s)}["${name(s).replace(/"/g, "'")}"]`);
    for (const s of plan.order) for (const d of plan.steps[s]!.deps) lines.push(`  ${id(d)} --> ${id(s)}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return EXIT.completed;
  }
  if (options.json) {
    const doc = {
      workflowName: view.workflowName,
      workflowHash: view.workflowHash,
      executionMode: view.executionMode,
      waves: plan.waves.map((w) => w.map(name)),
      criticalPath: plan.criticalPath.map(name),
      order: plan.order.map(name),
      steps: view.steps,
      actions: view.actionsEmitted,
    };
    process.stdout.write(`${JSON.stringify(toWire(doc), null, 2)}\n`);
    return EXIT.completed;
  }
  const out: string[] = [
    `${view.workflowName} (${view.executionMode}, ${plan.steps.length} steps, ${plan.actions.length} actions)`,
  ];
  for (const [i, wave] of plan.waves.entries()) out.push(`  wave ${i + 1}: ${wave.map(name).join(', ')}`);
  out.push(`  critical path: ${plan.criticalPath.map(name).join(' -> ')} (${plan.criticalPath.length} steps)`);
  out.push('  actions:');
  for (const a of view.actionsEmitted) {
    const step = plan.steps[plan.actions.find((p) => p.action.actionId === a.actionId)!.stepIndex]!.step.stepName;
    out.push(
      `    ${step}: ${a.actionType} -> ${a.targetNodeType} (priority ${a.priority}, timeout ${a.timeoutMs} ms, retries ${a.retryCount})`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return EXIT.completed;
}

/** `onex validate <file>`: exit 0 when valid, 2 with `[code] message` when not. */
export async function validateCommand(file: string, options: GlobalOptions & { json?: boolean }): Promise<number> {
  try {
    const loaded = await load(file, { json: options.json });
    const plan = planOf(loaded);
    const summary = {
      valid: true,
      workflowName: loaded.input.workflowName,
      steps: plan.steps.length,
      actions: plan.actions.length,
      workflowHash: plan.workflowHash,
    };
    if (options.json) process.stdout.write(`${JSON.stringify(toWire(summary))}\n`);
    else process.stdout.write(`${file}: valid (${summary.steps} steps, ${summary.actions} actions)\n`);
    return EXIT.completed;
  } catch (err) {
    const error = OnexError.from(err);
    if (options.json)
      process.stdout.write(
        `${JSON.stringify({ valid: false, errors: [{ code: error.code, message: error.message }] })}\n`,
      );
    printError(error, !!options.verbose);
    return EXIT.invalid;
  }
}
