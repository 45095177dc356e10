/**
 * What `npm run bench` runs: one job per (workload, engine[, variant]), each in a fresh child process, in this
 * order; and the pairs that cannot be expressed at all, with the reason (printed as "n/a", no child needed).
 * @module
 */

import type { EngineId } from './engines/engine.js';
import type { WorkloadId } from './lib/protocol.js';
import { W7_VARIANTS } from './workloads/batch.js';
import { DURABLE_STORES } from './workloads/stores.js';

/** One child process. */
export interface Job {
  readonly workload: WorkloadId;
  readonly engine: string;
  readonly variant?: string;
  /** Extra node flags (`--expose-gc` where the child measures memory). */
  readonly nodeFlags: readonly string[];
  /** The child is killed after this long and its row reports the timeout. */
  readonly timeoutS: number;
}

/** A pair that no child needs to try: the engine has no API for the workload. */
export interface StaticNa {
  readonly workload: WorkloadId;
  readonly engine: EngineId;
  readonly reason: string;
}

const STEP_ENGINES: readonly EngineId[] = ['b0', 'onex', 'langgraph', 'llamaindex', 'p-graph'];
const PEERS: readonly EngineId[] = ['langgraph', 'llamaindex', 'p-graph'];

export function allJobs(): Job[] {
  const jobs: Job[] = [];
  for (const workload of ['W1', 'W2', 'W3', 'W4'] as const) {
    for (const engine of STEP_ENGINES) jobs.push({ workload, engine, nodeFlags: [], timeoutS: 300 });
  }
  jobs.push({ workload: 'W5', engine: 'b0', variant: 'kahn', nodeFlags: ['--expose-gc'], timeoutS: 120 });
  jobs.push({ workload: 'W5', engine: 'onex', variant: 'plan', nodeFlags: ['--expose-gc'], timeoutS: 300 });
  for (const store of DURABLE_STORES) {
    jobs.push({ workload: 'W6', engine: 'onex', variant: store.id, nodeFlags: [], timeoutS: 300 });
  }
  for (const variant of W7_VARIANTS) {
    const engine = variant.startsWith('direct') ? 'b0' : 'onex';
    jobs.push({ workload: 'W7', engine, variant, nodeFlags: [], timeoutS: 300 });
  }
  jobs.push({ workload: 'MEM', engine: 'onex', nodeFlags: ['--expose-gc'], timeoutS: 400 });
  return jobs;
}

export function staticNa(): StaticNa[] {
  const reasons: Record<'W5' | 'W6' | 'W7', Record<string, string>> = {
    W5: {
      langgraph: 'no plan-only API: compile() checks the graph, the order is found superstep by superstep at run time',
      llamaindex: 'no graph to plan: handlers are matched to events at run time',
      'p-graph': 'no plan-only API: the constructor checks for cycles, the order is found at run time',
    },
    W6: {
      langgraph: 'its SQLite/Postgres checkpointers are separate packages, not installed',
      llamaindex: 'no durable store (in-memory snapshots only)',
      'p-graph': 'no store: in-memory only',
    },
    W7: {
      langgraph: 'no batch mode: one node call per item',
      llamaindex: 'no batch mode: one handler call per event',
      'p-graph': 'no batch mode: one run() call per node',
    },
  };
  const rows: StaticNa[] = [];
  for (const workload of ['W5', 'W6', 'W7'] as const) {
    for (const engine of PEERS) rows.push({ workload, engine, reason: reasons[workload][engine]! });
  }
  return rows;
}
