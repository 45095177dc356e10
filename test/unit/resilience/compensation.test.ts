// Saga compensation (spec §5): when a run fails under FAIL_FAST / RETRY / COMPENSATE, the effects it completed are
// undone in reverse completion order (including completions from parallel branches), each compensation with its own
// retries, recorded COMPENSATED or FAILED in `metadata.compensations`, the step reports and `errors`; a failed
// compensation does not stop the others; nothing is compensated under CONTINUE_ON_ERROR or on cancel.
// Completion and compensation order are recorded inside the nodes.
import { describe, expect, it } from 'vitest';
import {
  EnumCoreErrorCode,
  EnumStepState,
  EnumWorkflowState,
  type ModelONEXContainer,
  type ModelOrchestratorOutput,
  type NodeContext,
  NodeEffect,
  OnexError,
} from '../../../src/index.js';
import {
  orchestratorFor,
  outputOf,
  quietContainer,
  rejectionOf,
  repeat,
  sleep,
  statesByName,
  step,
  steps,
} from './helpers.js';

const S = EnumStepState;

interface Journal {
  completed: string[];
  compensated: string[];
  /** What each compensate call received. */
  received: { name: string; input: unknown; result: unknown; forAction: string | undefined }[];
}

/** An EFFECT that sleeps `ms` (from its operation data), records its completion, and records its compensation. */
class Booking extends NodeEffect<{ name: string; ms: number }, { booked: string }> {
  constructor(
    container: ModelONEXContainer,
    private readonly journal: Journal,
    private readonly undo: (name: string, attempt: number) => void = () => {},
  ) {
    super(container);
  }

  async execute(input: { name: string; ms: number }) {
    await sleep(input.ms);
    this.journal.completed.push(input.name);
    return { booked: input.name };
  }

  override async compensate(input: { name: string; ms: number }, result: { booked: string }, ctx: NodeContext) {
    this.undo(input.name, ctx.attempt);
    this.journal.compensated.push(input.name);
    this.journal.received.push({ name: input.name, input, result, forAction: ctx.compensationFor?.actionId });
  }
}

function setup(undo?: (name: string, attempt: number) => void) {
  const container = quietContainer();
  const journal: Journal = { completed: [], compensated: [], received: [] };
  container.registerNode('book', new Booking(container, journal, undo));
  container.registerNode('explode', async (data: Readonly<Record<string, unknown>>) => {
    await sleep(Number(data.ms ?? 1));
    throw OnexError.nonRetryable(EnumCoreErrorCode.OPERATION_FAILED, 'payment declined');
  });
  return { container, journal, orchestrator: orchestratorFor(container) };
}

const book = (name: string, ms: number, extras: Parameters<typeof step>[3] = {}) =>
  step(name, 'book', { actionType: 'effect', operationData: { name, ms } }, extras);

/** `metadata.compensations` with the fields the tests read. */
function compensations(output: ModelOrchestratorOutput) {
  const records = output.metadata.compensations;
  if (!Array.isArray(records)) throw new Error('no metadata.compensations in the output');
  return records as { action_id: string; step_name: string; state: string; attempts: number; error: unknown }[];
}

/** A shuffled copy (the permutation differs from round to round). */
function shuffled<T>(list: readonly T[], round: number): T[] {
  const out = [...list];
  let seed = round * 7919 + 17;
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('saga compensation order', () => {
  it('is the reverse of completion order, including completions from parallel branches and parallel actions', async () => {
    await repeat(6, async (round) => {
      const { journal, orchestrator } = setup();
      const [a, b, c, d] = shuffled([5, 25, 45, 65], round);
      const first = book('first', 1);
      const x = book('x', a!, { dependsOn: [first.stepId] });
      const y = book('y', b!, { dependsOn: [first.stepId] });
      // One step whose two actions run in parallel with timers of their own.
      const pair = {
        stepId: crypto.randomUUID(),
        stepName: 'pair',
        executionMode: 'parallel' as const,
        dependsOn: [first.stepId],
        actions: [
          { actionType: 'effect', targetNodeType: 'book', operationData: { name: 'p1', ms: c } },
          { actionType: 'effect', targetNodeType: 'book', operationData: { name: 'p2', ms: d } },
        ],
      };
      const boom = step(
        'boom',
        'explode',
        { operationData: { ms: 1 } },
        { dependsOn: [x.stepId, y.stepId, pair.stepId] },
      );
      const err = await rejectionOf(
        orchestrator.process({
          executionMode: 'parallel',
          maxParallelSteps: 5,
          steps: [...steps(first, x, y, boom), pair],
        }),
      );
      expect(err.code).toBe(EnumCoreErrorCode.OPERATION_FAILED);
      expect(journal.completed).toHaveLength(5);
      expect(journal.completed[0]).toBe('first');
      expect(journal.compensated).toEqual([...journal.completed].reverse());
      const out = outputOf(err);
      expect(out.workflowState).toBe(EnumWorkflowState.FAILED);
      const records = compensations(out);
      expect(records.map((r) => r.state)).toEqual(Array(5).fill(S.COMPENSATED));
      const nameOf = new Map(out.stepReports.flatMap((r) => r.actions.map((act) => [act.actionId, r.stepName])));
      const stepOrder = journal.compensated.map((n) => (n === 'p1' || n === 'p2' ? 'pair' : n));
      expect(records.map((r) => nameOf.get(r.action_id))).toEqual(stepOrder);
      expect(statesByName(out)).toMatchObject({
        first: S.COMPENSATED,
        x: S.COMPENSATED,
        y: S.COMPENSATED,
        pair: S.COMPENSATED,
        boom: S.FAILED,
      });
    });
  });

  it('gives compensate the original input, the result and the action it undoes', async () => {
    const { journal, orchestrator } = setup();
    const one = book('one', 1);
    const boom = step('boom', 'explode', {}, { dependsOn: [one.stepId] });
    await rejectionOf(orchestrator.process({ steps: steps(one, boom) }));
    expect(journal.received).toEqual([
      { name: 'one', input: { name: 'one', ms: 1 }, result: { booked: 'one' }, forAction: one.actionId },
    ]);
  });

  for (const strategy of ['fail_fast', 'retry', 'compensate'] as const) {
    it(`runs under ${strategy}, and the run still rejects with the failing action's code`, async () => {
      const { journal, orchestrator } = setup();
      const one = book('one', 1);
      const two = book('two', 1, { dependsOn: [one.stepId] });
      const boom = step('boom', 'explode', { retryCount: 0 }, { dependsOn: [two.stepId] });
      const err = await rejectionOf(orchestrator.process({ failureStrategy: strategy, steps: steps(one, two, boom) }));
      expect(err.code).toBe(EnumCoreErrorCode.OPERATION_FAILED);
      expect(journal.compensated).toEqual(['two', 'one']);
    });
  }

  it('leaves out actions that did not complete and nodes without a compensation', async () => {
    const { container, journal, orchestrator } = setup();
    let pureCalls = 0;
    container.registerNode('pure', () => {
      pureCalls++;
      return 1;
    });
    const one = book('one', 1);
    const pure = step('pure', 'pure', {}, { dependsOn: [one.stepId] });
    const boom = step('boom', 'explode', {}, { dependsOn: [pure.stepId] });
    const out = outputOf(await rejectionOf(orchestrator.process({ steps: steps(one, pure, boom) })));
    expect(pureCalls).toBe(1);
    expect(journal.compensated).toEqual(['one']);
    expect(compensations(out)).toHaveLength(1);
    expect(statesByName(out)).toEqual({ one: S.COMPENSATED, pure: S.COMPLETED, boom: S.FAILED });
  });
});

describe('a compensation that fails', () => {
  it('is reported (FAILED, in errors) and does not stop the others', async () => {
    await repeat(3, async () => {
      const { journal, orchestrator } = setup((name) => {
        if (name === 'middle') throw OnexError.nonRetryable(EnumCoreErrorCode.OPERATION_FAILED, 'refund API rejected');
      });
      const first = book('first', 1);
      const middle = book('middle', 1, { dependsOn: [first.stepId] });
      const last = book('last', 1, { dependsOn: [middle.stepId] });
      const boom = step('boom', 'explode', {}, { dependsOn: [last.stepId] });
      const err = await rejectionOf(orchestrator.process({ steps: steps(first, middle, last, boom) }));
      expect(err.code).toBe(EnumCoreErrorCode.OPERATION_FAILED);
      expect(journal.compensated).toEqual(['last', 'first']);
      const out = outputOf(err);
      const records = compensations(out);
      expect(records.map((r) => [r.step_name, r.state])).toEqual([
        ['last', S.COMPENSATED],
        ['middle', S.FAILED],
        ['first', S.COMPENSATED],
      ]);
      expect(records[1]!.error).toEqual({
        code: EnumCoreErrorCode.OPERATION_FAILED,
        message: 'compensation failed: refund API rejected',
      });
      expect(out.errors).toContainEqual({
        stepId: middle.stepId,
        actionId: middle.actionId,
        code: EnumCoreErrorCode.OPERATION_FAILED,
        message: 'compensation failed: refund API rejected',
      });
      expect(out.stepReports.find((r) => r.stepName === 'middle')!.actions[0]!.state).toBe(S.FAILED);
      expect(statesByName(out).last).toBe(S.COMPENSATED);
    });
  });

  it('ends FAILED with TIMEOUT when it hangs past its timeout, and the next one still runs', async () => {
    const { container, journal } = setup();
    container.registerNode('hang-undo', () => new Promise<never>(() => {}));
    const orchestrator = orchestratorFor(container);
    const first = book('first', 1);
    const second = book('second', 1, {
      dependsOn: [first.stepId],
      compensation: { targetNodeType: 'hang-undo', timeoutMs: 100 },
    });
    const boom = step('boom', 'explode', {}, { dependsOn: [second.stepId] });
    const out = outputOf(await rejectionOf(orchestrator.process({ steps: steps(first, second, boom) })));
    expect(compensations(out).map((r) => [r.step_name, r.state])).toEqual([
      ['second', S.FAILED],
      ['first', S.COMPENSATED],
    ]);
    expect((compensations(out)[0]!.error as { code: string }).code).toBe(EnumCoreErrorCode.TIMEOUT);
    expect(journal.compensated).toEqual(['first']);
  });
});

describe('a compensation node that does not exist', () => {
  // GAP (src/engine/workflow-run.ts resolveNodes() checks action targets only; src/loader/workflow-file.ts
  // checkTargets() likewise): a step whose `compensation` names an unregistered node type runs its effects, and the
  // typo only surfaces when the saga needs the undo (compensation FAILED, UNKNOWN_NODE_TYPE) — too late. Action
  // targets are checked before anything runs; the undo of an effect deserves the same.
  it('is rejected before anything runs, like an unknown action target', async () => {
    const { journal, orchestrator } = setup();
    const one = book('one', 1, { compensation: { targetNodeType: 'no-such-undo' } });
    const boom = step('boom', 'explode', {}, { dependsOn: [one.stepId] });
    const err = await rejectionOf(orchestrator.process({ steps: steps(one, boom) }));
    expect(err.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_UNKNOWN_NODE_TYPE);
    expect(journal.completed).toEqual([]);
  });
});

describe('compensation retries', () => {
  it("retries a failing compensate up to the action's retryCount", async () => {
    const attempts: number[] = [];
    const { journal, orchestrator } = setup((name, attempt) => {
      if (name !== 'flaky') return;
      attempts.push(attempt);
      if (attempt < 3) throw new OnexError(EnumCoreErrorCode.SERVICE_UNAVAILABLE, 'refund service busy');
    });
    const flaky = step('flaky', 'book', {
      actionType: 'effect',
      operationData: { name: 'flaky', ms: 1 },
      retryCount: 2,
    });
    const boom = step('boom', 'explode', {}, { dependsOn: [flaky.stepId] });
    const out = outputOf(await rejectionOf(orchestrator.process({ steps: steps(flaky, boom) })));
    expect(attempts).toEqual([1, 2, 3]);
    expect(journal.compensated).toEqual(['flaky']);
    expect(compensations(out)[0]).toMatchObject({ state: S.COMPENSATED, attempts: 3, error: null });
  });

  it('ends FAILED once its retries are spent, with the attempts counted', async () => {
    let calls = 0;
    const { orchestrator } = setup(() => {
      calls++;
      throw new OnexError(EnumCoreErrorCode.SERVICE_UNAVAILABLE, 'refund service down');
    });
    const one = step('one', 'book', { actionType: 'effect', operationData: { name: 'one', ms: 1 }, retryCount: 1 });
    const boom = step('boom', 'explode', {}, { dependsOn: [one.stepId] });
    const out = outputOf(await rejectionOf(orchestrator.process({ steps: steps(one, boom) })));
    expect(calls).toBe(2);
    expect(compensations(out)[0]).toMatchObject({ state: S.FAILED, attempts: 2 });
  });

  it("a step's `compensation` node gets its operation data, the result as input, and its own retryCount", async () => {
    const { container, orchestrator } = setup();
    const seen: { data: unknown; inputs: readonly unknown[]; forAction: string | undefined; attempt: number }[] = [];
    container.registerNode('release', (data: Readonly<Record<string, unknown>>, ctx: NodeContext) => {
      seen.push({ data, inputs: ctx.inputs, forAction: ctx.compensationFor?.actionId, attempt: ctx.attempt });
      if (ctx.attempt === 1) throw new OnexError(EnumCoreErrorCode.RESOURCE_UNAVAILABLE, 'lock busy');
      return 'released';
    });
    const hold = book('hold', 1, {
      compensation: { targetNodeType: 'release', operationData: { reason: 'rollback' }, retryCount: 1 },
    });
    const boom = step('boom', 'explode', {}, { dependsOn: [hold.stepId] });
    const out = outputOf(await rejectionOf(orchestrator.process({ steps: steps(hold, boom) })));
    expect(seen).toEqual([
      { data: { reason: 'rollback' }, inputs: [{ booked: 'hold' }], forAction: hold.actionId, attempt: 1 },
      { data: { reason: 'rollback' }, inputs: [{ booked: 'hold' }], forAction: hold.actionId, attempt: 2 },
    ]);
    expect(compensations(out)[0]).toMatchObject({ state: S.COMPENSATED, attempts: 2 });
  });
});

describe('no compensation', () => {
  it('under CONTINUE_ON_ERROR: completed effects stay, the run resolves PARTIAL_SUCCESS', async () => {
    await repeat(3, async () => {
      const { journal, orchestrator } = setup();
      const one = book('one', 1);
      const boom = step('boom', 'explode', {}, { dependsOn: [one.stepId] });
      const out = await orchestrator.process({ failureStrategy: 'continue_on_error', steps: steps(one, boom) });
      expect(out.workflowState).toBe(EnumWorkflowState.PARTIAL_SUCCESS);
      expect(journal.compensated).toEqual([]);
      expect(out.metadata.compensations).toBeUndefined();
      expect(statesByName(out).one).toBe(S.COMPLETED);
    });
  });

  it('when the run is cancelled: completed effects stay, the run ends CANCELLED', async () => {
    await repeat(3, async () => {
      const { container, journal, orchestrator } = setup();
      container.registerNode('wait', async (_d: unknown, ctx: NodeContext) => {
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
        throw ctx.signal.reason;
      });
      const one = book('one', 1);
      const wait = step('wait', 'wait', {}, { dependsOn: [one.stepId] });
      const controller = new AbortController();
      const running = orchestrator.process({ steps: steps(one, wait) }, { signal: controller.signal });
      await sleep(30);
      controller.abort();
      const err = await rejectionOf(running);
      const out = outputOf(err);
      expect(out.workflowState).toBe(EnumWorkflowState.CANCELLED);
      expect(journal.completed).toEqual(['one']);
      expect(journal.compensated).toEqual([]);
      expect(out.metadata.compensations).toBeUndefined();
    });
  });
});
