// BATCH mode: ready actions of one (actionType, targetNodeType) grouped into processBatch calls of at most batchSize,
// results mapped back to their actions; nodes without processBatch spread over their instances, least loaded first.
import { describe, expect, it } from 'vitest';
import {
  type BatchItem,
  EnumWorkflowState,
  type ModelONEXContainer,
  type NodeContext,
  NodeEffect,
} from '../../../src/index.js';
import { asInput, fastOrchestrator, oneActionStep, quietContainer, Recorder, sleep } from './support.js';

/** An EFFECT node that writes rows in one multi-row call per batch and records every call it gets. */
class RowWriter extends NodeEffect<{ row: number }, { written: number; batchCall: number }> {
  readonly batchCalls: number[][] = [];
  readonly singleCalls: number[] = [];

  constructor(container: ModelONEXContainer) {
    super(container);
  }

  execute(input: { row: number }): { written: number; batchCall: number } {
    this.singleCalls.push(input.row);
    return { written: input.row, batchCall: -1 };
  }

  override async processBatch(items: readonly BatchItem[]): Promise<{ written: number; batchCall: number }[]> {
    const rows = items.map((item) => Number(item.operationData.row));
    const call = this.batchCalls.push(rows) - 1;
    await sleep(5);
    // Computed from each item's own data, so a result given to the wrong action would show.
    return rows.map((row) => ({ written: row * 10, batchCall: call }));
  }
}

const rowSteps = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    oneActionStep(`row${i}`, 'rows', { actionType: 'effect', operationData: { row: i } }),
  );

describe('BATCH mode', () => {
  it('gives processBatch one call per batch of at most batchSize (25 ready actions, batchSize 10 → 10, 10, 5)', async () => {
    const container = quietContainer();
    const writer = new RowWriter(container);
    container.registerNode('rows', writer);
    const out = await fastOrchestrator(container).process({
      executionMode: 'batch',
      batchSize: 10,
      steps: asInput(rowSteps(25)),
    });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(writer.singleCalls).toEqual([]);
    expect(writer.batchCalls.map((c) => c.length)).toEqual([10, 10, 5]);
    expect(
      writer.batchCalls
        .flat()
        .slice()
        .sort((x, y) => x - y),
    ).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(out.batches).toBe(3);
    expect(out.loadBalancedOperations).toBe(25);
    // Each action got the result of its own row, from the call that carried it.
    for (let i = 0; i < 25; i++) {
      const result = out.stepOutputs[`row${i}`] as { written: number; batchCall: number };
      expect(result.written).toBe(i * 10);
      expect(writer.batchCalls[result.batchCall]).toContain(i);
    }
    expect(out.metadata.batch_size).toBe(10);
  });

  it('reports as peakConcurrency the actions in flight at once, counting every action of concurrent batches', async () => {
    // Spec §2: peakConcurrency is "most actions in flight at once". Three processBatch calls (10 + 10 + 5 rows) run
    // together here, so 25 actions are in flight at once.
    const container = quietContainer();
    let callsInFlight = 0;
    let callPeak = 0;
    container.registerNode('rows', {
      execute: () => ({}),
      processBatch: async (items: readonly BatchItem[]) => {
        callsInFlight++;
        callPeak = Math.max(callPeak, callsInFlight);
        await sleep(10);
        callsInFlight--;
        return items.map(() => ({}));
      },
    });
    const out = await fastOrchestrator(container).process({
      executionMode: 'batch',
      batchSize: 10,
      steps: asInput(rowSteps(25)),
    });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(callPeak).toBe(3);
    expect(out.peakConcurrency).toBe(25);
  });

  it('maps results back in item order within a batch', async () => {
    const container = quietContainer();
    const seen: number[][] = [];
    container.registerNode('rows', {
      execute: () => {
        throw new Error('execute must not be called when processBatch exists');
      },
      processBatch: (items: readonly BatchItem[]) => {
        const rows = items.map((item) => Number(item.operationData.row));
        seen.push(rows);
        return rows.map((row, position) => ({ row, position }));
      },
    });
    const out = await fastOrchestrator(container).process({
      executionMode: 'batch',
      batchSize: 100,
      steps: asInput(rowSteps(7)),
    });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(seen).toHaveLength(1);
    for (let i = 0; i < 7; i++) {
      const result = out.stepOutputs[`row${i}`] as { row: number; position: number };
      expect(result.row).toBe(i);
      expect(seen[0]![result.position]).toBe(i);
    }
  });

  it('fails every action of a batch whose processBatch returns the wrong number of results', async () => {
    const container = quietContainer();
    container.registerNode('rows', {
      execute: () => ({}),
      processBatch: (items: readonly BatchItem[]) => items.slice(1).map(() => ({})),
    });
    const out = await fastOrchestrator(container).process({
      executionMode: 'batch',
      failureStrategy: 'continue_on_error',
      steps: asInput(rowSteps(3)),
    });
    expect(out.workflowState).toBe(EnumWorkflowState.FAILED);
    expect(out.stepsFailed).toBe(3);
    expect(out.errors.map((e) => e.code)).toEqual(Array(3).fill('ONEX_CORE_081_OPERATION_FAILED'));
  });

  it('spreads actions of a node without processBatch over its instances, least loaded first', async () => {
    const container = quietContainer();
    const recorders = [new Recorder(), new Recorder(), new Recorder()];
    const calls = [0, 0, 0];
    const instances = recorders.map(
      (recorder, i) => (data: Readonly<Record<string, unknown>>, ctx: NodeContext) =>
        recorder.track(ctx.stepName, async () => {
          calls[i]!++;
          await sleep(Number(data.ms));
          return { instance: i };
        }),
    );
    container.registerNode('balanced', instances);
    const steps = Array.from({ length: 9 }, (_, i) =>
      oneActionStep(`op${i}`, 'balanced', { operationData: { ms: 10 + (i % 3) * 5 } }),
    );
    const out = await fastOrchestrator(container).process({
      executionMode: 'batch',
      maxParallelSteps: 3,
      steps: asInput(steps),
    });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(out.loadBalancedOperations).toBe(9);
    expect(calls.reduce((x, y) => x + y, 0)).toBe(9);
    // Three in flight over three instances: least-loaded never stacks two on one instance while another is idle.
    for (const recorder of recorders) expect(recorder.peak).toBe(1);
    expect(out.peakConcurrency).toBe(3);
    // Every instance was used.
    expect(calls.every((c) => c > 0)).toBe(true);
    // The first three operations (dispatched together) went to three different instances.
    const firstThree = ['op0', 'op1', 'op2'].map((name) => (out.stepOutputs[name] as { instance: number }).instance);
    expect(new Set(firstThree).size).toBe(3);
  });

  it('counts no load-balanced operations outside BATCH mode', async () => {
    const container = quietContainer();
    container.registerNode('balanced', [() => ({ n: 1 }), () => ({ n: 2 })]);
    const out = await fastOrchestrator(container).process({
      executionMode: 'parallel',
      steps: asInput([oneActionStep('x', 'balanced'), oneActionStep('y', 'balanced')]),
    });
    expect(out.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(out.loadBalancedOperations).toBe(0);
    expect(out.batches).toBe(0);
  });
});
