/**
 * LangGraph.js: one `StateGraph` node per DAG node, one edge per dependency (START → roots, sinks → END), compiled
 * once; each run is one `invoke`. Fan-in is multiple edges into a node: all workloads here are layered, so a node's
 * dependencies finish in the same superstep and it runs once, which the verifier checks on every run.
 * @module
 */
import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import { type Dag, sinksOf } from '../lib/dag.js';
import { ENGINE_LABELS, type Engine, type Prepared, type RunShape, type StepFn } from './engine.js';

// Nodes write nothing: the state only exists because StateGraph needs one.
const State = Annotation.Root({ runs: Annotation<number> });

/** The builder methods used here, with node names as plain strings (the typed builder wants literal names). */
interface GraphBuilder {
  addNode(name: string, fn: () => Promise<Record<string, never>>): unknown;
  addEdge(from: string, to: string): unknown;
  compile(): { invoke(input: { runs: number }, config: Record<string, unknown>): Promise<unknown> };
}

export const langgraph: Engine = {
  id: 'langgraph',
  label: ENGINE_LABELS.langgraph,
  async prepare(dag: Dag, step: StepFn, shape: RunShape): Promise<Prepared> {
    const graph = new StateGraph(State) as unknown as GraphBuilder;
    const name = (i: number) => `s${i}`;
    for (let i = 0; i < dag.size; i++) {
      graph.addNode(name(i), async () => {
        await step(i);
        return {};
      });
    }
    dag.deps.forEach((ds, i) => {
      if (ds.length === 0) graph.addEdge(START, name(i));
      for (const d of ds) graph.addEdge(name(d), name(i));
    });
    for (const s of sinksOf(dag)) graph.addEdge(name(s), END);
    const app = graph.compile();
    // One superstep per layer; the default limit (25) would stop a 1,000-step chain.
    const config: Record<string, unknown> = { recursionLimit: dag.size + 10 };
    if (shape.concurrency !== undefined) config.maxConcurrency = shape.concurrency;
    return { run: async () => void (await app.invoke({ runs: 0 }, config)) };
  },
};
