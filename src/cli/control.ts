/**
 * `onex resume <id>` and `onex cancel <id>` (spec §8). Each returns its exit code.
 * @module
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ModelONEXContainer } from '../container/container.js';
import type { LeaseWait } from '../engine/resume.js';
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import { loadWorkflowFile } from '../loader/workflow-file.js';
import { EnumWorkflowState } from '../models/enums.js';
import { toWire } from '../models/wire.js';
import { NodeOrchestrator } from '../nodes/node-orchestrator.js';
import { createLogger } from '../observability/logger.js';
import type { CircuitBreakerOptions } from '../resilience/circuit-breakers.js';
import { runEnded, TERMINAL_RUN_STATES } from '../store/fencing.js';
import { EXIT, printError } from './exit.js';
import { findRun } from './find-run.js';
import { withStore } from './history.js';
import { leaseOptionsFromEnv } from './lease-env.js';
import { registerNodesModule } from './nodes-module.js';
import { Progress } from './render.js';
import { reportRun } from './report-run.js';
import { describeStore } from './store-option.js';

/** `onex resume <id> [--nodes module] [--no-wait] [--json]`: finish a run whose process died or stopped. */
export async function resumeCommand(
  id: string,
  options: { verbose?: boolean; store?: string; json?: boolean; nodes?: string; wait?: boolean },
): Promise<number> {
  return withStore(
    options,
    async (store) => {
      const run = await findRun(store, id);
      if (TERMINAL_RUN_STATES.has(run.state)) throw runEnded(run.runId, run.state);
      const nodesPath = options.nodes ? resolve(options.nodes) : run.source?.nodesPath;
      if (!nodesPath) {
        throw new OnexError(
          EnumCoreErrorCode.DEPENDENCY_UNAVAILABLE,
          `run ${run.runId} records no nodes module (it was not started by \`onex run\` from a file with nodes:); ` +
            'give it with --nodes <module>',
          { context: { runId: run.runId } },
        );
      }
      const container = new ModelONEXContainer({
        logger: createLogger(process.env.ONEX_LOG_LEVEL ?? (options.json ? 'silent' : 'warn')),
      });
      await registerNodesModule(nodesPath, container);
      const orchestrator = new NodeOrchestrator(container, {
        store,
        circuitBreakers: await recordedBreakerSettings(run.source?.workflowPath ?? null),
        ...leaseOptionsFromEnv(),
      });
      const steps = ((run.definition as { steps?: { step_name?: unknown }[] })?.steps ?? []).map((s) =>
        String(s.step_name),
      );
      const progress = !options.json && process.stderr.isTTY === true ? new Progress(steps) : undefined;
      const onWait = (wait: LeaseWait) => {
        process.stderr.write(
          `run ${wait.runId} is held by lease ${wait.heldBy} (pid ${wait.ownerPid} on ${wait.ownerHost}, alive) until ` +
            `${wait.leaseExpiresAt}; waiting ${(wait.waitMs / 1000).toFixed(1)} s for it to expire\n`,
        );
      };
      return reportRun(
        orchestrator.resume(run.runId, { onEvent: progress?.onEvent, wait: options.wait !== false, onWait }),
        {
          json: options.json,
          verbose: options.verbose,
          progress,
          footer: (output) => `run ${output.operationId} resumed (store ${describeStore(options.store)})\n`,
        },
      );
    },
    true,
  );
}

/** `onex cancel <id> [--no-wait] [--timeout ms] [--json]`: stop a run, in this process's store or another's. */
export async function cancelCommand(
  id: string,
  options: { verbose?: boolean; store?: string; json?: boolean; wait?: boolean; timeout?: string },
): Promise<number> {
  const timeoutMs = options.timeout === undefined ? 30_000 : Number(options.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0) {
    printError(
      new OnexError(EnumCoreErrorCode.INVALID_PARAMETER, `--timeout ${options.timeout}: expected milliseconds ≥ 0`),
      false,
    );
    return EXIT.invalid;
  }
  return withStore(
    options,
    async (store) => {
      const run = await findRun(store, id);
      const orchestrator = new NodeOrchestrator(new ModelONEXContainer({ logger: createLogger('silent') }), {
        store,
        ...leaseOptionsFromEnv(),
      });
      const outcome = await orchestrator.cancel(run.runId, { waitMs: options.wait === false ? 0 : timeoutMs });
      const cancelled = outcome.state === EnumWorkflowState.CANCELLED;
      if (outcome.how === 'already_ended' && !cancelled) throw runEnded(run.runId, outcome.state, 'cancel');
      const pending = outcome.how === 'requested' && !cancelled;
      if (options.json) {
        process.stdout.write(`${JSON.stringify(toWire(outcome))}\n`);
      } else if (cancelled) {
        const why =
          outcome.how === 'finalized'
            ? ' (its owner was gone; the cancellation was recorded here)'
            : outcome.how === 'already_ended'
              ? ' (it already was)'
              : '';
        process.stdout.write(`run ${run.runId} cancelled${why}\n`);
      } else if (pending && options.wait === false) {
        process.stdout.write(
          `cancel of run ${run.runId} requested; its owner (pid ${run.ownerPid} on ${run.ownerHost}) stops it at its next lease renewal\n`,
        );
      } else if (TERMINAL_RUN_STATES.has(outcome.state)) {
        process.stderr.write(
          `[${EnumCoreErrorCode.INVALID_STATE}] run ${run.runId} ended ${outcome.state} before the cancel took effect\n`,
        );
      } else {
        process.stderr.write(
          `[${EnumCoreErrorCode.TIMEOUT_EXCEEDED}] cancel of run ${run.runId} requested, but it is still ${outcome.state} after ${timeoutMs} ms\n`,
        );
      }
      if (cancelled || (pending && options.wait === false)) return EXIT.completed;
      return EXIT.failed;
    },
    true,
  );
}

/**
 * The circuit breaker settings of the workflow file the run was started from, when it is still there (they are
 * settings of the orchestrator, not part of the recorded definition); the defaults otherwise.
 */
async function recordedBreakerSettings(
  workflowPath: string | null,
): Promise<CircuitBreakerOptions | false | undefined> {
  if (!workflowPath || !existsSync(workflowPath)) return undefined;
  try {
    return (await loadWorkflowFile(workflowPath, { loadNodes: false, container: new ModelONEXContainer() }))
      .circuitBreakers;
  } catch {
    return undefined;
  }
}
