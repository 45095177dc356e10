// Node registration forms (spec §6, §8): a function, a node instance, a node class (instantiated once, with the
// container), plain objects with compute / execute / reduce, and an orchestrator — all run through
// NodeOrchestrator.process. An unknown target node type fails before any node runs.
import { describe, expect, it } from 'vitest';
import {
  EnumCoreErrorCode,
  ModelONEXContainer,
  type ModelOrchestratorInputInput,
  NodeCompute,
  type NodeContext,
  NodeEffect,
  NodeOrchestrator,
  NodeReducer,
  OnexError,
} from '../../../src/index.js';
import { createLogger } from '../../../src/observability/logger.js';

const newContainer = () => new ModelONEXContainer({ logger: createLogger('silent') });

/** A chain: `first` (target a) feeds `second` (target b) through an action dependency. */
function chain(
  a: string,
  b: string,
  data: Record<string, unknown> = { n: 2 },
  second: { actionType: string; operationData: Record<string, unknown> } = {
    actionType: 'compute',
    operationData: { m: 3 },
  },
): ModelOrchestratorInputInput {
  const firstId = crypto.randomUUID();
  return {
    workflowName: 'forms',
    inputData: { scale: 10 },
    steps: [
      {
        stepName: 'first',
        actions: [{ actionId: firstId, actionType: 'compute', targetNodeType: a, operationData: data }],
      },
      {
        stepName: 'second',
        actions: [{ ...second, targetNodeType: b, dependencies: [firstId] }],
      },
    ],
  };
}

describe('a plain async function', () => {
  it('receives the operation data and the full context', async () => {
    const container = newContainer();
    const seen: NodeContext[] = [];
    container.registerNode('first', async (data: Record<string, unknown>, ctx: NodeContext) => {
      seen.push(ctx);
      return { n: Number(data.n) * Number(ctx.workflowInput.scale) };
    });
    container.registerNode('second', async (data: Record<string, unknown>, ctx: NodeContext) => {
      seen.push(ctx);
      return { total: (ctx.inputs[0] as { n: number }).n + Number(data.m) };
    });
    const orchestrator = new NodeOrchestrator(container);
    const out = await orchestrator.process(chain('first', 'second'));
    expect(out.stepOutputs).toEqual({ first: { n: 20 }, second: { total: 23 } });
    const [first, second] = seen;
    const [a1, a2] = out.actionsEmitted;
    expect(first!.inputs).toEqual([]);
    expect(second!.inputs).toEqual([{ n: 20 }]);
    expect(second!.inputsById[a1!.actionId]).toEqual({ n: 20 });
    expect(second!.signal).toBeInstanceOf(AbortSignal);
    expect(second!.signal.aborted).toBe(false);
    expect(second!.attempt).toBe(1);
    expect(second!.idempotencyKey).toBe(a2!.actionId);
    expect(second!.action.actionId).toBe(a2!.actionId);
    expect(second!.operationData).toEqual({ m: 3 });
    expect(second!.stepName).toBe('second');
    expect(second!.workflowId).toBe(out.workflowId);
    expect(second!.operationId).toBe(out.operationId);
    expect(second!.container).toBe(container);
    expect(typeof second!.logger.info).toBe('function');
  });
});

describe('node instances and classes', () => {
  it('a NodeCompute instance and a NodeReducer instance', async () => {
    const container = newContainer();
    class Square extends NodeCompute<{ n: number }, { square: number }> {
      compute(input: { n: number }) {
        return { square: input.n * input.n };
      }
    }
    const square = new Square(container);
    container.registerNode('square', square);
    container.registerNode('merge', new NodeReducer(container));
    const out = await new NodeOrchestrator(container).process(
      chain('square', 'merge', { n: 7 }, { actionType: 'reduce', operationData: { operation: 'merge' } }),
    );
    expect(out.stepOutputs).toEqual({ first: { square: 49 }, second: { square: 49 } });
    expect(square.getCacheStats().misses).toBe(1);
  });

  it('a node class is instantiated once per container, with the container, and reused across runs', async () => {
    const container = newContainer();
    const constructed: ModelONEXContainer[] = [];
    class Stamp extends NodeEffect<Record<string, unknown>, string> {
      constructor(c: ModelONEXContainer) {
        super(c);
        constructed.push(c);
      }
      execute(input: Record<string, unknown>) {
        return `${this.nodeId}:${input.n ?? input.m}`;
      }
    }
    container.registerNode('stamp', Stamp);
    const orchestrator = new NodeOrchestrator(container);
    const one = await orchestrator.process(chain('stamp', 'stamp'));
    const two = await orchestrator.process(chain('stamp', 'stamp'));
    expect(constructed).toEqual([container]);
    const ids = [one.stepOutputs.first, one.stepOutputs.second, two.stepOutputs.first].map(
      (s) => String(s).split(':')[0],
    );
    expect(new Set(ids).size).toBe(1);
    expect(one.stepOutputs.second).toMatch(/:3$/);
  });

  it('a plain ES class (not a NodeCoreBase) is instantiated too', async () => {
    const container = newContainer();
    class Plain {
      constructor(readonly c: ModelONEXContainer) {}
      compute(data: Record<string, unknown>) {
        return { same: this.c === container, n: data.n };
      }
    }
    container.registerNode('plain', Plain);
    container.registerNode('echo', async (_d: unknown, ctx: NodeContext) => ctx.inputs[0]);
    const out = await new NodeOrchestrator(container).process(chain('plain', 'echo'));
    expect(out.stepOutputs.second).toEqual({ same: true, n: 2 });
  });
});

describe('plain objects', () => {
  it('{ compute }, { execute } and { reduce } objects each run, with `this` bound to the object', async () => {
    const container = newContainer();
    const computeNode = {
      factor: 5,
      compute(data: Record<string, unknown>) {
        return { n: Number(data.n) * this.factor };
      },
    };
    const executeNode = {
      written: [] as unknown[],
      execute(data: Record<string, unknown>, ctx: NodeContext) {
        this.written.push(ctx.inputs[0]);
        return { ok: true, m: data.m };
      },
    };
    const reduceNode = {
      reduce(_data: Record<string, unknown>, ctx: NodeContext) {
        return ctx.inputs.length;
      },
    };
    container.registerNode('c', computeNode);
    container.registerNode('e', executeNode);
    container.registerNode('r', reduceNode);
    const orchestrator = new NodeOrchestrator(container);
    const out = await orchestrator.process(chain('c', 'e'));
    expect(out.stepOutputs).toEqual({ first: { n: 10 }, second: { ok: true, m: 3 } });
    expect(executeNode.written).toEqual([{ n: 10 }]);
    const reduced = await orchestrator.process(chain('c', 'r'));
    expect(reduced.stepOutputs.second).toBe(1);
  });

  it('an orchestrator registered as a node runs a sub-workflow given as operation data', async () => {
    const container = newContainer();
    container.registerNode('inc', async (data: Record<string, unknown>) => ({ v: Number(data.v) + 1 }));
    container.registerNode('sub', new NodeOrchestrator(container));
    const out = await new NodeOrchestrator(container).process({
      steps: [
        {
          stepName: 'outer',
          actions: [
            {
              actionType: 'orchestrate',
              targetNodeType: 'sub',
              operationData: {
                steps: [
                  {
                    stepName: 'inner',
                    actions: [{ actionType: 'compute', targetNodeType: 'inc', operationData: { v: 1 } }],
                  },
                ],
              },
            },
          ],
        },
      ],
    });
    const inner = out.stepOutputs.outer as { workflowState: string; stepOutputs: Record<string, unknown> };
    expect(inner.workflowState).toBe('completed');
    expect(inner.stepOutputs.inner).toEqual({ v: 2 });
  });
});

describe('resolution errors come before anything runs', () => {
  it('an unknown target node type rejects with 322 naming it and the registered ones; no node ran', async () => {
    const container = newContainer();
    let calls = 0;
    container.registerNode('known', async () => {
      calls++;
      return 1;
    });
    const err = await new NodeOrchestrator(container).process(chain('known', 'missing')).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OnexError);
    expect((err as OnexError).code).toBe('ONEX_CORE_322_ORCHESTRATOR_SEMANTIC_UNKNOWN_NODE_TYPE');
    expect((err as OnexError).message).toContain("'missing'");
    expect((err as OnexError).message).toContain('known');
    expect((err as OnexError).context).toMatchObject({ targetNodeType: 'missing', registered: ['known'] });
    expect(calls).toBe(0);
  });

  it('a registered value that is not a node is rejected before anything runs', async () => {
    const container = newContainer();
    let calls = 0;
    container.registerNode('known', async () => {
      calls++;
      return 1;
    });
    container.registerNode('number', 42);
    const err = await new NodeOrchestrator(container).process(chain('known', 'number')).then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as OnexError).code).toBe(EnumCoreErrorCode.ORCHESTRATOR_STRUCT_INVALID_FIELD_TYPE);
    expect((err as OnexError).message).toContain("'number'");
    expect(calls).toBe(0);
  });
});
