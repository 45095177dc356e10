/**
 * Child processes of the multi-process tests: the CLI from the sources (`onex-cli.ts`) or the API driver
 * (`durable-child.ts`), both through tsx so they run the current sources without a build.
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
/** The nodes module of the durability tests. */
export const DURABLE_NODES = join(ROOT, 'test', 'integration', 'fixtures', 'durable-nodes.js');

/** A running child with what it printed so far. */
export interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  stdout: string;
  stderr: string;
  /** Resolves with the exit code (null when killed) and signal once the child is gone and reaped. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(script: string, args: readonly string[], env: Record<string, string | undefined>): Child {
  const merged: Record<string, string | undefined> = {
    ...process.env,
    ONEX_LOG_LEVEL: 'silent',
    NO_COLOR: '1',
    ONEX_STORE: undefined,
    ...env,
  };
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: merged,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (proc.pid === undefined) throw new Error(`could not start ${script}`);
  const child: Child = {
    process: proc,
    pid: proc.pid,
    stdout: '',
    stderr: '',
    exited: new Promise((resolvePromise) => proc.on('exit', (code, signal) => resolvePromise({ code, signal }))),
  };
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    child.stdout += chunk;
  });
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    child.stderr += chunk;
  });
  return child;
}

/** `onex <args>` from the sources. */
export function startCli(args: readonly string[], env: Record<string, string | undefined> = {}): Child {
  return start(join(ROOT, 'test', 'integration', 'support', 'onex-cli.ts'), args, env);
}

/** The API driver (`durable-child.ts`) with its JSON job. */
export function startDriver(job: unknown, env: Record<string, string | undefined> = {}): Child {
  return start(join(ROOT, 'test', 'integration', 'support', 'durable-child.ts'), [JSON.stringify(job)], env);
}

/** Wait for `child` to exit, killing it (and failing) after `ms`. */
export async function finish(child: Child, ms = 60_000): Promise<{ code: number | null; signal: string | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      child.process.kill('SIGKILL');
      reject(new Error(`child ${child.pid} did not exit within ${ms} ms; stderr:\n${child.stderr}`));
    }, ms);
  });
  try {
    return await Promise.race([child.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Poll until `check` holds, or fail after `ms` naming `what`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
