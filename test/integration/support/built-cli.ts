/**
 * The built CLI (`node bin/onex.js`) for the end-to-end tests of `runs`, `show`, `resume` and `cancel`. The vitest
 * global setup builds `dist/` when test/e2e is selected; when it did not (only these tests were selected), this
 * builds it once here. A failed build fails the tests with the compiler's output — never silently runs stale code.
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { inject } from 'vitest';
import { type Child, ROOT } from './children.js';

const BIN = join(ROOT, 'bin', 'onex.js');
let built = false;

/** Make sure `dist/` is built from the current sources. */
export function ensureBuilt(): void {
  if (built) return;
  const setup = inject('onexBuild');
  if (setup?.status === 'failed') throw new Error(`npx tsc -p tsconfig.build.json failed:\n${setup.output}`);
  if (setup?.status !== 'built') {
    const result = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
    if (result.status !== 0) {
      throw new Error(`npx tsc -p tsconfig.build.json failed:\n${result.stdout ?? ''}${result.stderr ?? ''}`);
    }
  }
  built = true;
}

/** Start `node bin/onex.js <args>` in `cwd` (logs silent, no colours, no ONEX_STORE unless given). */
export function startOnex(args: readonly string[], cwd: string, env: Record<string, string | undefined> = {}): Child {
  ensureBuilt();
  const merged: Record<string, string | undefined> = {
    ...process.env,
    ONEX_LOG_LEVEL: 'silent',
    NO_COLOR: '1',
    FORCE_COLOR: undefined,
    ONEX_STORE: undefined,
    ...env,
  };
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
  const proc = spawn(process.execPath, [BIN, ...args], { cwd, env: merged, stdio: ['ignore', 'pipe', 'pipe'] });
  if (proc.pid === undefined) throw new Error('could not start bin/onex.js');
  const child: Child = {
    process: proc,
    pid: proc.pid,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal }))),
  };
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    child.stdout += chunk;
  });
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    child.stderr += chunk;
  });
  return child;
}

/** What a finished CLI process did. */
export interface OnexResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `node bin/onex.js <args>` to its end (killed, and failing, after 60 s). */
export async function onex(
  args: readonly string[],
  cwd: string,
  env: Record<string, string | undefined> = {},
): Promise<OnexResult> {
  const child = startOnex(args, cwd, env);
  let timer: NodeJS.Timeout | undefined;
  const exit = await Promise.race([
    child.exited,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        child.process.kill('SIGKILL');
        reject(new Error(`onex ${args.join(' ')} did not exit within 60 s; stderr:\n${child.stderr}`));
      }, 60_000);
    }),
  ]).finally(() => clearTimeout(timer));
  // 'exit' can come before the last output chunks: wait for the streams to close.
  await new Promise((resolve) =>
    child.process.stdout!.readableEnded ? resolve(null) : child.process.stdout!.on('close', resolve),
  );
  return { code: exit.code, stdout: child.stdout, stderr: child.stderr };
}
