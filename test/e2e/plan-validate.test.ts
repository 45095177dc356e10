/**
 * `onex plan` (waves, critical path, actions; text, `--json`, `--mermaid`; runs nothing) and `onex validate` on
 * the examples (spec §3, §8).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, markerLines, parseJsonDocument, repoPath, runCli, tempDirs } from '../support/cli.js';

const dirs = tempDirs();
afterAll(() => dirs.cleanup());

// diamond.yaml: start → {left, right}; right → right_more; {left, right_more} → finish.
const DIAMOND = fixture('diamond.yaml');
const WAVES = [['start'], ['left', 'right'], ['right_more'], ['finish']];
const CRITICAL = ['start', 'right', 'right_more', 'finish'];

function sandbox(): { cwd: string; marker: string; env: Record<string, string> } {
  const cwd = dirs.make();
  const marker = join(cwd, 'marker.txt');
  return { cwd, marker, env: { ONEX_E2E_MARKER: marker } };
}

describe('onex plan', () => {
  it('prints the waves, the critical path and the actions, and runs nothing', async () => {
    const { cwd, marker, env } = sandbox();
    const result = await runCli(['plan', DIAMOND], { cwd, env });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n').map((l) => l.trim());
    WAVES.forEach((wave, i) => {
      expect(lines).toContain(`wave ${i + 1}: ${wave.join(', ')}`);
    });
    expect(lines.some((l) => l.startsWith(`critical path: ${CRITICAL.join(' -> ')}`))).toBe(true);
    expect(lines).toContain('right_more: effect -> ok (priority 1, timeout 30000 ms, retries 0)');
    expect(lines).toContain('finish: reduce -> ok (priority 1, timeout 30000 ms, retries 0)');
    expect(markerLines(marker)).toEqual([]);
  });

  it('--json prints one document with waves, critical_path and actions', async () => {
    const { cwd, marker, env } = sandbox();
    const result = await runCli(['plan', DIAMOND, '--json'], { cwd, env });
    expect(result.code).toBe(0);
    const doc = parseJsonDocument(result.stdout);
    expect(doc.waves).toEqual(WAVES);
    expect(doc.critical_path).toEqual(CRITICAL);
    const actions = doc.actions as Record<string, unknown>[];
    expect(actions).toHaveLength(5);
    expect(actions.map((a) => a.action_type)).toEqual(['compute', 'compute', 'compute', 'effect', 'reduce']);
    for (const action of actions) {
      expect(action.target_node_type).toBe('ok');
      expect(action.action_id).toMatch(/^[0-9a-f-]{36}$/);
    }
    // The step graph: finish waits for left and right_more (by step id), and each step lists its action.
    const steps = doc.steps as { step_id: string; step_name: string; depends_on: string[]; action_ids: string[] }[];
    const idOf = new Map(steps.map((s) => [s.step_name, s.step_id]));
    const finish = steps.find((s) => s.step_name === 'finish');
    expect(finish?.depends_on.slice().sort()).toEqual([idOf.get('left'), idOf.get('right_more')].sort());
    expect(steps.flatMap((s) => s.action_ids)).toEqual(actions.map((a) => a.action_id));
    expect(markerLines(marker)).toEqual([]);
  });

  it('--mermaid prints a flowchart with one edge per dependency', async () => {
    const { cwd, marker, env } = sandbox();
    const result = await runCli(['plan', DIAMOND, '--mermaid'], { cwd, env });
    expect(result.code).toBe(0);
    expect(result.stdout.startsWith('flowchart')).toBe(true);
    for (const name of WAVES.flat()) expect(result.stdout).toContain(`"${name}"`);
    expect(result.stdout.match(/-->/g)).toHaveLength(5);
    expect(markerLines(marker)).toEqual([]);
  });

  it('on the movie pipeline shows the five steps in a chain', async () => {
    const result = await runCli(['plan', repoPath('examples', 'movie-pipeline', 'workflow.yaml'), '--json'], {
      cwd: dirs.make(),
    });
    expect(result.code).toBe(0);
    const doc = parseJsonDocument(result.stdout);
    const chain = ['validate', 'fetch', 'process', 'aggregate', 'save'];
    expect(doc.waves).toEqual(chain.map((s) => [s]));
    expect(doc.critical_path).toEqual(chain);
  });
});

describe('onex validate', () => {
  const examples = ['movie-pipeline', 'conditional-pipeline', 'fan-out-fan-in'];
  it.concurrent.for(examples)('exits 0 on examples/%s', async (name, { expect }) => {
    const cwd = dirs.make();
    const result = await runCli(['validate', repoPath('examples', name, 'workflow.yaml')], { cwd });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/: valid \(\d+ steps, \d+ actions\)/);
  });

  it('exits 0 on a valid fixture and runs none of its nodes', async () => {
    const { cwd, marker, env } = sandbox();
    const result = await runCli(['validate', DIAMOND], { cwd, env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('valid (5 steps, 5 actions)');
    expect(markerLines(marker)).toEqual([]);
  });
});
