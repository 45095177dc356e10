/**
 * One benchmark job in its own process: `node --import tsx bench/child.ts <workload> <engine> [variant]`.
 * Prints exactly one marked result line (lib/protocol.ts); exits non-zero on any error, including a failed
 * verification, so a wrong run can never show up as a number.
 * @module
 */
import { isEngineId } from './engines/engine.js';
import { loadEngine } from './engines/index.js';
import { emitRow, isWorkloadId, type ResultRow } from './lib/protocol.js';
import { runBatchWorkload, W7_VARIANTS, type W7Variant } from './workloads/batch.js';
import { runDurableWorkload } from './workloads/durable.js';
import { runMemoryWorkload } from './workloads/memory.js';
import { runPlanWorkload } from './workloads/plan.js';
import { isStepWorkload, runStepWorkload } from './workloads/steps.js';

async function runJob(workload: string, engine: string, variant: string | undefined): Promise<ResultRow> {
  if (!isWorkloadId(workload)) throw new Error(`unknown workload '${workload}'`);
  if (isStepWorkload(workload)) {
    if (!isEngineId(engine)) throw new Error(`unknown engine '${engine}'`);
    return runStepWorkload(workload, await loadEngine(engine));
  }
  switch (workload) {
    case 'W5':
      if (engine !== 'b0' && engine !== 'onex') throw new Error(`W5 runs on b0 or onex, not '${engine}'`);
      return runPlanWorkload(engine);
    case 'W6':
      return runDurableWorkload(variant ?? '');
    case 'W7':
      if (!(W7_VARIANTS as readonly string[]).includes(variant ?? '')) {
        throw new Error(`W7 variant must be one of ${W7_VARIANTS.join(', ')}`);
      }
      return runBatchWorkload(variant as W7Variant);
    case 'MEM':
      return runMemoryWorkload();
  }
}

const [workload = '', engine = '', variant] = process.argv.slice(2);
try {
  emitRow(await runJob(workload, engine, variant));
  process.exit(0);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}
