/**
 * The contract every benchmarked engine implements: take a DAG and a step function, build whatever the engine needs
 * (outside the timed region), and hand back one function that runs the whole DAG once. An engine that cannot
 * express a workload says why instead of approximating it.
 * @module
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Dag } from '../lib/dag.js';

/** The work of one step: records itself, then returns (no-op) or awaits a timer. */
export type StepFn = (step: number) => Promise<void>;

/** How the workload wants the DAG run. */
export interface RunShape {
  /** Most steps in flight at once; undefined = as many as the engine allows (unbounded for the floor). */
  readonly concurrency?: number;
}

/** Ready to run, or a reason the engine cannot express the workload. */
export type Prepared = { readonly run: () => Promise<void> } | { readonly unsupported: string };

/** One engine under test. */
export interface Engine {
  readonly id: EngineId;
  /** Name and version, as printed in the table. */
  readonly label: string;
  prepare(dag: Dag, step: StepFn, shape: RunShape): Promise<Prepared>;
}

export const ENGINE_IDS = ['b0', 'onex', 'langgraph', 'llamaindex', 'p-graph'] as const;
export type EngineId = (typeof ENGINE_IDS)[number];

export function isEngineId(value: string): value is EngineId {
  return (ENGINE_IDS as readonly string[]).includes(value);
}

/** The installed version of a dependency (read from its package.json), for the table's engine labels. */
export function installedVersion(pkg: string): string {
  const root = fileURLToPath(new URL('../../node_modules/', import.meta.url));
  try {
    const { version } = JSON.parse(readFileSync(`${root}${pkg}/package.json`, 'utf8')) as { version?: string };
    return version ?? '?';
  } catch {
    return '?';
  }
}

/** How each engine is named in the table (also for pairs that never start a child). */
export const ENGINE_LABELS: Readonly<Record<EngineId, string>> = {
  b0: 'B0 (hand-written Promise DAG)',
  onex: 'onex (memory)',
  langgraph: `LangGraph.js ${installedVersion('@langchain/langgraph')} (StateGraph)`,
  llamaindex: `@llamaindex/workflow ${installedVersion('@llamaindex/workflow')}`,
  'p-graph': `p-graph ${installedVersion('p-graph')}`,
};
