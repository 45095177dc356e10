// Planner rejections (spec §3): unknown and duplicate ids, payload limits, cycles with their path — each a typed
// error naming the offending step or action, raised before any node runs.
import { describe, expect, it } from 'vitest';
import { planWorkflow } from '../../../src/engine/planner.js';
import {
  EnumCoreErrorCode,
  ModelONEXContainer,
  type ModelOrchestratorInputInput,
  NodeOrchestrator,
  OnexError,
} from '../../../src/index.js';
import { createLogger } from '../../../src/observability/logger.js';

function thrown(fn: () => unknown): OnexError {
  try {
    fn();
  } catch (err) {
    if (err instanceof OnexError) return err;
    throw new Error(`expected an OnexError, got ${String(err)}`);
  }
  throw new Error('expected an OnexError, nothing was thrown');
}

const uuid = () => crypto.randomUUID();
const act = (extra: Record<string, unknown> = {}) => ({ actionType: 'compute', targetNodeType: 'node', ...extra });
const plan = (input: unknown) => planWorkflow(input as ModelOrchestratorInputInput);

describe('unknown dependencies (302)', () => {
  it('a dependsOn on a missing step names the step and the missing id', () => {
    const missing = uuid();
    const err = thrown(() =>
      plan({
        steps: [
          { stepName: 'ok', actions: [act()] },
          { stepName: 'load', dependsOn: [missing], actions: [] },
        ],
      }),
    );
    expect(err.code).toBe('ONEX_CORE_302_ORCHESTRATOR_SEMANTIC_INVALID_DEPENDENCY');
    expect(err.message).toContain("'load'");
    expect(err.message).toContain(missing);
    expect(err.context).toMatchObject({ stepName: 'load', dependency: missing });
  });

  it('an action dependency on a missing action names the step and the action', () => {
    const missing = uuid();
    const actionId = uuid();
    const err = thrown(() =>
      plan({ steps: [{ stepName: 'transform', actions: [act({ actionId, dependencies: [missing] })] }] }),
    );
    expect(err.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_INVALID_DEPENDENCY);
    expect(err.message).toContain("'transform'");
    expect(err.message).toContain(actionId);
    expect(err.message).toContain(missing);
  });

  it('with dependency resolution off, a dependency on a later-declared step is rejected', () => {
    const later = uuid();
    const err = thrown(() =>
      plan({
        dependencyResolutionEnabled: false,
        steps: [
          { stepName: 'first', dependsOn: [later], actions: [act()] },
          { stepId: later, stepName: 'second', actions: [act()] },
        ],
      }),
    );
    expect(err.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_INVALID_DEPENDENCY);
    expect(err.message).toContain("'first'");
    expect(err.message).toContain("'second'");
  });
});

describe('duplicate ids (303)', () => {
  it('two steps with one id are rejected, naming both', () => {
    const id = uuid();
    const err = thrown(() =>
      plan({
        steps: [
          { stepId: id, stepName: 'alpha', actions: [] },
          { stepId: id, stepName: 'beta', actions: [] },
        ],
      }),
    );
    expect(err.code).toBe('ONEX_CORE_303_ORCHESTRATOR_SEMANTIC_DUPLICATE_STEP_ID');
    expect(err.message).toContain(id);
    expect(err.message).toContain("'alpha'");
    expect(err.message).toContain("'beta'");
  });

  it('two actions with one id are rejected (in one step or in two)', () => {
    const id = uuid();
    for (const steps of [
      [{ stepName: 'one', actions: [act({ actionId: id }), act({ actionId: id })] }],
      [
        { stepName: 'one', actions: [act({ actionId: id })] },
        { stepName: 'two', actions: [act({ actionId: id })] },
      ],
    ]) {
      const err = thrown(() => plan({ steps }));
      expect(err.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_DUPLICATE_STEP_ID);
      expect(err.message).toContain(id);
      expect(err.context.actionId).toBe(id);
    }
  });

  it('ids differing only in letter case are duplicates (uuids are normalised)', () => {
    const id = uuid();
    const err = thrown(() =>
      plan({
        steps: [
          { stepId: id, stepName: 'a', actions: [] },
          { stepId: id.toUpperCase(), stepName: 'b', actions: [] },
        ],
      }),
    );
    expect(err.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_DUPLICATE_STEP_ID);
  });
});

describe('payload limits', () => {
  // JSON of {"s":"<n chars>"} is n + 8 bytes.
  const sized = (bytes: number) => ({ s: 'x'.repeat(bytes - 8) });

  it('accepts a payload of exactly 64 KiB', () => {
    const p = plan({ steps: [{ stepName: 'big', actions: [act({ operationData: sized(64 * 1024) })] }] });
    expect(p.totalPayloadBytes).toBe(64 * 1024);
  });

  it('rejects a payload over 64 KiB with 282, naming the step and action', () => {
    const actionId = uuid();
    const err = thrown(() =>
      plan({ steps: [{ stepName: 'huge', actions: [act({ actionId, operationData: sized(64 * 1024 + 1) })] }] }),
    );
    expect(err.code).toBe('ONEX_CORE_282_WORKFLOW_PAYLOAD_SIZE_EXCEEDED');
    expect(err.message).toContain("'huge'");
    expect(err.message).toContain(actionId);
    expect(err.context).toMatchObject({ bytes: 64 * 1024 + 1, limit: 64 * 1024 });
  });

  it('counts bytes, not characters (UTF-8)', () => {
    // 'é' is 2 bytes in UTF-8: 40,000 of them are 80,000 bytes although only 40,000 characters.
    const err = thrown(() =>
      plan({ steps: [{ stepName: 'accents', actions: [act({ operationData: { s: 'é'.repeat(40_000) } })] }] }),
    );
    expect(err.code).toBe(EnumCoreErrorCode.WORKFLOW_PAYLOAD_SIZE_EXCEEDED);
  });

  it('rejects a workflow whose payloads total over 10 MiB with 283, naming where it crossed', () => {
    const each = 64_000;
    const crossing = Math.floor((10 * 1024 * 1024) / each); // index of the action that crosses the limit
    const steps = Array.from({ length: crossing + 5 }, (_, i) => ({
      stepName: `s${i}`,
      actions: [act({ operationData: sized(each) })],
    }));
    const err = thrown(() => plan({ steps }));
    expect(err.code).toBe('ONEX_CORE_283_WORKFLOW_TOTAL_PAYLOAD_EXCEEDED');
    expect(err.message).toContain(`'s${crossing}'`);
    expect(err.context.limit).toBe(10 * 1024 * 1024);
  });

  it('accepts a workflow just under 10 MiB in total', () => {
    const each = 64_000;
    const count = Math.floor((10 * 1024 * 1024) / each);
    const steps = Array.from({ length: count }, (_, i) => ({
      stepName: `s${i}`,
      actions: [act({ operationData: sized(each) })],
    }));
    expect(plan({ steps }).totalPayloadBytes).toBe(count * each);
  });

  it('rejects operation data that is not JSON (a bigint) with VALIDATION_ERROR', () => {
    const err = thrown(() => plan({ steps: [{ stepName: 'bad', actions: [act({ operationData: { n: 1n } })] }] }));
    expect(err.code).toBe(EnumCoreErrorCode.VALIDATION_ERROR);
    expect(err.message).toContain("'bad'");
  });
});

describe('cycles (301)', () => {
  it('reports a two-step cycle as the path a -> b -> a with step names', () => {
    const [a, b] = [uuid(), uuid()];
    const err = thrown(() =>
      plan({
        steps: [
          { stepId: a, stepName: 'a', dependsOn: [b], actions: [] },
          { stepId: b, stepName: 'b', dependsOn: [a], actions: [] },
        ],
      }),
    );
    expect(err.code).toBe('ONEX_CORE_301_ORCHESTRATOR_SEMANTIC_CYCLE_DETECTED');
    expect(err.message).toMatch(/a -> b -> a|b -> a -> b/);
    const cycle = err.context.cycle as string[];
    expect(cycle[0]).toBe(cycle[cycle.length - 1]);
    expect(new Set(cycle)).toEqual(new Set(['a', 'b']));
  });

  it('reports a longer cycle in execution order (x -> y means y runs after x)', () => {
    // c depends on b, b on a, a on c: executing order within the loop is a -> b -> c -> a (rotated anywhere).
    const [a, b, c, free] = [uuid(), uuid(), uuid(), uuid()];
    const err = thrown(() =>
      plan({
        steps: [
          { stepId: free, stepName: 'free', actions: [] },
          { stepId: a, stepName: 'a', dependsOn: [c, free], actions: [] },
          { stepId: b, stepName: 'b', dependsOn: [a], actions: [] },
          { stepId: c, stepName: 'c', dependsOn: [b], actions: [] },
        ],
      }),
    );
    expect(err.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_CYCLE_DETECTED);
    expect(['a -> b -> c -> a', 'b -> c -> a -> b', 'c -> a -> b -> c'].some((p) => err.message.includes(p))).toBe(
      true,
    );
    expect(err.context.cycle as string[]).not.toContain('free');
  });

  it('a step depending on itself is a cycle', () => {
    const a = uuid();
    const err = thrown(() => plan({ steps: [{ stepId: a, stepName: 'self', dependsOn: [a], actions: [] }] }));
    expect(err.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_CYCLE_DETECTED);
    expect(err.message).toContain('self -> self');
  });

  it('a cycle through action dependencies across steps names the steps', () => {
    const [x, y] = [uuid(), uuid()];
    const err = thrown(() =>
      plan({
        steps: [
          { stepName: 'left', actions: [act({ actionId: x, dependencies: [y] })] },
          { stepName: 'right', actions: [act({ actionId: y, dependencies: [x] })] },
        ],
      }),
    );
    expect(err.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_CYCLE_DETECTED);
    expect(err.message).toMatch(/left -> right -> left|right -> left -> right/);
  });

  it('a cycle among the actions of one step names the step and the actions', () => {
    const [x, y] = [uuid(), uuid()];
    const err = thrown(() =>
      plan({
        steps: [
          {
            stepName: 'inner',
            executionMode: 'parallel',
            actions: [act({ actionId: x, dependencies: [y] }), act({ actionId: y, dependencies: [x] })],
          },
        ],
      }),
    );
    expect(err.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_CYCLE_DETECTED);
    expect(err.message).toContain("'inner'");
    expect(err.message).toContain(x);
    expect(err.message).toContain(y);
  });
});

describe('nothing runs on a bad graph', () => {
  it('process() rejects a cyclic, an unknown-dependency and an oversized workflow without calling any node', async () => {
    let calls = 0;
    const container = new ModelONEXContainer({ logger: createLogger('silent') });
    container.registerNode('node', async () => {
      calls++;
      return {};
    });
    const orchestrator = new NodeOrchestrator(container);
    const [a, b] = [uuid(), uuid()];
    const bad: unknown[] = [
      {
        steps: [
          { stepName: 'free', actions: [act()] },
          { stepId: a, stepName: 'a', dependsOn: [b], actions: [act()] },
          { stepId: b, stepName: 'b', dependsOn: [a], actions: [act()] },
        ],
      },
      {
        steps: [
          { stepName: 'free', actions: [act()] },
          { stepName: 'x', dependsOn: [uuid()], actions: [act()] },
        ],
      },
      {
        steps: [
          { stepName: 'free', actions: [act()] },
          { stepName: 'big', actions: [act({ operationData: { s: 'x'.repeat(70_000) } })] },
        ],
      },
    ];
    const codes: string[] = [];
    for (const input of bad) {
      const err = await orchestrator.process(input as ModelOrchestratorInputInput).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(OnexError);
      codes.push((err as OnexError).code);
    }
    expect(codes).toEqual([
      EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_CYCLE_DETECTED,
      EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_INVALID_DEPENDENCY,
      EnumCoreErrorCode.WORKFLOW_PAYLOAD_SIZE_EXCEEDED,
    ]);
    expect(calls).toBe(0);
  });
});
