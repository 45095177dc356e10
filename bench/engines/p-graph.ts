/**
 * p-graph: a node map and the dependency edges, built once (`PGraph` may be run many times); each run is one
 * `run({ concurrency })` with a shared runner that receives the node id.
 * @module
 */
import { type DependencyList, PGraph, type PGraphNodeMap } from 'p-graph';
import type { Dag } from '../lib/dag.js';
import { ENGINE_LABELS, type Engine, type Prepared, type RunShape, type StepFn } from './engine.js';

export const pGraph: Engine = {
  id: 'p-graph',
  label: ENGINE_LABELS['p-graph'],
  async prepare(dag: Dag, step: StepFn, shape: RunShape): Promise<Prepared> {
    const nodes: PGraphNodeMap = new Map();
    for (let i = 0; i < dag.size; i++) nodes.set(String(i), {});
    const edges: DependencyList = [];
    dag.deps.forEach((ds, i) => {
      for (const d of ds) edges.push([String(d), String(i)]);
    });
    const graph = new PGraph(nodes, edges);
    const options = { run: (id: string) => step(Number(id)), concurrency: shape.concurrency };
    return { run: () => graph.run(options) };
  },
};
