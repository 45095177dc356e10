// Bounded concurrent workflows (spec §9, reference max_concurrent_workflows = 5): one orchestrator runs at most
// maxConcurrentWorkflows process() calls at once; the others wait their turn; every run is cleaned up after.
import { describe, expect, it } from 'vitest';
import { EnumCoreErrorCode, EnumWorkflowState, type NodeContext, OnexError } from '../../../src/index.js';
import { asInput, fastOrchestrator, oneActionStep, quietContainer, rejectionOf, sleep } from './support.js';

/** Node `work` counts the distinct workflows running it at once (by operation id) and samples activeWorkflows. */
function setup(options: { maxConcurrentWorkflows?: number } = {}) {
  const container = quietContainer();
  const running = new Set<string>();
  const seen = { peak: 0, activeSamples: [] as number[], finished: [] as string[] };
  const orchestrator = fastOrchestrator(container, options);
  container.registerNode('work', async (data: Readonly<Record<string, unknown>>, ctx: NodeContext) => {
    running.add(ctx.operationId);
    seen.peak = Math.max(seen.peak, running.size);
    seen.activeSamples.push(orchestrator.activeWorkflows.size);
    try {
      await sleep(30);
      if (data.fail) throw OnexError.nonRetryable(EnumCoreErrorCode.OPERATION_FAILED, 'failed on purpose');
      return { run: ctx.operationId };
    } finally {
      running.delete(ctx.operationId);
      seen.finished.push(ctx.operationId);
    }
  });
  return { orchestrator, seen };
}

const workflow = (fail = false) => ({ steps: asInput([oneActionStep('w', 'work', { operationData: { fail } })]) });

describe('bounded concurrent workflows', () => {
  it('runs at most 5 of 8 process() calls at once by default, and finishes all 8', async () => {
    const { orchestrator, seen } = setup();
    expect(orchestrator.maxConcurrentWorkflows).toBe(5);
    const outputs = await Promise.all(Array.from({ length: 8 }, () => orchestrator.process(workflow())));
    expect(outputs.every((o) => o.workflowState === EnumWorkflowState.COMPLETED)).toBe(true);
    expect(new Set(outputs.map((o) => o.operationId)).size).toBe(8);
    expect(seen.finished).toHaveLength(8);
    expect(seen.peak).toBe(5);
    expect(Math.max(...seen.activeSamples)).toBeLessThanOrEqual(5);
    expect(orchestrator.activeWorkflows.size).toBe(0);
    expect(orchestrator.activeCount).toBe(0);
  });

  it('honours a custom bound', async () => {
    const { orchestrator, seen } = setup({ maxConcurrentWorkflows: 2 });
    await Promise.all(Array.from({ length: 5 }, () => orchestrator.process(workflow())));
    expect(seen.peak).toBe(2);
    expect(seen.finished).toHaveLength(5);
    expect(orchestrator.activeWorkflows.size).toBe(0);
  });

  it('gives the slot of a failed workflow to the next one', async () => {
    const { orchestrator, seen } = setup({ maxConcurrentWorkflows: 1 });
    const results = await Promise.allSettled([
      orchestrator.process(workflow(true)),
      orchestrator.process(workflow()),
      orchestrator.process(workflow(true)),
      orchestrator.process(workflow()),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect(seen.peak).toBe(1);
    expect(seen.finished).toHaveLength(4);
    expect(orchestrator.activeWorkflows.size).toBe(0);
    expect(orchestrator.activeCount).toBe(0);
    // And the orchestrator still works afterwards.
    const out = await orchestrator.process(workflow());
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
  });

  it('rejects an invalid workflow before it runs, without leaking a slot', async () => {
    const { orchestrator } = setup({ maxConcurrentWorkflows: 1 });
    const err = await rejectionOf(orchestrator.process({ steps: asInput([oneActionStep('x', 'unregistered')]) }));
    expect(err.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_UNKNOWN_NODE_TYPE);
    const out = await orchestrator.process(workflow());
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(orchestrator.activeCount).toBe(0);
  });

  it('rejects a bound below 1', () => {
    expect(() => fastOrchestrator(quietContainer(), { maxConcurrentWorkflows: 0 })).toThrowError(
      expect.objectContaining({ code: EnumCoreErrorCode.INVALID_PARAMETER }),
    );
  });
});
