/**
 * The `onex` command line (spec §8).
 * @module
 */
import { Command, CommanderError, Option } from 'commander';
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import { planCommand, runCommand, validateCommand } from './commands.js';
import { cancelCommand, resumeCommand } from './control.js';
import { EXIT, exitNow, printError } from './exit.js';
import { runsCommand, showCommand } from './history.js';

const MODES = ['sequential', 'parallel', 'batch'];
const STORE_HELP =
  'where runs are recorded: sqlite:<path> (default sqlite:.onex/onex.db), postgres://host:port/db[?schema=name] or memory (env ONEX_STORE)';

/** Build the commander program; each action resolves with its exit code through `done`. */
export function buildProgram(done: (code: number) => void): Command {
  const program = new Command('onex')
    .description('onex: a workflow orchestrator built on the ONEX four-node architecture')
    .option('--verbose', 'print stack traces with errors')
    .exitOverride()
    // Usage errors are reported once, as `[code] message`, by main(); help and version still print.
    .configureOutput({ writeErr: () => {}, outputError: () => {} });

  const verbose = () => Boolean(program.opts().verbose);
  program
    .command('run')
    .description('run a workflow file')
    .argument('<file>', 'workflow file (YAML or JSON)')
    .addOption(new Option('--mode <mode>', 'override execution_mode').choices(MODES))
    .option('--input-file <file>', 'JSON or YAML file replacing input_data')
    .option('--store <store>', STORE_HELP)
    .option('--json', 'print the output (snake_case JSON) alone on stdout')
    .action(async (file: string, opts) => done(await runCommand(file, { ...opts, verbose: verbose() })));
  program
    .command('plan')
    .description('validate and show waves, critical path and actions; runs nothing')
    .argument('<file>', 'workflow file (YAML or JSON)')
    .option('--json', 'print the plan as JSON')
    .option('--mermaid', 'print the step graph as a Mermaid flowchart')
    .action(async (file: string, opts) => done(await planCommand(file, { ...opts, verbose: verbose() })));
  program
    .command('validate')
    .description('check a workflow file; exit 2 when invalid')
    .argument('<file>', 'workflow file (YAML or JSON)')
    .option('--json', 'print the verdict as JSON')
    .action(async (file: string, opts) => done(await validateCommand(file, { ...opts, verbose: verbose() })));
  program
    .command('runs')
    .description('list the recorded runs, most recent first')
    .option('--store <store>', STORE_HELP)
    .option('--limit <n>', 'most runs listed (default 20)')
    .option('--json', 'print a JSON array of {run_id, workflow_name, state, …}')
    .action(async (opts) => done(await runsCommand({ ...opts, verbose: verbose() })));
  program
    .command('show')
    .description('show one recorded run step by step')
    .argument('<id>', 'run id (or a unique prefix of at least 4 characters)')
    .option('--store <store>', STORE_HELP)
    .option('--json', 'print the run as JSON')
    .action(async (id: string, opts) => done(await showCommand(id, { ...opts, verbose: verbose() })));
  program
    .command('resume')
    .description('finish a run whose process died (or stopped renewing its lease)')
    .argument('<id>', 'run id (or a unique prefix of at least 4 characters)')
    .option('--store <store>', STORE_HELP)
    .option('--nodes <module>', 'nodes module to use instead of the one recorded with the run')
    .option('--no-wait', "fail instead of waiting for a live owner's lease to expire")
    .option('--json', 'print the output (snake_case JSON) alone on stdout')
    .action(async (id: string, opts) => done(await resumeCommand(id, { ...opts, verbose: verbose() })));
  program
    .command('cancel')
    .description('cancel a run: its owner aborts in-flight actions; state cancelled')
    .argument('<id>', 'run id (or a unique prefix of at least 4 characters)')
    .option('--store <store>', STORE_HELP)
    .option('--no-wait', 'only request the cancellation; do not wait for the owner to stop')
    .option('--timeout <ms>', 'how long to wait for the owner to stop (default 30000)')
    .option('--json', 'print {run_id, state, how} as JSON')
    .action(async (id: string, opts) => done(await cancelCommand(id, { ...opts, verbose: verbose() })));
  return program;
}

/** Run the CLI with `argv` and exit with the command's code. */
export async function main(argv: readonly string[] = process.argv): Promise<never> {
  let code: number = EXIT.completed;
  try {
    await buildProgram((c) => {
      code = c;
    }).parseAsync(argv as string[]);
  } catch (err) {
    if (err instanceof CommanderError) {
      code = err.exitCode === 0 ? EXIT.completed : EXIT.invalid;
      if (code !== EXIT.completed) {
        const message = err.message.replace(/^error: /, '');
        printError(new OnexError(EnumCoreErrorCode.VALIDATION_ERROR, `usage: ${message} (see 'onex --help')`), false);
      }
    } else {
      printError(err, argv.includes('--verbose'));
      code = EXIT.invalid;
    }
  }
  return exitNow(code);
}
