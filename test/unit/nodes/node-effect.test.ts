// NodeEffect (spec §6, §4 BATCH): `execute` per action with a stable idempotency key, `processBatch` for whole
// batches, the per-action fallback of runBatch, and `compensate` exposed to the engine through the node adapter.
import { describe, expect, it } from 'vitest';
import {
  type BatchItem,
  EnumCoreErrorCode,
  ModelONEXContainer,
  type ModelOrchestratorInputInput,
  type NodeContext,
  NodeEffect,
  NodeOrchestrator,
  OnexError,
} from '../../../src/index.js';
import { toInvoker } from '../../../src/nodes/node-adapter.js';
import { createLogger } from '../../../src/observability/logger.js';

type Row = { id: number };

class Writer extends NodeEffect<Row, { wrote: number; key: string }> {
  readonly executed: { id: number; key: string; attempt: number }[] = [];
  execute(input: Row, ctx: NodeContext) {
    this.executed.push({ id: input.id, key: ctx.idempotencyKey, attempt: ctx.attempt });
    return { wrote: input.id, key: ctx.idempotencyKey };
  }
}

class BatchWriter extends Writer {
  readonly batches: number[][] = [];
  override processBatch(items: readonly BatchItem[]) {
    const ids = items.map((item) => Number(item.operationData.id));
    this.batches.push(ids);
    return items.map((item) => ({ wrote: Number(item.operationData.id), key: item.ctx.idempotencyKey }));
  }
}

function setup<T extends Writer>(node: (c: ModelONEXContainer) => T) {
  const container = new ModelONEXContainer({ logger: createLogger('silent') });
  const writer = node(container);
  container.registerNode('writer', writer);
  return { container, writer, orchestrator: new NodeOrchestrator(container) };
}

/** `count` independent steps, each with one effect action writing row `i`. */
const rows = (count: number, extra: Partial<ModelOrchestratorInputInput> = {}): ModelOrchestratorInputInput => ({
  ...extra,
  steps: Array.from({ length: count }, (_, i) => ({
    stepName: `w${i}`,
    actions: [{ actionType: 'effect', targetNodeType: 'writer', operationData: { id: i } }],
  })),
});

describe('execute', () => {
  it('runs once per action with the action id as idempotency key, and counts operations', async () => {
    const { writer, orchestrator } = setup((c) => new Writer(c));
    const out = await orchestrator.process(rows(3));
    const ids = out.actionsEmitted.map((a) => a.actionId);
    expect(writer.executed).toEqual(ids.map((key, id) => ({ id, key, attempt: 1 })));
    expect(out.stepOutputs.w1).toEqual({ wrote: 1, key: ids[1] });
    expect(writer.getPerformanceMetrics()).toMatchObject({ totalOperations: 3, successCount: 3, errorCount: 0 });
  });

  it('records a failing execute as an error in the metrics', async () => {
    const container = new ModelONEXContainer({ logger: createLogger('silent') });
    class Broken extends NodeEffect {
      execute(): never {
        throw new Error('disk full');
      }
    }
    const broken = new Broken(container);
    container.registerNode('writer', broken);
    await expect(new NodeOrchestrator(container).process(rows(1))).rejects.toMatchObject({ message: /disk full/ });
    expect(broken.getPerformanceMetrics()).toMatchObject({ totalOperations: 1, errorCount: 1, errorRate: 1 });
  });
});

describe('processBatch (BATCH mode)', () => {
  it('one processBatch call for the ready actions of one node type; execute is not called', async () => {
    const { writer, orchestrator } = setup((c) => new BatchWriter(c));
    const out = await orchestrator.process(rows(6, { executionMode: 'batch' }));
    expect(writer.batches).toEqual([[0, 1, 2, 3, 4, 5]]);
    expect(writer.executed).toEqual([]);
    expect(out.batches).toBe(1);
    expect(out.workflowState).toBe('completed');
    // Each result goes back to its own action and step.
    out.actionsEmitted.forEach((action, i) => {
      expect(out.stepOutputs[`w${i}`]).toEqual({ wrote: i, key: action.actionId });
    });
  });

  it('splits into batches of at most batchSize', async () => {
    const { writer, orchestrator } = setup((c) => new BatchWriter(c));
    const out = await orchestrator.process(rows(10, { executionMode: 'batch', batchSize: 4 }));
    expect(writer.batches.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(writer.batches.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(out.batches).toBe(3);
  });

  it('without processBatch, BATCH mode calls execute per action through the load balancer', async () => {
    const { writer, orchestrator } = setup((c) => new Writer(c));
    const out = await orchestrator.process(rows(5, { executionMode: 'batch' }));
    expect(writer.executed.map((e) => e.id).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(out.loadBalancedOperations).toBe(5);
  });

  it('runBatch falls back to execute per item when processBatch is absent', async () => {
    const container = new ModelONEXContainer({ logger: createLogger('silent') });
    const writer = new Writer(container);
    const ctx = (key: string) => ({ idempotencyKey: key, attempt: 1 }) as unknown as NodeContext;
    const results = await writer.runBatch(
      [
        { operationData: { id: 1 }, ctx: ctx('k1') },
        { operationData: { id: 2 }, ctx: ctx('k2') },
      ],
      ctx('k1'),
    );
    expect(results).toEqual([
      { wrote: 1, key: 'k1' },
      { wrote: 2, key: 'k2' },
    ]);
    expect(writer.executed.map((e) => e.key)).toEqual(['k1', 'k2']);
  });
});

describe('compensate (saga hook)', () => {
  it('the adapter exposes a NodeEffect compensate, called with (input, result, ctx) on the node', async () => {
    const container = new ModelONEXContainer({ logger: createLogger('silent') });
    class Reversible extends Writer {
      readonly undone: unknown[] = [];
      override compensate(input: Row, result: { wrote: number }, ctx: NodeContext) {
        this.undone.push([input.id, result.wrote, ctx.idempotencyKey, this instanceof Reversible]);
        return 'undone';
      }
    }
    const node = new Reversible(container);
    const invoker = toInvoker(node, container, 'writer');
    expect(invoker.kind).toBe('effect');
    expect(invoker.compensate).toBeTypeOf('function');
    const ctx = { idempotencyKey: 'k' } as unknown as NodeContext;
    expect(await invoker.compensate!({ id: 4 }, { wrote: 4 }, ctx)).toBe('undone');
    expect(node.undone).toEqual([[4, 4, 'k', true]]);
    expect(invoker.runBatch).toBeUndefined();
  });

  it('process() compensates a completed NodeEffect when a later step fails under FAIL_FAST', async () => {
    const container = new ModelONEXContainer({ logger: createLogger('silent') });
    const undone: unknown[] = [];
    class Reversible extends Writer {
      override compensate(input: Row, result: { wrote: number }, ctx: NodeContext) {
        undone.push({ id: input.id, wrote: result.wrote, key: ctx.idempotencyKey });
      }
    }
    container.registerNode('writer', new Reversible(container));
    container.registerNode('boom', async () => {
      throw OnexError.nonRetryable(EnumCoreErrorCode.OPERATION_FAILED, 'downstream broke');
    });
    const writeId = crypto.randomUUID();
    const err = await new NodeOrchestrator(container)
      .process({
        steps: [
          {
            stepName: 'write',
            actions: [{ actionId: writeId, actionType: 'effect', targetNodeType: 'writer', operationData: { id: 9 } }],
          },
          { stepName: 'fail', actions: [{ actionType: 'compute', targetNodeType: 'boom', dependencies: [writeId] }] },
        ],
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(OnexError);
    expect(undone).toEqual([{ id: 9, wrote: 9, key: writeId }]);
    const output = (err as OnexError).context.output as { stepReports: { stepName: string; state: string }[] };
    expect(output.stepReports.find((r) => r.stepName === 'write')!.state).toBe('compensated');
  });

  it('a plain object with execute, processBatch and compensate becomes an effect node with all three', async () => {
    const container = new ModelONEXContainer({ logger: createLogger('silent') });
    const node = {
      log: [] as string[],
      execute(data: Record<string, unknown>) {
        this.log.push(`execute ${data.id}`);
        return data.id;
      },
      processBatch(items: readonly BatchItem[]) {
        this.log.push(`batch ${items.length}`);
        return items.map((i) => i.operationData.id);
      },
      compensate(data: Record<string, unknown>) {
        this.log.push(`compensate ${data.id}`);
      },
    };
    const invoker = toInvoker(node, container, 'writer');
    expect(invoker.kind).toBe('effect');
    const ctx = {} as NodeContext;
    await invoker.run({ id: 1 }, ctx);
    await invoker.runBatch!([{ operationData: { id: 2 }, ctx }], ctx);
    await invoker.compensate!({ id: 1 }, 1, ctx);
    expect(node.log).toEqual(['execute 1', 'batch 1', 'compensate 1']);
  });

  it('an effect without compensate exposes none', () => {
    const container = new ModelONEXContainer({ logger: createLogger('silent') });
    expect(toInvoker(new Writer(container), container, 'w').compensate).toBeUndefined();
    expect(toInvoker({ execute: () => 1 }, container, 'w').compensate).toBeUndefined();
  });
});
