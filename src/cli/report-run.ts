/**
 * What `onex run` and `onex resume` print once the run ends: the summary (or `--json`: the output alone on stdout),
 * the error line for a run that stopped, and the exit code of the final state.
 * @module
 */
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import type { ModelOrchestratorOutput } from '../models/orchestrator-output.js';
import { toWire } from '../models/wire.js';
import { EXIT, exitCodeFor, printError } from './exit.js';
import { type Progress, renderSummary } from './render.js';

/** Errors of a run that started but could not finish in this process. */
const RUNTIME_CODES = new Set<string>([
  EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_EXPIRED,
  EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_CONFLICT,
  EnumCoreErrorCode.ORCHESTRATOR_EXEC_STALE_EPOCH,
  EnumCoreErrorCode.SERVICE_UNAVAILABLE,
]);

/** Wait for `running`, print its outcome, return the exit code. `footer` follows the summary table. */
export async function reportRun(
  running: Promise<ModelOrchestratorOutput>,
  options: {
    json?: boolean;
    verbose?: boolean;
    progress?: Progress;
    footer?: (output: ModelOrchestratorOutput) => string;
  },
): Promise<number> {
  let output: ModelOrchestratorOutput;
  try {
    output = await running;
  } catch (err) {
    options.progress?.done();
    const partial = OnexError.from(err).context.output as ModelOrchestratorOutput | undefined;
    if (!partial) {
      printError(err, !!options.verbose);
      // A run that could not finish here (lease lost, store gone) failed; anything else was refused input.
      return RUNTIME_CODES.has(OnexError.from(err).code) ? EXIT.failed : EXIT.invalid;
    }
    output = partial;
    if (!options.json) printError(err, !!options.verbose);
  }
  options.progress?.done();
  if (options.json) {
    process.stdout.write(`${JSON.stringify(toWire(output), null, 2)}\n`);
  } else {
    process.stdout.write(renderSummary(output, process.stdout.isTTY === true));
    if (options.footer) process.stdout.write(options.footer(output));
  }
  return exitCodeFor(output.workflowState);
}
