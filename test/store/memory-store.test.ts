// The store contract against the in-memory store, plus what only it does: it keeps a bounded number of runs.
import { describe, expect, it } from 'vitest';
import { EnumWorkflowState, MemoryStore } from '../../src/index.js';
import { runStoreSuite, sampleRun } from './contract.js';

runStoreSuite({ name: 'memory', newStore: async () => new MemoryStore() });

describe('MemoryStore', () => {
  it('drops the oldest finished runs beyond maxRuns, never a running one', async () => {
    const store = new MemoryStore({ maxRuns: 2 });
    const lease = crypto.randomUUID();
    const running = sampleRun(lease);
    store.beginRun(running);
    const finished = sampleRun(lease);
    store.beginRun(finished);
    store.transitionRun({
      runId: finished.runId,
      leaseId: lease,
      expectedEpoch: 1,
      state: EnumWorkflowState.COMPLETED,
      at: new Date().toISOString(),
    });
    const third = sampleRun(lease);
    store.beginRun(third);
    expect((await store.listRuns()).map((r) => r.runId)).toEqual([third.runId, running.runId]);
    expect(await store.getRun(finished.runId)).toBeUndefined();
  });
});
