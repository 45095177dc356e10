/**
 * `onex run examples/conditional-pipeline/workflow.yaml --input-file …` (spec §4 conditions, §8 CLI, §9): the
 * input file picks the branch; the skipped branch shows up in `skipped_steps` and `step_reports`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parseJsonDocument, repoPath, runCli, stepNames, stepReports, tempDirs } from '../support/cli.js';

const EXAMPLE = repoPath('examples', 'conditional-pipeline');
const WORKFLOW = `${EXAMPLE}/workflow.yaml`;
const dirs = tempDirs();
afterAll(() => dirs.cleanup());

async function runWith(inputFile: string): Promise<Record<string, unknown>> {
  const result = await runCli(['run', WORKFLOW, '--input-file', `${EXAMPLE}/${inputFile}`, '--json'], {
    cwd: dirs.make(),
  });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return parseJsonDocument(result.stdout);
}

describe('onex run conditional-pipeline --input-file', () => {
  it('clean.json takes the fast track: full_clean is skipped (condition false), report still runs', async () => {
    const doc = await runWith('clean.json');
    expect(doc.workflow_state).toBe('completed');
    expect(stepNames(doc, doc.skipped_steps)).toEqual(['full_clean']);
    expect(stepNames(doc, doc.completed_steps).sort()).toEqual(['fast_track', 'load', 'quality', 'report']);
    expect(doc.steps_skipped).toBe(1);
    const reports = new Map(stepReports(doc).map((r) => [r.step_name, r]));
    expect(reports.get('fast_track')?.state).toBe('completed');
    expect(reports.get('full_clean')).toMatchObject({ state: 'skipped', reason: 'condition_false', attempts: 0 });
    const outputs = doc.step_outputs as Record<string, Record<string, unknown>>;
    expect(outputs.quality?.quality_score).toBe(1);
    expect(outputs.report).toMatchObject({ subset: 'clean', branch_taken: 'fast_track', branches_run: 1 });
  });

  it('dirty.json takes the full cleaning: fast_track is skipped (condition false), report still runs', async () => {
    const doc = await runWith('dirty.json');
    expect(doc.workflow_state).toBe('completed');
    expect(stepNames(doc, doc.skipped_steps)).toEqual(['fast_track']);
    expect(stepNames(doc, doc.completed_steps).sort()).toEqual(['full_clean', 'load', 'quality', 'report']);
    const reports = new Map(stepReports(doc).map((r) => [r.step_name, r]));
    expect(reports.get('full_clean')?.state).toBe('completed');
    expect(reports.get('fast_track')).toMatchObject({ state: 'skipped', reason: 'condition_false', attempts: 0 });
    const outputs = doc.step_outputs as Record<string, Record<string, unknown>>;
    expect(outputs.quality?.quality_score).toBeCloseTo(0.816, 10);
    expect(outputs.report).toMatchObject({ subset: 'dirty', branch_taken: 'full_clean', rows_out: 408 });
  });

  it('a missing --input-file is invalid input: exit 2 with [code] message, nothing runs', async () => {
    const result = await runCli(['run', WORKFLOW, '--input-file', `${EXAMPLE}/no-such-input.json`], {
      cwd: dirs.make(),
    });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^\[ONEX_CORE_\d{3}_[A-Z_]+\] .*no-such-input\.json/);
  });
});
