/**
 * Exit codes of `onex` (spec §8): 0 COMPLETED, 3 PARTIAL_SUCCESS, 1 FAILED, 2 invalid input or usage; and the CLI
 * exits as soon as the run ends even when a node left a timer running.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  fixture,
  markerLines,
  parseJsonDocument,
  runCli,
  stackLines,
  stepNames,
  stepReports,
  tempDirs,
} from '../support/cli.js';

const dirs = tempDirs();
afterAll(() => dirs.cleanup());

/** A fresh cwd and marker file path (the fixture nodes append their names to it). */
function sandbox(): { cwd: string; marker: string; env: Record<string, string> } {
  const cwd = dirs.make();
  const marker = join(cwd, 'marker.txt');
  return { cwd, marker, env: { ONEX_E2E_MARKER: marker } };
}

describe('exit code 0: COMPLETED', () => {
  it('a fixture whose nodes all succeed exits 0', async () => {
    const { cwd, marker, env } = sandbox();
    const result = await runCli(['run', fixture('diamond.yaml')], { cwd, env });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('e2e-diamond: completed');
    expect(markerLines(marker)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  });
});

describe('exit code 3: PARTIAL_SUCCESS', () => {
  it('continue_on_error with one failing branch exits 3; the other branch completes', async () => {
    const { cwd, marker, env } = sandbox();
    const result = await runCli(['run', fixture('partial.yaml'), '--json'], { cwd, env });
    expect(result.code).toBe(3);
    const doc = parseJsonDocument(result.stdout);
    expect(doc.workflow_state).toBe('partial_success');
    expect(stepNames(doc, doc.completed_steps)).toEqual(['good']);
    expect(stepNames(doc, doc.failed_steps)).toEqual(['bad']);
    expect((doc.step_outputs as Record<string, unknown>).good).toEqual({ value: 7 });
    const errors = doc.errors as Record<string, unknown>[];
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain('boom: this node always fails');
    expect(errors[0]?.code).toMatch(/^ONEX_CORE_\d{3}_[A-Z_]+$/);
    expect(markerLines(marker).sort()).toEqual(['boom', 'ok']);
  });

  it('the table output of a partial run also exits 3 and shows the failed step', async () => {
    const { cwd, env } = sandbox();
    const result = await runCli(['run', fixture('partial.yaml')], { cwd, env });
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/│ bad\s+│ failed/);
    expect(result.stdout).toContain('e2e-partial: partial_success');
  });
});

describe('exit code 1: FAILED', () => {
  it('a node that throws under fail_fast exits 1 with [code] message on stderr and no stack trace', async () => {
    const { cwd, marker, env } = sandbox();
    const result = await runCli(['run', fixture('failing.yaml')], { cwd, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^\[ONEX_CORE_\d{3}_[A-Z_]+\] .*boom: this node always fails/);
    expect(stackLines(result.stderr)).toEqual([]);
    // The summary still shows what happened; `after` never ran.
    expect(result.stdout).toMatch(/│ bad\s+│ failed/);
    expect(result.stdout).toContain('e2e-failing: failed');
    expect(markerLines(marker)).toEqual(['ok', 'boom']);
  });

  it('--json prints the partial output with state failed and still exits 1', async () => {
    const { cwd, env } = sandbox();
    const result = await runCli(['run', fixture('failing.yaml'), '--json'], { cwd, env });
    expect(result.code).toBe(1);
    const doc = parseJsonDocument(result.stdout);
    expect(doc.workflow_state).toBe('failed');
    expect(stepNames(doc, doc.completed_steps)).toEqual(['first']);
    expect(stepNames(doc, doc.failed_steps)).toEqual(['bad']);
    const after = stepReports(doc).find((r) => r.step_name === 'after');
    expect(after?.state).not.toBe('completed');
    expect(after?.attempts ?? 0).toBe(0);
  });

  it('--verbose adds the stack trace', async () => {
    const { cwd, env } = sandbox();
    const result = await runCli(['--verbose', 'run', fixture('failing.yaml')], { cwd, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^\[ONEX_CORE_\d{3}_[A-Z_]+\] /);
    expect(stackLines(result.stderr).length).toBeGreaterThan(0);
  });

  it("reports the failing action's own code (RESOURCE_UNAVAILABLE), not a generic one", async () => {
    const { cwd, marker, env } = sandbox();
    const result = await runCli(['run', fixture('own-code.yaml')], { cwd, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^\[ONEX_CORE_083_RESOURCE_UNAVAILABLE\] .*the backing service is down/);
    expect(markerLines(marker)).toEqual(['unavailable']);
  });

  it('a node that hangs and ignores its signal times out: exit 1 with TIMEOUT, and the CLI does not wait for it', async () => {
    const { cwd, marker, env } = sandbox();
    const result = await runCli(['run', fixture('hang.yaml'), '--json'], { cwd, env, timeoutMs: 20_000 });
    expect(markerLines(marker)).toEqual(['hang']);
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(1);
    const doc = parseJsonDocument(result.stdout);
    expect(doc.workflow_state).toBe('failed');
    expect(stepReports(doc).map((r) => [r.step_name, r.state])).toEqual([['stuck', 'timeout']]);
    expect((doc.errors as Record<string, unknown>[]).map((e) => e.code)).toEqual(['ONEX_CORE_088_TIMEOUT']);
  });
});

describe('exit code 2: invalid input or usage', () => {
  const workflow = fixture('diamond.yaml');
  const cases: [string, string[]][] = [
    ['an unknown command', ['bogus']],
    ['run without a file', ['run']],
    ['an unknown option', ['run', workflow, '--bogus']],
    ['a bad --mode', ['run', workflow, '--mode', 'bogus']],
    ['an unknown --store', ['run', workflow, '--store', 'bogus']],
    ['a missing workflow file', ['run', fixture('no-such-workflow.yaml')]],
    ['a missing file for validate', ['validate', fixture('no-such-workflow.yaml')]],
    ['a missing file for plan', ['plan', fixture('no-such-workflow.yaml')]],
  ];
  it.concurrent.for(cases)('%s exits 2, runs nothing, prints no stack', async ([, args], { expect }) => {
    const { cwd, marker, env } = sandbox();
    const result = await runCli(args, { cwd, env });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim()).not.toBe('');
    expect(stackLines(result.stderr)).toEqual([]);
    expect(markerLines(marker)).toEqual([]);
  });

  it('a missing workflow file is reported as [code] message naming the file', async () => {
    const result = await runCli(['run', fixture('no-such-workflow.yaml')], { cwd: dirs.make() });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/^\[ONEX_CORE_\d{3}_[A-Z_]+\] .*no-such-workflow\.yaml/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  // Spec §8: "Errors print `[<code>] <message>` on stderr" — usage errors are errors too.
  it.concurrent.for(cases.slice(0, 4))('%s is reported as [code] message', async ([, args], { expect }) => {
    const result = await runCli(args, { cwd: dirs.make() });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/^\[ONEX_CORE_\d{3}_[A-Z_]+\] \S/);
  });
});

describe('the CLI exits when the run ends', () => {
  it('even if a node left a ref’d setInterval running', async () => {
    const { cwd, marker, env } = sandbox();
    const result = await runCli(['run', fixture('timer-leak.yaml')], { cwd, env, timeoutMs: 20_000 });
    // The node really ran (and so really left its interval behind) …
    expect(markerLines(marker)).toEqual(['leak_timer']);
    // … and the process exited on its own rather than being killed by our timeout.
    expect(result.timedOut).toBe(false);
    expect(result.signal).toBeNull();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('e2e-timer-leak: completed');
  });

  it('also with --json', async () => {
    const { cwd, env } = sandbox();
    const result = await runCli(['run', fixture('timer-leak.yaml'), '--json'], { cwd, env, timeoutMs: 20_000 });
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(0);
    expect((parseJsonDocument(result.stdout).step_outputs as Record<string, unknown>).leak).toEqual({ leaked: true });
  });
});
