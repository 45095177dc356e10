/**
 * @llamaindex/workflow (workflow-core): one handler per DAG node. `handle([e1, e2], fn)` fires once every listed
 * event is in the context's queue and consumes them, so a handler that lists one event per incoming edge is the
 * engine's own fan-in (AND-join). Events are consumed, hence one event type per edge (a node with two dependents
 * sends two events). A start handler fans out to the roots; an end handler joins the sinks and emits the stop event.
 * The workflow is built once; each run is a fresh context.
 * @module
 */
import { createWorkflow, type WorkflowEvent, workflowEvent } from '@llamaindex/workflow';
import { type Dag, sinksOf } from '../lib/dag.js';
import { ENGINE_LABELS, type Engine, type Prepared, type RunShape, type StepFn } from './engine.js';

export const llamaindex: Engine = {
  id: 'llamaindex',
  label: ENGINE_LABELS.llamaindex,
  async prepare(dag: Dag, step: StepFn, shape: RunShape): Promise<Prepared> {
    if (shape.concurrency !== undefined) {
      return { unsupported: 'no concurrency limit: handlers run as soon as their events arrive' };
    }
    const start = workflowEvent<void>();
    const stop = workflowEvent<void>();
    const sinks = sinksOf(dag);
    const isSink = new Uint8Array(dag.size);
    for (const s of sinks) isSink[s] = 1;
    // edgeIn[i]: the events node i waits for, one per incoming edge (from START for a root).
    const edgeIn: WorkflowEvent<void>[][] = dag.deps.map((ds) =>
      ds.length === 0 ? [workflowEvent<void>()] : ds.map(() => workflowEvent<void>()),
    );
    // edgeOut[i]: the events node i sends, one per outgoing edge (to END for a sink).
    const edgeOut: WorkflowEvent<void>[][] = Array.from({ length: dag.size }, () => []);
    dag.deps.forEach((ds, i) => {
      ds.forEach((d, k) => {
        edgeOut[d]!.push(edgeIn[i]![k]!);
      });
    });
    const toEnd = sinks.map(() => workflowEvent<void>());
    sinks.forEach((s, k) => {
      edgeOut[s]!.push(toEnd[k]!);
    });
    const roots = dag.deps.flatMap((ds, i) => (ds.length === 0 ? [i] : []));

    const workflow = createWorkflow();
    workflow.handle([start], (ctx) => {
      ctx.sendEvent(...roots.map((r) => edgeIn[r]![0]!.with()));
    });
    for (let i = 0; i < dag.size; i++) {
      const out = edgeOut[i]!;
      workflow.handle(edgeIn[i]!, async (ctx) => {
        await step(i);
        ctx.sendEvent(...out.map((e) => e.with()));
      });
    }
    workflow.handle(toEnd, () => stop.with());
    return {
      run: async () => {
        const { stream, sendEvent } = workflow.createContext();
        sendEvent(start.with());
        await stream.until(stop).toArray();
      },
    };
  },
};
