// ModelAction (spec §2, omnibase-core.md §1): every field's default and limit, the `payload` alias, uuid handling,
// self-dependency as a cycle, and immutability after creation.
import { describe, expect, it } from 'vitest';
import { createAction, EnumCoreErrorCode, type ModelActionInput, OnexError } from '../../../src/index.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The OnexError `fn` throws (fails the test when it does not throw one). */
function thrown(fn: () => unknown): OnexError {
  try {
    fn();
  } catch (err) {
    if (err instanceof OnexError) return err;
    throw new Error(`expected an OnexError, got ${String(err)}`);
  }
  throw new Error('expected an OnexError, nothing was thrown');
}

const base = { actionType: 'compute', targetNodeType: 'double' } as const;
const make = (extra: Record<string, unknown>) => createAction({ ...base, ...extra } as ModelActionInput);

describe('createAction defaults', () => {
  it('fills every default of the reference', () => {
    const before = Date.now();
    const a = createAction(base);
    expect(a.actionId).toMatch(UUID_V4);
    expect(a.actionType).toBe('compute');
    expect(a.targetNodeType).toBe('double');
    expect(a.operationData).toEqual({});
    expect(a.dependencies).toEqual([]);
    expect(a.priority).toBe(1);
    expect(a.timeoutMs).toBe(30_000);
    expect(a.retryCount).toBe(0);
    expect(a.metadata).toEqual({});
    expect(a.epoch).toBe(0);
    expect(a.leaseId).toBeUndefined();
    // createdAt is an ISO-8601 UTC time taken at creation.
    expect(a.createdAt).toMatch(/Z$/);
    expect(Date.parse(a.createdAt)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(a.createdAt)).toBeLessThanOrEqual(Date.now() + 1);
  });

  it('generates a fresh uuid per action', () => {
    const ids = new Set(Array.from({ length: 50 }, () => createAction(base).actionId));
    expect(ids.size).toBe(50);
  });

  it('accepts the action type in any letter case and stores the wire value', () => {
    expect(make({ actionType: 'EFFECT' }).actionType).toBe('effect');
    expect(make({ actionType: 'Reduce' }).actionType).toBe('reduce');
  });
});

describe('createAction limits (each error names the field)', () => {
  const bad: [string, Record<string, unknown>][] = [
    ['priority', { priority: 0 }],
    ['priority', { priority: 11 }],
    ['priority', { priority: 2.5 }],
    ['timeoutMs', { timeoutMs: 99 }],
    ['timeoutMs', { timeoutMs: 300_001 }],
    ['retryCount', { retryCount: -1 }],
    ['retryCount', { retryCount: 11 }],
    ['targetNodeType', { targetNodeType: '' }],
    ['targetNodeType', { targetNodeType: 'x'.repeat(101) }],
    ['actionType', { actionType: 'transform' }],
    ['actionId', { actionId: 'not-a-uuid' }],
    ['leaseId', { leaseId: 'not-a-uuid' }],
    ['epoch', { epoch: -1 }],
    ['operationData', { operationData: [1, 2] }],
    ['metadata', { metadata: 'text' }],
    ['dependencies', { dependencies: ['nope'] }],
  ];
  it.each(bad)('rejects a bad %s with VALIDATION_ERROR naming it', (field, extra) => {
    const err = thrown(() => make(extra));
    expect(err.code).toBe(EnumCoreErrorCode.VALIDATION_ERROR);
    expect(err.code).toBe('ONEX_CORE_006_VALIDATION_ERROR');
    expect(err.message).toContain(field);
  });

  const good: [string, Record<string, unknown>, keyof ReturnType<typeof createAction>, unknown][] = [
    ['priority 1', { priority: 1 }, 'priority', 1],
    ['priority 10', { priority: 10 }, 'priority', 10],
    ['timeoutMs 100', { timeoutMs: 100 }, 'timeoutMs', 100],
    ['timeoutMs 300000', { timeoutMs: 300_000 }, 'timeoutMs', 300_000],
    ['retryCount 0', { retryCount: 0 }, 'retryCount', 0],
    ['retryCount 10', { retryCount: 10 }, 'retryCount', 10],
    ['targetNodeType of 100 chars', { targetNodeType: 'y'.repeat(100) }, 'targetNodeType', 'y'.repeat(100)],
    ['targetNodeType of 1 char', { targetNodeType: 'y' }, 'targetNodeType', 'y'],
    ['epoch 0', { epoch: 0 }, 'epoch', 0],
  ];
  it.each(good)('accepts the boundary value: %s', (_label, extra, field, value) => {
    expect(make(extra)[field]).toEqual(value);
  });

  it('rejects unknown fields (extra = forbid) and names them', () => {
    const err = thrown(() => make({ operation_data: {} }));
    expect(err.code).toBe(EnumCoreErrorCode.VALIDATION_ERROR);
    expect(err.message).toContain('operation_data');
  });

  it('requires actionType and targetNodeType', () => {
    expect(thrown(() => createAction({ targetNodeType: 'x' } as unknown as ModelActionInput)).message).toContain(
      'actionType',
    );
    expect(thrown(() => createAction({ actionType: 'compute' } as unknown as ModelActionInput)).message).toContain(
      'targetNodeType',
    );
  });

  it('prefixes messages with where the action sits', () => {
    const err = thrown(() => createAction({ ...base, priority: 42 }, "step 'load' actions[3]"));
    expect(err.message).toContain("step 'load' actions[3]");
    expect(err.message).toContain('priority');
    expect(err.context.issues).toEqual([expect.objectContaining({ path: 'priority' })]);
  });
});

describe('createAction ids', () => {
  it('lowercases a given action id, lease id and dependency ids', () => {
    const id = 'ABCDEF01-2345-4678-89AB-CDEF01234567';
    const dep = 'FEDCBA98-7654-4321-8FED-CBA987654321';
    const a = make({ actionId: id, leaseId: id, dependencies: [dep] });
    expect(a.actionId).toBe(id.toLowerCase());
    expect(a.leaseId).toBe(id.toLowerCase());
    expect(a.dependencies).toEqual([dep.toLowerCase()]);
  });

  it('rejects an action that depends on itself as a cycle (ONEX_CORE_301)', () => {
    const id = crypto.randomUUID();
    const err = thrown(() => make({ actionId: id, dependencies: [crypto.randomUUID(), id] }));
    expect(err.code).toBe('ONEX_CORE_301_ORCHESTRATOR_SEMANTIC_CYCLE_DETECTED');
    expect(err.message).toContain(id);
    expect(err.context.cycle).toEqual([id, id]);
  });

  it('detects self-dependency even when the ids differ only in letter case', () => {
    const id = crypto.randomUUID();
    const err = thrown(() => make({ actionId: id.toUpperCase(), dependencies: [id] }));
    expect(err.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_CYCLE_DETECTED);
  });
});

describe('payload alias', () => {
  it('accepts `payload` as another name for operationData', () => {
    const a = createAction({ ...base, payload: { value: 21 } });
    expect(a.operationData).toEqual({ value: 21 });
    expect(Object.keys(a)).not.toContain('payload');
  });

  it('rejects both payload and operationData at once', () => {
    const err = thrown(() => createAction({ ...base, payload: { a: 1 }, operationData: { b: 2 } }));
    expect(err.code).toBe(EnumCoreErrorCode.VALIDATION_ERROR);
    expect(err.message).toContain('payload');
    expect(err.message).toContain('operationData');
  });
});

describe('createdAt', () => {
  it('keeps a UTC time as given', () => {
    expect(make({ createdAt: '2024-01-01T10:00:00.000Z' }).createdAt).toBe('2024-01-01T10:00:00.000Z');
  });

  it('stores a time given with another offset as the same instant in UTC', () => {
    // Spec §1/§2: times are ISO-8601 UTC on the wire; the reference converts other time zones to UTC.
    const a = make({ createdAt: '2024-01-01T10:00:00+02:00' });
    expect(Date.parse(a.createdAt)).toBe(Date.parse('2024-01-01T08:00:00Z'));
    expect(a.createdAt).toMatch(/Z$/);
  });

  it('rejects a value that is not an ISO time, naming the field', () => {
    expect(thrown(() => make({ createdAt: 'yesterday' })).message).toContain('createdAt');
  });
});

describe('immutability', () => {
  it('freezes the action, its operation data, metadata and dependencies', () => {
    const a = make({ operationData: { nested: { list: [1, 2] } }, metadata: { tag: 'x' } });
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a.operationData)).toBe(true);
    expect(Object.isFrozen(a.metadata)).toBe(true);
    expect(Object.isFrozen(a.dependencies)).toBe(true);
    // ES modules run in strict mode: writing to a frozen object throws.
    expect(() => {
      (a as { priority: number }).priority = 5;
    }).toThrow(TypeError);
    expect(() => {
      ((a.operationData as { nested: { list: number[] } }).nested.list as number[]).push(3);
    }).toThrow(TypeError);
    expect(a.priority).toBe(1);
  });

  it('returns an already built action unchanged', () => {
    const a = createAction(base);
    expect(createAction(a)).toBe(a);
  });
});
