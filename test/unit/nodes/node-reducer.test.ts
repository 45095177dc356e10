// NodeReducer (spec §6): built-in sum/count/avg/min/max grouped by a key, merge, the tutorial's one-aggregation form,
// unknown operations; and custom reducers. Checked against numbers computed independently in this file.
import { describe, expect, it } from 'vitest';
import {
  EnumCoreErrorCode,
  ModelONEXContainer,
  type ModelOrchestratorInputInput,
  type NodeContext,
  NodeOrchestrator,
  NodeReducer,
  OnexError,
} from '../../../src/index.js';
import { createLogger } from '../../../src/observability/logger.js';

interface Row {
  category: string;
  amount?: unknown;
  meta: { region: string };
}

/** A fixed pseudo-random data set (LCG), with some rows lacking a numeric amount. */
function dataset(count: number, seed: number): Row[] {
  let x = seed;
  const next = () => {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    return x;
  };
  const cats = ['books', 'music', 'film', 'games'];
  return Array.from({ length: count }, () => {
    const r = next();
    const category = cats[r % cats.length]!;
    const meta = { region: r % 3 === 0 ? 'eu' : 'us' };
    if (r % 11 === 0) return { category, meta }; // no amount
    if (r % 13 === 0) return { category, amount: 'n/a', meta }; // not a number
    return { category, amount: (next() % 100_000) / 100 - 200, meta }; // cents, may be negative
  });
}

/** The expected per-group numbers, computed the plain way. */
function expected(rows: readonly Row[], key: (r: Row) => string) {
  const groups = new Map<string, { count: number; values: number[] }>();
  for (const row of rows) {
    const k = key(row);
    if (!groups.has(k)) groups.set(k, { count: 0, values: [] });
    const g = groups.get(k)!;
    g.count += 1;
    if (typeof row.amount === 'number') g.values.push(row.amount);
  }
  return new Map(
    [...groups].map(([k, g]) => {
      const sum = g.values.reduce((a, b) => a + b, 0);
      return [
        k,
        {
          count: g.count,
          total: sum,
          mean: g.values.length ? sum / g.values.length : null,
          lowest: g.values.length ? Math.min(...g.values) : null,
          highest: g.values.length ? Math.max(...g.values) : null,
        },
      ];
    }),
  );
}

function setup() {
  const container = new ModelONEXContainer({ logger: createLogger('silent') });
  const orchestrator = new NodeOrchestrator(container, { retryBackoff: { initialDelayMs: 1 } });
  return { container, orchestrator };
}

/** Two source steps returning `parts`, and a reducer step depending on both, with `operationData`. */
function reduceWorkflow(
  container: ModelONEXContainer,
  parts: [unknown, unknown],
  operationData: Record<string, unknown>,
): ModelOrchestratorInputInput {
  container.registerNode('partA', async () => parts[0]);
  container.registerNode('partB', async () => parts[1]);
  container.registerNode('reducer', new NodeReducer(container));
  const [a, b] = [crypto.randomUUID(), crypto.randomUUID()];
  return {
    executionMode: 'parallel',
    steps: [
      { stepName: 'a', actions: [{ actionId: a, actionType: 'effect', targetNodeType: 'partA' }] },
      { stepName: 'b', actions: [{ actionId: b, actionType: 'effect', targetNodeType: 'partB' }] },
      {
        stepName: 'agg',
        actions: [{ actionType: 'reduce', targetNodeType: 'reducer', operationData, dependencies: [a, b] }],
      },
    ],
  };
}

const allAggregations = [
  { op: 'sum', field: 'amount', as: 'total' },
  { op: 'count', as: 'count' },
  { op: 'avg', field: 'amount', as: 'mean' },
  { op: 'min', field: 'amount', as: 'lowest' },
  { op: 'max', field: 'amount', as: 'highest' },
];

describe('built-in aggregations through process()', () => {
  it('sum/count/avg/min/max grouped by a key, over the results of several dependencies', async () => {
    const { container, orchestrator } = setup();
    const partA = dataset(300, 7);
    const partB = dataset(200, 99);
    // The data must exercise the "not a number" path: such rows count but are left out of sum/avg/min/max.
    expect([...partA, ...partB].filter((r) => typeof r.amount !== 'number').length).toBeGreaterThan(10);
    const out = await orchestrator.process(
      reduceWorkflow(container, [partA, partB], { group_by: 'category', aggregations: allAggregations }),
    );
    const rows = out.stepOutputs.agg as Record<string, unknown>[];
    const want = expected([...partA, ...partB], (r) => r.category);
    expect(rows.map((r) => r.category).sort()).toEqual([...want.keys()].sort());
    for (const row of rows) {
      const w = want.get(row.category as string)!;
      expect(row.count).toBe(w.count);
      expect(row.total as number).toBeCloseTo(w.total, 6);
      expect(row.mean as number).toBeCloseTo(w.mean!, 6);
      expect(row.lowest).toBe(w.lowest);
      expect(row.highest).toBe(w.highest);
    }
    // Rows come in first-seen group order.
    const firstSeen = [...new Set([...partA, ...partB].map((r) => r.category))];
    expect(rows.map((r) => r.category)).toEqual(firstSeen);
  });

  it('groups by a dotted path and sorts by order_by, largest first', async () => {
    const { container, orchestrator } = setup();
    const partA = dataset(120, 3);
    const partB = dataset(80, 5);
    const out = await orchestrator.process(
      reduceWorkflow(container, [partA, partB], {
        group_by: 'meta.region',
        order_by: 'count',
        aggregations: [
          { op: 'count', as: 'count' },
          { op: 'sum', field: 'amount' },
        ],
      }),
    );
    const rows = out.stepOutputs.agg as Record<string, unknown>[];
    const want = expected([...partA, ...partB], (r) => r.meta.region);
    const counts = rows.map((r) => r.count as number);
    expect(counts).toEqual([...counts].sort((x, y) => y - x));
    for (const row of rows) {
      const w = want.get(row['meta.region'] as string)!;
      expect(row.count).toBe(w.count);
      // Without `as`, the column is named op_field.
      expect(row.sum_amount as number).toBeCloseTo(w.total, 6);
    }
  });

  it("the tutorial form {aggregation_type: 'sum', group_by: 'category'} sums `value` per category", async () => {
    const { container, orchestrator } = setup();
    const sales = [
      { category: 'a', value: 10 },
      { category: 'b', value: 1 },
      { category: 'a', value: 5 },
    ];
    const out = await orchestrator.process(
      reduceWorkflow(container, [sales, [{ category: 'b', value: 2.5 }]], {
        aggregation_type: 'sum',
        group_by: 'category',
      }),
    );
    expect(out.stepOutputs.agg).toEqual([
      { category: 'a', sum: 15 },
      { category: 'b', sum: 3.5 },
    ]);
  });

  it('without group_by, aggregates everything into one row', async () => {
    const { container, orchestrator } = setup();
    const out = await orchestrator.process(
      reduceWorkflow(container, [[{ value: 2 }, { value: 4 }], { value: 9 }], {
        aggregation_type: 'avg',
      }),
    );
    expect(out.stepOutputs.agg).toEqual([{ avg: 5 }]);
  });

  it('merge concatenates arrays', async () => {
    const { container, orchestrator } = setup();
    const out = await orchestrator.process(reduceWorkflow(container, [[1, 2], [3]], { operation: 'merge' }));
    expect(out.stepOutputs.agg).toEqual([1, 2, 3]);
  });

  it('merge combines objects, the later dependency winning', async () => {
    const { container, orchestrator } = setup();
    const out = await orchestrator.process(
      reduceWorkflow(
        container,
        [
          { x: 1, y: 1 },
          { y: 2, z: 3 },
        ],
        { operation: 'merge' },
      ),
    );
    expect(out.stepOutputs.agg).toEqual({ x: 1, y: 2, z: 3 });
  });

  it('an unknown reduction fails the run with VALIDATION_ERROR, tried once', async () => {
    const { container, orchestrator } = setup();
    const input = reduceWorkflow(container, [[{ value: 1 }], [{ value: 2 }]], { aggregation_type: 'median' });
    const err = await orchestrator.process(input).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OnexError);
    expect((err as OnexError).code).toBe('ONEX_CORE_006_VALIDATION_ERROR');
    expect((err as OnexError).message).toContain('median');
    const output = (err as OnexError).context.output as { stepReports: { stepName: string; attempts: number }[] };
    expect(output.stepReports.find((s) => s.stepName === 'agg')!.attempts).toBe(1);
  });

  it('operation data without a reduction is a VALIDATION_ERROR', async () => {
    const { container, orchestrator } = setup();
    await expect(orchestrator.process(reduceWorkflow(container, [[], []], { group_by: 'x' }))).rejects.toMatchObject({
      code: EnumCoreErrorCode.VALIDATION_ERROR,
    });
  });
});

describe('static helpers', () => {
  it('NodeReducer.aggregate matches the plain computation', () => {
    const rows = dataset(500, 42);
    const got = NodeReducer.aggregate(rows, { groupBy: 'category', aggregations: allAggregations as never });
    const want = expected(rows, (r) => r.category);
    expect(got).toHaveLength(want.size);
    for (const row of got) {
      const w = want.get(row.category as string)!;
      expect(row.count).toBe(w.count);
      expect(row.total as number).toBeCloseTo(w.total, 6);
      expect(row.lowest).toBe(w.lowest);
    }
  });

  it('min/max/avg of a group without numbers are null; count still counts it', () => {
    const got = NodeReducer.aggregate([{ k: 'x', v: 'text' }, { k: 'x' }], {
      groupBy: 'k',
      aggregations: [
        { op: 'count', as: 'n' },
        { op: 'sum', field: 'v', as: 's' },
        { op: 'avg', field: 'v', as: 'a' },
        { op: 'min', field: 'v', as: 'lo' },
        { op: 'max', field: 'v', as: 'hi' },
      ],
    });
    expect(got).toEqual([{ k: 'x', n: 2, s: 0, a: null, lo: null, hi: null }]);
  });

  it('NodeReducer.merge rejects a mix of arrays and objects with TYPE_MISMATCH', () => {
    expect(NodeReducer.merge([[1], null, [2]])).toEqual([1, 2]);
    let error: unknown;
    try {
      NodeReducer.merge([[1], { a: 1 }]);
    } catch (err) {
      error = err;
    }
    expect((error as OnexError).code).toBe(EnumCoreErrorCode.TYPE_MISMATCH);
  });
});

describe('custom reducers', () => {
  it('a subclass overriding reduce receives the dependency results and the context', async () => {
    const { container, orchestrator } = setup();
    class Longest extends NodeReducer<string> {
      override reduce(inputs: readonly unknown[], ctx: NodeContext): string {
        const words = inputs.flat() as string[];
        return `${ctx.operationData.prefix}${words.reduce((a, b) => (b.length > a.length ? b : a), '')}`;
      }
    }
    const input = reduceWorkflow(container, [['ab', 'abcd'], ['abc']], { prefix: '>' });
    container.registerNode('reducer', new Longest(container));
    const out = await orchestrator.process(input);
    expect(out.stepOutputs.agg).toBe('>abcd');
  });
});
