/**
 * onex in memory, through the public API only: one step per DAG node with one COMPUTE action whose node is a plain
 * async function, dependencies as `dependsOn`, PARALLEL mode, the default `MemoryStore` (or the store a workload
 * passes, for W6). The input is built once with `createOrchestratorInput` (validated, frozen), so it is planned once
 * and every run only executes it — the same split as LangGraph's `compile()` once, `invoke()` per run.
 * @module
 */
import { createOrchestratorInput, ModelONEXContainer, NodeOrchestrator, type Store } from '../../dist/index.js';
import type { Dag } from '../lib/dag.js';
import { ENGINE_LABELS, type Engine, type Prepared, type RunShape, type StepFn } from './engine.js';

/** Bound used when the workload sets none: enough for the widest layer of W1–W3 (1,000). */
export const ONEX_UNBOUNDED_PARALLEL_STEPS = 1000;

/** The orchestrator input for `dag`: step ids are uuids made once, so every run plans the same graph. */
export function onexInput(dag: Dag, maxParallelSteps: number) {
  const ids = Array.from({ length: dag.size }, () => crypto.randomUUID());
  return {
    workflowName: dag.name,
    executionMode: 'parallel' as const,
    maxParallelSteps,
    steps: dag.deps.map((ds, i) => ({
      stepId: ids[i]!,
      stepName: `s${i}`,
      dependsOn: ds.map((d) => ids[d]!),
      actions: [{ actionType: 'compute' as const, targetNodeType: 'bench_step', operationData: { i } }],
    })),
  };
}

/** An onex engine writing to `store` (the default MemoryStore when undefined). */
export function onexEngine(store?: Store, label = ENGINE_LABELS.onex): Engine {
  return {
    id: 'onex',
    label,
    async prepare(dag: Dag, step: StepFn, shape: RunShape): Promise<Prepared> {
      const container = new ModelONEXContainer();
      container.registerNode('bench_step', (data: { i: number }) => step(data.i));
      const orchestrator = new NodeOrchestrator(container, store ? { store } : {});
      // Validated and planned once, as LangGraph's graph is compiled once in its prepare(); every run executes it.
      const input = createOrchestratorInput(onexInput(dag, shape.concurrency ?? ONEX_UNBOUNDED_PARALLEL_STEPS));
      return {
        run: async () => {
          const out = await orchestrator.process(input);
          if (out.stepsCompleted !== dag.size) {
            throw new Error(`onex completed ${out.stepsCompleted} of ${dag.size} steps (${out.workflowState})`);
          }
        },
      };
    },
  };
}

export const onex: Engine = onexEngine();
