// `onex show` tells the circuit breaker states and the saga's compensations of a recorded run (spec §5: breaker
// state "in the output metadata and in `onex show`").
import { afterAll, describe, expect, it } from 'vitest';
import { parseJsonDocument, repoPath, runCli, tempDirs } from '../support/cli.js';

const dirs = tempDirs('onex-show-');
afterAll(() => dirs.cleanup());

describe('onex show: resilience', () => {
  it('shows the breaker that opened during an outage', async () => {
    const cwd = dirs.make();
    const run = await runCli(
      [
        'run',
        repoPath('examples/resilient-pipeline/workflow.yaml'),
        '--input-file',
        repoPath('examples/resilient-pipeline/outage.json'),
        '--json',
      ],
      { cwd },
    );
    const doc = parseJsonDocument(run.stdout);
    const breakers = (doc.metadata as { circuit_breakers: Record<string, { state: string }> }).circuit_breakers;
    const open = Object.entries(breakers).filter(([, b]) => b.state === 'open');
    expect(open.length).toBeGreaterThan(0);
    const show = await runCli(['show', String(doc.operation_id)], { cwd });
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/circuit breakers\s+.*\bopen\b/);
    for (const [target] of open) expect(show.stdout).toContain(`${target} open`);
  });

  it('shows the compensations of a rolled-back deploy', async () => {
    const cwd = dirs.make();
    const run = await runCli(
      [
        'run',
        repoPath('examples/cicd-pipeline/workflow.yaml'),
        '--input-file',
        repoPath('examples/cicd-pipeline/broken-deploy.json'),
        '--json',
      ],
      { cwd },
    );
    expect(run.code).toBe(1);
    const doc = parseJsonDocument(run.stdout);
    const show = await runCli(['show', String(doc.operation_id)], { cwd });
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/compensations\s+.*compensated/);
  });
});
