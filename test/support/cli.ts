/**
 * Spawns the real CLI (`node bin/onex.js …`) for the end-to-end tests and collects what it did.
 * @module
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

/** The repository root. */
export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const BIN = join(ROOT, 'bin', 'onex.js');

/** Absolute path of a file under the repository root, e.g. `repoPath('examples/movie-pipeline/workflow.yaml')`. */
export function repoPath(...parts: string[]): string {
  return join(ROOT, ...parts);
}

/** Absolute path of a fixture workflow under `test/fixtures/workflows`. */
export function fixture(...parts: string[]): string {
  return join(ROOT, 'test', 'fixtures', 'workflows', ...parts);
}

/** What one CLI process did. */
export interface CliResult {
  /** Exit code; null when the process was killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when we had to kill the process because it outlived `timeoutMs`. */
  timedOut: boolean;
}

/** Options of `runCli`. */
export interface RunCliOptions {
  /** Working directory. @default the repository root */
  cwd?: string;
  /** Extra environment; a value of `undefined` removes the variable. */
  env?: Record<string, string | undefined>;
  /** Kill the process (SIGKILL) after this long. @default 30000 */
  timeoutMs?: number;
}

/**
 * Throws when the global setup did not build `dist/` (so `bin/onex.js` would run stale or missing code).
 * The e2e tests call it through `runCli`, so a broken build fails them loudly instead of testing old code.
 */
export function assertBuilt(): void {
  const build = inject('onexBuild');
  if (build?.status === 'built') return;
  if (build?.status === 'failed') throw new Error(`npx tsc -p tsconfig.build.json failed:\n${build.output}`);
  throw new Error(
    `dist/ was not built for this run (${build ? build.output : 'test/support/global-setup.ts did not run'}); ` +
      'the e2e tests need the globalSetup of vitest.config.ts',
  );
}

/**
 * Run `node bin/onex.js ...args` and wait for it to exit (or kill it after `timeoutMs`).
 * Logs are silenced unless the caller sets ONEX_LOG_LEVEL; colours are off; ONEX_STORE from the outer
 * environment is dropped so every test picks its store explicitly.
 */
export function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliResult> {
  assertBuilt();
  const env: Record<string, string | undefined> = {
    ...process.env,
    ONEX_LOG_LEVEL: 'silent',
    NO_COLOR: '1',
    FORCE_COLOR: undefined,
    ONEX_STORE: undefined,
    ...options.env,
  };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** A fresh temporary directory; `cleanup()` removes every directory made so far. */
export function tempDirs(prefix = 'onex-e2e-'): { make(): string; cleanup(): void } {
  const made: string[] = [];
  return {
    make() {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      made.push(dir);
      return dir;
    },
    cleanup() {
      for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Lines the fixture nodes appended to a marker file (empty when the file was never created). */
export function markerLines(path: string): string[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter(Boolean);
}

/** Parse stdout as exactly one JSON document (JSON.parse rejects a second document or a stray log line). */
export function parseJsonDocument(stdout: string): Record<string, unknown> {
  const value: unknown = JSON.parse(stdout);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`expected one JSON object on stdout, got: ${stdout.slice(0, 200)}`);
  }
  return value as Record<string, unknown>;
}

/** Lines of a stack trace (`    at fn (file:line:col)`). */
export function stackLines(text: string): string[] {
  return text.split('\n').filter((line) => /^\s+at /.test(line));
}

/** A step's report in `--json` output, by step name. */
export interface StepReport {
  step_id: string;
  step_name: string;
  state: string;
  reason: string | null;
  attempts: number;
}

/** The `step_reports` of a `--json` document, checked to have the fields the tests read. */
export function stepReports(doc: Record<string, unknown>): StepReport[] {
  const reports = doc.step_reports;
  if (!Array.isArray(reports)) throw new Error('step_reports is not an array');
  return reports.map((r: unknown) => {
    const report = r as Record<string, unknown>;
    if (typeof report.step_id !== 'string' || typeof report.step_name !== 'string') {
      throw new Error(`malformed step report: ${JSON.stringify(r)}`);
    }
    return {
      step_id: report.step_id,
      step_name: report.step_name,
      state: String(report.state),
      reason: report.reason === null || report.reason === undefined ? null : String(report.reason),
      attempts: Number(report.attempts),
    };
  });
}

/** Step names of a list of step ids, through the document's `step_reports`. */
export function stepNames(doc: Record<string, unknown>, ids: unknown): string[] {
  if (!Array.isArray(ids)) throw new Error(`expected a list of step ids, got ${JSON.stringify(ids)}`);
  const byId = new Map(stepReports(doc).map((r) => [r.step_id, r.step_name]));
  return ids.map((id) => byId.get(String(id)) ?? `<unknown step id ${String(id)}>`);
}
