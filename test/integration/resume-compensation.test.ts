// Spec §5 / issue #5: "with the durable store, an interrupted compensation resumes". A run that failed under
// FAIL_FAST and crashed while its saga was undoing its effects is not run again by `resume`: resuming finishes the
// saga (the effects not yet compensated, in reverse order) and the run ends FAILED with the recorded error.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  EnumStepState,
  EnumWorkflowState,
  MemoryStore,
  ModelONEXContainer,
  NodeOrchestrator,
  OnexError,
  SqliteStore,
  type Store,
} from '../../src/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { deadPid, recordCrashedRun } from './support/recorded-runs.js';

const root = mkdtempSync(join(tmpdir(), 'onex-resume-saga-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function bookingWorkflow() {
  const hotel = crypto.randomUUID();
  const car = crypto.randomUUID();
  return {
    workflowName: 'trip',
    executionMode: 'parallel' as const,
    steps: [
      {
        stepId: hotel,
        stepName: 'hotel',
        actions: [{ actionType: 'effect', targetNodeType: 'book', operationData: { what: 'hotel' } }],
      },
      {
        stepId: car,
        stepName: 'car',
        actions: [{ actionType: 'effect', targetNodeType: 'book', operationData: { what: 'car' } }],
      },
      { stepName: 'pay', dependsOn: [hotel, car], actions: [{ actionType: 'effect', targetNodeType: 'pay' }] },
    ],
  };
}

function nodes() {
  const calls: string[] = [];
  const container = new ModelONEXContainer({ logger: createLogger('silent') });
  container.registerNode('book', {
    execute: async (d: { what: string }) => {
      calls.push(`book ${d.what}`);
      return { booked: d.what };
    },
    compensate: async (_d: unknown, r: { booked: string }) => {
      calls.push(`undo ${r.booked}`);
    },
  });
  container.registerNode('pay', async () => {
    calls.push('pay');
    return 'paid';
  });
  return { calls, container };
}

const STORES: [string, () => Store][] = [
  ['memory', () => new MemoryStore()],
  ['sqlite', () => SqliteStore.open(join(root, `${crypto.randomUUID()}.db`))],
];

describe.each(STORES)('resume finishes an interrupted compensation (%s)', (_name, makeStore) => {
  it('undoes only what was not undone yet, runs nothing else, and ends FAILED with the recorded error', async () => {
    const store = makeStore();
    const crashed = await recordCrashedRun(store, bookingWorkflow(), {
      owner: { pid: deadPid() },
      completed: (ids) => ({ [ids.hotel![0]!]: { booked: 'hotel' }, [ids.car![0]!]: { booked: 'car' } }),
      failed: (ids) => ({ [ids.pay![0]!]: { code: 'ONEX_CORE_081_OPERATION_FAILED', message: 'card declined' } }),
      compensated: (ids) => [ids.car![0]!],
    });
    const { calls, container } = nodes();
    const orchestrator = new NodeOrchestrator(container, { store });
    const error = await orchestrator.resume(crashed.runId).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OnexError);
    expect((error as OnexError).code).toBe('ONEX_CORE_081_OPERATION_FAILED');
    // Neither the bookings nor the payment ran again; only the hotel, not yet undone, was compensated.
    expect(calls).toEqual(['undo hotel']);
    const output = (error as OnexError).context.output as {
      workflowState: string;
      metadata: { compensations: { step_name: string; state: string }[] };
    };
    expect(output.workflowState).toBe(EnumWorkflowState.FAILED);
    expect(output.metadata.compensations.map((c) => [c.step_name, c.state])).toEqual([['hotel', 'compensated']]);
    const run = (await store.getRun(crashed.runId))!;
    expect(run.state).toBe(EnumWorkflowState.FAILED);
    const states = Object.fromEntries(run.actions.map((a) => [a.actionId, a.state]));
    expect(states[crashed.actionIds.hotel![0]!]).toBe(EnumStepState.COMPENSATED);
    expect(states[crashed.actionIds.car![0]!]).toBe(EnumStepState.COMPENSATED);
    expect(states[crashed.actionIds.pay![0]!]).toBe(EnumStepState.FAILED);
    await store.close();
  });

  it('a run that crashed right after its failure compensates everything it completed', async () => {
    const store = makeStore();
    const crashed = await recordCrashedRun(store, bookingWorkflow(), {
      owner: { pid: deadPid() },
      completed: (ids) => ({ [ids.hotel![0]!]: { booked: 'hotel' }, [ids.car![0]!]: { booked: 'car' } }),
      failed: (ids) => ({ [ids.pay![0]!]: { code: 'ONEX_CORE_081_OPERATION_FAILED', message: 'card declined' } }),
    });
    const { calls, container } = nodes();
    await expect(new NodeOrchestrator(container, { store }).resume(crashed.runId)).rejects.toThrow(/card declined/);
    expect(calls.sort()).toEqual(['undo car', 'undo hotel']);
    await store.close();
  });
});
