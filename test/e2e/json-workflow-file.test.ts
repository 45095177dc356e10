/**
 * A JSON workflow file with the long form (`actions:` lists, action `name`s, `dependencies` by action name) through
 * the CLI (spec §8): the loader resolves names to ids and the data flows along them.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, markerLines, parseJsonDocument, runCli, tempDirs } from '../support/cli.js';

const WORKFLOW = fixture('actions-form.json');
const dirs = tempDirs();
afterAll(() => dirs.cleanup());

describe('a JSON workflow file with named actions', () => {
  it('runs: `sum` receives the results of `two` and `three` and adds its own value', async () => {
    const cwd = dirs.make();
    const marker = join(cwd, 'marker.txt');
    const result = await runCli(['run', WORKFLOW, '--json'], { cwd, env: { ONEX_E2E_MARKER: marker } });
    expect(result.code).toBe(0);
    const doc = parseJsonDocument(result.stdout);
    expect(doc.workflow_state).toBe('completed');
    expect(doc.step_outputs).toEqual({ sources: [{ value: 2 }, { value: 3 }], total: { value: 15 } });

    const actions = doc.actions_emitted as Record<string, unknown>[];
    const byName = new Map(actions.map((a) => [(a.metadata as Record<string, unknown>).name, a]));
    expect([...byName.keys()].sort()).toEqual(['sum', 'three', 'two']);
    // Names in the file became the uuids of the actions they name.
    expect(byName.get('sum')?.dependencies).toEqual([byName.get('two')?.action_id, byName.get('three')?.action_id]);
    expect(byName.get('sum')?.action_type).toBe('reduce');
    expect(markerLines(marker).sort()).toEqual(['ok', 'ok', 'sum_inputs']);
  });

  it('plans in two waves and validates', async () => {
    const cwd = dirs.make();
    const plan = await runCli(['plan', WORKFLOW, '--json'], { cwd });
    expect(plan.code).toBe(0);
    const doc = parseJsonDocument(plan.stdout);
    expect(doc.waves).toEqual([['sources'], ['total']]);
    expect(doc.critical_path).toEqual(['sources', 'total']);

    const validate = await runCli(['validate', WORKFLOW], { cwd });
    expect(validate.code).toBe(0);
    expect(validate.stdout).toContain('valid (2 steps, 3 actions)');
  });
});
