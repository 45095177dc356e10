// Planner properties (spec §3) on random graphs: for DAGs the order respects every dependency, is the one Kahn's
// algorithm with (priority desc, declaration asc) tie-breaking gives, and is the same on every run; waves and the
// critical path agree with an independent computation. For graphs with a cycle the planner throws 301 at once, and the
// reported cycle is a real cycle of the graph.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planWorkflow } from '../../../src/engine/planner.js';
import { EnumCoreErrorCode, type ModelOrchestratorInputInput, OnexError } from '../../../src/index.js';

interface Graph {
  n: number;
  /** deps[j] = the steps j depends on (by generated index). */
  deps: number[][];
  priority: number[];
  /** Whether edge i -> j is expressed as an action dependency (true) or a step dependsOn (false). */
  viaAction: boolean[][];
  /** Declaration order: declared[k] = generated index of the k-th declared step. */
  declared: number[];
}

/** A random DAG: edges only from earlier- to later-generated steps; declaration order shuffled afterwards. */
const dag = fc.integer({ min: 1, max: 60 }).chain((n) =>
  fc
    .record({
      edgeBits: fc.array(fc.array(fc.boolean(), { minLength: n, maxLength: n }), { minLength: n, maxLength: n }),
      density: fc.integer({ min: 0, max: 3 }),
      viaAction: fc.array(fc.array(fc.boolean(), { minLength: n, maxLength: n }), { minLength: n, maxLength: n }),
      priority: fc.array(fc.integer({ min: 1, max: 10 }), { minLength: n, maxLength: n }),
      declared: fc.shuffledSubarray(
        Array.from({ length: n }, (_, i) => i),
        { minLength: n, maxLength: n },
      ),
      keep: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n * n, maxLength: n * n }),
    })
    .map(({ edgeBits, density, viaAction, priority, declared, keep }): Graph => {
      // density thins the edges (0: about half kept … 3: about one in eight) so both sparse and dense DAGs occur.
      const deps = Array.from({ length: n }, (_, j) =>
        Array.from({ length: j }, (_, i) => i).filter((i) => edgeBits[j]![i] && keep[j * n + i]! >= density),
      );
      return { n, deps, priority, viaAction, declared };
    }),
);

/** Build the workflow input of a graph; step `g` is named `s<g>` and has one action with id actionIds[g]. */
function toInput(graph: Graph): { input: ModelOrchestratorInputInput; stepIds: string[] } {
  const stepIds = Array.from({ length: graph.n }, () => crypto.randomUUID());
  const actionIds = Array.from({ length: graph.n }, () => crypto.randomUUID());
  const steps = graph.declared.map((g) => ({
    stepId: stepIds[g]!,
    stepName: `s${g}`,
    dependsOn: graph.deps[g]!.filter((d) => !graph.viaAction[g]![d]).map((d) => stepIds[d]!),
    actions: [
      {
        actionId: actionIds[g]!,
        actionType: 'compute' as const,
        targetNodeType: 'node',
        priority: graph.priority[g]!,
        dependencies: graph.deps[g]!.filter((d) => graph.viaAction[g]![d]).map((d) => actionIds[d]!),
      },
    ],
  }));
  return { input: { steps }, stepIds };
}

/** Kahn's algorithm written out independently: among ready steps, highest priority, then earliest declared. */
function expectedOrder(graph: Graph): number[] {
  const position = new Map(graph.declared.map((g, k) => [g, k]));
  const done = new Set<number>();
  const order: number[] = [];
  while (order.length < graph.n) {
    let best = -1;
    for (let g = 0; g < graph.n; g++) {
      if (done.has(g) || !graph.deps[g]!.every((d) => done.has(d))) continue;
      if (
        best < 0 ||
        graph.priority[g]! > graph.priority[best]! ||
        (graph.priority[g] === graph.priority[best] && position.get(g)! < position.get(best)!)
      ) {
        best = g;
      }
    }
    done.add(best);
    order.push(best);
  }
  return order;
}

const generatedIndex = (name: string) => Number(name.slice(1));

describe('planner on random DAGs (property)', () => {
  it('respects every dependency, follows Kahn with priority/declaration ties, and is stable across runs', () => {
    fc.assert(
      fc.property(dag, (graph) => {
        const { input } = toInput(graph);
        const first = planWorkflow(input);
        const second = planWorkflow(input);
        const order = first.order.map((s) => generatedIndex(first.steps[s]!.step.stepName));
        expect(second.order).toEqual(first.order);
        expect(second.actionOrder).toEqual(first.actionOrder);

        const at = new Map(order.map((g, k) => [g, k]));
        expect(at.size).toBe(graph.n);
        for (let g = 0; g < graph.n; g++) for (const d of graph.deps[g]!) expect(at.get(d)!).toBeLessThan(at.get(g)!);
        expect(order).toEqual(expectedOrder(graph));
      }),
      { numRuns: 150 },
    );
  });

  it('computes waves as topological levels and a critical path that is a longest dependency chain', () => {
    fc.assert(
      fc.property(dag, (graph) => {
        const plan = planWorkflow(toInput(graph).input);
        const byGen = new Map(plan.steps.map((ps) => [generatedIndex(ps.step.stepName), ps]));
        // Independent levels and longest paths (generated indices are already topologically sorted).
        const level = new Array<number>(graph.n).fill(0);
        const longestTo = new Array<number>(graph.n).fill(1);
        for (let g = 0; g < graph.n; g++) {
          for (const d of graph.deps[g]!) {
            level[g] = Math.max(level[g]!, level[d]! + 1);
            longestTo[g] = Math.max(longestTo[g]!, longestTo[d]! + 1);
          }
        }
        for (let g = 0; g < graph.n; g++) expect(byGen.get(g)!.wave).toBe(level[g]);
        expect(plan.waves.length).toBe(Math.max(...level) + 1);
        plan.waves.forEach((members, w) => {
          for (const s of members) expect(plan.steps[s]!.wave).toBe(w);
        });

        const path = plan.criticalPath.map((s) => generatedIndex(plan.steps[s]!.step.stepName));
        expect(path.length).toBe(Math.max(...longestTo));
        for (let k = 1; k < path.length; k++) expect(graph.deps[path[k]!]).toContain(path[k - 1]);
      }),
      { numRuns: 150 },
    );
  });
});

/** A random graph with at least one cycle: random edges in any direction plus a forced loop through k steps. */
const cyclic = fc.integer({ min: 1, max: 40 }).chain((n) =>
  fc
    .record({
      extra: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 2 * n }),
      loop: fc.shuffledSubarray(
        Array.from({ length: n }, (_, i) => i),
        { minLength: 1, maxLength: n },
      ),
      viaAction: fc.array(fc.array(fc.boolean(), { minLength: n, maxLength: n }), { minLength: n, maxLength: n }),
      declared: fc.shuffledSubarray(
        Array.from({ length: n }, (_, i) => i),
        { minLength: n, maxLength: n },
      ),
    })
    .map(({ extra, loop, viaAction, declared }): Graph => {
      const sets = Array.from({ length: n }, () => new Set<number>());
      // Edge from -> to: `to` depends on `from`. Self-edges other than the forced one are dropped.
      for (const [from, to] of extra) if (from !== to) sets[to]!.add(from);
      loop.forEach((g, k) => {
        sets[loop[(k + 1) % loop.length]!]!.add(g);
      });
      // A self-dependency of an action is refused by createAction itself; keep self-loops on dependsOn.
      const via = viaAction.map((row, g) => row.map((bit, d) => bit && d !== g));
      return { n, deps: sets.map((s) => [...s]), priority: new Array<number>(n).fill(1), viaAction: via, declared };
    }),
);

describe('planner on random cyclic graphs (property)', () => {
  it('throws 301 naming a real cycle of the graph, first = last', () => {
    fc.assert(
      fc.property(cyclic, (graph) => {
        let error: unknown;
        try {
          planWorkflow(toInput(graph).input);
        } catch (err) {
          error = err;
        }
        expect(error).toBeInstanceOf(OnexError);
        const err = error as OnexError;
        expect(err.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_CYCLE_DETECTED);
        const cycle = err.context.cycle as string[];
        expect(cycle.length).toBeGreaterThanOrEqual(2);
        expect(cycle[0]).toBe(cycle[cycle.length - 1]);
        expect(err.message).toContain(cycle.join(' -> '));
        // Execution order: in `x -> y`, y depends on x.
        for (let k = 1; k < cycle.length; k++) {
          const from = generatedIndex(cycle[k - 1]!);
          const to = generatedIndex(cycle[k]!);
          expect(graph.deps[to]).toContain(from);
        }
        // A simple cycle: no step repeats except the closing one.
        expect(new Set(cycle.slice(1)).size).toBe(cycle.length - 1);
      }),
      { numRuns: 200 },
    );
  });
});
