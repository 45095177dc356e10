// NodeCompute `fallbackToCache` (spec §5 "use a cached COMPUTE result"): when `compute` fails with a recoverable
// code and the LRU holds a result for the same key, that result is returned instead and counted; anything else
// fails as before. Runs go through NodeOrchestrator.process, the path users take.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  EnumCoreErrorCode,
  EnumWorkflowState,
  ModelONEXContainer,
  type ModelOrchestratorInputInput,
  NodeCompute,
  type NodeComputeOptions,
  type NodeContext,
  OnexError,
} from '../../../src/index.js';
import { orchestratorFor, outputOf, rejectionOf, sleep } from './helpers.js';

/** A price model whose backend can be switched to fail with a given error (or hang until aborted). */
class PriceModel extends NodeCompute<{ sku: string }, { sku: string; price: number; version: number }> {
  calls = 0;
  failure: unknown = null;
  hang = false;
  version = 1;

  async compute(input: { sku: string }, ctx: NodeContext) {
    this.calls++;
    if (this.hang) {
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      throw ctx.signal.reason;
    }
    if (this.failure !== null) throw this.failure;
    return { sku: input.sku, price: input.sku.length * 100, version: this.version };
  }
}

function setup(options: NodeComputeOptions) {
  const logs: Record<string, unknown>[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const container = new ModelONEXContainer({ logger });
  const node = new PriceModel(container, options);
  container.registerNode('price', node);
  return { node, logs, orchestrator: orchestratorFor(container) };
}

const priceOf = (sku: string, timeoutMs = 30_000): ModelOrchestratorInputInput => ({
  steps: [
    {
      stepName: 'price',
      actions: [{ actionType: 'compute', targetNodeType: 'price', operationData: { sku }, timeoutMs }],
    },
  ],
});

describe('NodeCompute fallbackToCache', () => {
  it('answers a RESOURCE_UNAVAILABLE failure with the last result for the same input, and counts it', async () => {
    const { node, logs, orchestrator } = setup({ cacheEnabled: false, fallbackToCache: true });
    const first = await orchestrator.process(priceOf('ABC'));
    expect(first.stepOutputs.price).toEqual({ sku: 'ABC', price: 300, version: 1 });
    node.version = 2;
    node.failure = new OnexError(EnumCoreErrorCode.RESOURCE_UNAVAILABLE, 'pricing backend down');
    const second = await orchestrator.process(priceOf('ABC'));
    expect(second.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(second.stepOutputs.price).toEqual({ sku: 'ABC', price: 300, version: 1 });
    expect(node.calls).toBe(2); // cacheEnabled: false — it did try to compute
    expect(node.getFallbackCount()).toBe(1);
    expect(logs).toContainEqual(
      expect.objectContaining({
        msg: 'compute failed; using the cached result',
        code: EnumCoreErrorCode.RESOURCE_UNAVAILABLE,
        targetNodeType: 'price',
      }),
    );
  });

  it('with cacheEnabled: false every call computes while it succeeds (the cache only backs failures)', async () => {
    const { node, orchestrator } = setup({ cacheEnabled: false, fallbackToCache: true });
    node.version = 1;
    await orchestrator.process(priceOf('ABC'));
    node.version = 2;
    const again = await orchestrator.process(priceOf('ABC'));
    expect(again.stepOutputs.price).toEqual({ sku: 'ABC', price: 300, version: 2 });
    expect(node.calls).toBe(2);
    expect(node.getCacheStats()).toEqual({ hits: 0, misses: 0, size: 1 });
    expect(node.getFallbackCount()).toBe(0);
  });

  for (const code of [EnumCoreErrorCode.TIMEOUT, EnumCoreErrorCode.SERVICE_UNAVAILABLE]) {
    it(`falls back on ${code} thrown by the compute itself`, async () => {
      const { node, orchestrator } = setup({ cacheEnabled: false, fallbackToCache: true });
      await orchestrator.process(priceOf('XY'));
      node.failure = new OnexError(code, 'backend trouble');
      const out = await orchestrator.process(priceOf('XY'));
      expect(out.stepOutputs.price).toEqual({ sku: 'XY', price: 200, version: 1 });
      expect(node.getFallbackCount()).toBe(1);
    });
  }

  it('does not fall back for another input: nothing is cached under that key, the run fails', async () => {
    const { node, orchestrator } = setup({ cacheEnabled: false, fallbackToCache: true });
    await orchestrator.process(priceOf('ABC'));
    node.failure = new OnexError(EnumCoreErrorCode.RESOURCE_UNAVAILABLE, 'pricing backend down');
    const err = await rejectionOf(orchestrator.process(priceOf('ABCD')));
    expect(err.code).toBe(EnumCoreErrorCode.RESOURCE_UNAVAILABLE);
    expect(node.getFallbackCount()).toBe(0);
  });

  const notRecoverable: [string, unknown, string][] = [
    [
      'VALIDATION_ERROR',
      new OnexError(EnumCoreErrorCode.VALIDATION_ERROR, 'bad sku'),
      EnumCoreErrorCode.VALIDATION_ERROR,
    ],
    ['a plain Error', new Error('bug'), EnumCoreErrorCode.OPERATION_FAILED],
    ['a thrown string', 'oops', EnumCoreErrorCode.OPERATION_FAILED],
  ];
  for (const [label, failure, code] of notRecoverable) {
    it(`does not fall back on ${label}`, async () => {
      const { node, orchestrator } = setup({ cacheEnabled: false, fallbackToCache: true });
      await orchestrator.process(priceOf('ABC'));
      node.failure = failure;
      const err = await rejectionOf(orchestrator.process(priceOf('ABC')));
      expect(err.code).toBe(code);
      expect(node.getFallbackCount()).toBe(0);
    });
  }

  it('`fallbackOn` chooses the codes that fall back', async () => {
    const { node, orchestrator } = setup({
      cacheEnabled: false,
      fallbackToCache: true,
      fallbackOn: [EnumCoreErrorCode.OPERATION_FAILED],
    });
    await orchestrator.process(priceOf('ABC'));
    node.failure = new Error('flaky library');
    expect((await orchestrator.process(priceOf('ABC'))).stepOutputs.price).toMatchObject({ price: 300 });
    node.failure = new OnexError(EnumCoreErrorCode.RESOURCE_UNAVAILABLE, 'down');
    expect((await rejectionOf(orchestrator.process(priceOf('ABC')))).code).toBe(EnumCoreErrorCode.RESOURCE_UNAVAILABLE);
    expect(node.getFallbackCount()).toBe(1);
  });

  it('is off by default: the failure goes through even for an input computed before', async () => {
    const { node, orchestrator } = setup({ cacheEnabled: false });
    await orchestrator.process(priceOf('ABC'));
    node.failure = new OnexError(EnumCoreErrorCode.RESOURCE_UNAVAILABLE, 'down');
    expect((await rejectionOf(orchestrator.process(priceOf('ABC')))).code).toBe(EnumCoreErrorCode.RESOURCE_UNAVAILABLE);
    expect(node.getFallbackCount()).toBe(0);
  });

  it('with cacheTtlMs: fresh entries are hits, expired ones are recomputed, and kept to fall back on', async () => {
    const { node, orchestrator } = setup({ fallbackToCache: true, cacheTtlMs: 40 });
    await orchestrator.process(priceOf('ABC'));
    await orchestrator.process(priceOf('ABC'));
    expect(node.calls).toBe(1);
    expect(node.getCacheStats()).toMatchObject({ hits: 1, misses: 1 });
    await sleep(60);
    node.version = 2;
    const recomputed = await orchestrator.process(priceOf('ABC'));
    expect(node.calls).toBe(2);
    expect(recomputed.stepOutputs.price).toMatchObject({ version: 2 });
    await sleep(60);
    node.failure = new OnexError(EnumCoreErrorCode.SERVICE_UNAVAILABLE, 'down');
    const stale = await orchestrator.process(priceOf('ABC'));
    expect(node.calls).toBe(3);
    expect(stale.stepOutputs.price).toMatchObject({ version: 2 });
    expect(node.getFallbackCount()).toBe(1);
  });

  it('does not answer once the orchestrator aborted the call (timeout): nobody waits for that value', async () => {
    const { node, orchestrator } = setup({ cacheEnabled: false, fallbackToCache: true });
    await orchestrator.process(priceOf('ABC'));
    node.hang = true;
    const err = await rejectionOf(orchestrator.process(priceOf('ABC', 100)));
    expect(err.code).toBe(EnumCoreErrorCode.TIMEOUT);
    expect(outputOf(err).workflowState).toBe(EnumWorkflowState.FAILED);
    await sleep(10);
    expect(node.getFallbackCount()).toBe(0);
  });
});
