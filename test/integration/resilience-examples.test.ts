// The two resilience examples end to end through the real CLI (`node bin/onex.js run …`): exit codes (0 COMPLETED,
// 3 PARTIAL_SUCCESS, 1 FAILED), the `--json` document (circuit breaker states, compensation records, step reports)
// and, for the CI/CD pipeline, what its effects left on disk. Each CI/CD run works in a temporary directory (the
// workspace is relative to the working directory) with `--store memory`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = join(ROOT, 'bin', 'onex.js');
const RESILIENT = join(ROOT, 'examples', 'resilient-pipeline');
const CICD = join(ROOT, 'examples', 'cicd-pipeline');

interface Cli {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node bin/onex.js …args` in `cwd`; killed (and reported) if it outlives 30 s. */
function onex(args: readonly string[], cwd = ROOT): Promise<Cli> {
  return new Promise((done, fail) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ONEX_LOG_LEVEL: 'silent', NO_COLOR: '1' };
    delete env.FORCE_COLOR;
    delete env.ONEX_STORE;
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

type Doc = Record<string, unknown> & {
  workflow_state: string;
  step_reports: { step_name: string; state: string; reason: string | null; attempts: number }[];
  step_outputs: Record<string, unknown>;
  errors: { code: string; message: string }[];
  metadata: Record<string, unknown>;
};

/** stdout of `--json` must be exactly one JSON document. */
function json(result: Cli): Doc {
  return JSON.parse(result.stdout) as Doc;
}

const byStep = (doc: Doc) => Object.fromEntries(doc.step_reports.map((r) => [r.step_name, r]));

const temps: string[] = [];
function tempCwd(): string {
  const dir = mkdtempSync(join(tmpdir(), 'onex-cli-resilience-'));
  temps.push(dir);
  return dir;
}

beforeAll(() => {
  // The global setup builds dist/ when end-to-end tests are selected; otherwise build it here, so bin/onex.js never
  // runs stale code. A failed build fails every test of this file with the compiler output.
  const provided = (inject as (key: string) => unknown)('onexBuild') as { status?: string } | undefined;
  if (provided?.status === 'built') return;
  const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npx tsc -p tsconfig.build.json failed:\n${build.stdout}${build.stderr}`);
}, 120_000);

afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

describe('onex run examples/resilient-pipeline', () => {
  it('retries the seeded failures and completes: exit 0, attempts in the step reports, breaker closed', async () => {
    const result = await onex(['run', join(RESILIENT, 'workflow.yaml'), '--store', 'memory', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const doc = json(result);
    expect(doc.workflow_state).toBe('completed');
    expect(doc.step_reports.map((r) => [r.step_name, r.attempts])).toEqual([
      ['fetch_cars', 3],
      ['summarise_cars', 1],
      ['fetch_penguins', 2],
      ['summarise_penguins', 1],
      ['fetch_gapminder', 3],
      ['summarise_gapminder', 1],
      ['report', 1],
    ]);
    expect(doc.metadata.circuit_breakers).toMatchObject({
      flaky_source: { state: 'closed', failure_threshold: 3, cooldown_ms: 30_000 },
    });
    expect(doc.step_outputs.report).toMatchObject({
      total_records: 1432,
      datasets: { cars: { records: 406, non_null: 400, min: 46, max: 230 } },
    });
  });

  it('outage.json: the breaker opens (visible in --json), continue_on_error gives PARTIAL_SUCCESS, exit 3', async () => {
    const result = await onex([
      'run',
      join(RESILIENT, 'workflow.yaml'),
      '--input-file',
      join(RESILIENT, 'outage.json'),
      '--store',
      'memory',
      '--json',
    ]);
    expect(result.code).toBe(3);
    const doc = json(result);
    expect(doc.workflow_state).toBe('partial_success');
    expect(doc.metadata.circuit_breakers).toMatchObject({ flaky_source: { state: 'open', failure_threshold: 3 } });
    const steps = byStep(doc);
    expect(steps.fetch_gapminder).toMatchObject({ state: 'failed', attempts: 5 });
    expect(steps.summarise_gapminder).toMatchObject({ state: 'skipped', reason: 'upstream_failed' });
    expect(steps.report).toMatchObject({ state: 'skipped', reason: 'upstream_failed' });
    expect(steps.summarise_cars!.state).toBe('completed');
    expect(doc.errors).toEqual([
      expect.objectContaining({
        code: 'ONEX_CORE_083_RESOURCE_UNAVAILABLE',
        message: expect.stringContaining("circuit breaker for 'flaky_source' is open"),
      }),
    ]);
  });

  it('outage.json without --json: the summary and exit 3', async () => {
    const result = await onex([
      'run',
      join(RESILIENT, 'workflow.yaml'),
      '--input-file',
      join(RESILIENT, 'outage.json'),
      '--store',
      'memory',
    ]);
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/resilient-pipeline: partial_success/);
    expect(result.stdout).toMatch(/fetch_gapminder\s+│\s+failed/);
  });
});

describe('onex run examples/cicd-pipeline', () => {
  it('deploys with the default input (exit 0); failing-tests.json skips build and deploy (exit 0)', async () => {
    const cwd = tempCwd();
    const ok = await onex(['run', join(CICD, 'workflow.yaml'), '--store', 'memory', '--json'], cwd);
    expect(ok.code).toBe(0);
    const doc = json(ok);
    expect(doc.workflow_state).toBe('completed');
    expect(doc.step_outputs.notify).toMatchObject({ status: 'deployed', environment: 'staging' });
    const current = join(cwd, '.onex', 'cicd-pipeline', 'environments', 'staging', 'current.json');
    expect(JSON.parse(readFileSync(current, 'utf8')).version).toMatch(/^1\.0\.0-/);

    const skipped = await onex(
      [
        'run',
        join(CICD, 'workflow.yaml'),
        '--input-file',
        join(CICD, 'failing-tests.json'),
        '--store',
        'memory',
        '--json',
      ],
      cwd,
    );
    expect(skipped.code).toBe(0);
    const steps = byStep(json(skipped));
    expect(steps.build).toMatchObject({ state: 'skipped', reason: 'condition_false' });
    expect(steps.deploy).toMatchObject({ state: 'skipped', reason: 'condition_false' });
    expect(json(skipped).step_outputs.notify).toMatchObject({ status: 'not deployed: 1 of 8 test(s) failed' });
    expect(JSON.parse(readFileSync(current, 'utf8')).version).toMatch(/^1\.0\.0-/);
  });

  it('broken-deploy.json: exit 1, the compensation records in --json, the previous release restored on disk', async () => {
    const cwd = tempCwd();
    expect((await onex(['run', join(CICD, 'workflow.yaml'), '--store', 'memory'], cwd)).code).toBe(0);
    const workspace = join(cwd, '.onex', 'cicd-pipeline');
    const current = join(workspace, 'environments', 'staging', 'current.json');
    const before = readFileSync(current, 'utf8');

    const result = await onex(
      [
        'run',
        join(CICD, 'workflow.yaml'),
        '--input-file',
        join(CICD, 'broken-deploy.json'),
        '--store',
        'memory',
        '--json',
      ],
      cwd,
    );
    expect(result.code).toBe(1);
    const doc = json(result);
    expect(doc.workflow_state).toBe('failed');
    const compensations = doc.metadata.compensations as Record<string, unknown>[];
    expect(compensations.map((c) => [c.step_name, c.state, c.error])).toEqual([
      ['deploy', 'compensated', null],
      ['build', 'compensated', null],
    ]);
    for (const c of compensations)
      expect(Object.keys(c).sort()).toEqual(['action_id', 'attempts', 'error', 'state', 'step_id', 'step_name']);
    expect(byStep(doc).build!.state).toBe('compensated');
    expect(byStep(doc).deploy).toMatchObject({ state: 'failed', attempts: 3 });
    expect(doc.errors).toEqual([
      expect.objectContaining({
        code: 'ONEX_CORE_205_SERVICE_UNAVAILABLE',
        message: expect.stringContaining('health check of staging failed'),
      }),
    ]);
    expect(readFileSync(current, 'utf8')).toBe(before);
    expect(readdirSync(join(workspace, 'artifacts')).every((v) => v.startsWith('1.0.0-'))).toBe(true);
  });

  it('broken-deploy.json without --json: the error on stderr as [code] message, no stack trace', async () => {
    const cwd = tempCwd();
    const result = await onex(
      ['run', join(CICD, 'workflow.yaml'), '--input-file', join(CICD, 'broken-deploy.json'), '--store', 'memory'],
      cwd,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^\[ONEX_CORE_205_SERVICE_UNAVAILABLE\] .*health check of staging failed/m);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stdout).toMatch(/build\s+│\s+compensated/);
    expect(existsSync(join(cwd, '.onex', 'cicd-pipeline', 'environments', 'staging', 'current.json'))).toBe(false);
  });
});
