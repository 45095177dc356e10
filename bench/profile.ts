/**
 * Profiling driver: runs one onex workload many times under the V8 CPU profiler (the one `node --cpu-prof` uses),
 * then prints the functions with the most self time, with `file:line` in the sources, and saves the
 * `.cpuprofile` (open it in Chrome DevTools) in the temp directory.
 *
 *   node --enable-source-maps --import tsx bench/profile.ts W3 [runs]
 *
 * Workloads: W1, W2, W3 (no-op steps), W4 (1 ms timer steps, ≤ 8 at once), W5 (plan only), W7 (BATCH upserts: the orchestrator side of W7, with a
 * no-op `processBatch`).
 * @module
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BatchItem, ModelONEXContainer, NodeEffect, NodeOrchestrator } from '../src/index.js';
import { onex, onexInput } from './engines/onex.js';
import { profile, summarizeProfile } from './lib/cpu-profile.js';
import { layered } from './lib/dag.js';
import { timerStep } from './lib/timer.js';
import { stepDag, W4_CONCURRENCY } from './workloads/steps.js';

class NoopBatch extends NodeEffect<Record<string, unknown>, number> {
  execute(): number {
    return 0;
  }
  override processBatch(items: readonly BatchItem[]): number[] {
    return items.map(() => 0);
  }
}

async function loop(workload: string, runs: number): Promise<void> {
  if (workload === 'W5') {
    const input = onexInput(layered(100, 1000, 2, 5), 1000);
    const orchestrator = new NodeOrchestrator(new ModelONEXContainer());
    for (let i = 0; i < runs; i++) orchestrator.plan(input);
  } else if (workload === 'W7') {
    const container = new ModelONEXContainer();
    container.registerNode('upsert', new NoopBatch(container));
    const orchestrator = new NodeOrchestrator(container);
    const input = {
      executionMode: 'batch' as const,
      maxParallelSteps: 100,
      steps: Array.from({ length: 10_000 }, (_, k) => ({
        stepName: `u${k}`,
        actions: [{ actionType: 'effect' as const, targetNodeType: 'upsert', operationData: { k, v: 1 } }],
      })),
    };
    for (let i = 0; i < runs; i++) await orchestrator.process(input);
  } else if (workload === 'W1' || workload === 'W2' || workload === 'W3' || workload === 'W4') {
    const timed = workload === 'W4';
    const prepared = await onex.prepare(stepDag(workload), timed ? timerStep : async () => {}, {
      concurrency: timed ? W4_CONCURRENCY : undefined,
    });
    if ('unsupported' in prepared) throw new Error(prepared.unsupported);
    for (let i = 0; i < runs; i++) await prepared.run();
  } else {
    throw new Error(`profile.ts: unknown workload '${workload}' (W1, W2, W3, W4, W5, W7)`);
  }
}

const [workload = 'W3', runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 50);
// One unprofiled pass first: module loading and JIT warm-up are not what we are looking for.
await loop(workload, 1);
const started = performance.now();
const result = await profile(() => loop(workload, runs));
const perRun = (performance.now() - started) / runs;
const file = join(tmpdir(), `onex-bench-${workload}-${Date.now()}.cpuprofile`);
writeFileSync(file, JSON.stringify(result));
process.stdout.write(
  `${workload}: ${runs} runs, ${perRun.toFixed(1)} ms/run (profiled)\n${summarizeProfile(result)}\nprofile: ${file}\n`,
);
