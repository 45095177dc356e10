/**
 * Exit codes and error printing of the CLI (spec §8).
 * @module
 */
import { OnexError } from '../errors/onex-error.js';
import { EnumWorkflowState } from '../models/enums.js';

/** 0 COMPLETED, 3 PARTIAL_SUCCESS, 1 FAILED (and CANCELLED), 2 invalid input or usage. */
export const EXIT = { completed: 0, failed: 1, invalid: 2, partial: 3 } as const;

/** The exit code for a workflow's final state. */
export function exitCodeFor(state: string): number {
  if (state === EnumWorkflowState.COMPLETED) return EXIT.completed;
  if (state === EnumWorkflowState.PARTIAL_SUCCESS) return EXIT.partial;
  return EXIT.failed;
}

/** Print `[<code>] <message>` on stderr (the stack too with `--verbose`). */
export function printError(err: unknown, verbose: boolean): void {
  const error = OnexError.from(err);
  process.stderr.write(`${String(error)}\n`);
  if (verbose) process.stderr.write(`${(error.cause as Error)?.stack ?? error.stack}\n`);
}

/** Flush stdout and stderr, then exit at once (node code may have left timers or sockets behind). */
export function exitNow(code: number): Promise<never> {
  return new Promise(() => {
    process.stdout.write('', () => {
      process.stderr.write('', () => process.exit(code));
    });
  });
}
