// OnexError (spec §1, omnibase-core.md §7): string form, context, cause, JSON form, wrapping of anything thrown,
// and the retry rule of spec §4.
import { describe, expect, it } from 'vitest';
import { EnumCoreErrorCode, isRetryable, OnexError } from '../../../src/index.js';

describe('OnexError', () => {
  it('stringifies as [code] message', () => {
    const err = new OnexError(EnumCoreErrorCode.TIMEOUT, 'action timed out after 100 ms');
    expect(String(err)).toBe('[ONEX_CORE_088_TIMEOUT] action timed out after 100 ms');
    expect(`${err}`).toBe('[ONEX_CORE_088_TIMEOUT] action timed out after 100 ms');
  });

  it('is an Error with name, code, message, context and cause', () => {
    const cause = new Error('socket closed');
    const err = new OnexError(EnumCoreErrorCode.RESOURCE_UNAVAILABLE, 'db down', {
      context: { host: 'db', port: 5432 },
      cause,
    });
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(OnexError);
    expect(err.name).toBe('OnexError');
    expect(err.code).toBe('ONEX_CORE_083_RESOURCE_UNAVAILABLE');
    expect(err.message).toBe('db down');
    expect(err.context).toEqual({ host: 'db', port: 5432 });
    expect(err.cause).toBe(cause);
    expect(err.stack).toContain('db down');
  });

  it('defaults context to an empty object and has no cause unless given', () => {
    const err = new OnexError(EnumCoreErrorCode.NOT_FOUND, 'x');
    expect(err.context).toEqual({});
    expect(err.cause).toBeUndefined();
    expect('cause' in err).toBe(false);
  });

  it('serialises to plain JSON {code, message, context}', () => {
    const err = new OnexError(EnumCoreErrorCode.VALIDATION_ERROR, 'bad', { context: { field: 'priority' } });
    const expected = { code: 'ONEX_CORE_006_VALIDATION_ERROR', message: 'bad', context: { field: 'priority' } };
    expect(err.toJSON()).toEqual(expected);
    expect(JSON.parse(JSON.stringify(err))).toEqual(expected);
  });

  it('is recognised by instanceof across package copies (a marked error from another copy)', () => {
    // Two installed copies of onex have two OnexError classes; the global symbol mark makes instanceof agree.
    const foreign = new Error('from another copy');
    Object.defineProperty(foreign, Symbol.for('onex.OnexError'), { value: true });
    expect(foreign instanceof OnexError).toBe(true);
    expect(new Error('plain') instanceof OnexError).toBe(false);
    expect((null as unknown) instanceof OnexError).toBe(false);
  });
});

describe('OnexError.from', () => {
  it('returns an OnexError unchanged', () => {
    const err = new OnexError(EnumCoreErrorCode.TIMEOUT, 't');
    expect(OnexError.from(err)).toBe(err);
  });

  it('wraps a plain Error as OPERATION_FAILED keeping message and cause', () => {
    const original = new TypeError('x is not a function');
    const err = OnexError.from(original);
    expect(err.code).toBe('ONEX_CORE_081_OPERATION_FAILED');
    expect(err.message).toBe('x is not a function');
    expect(err.cause).toBe(original);
  });

  it('uses the fallback code when given', () => {
    expect(OnexError.from(new Error('e'), EnumCoreErrorCode.INTERNAL_ERROR).code).toBe('ONEX_CORE_089_INTERNAL_ERROR');
  });

  it('keeps an onex code carried by a plain Error, ignores other codes', () => {
    const withOnexCode = Object.assign(new Error('slow'), { code: 'ONEX_CORE_088_TIMEOUT' });
    expect(OnexError.from(withOnexCode).code).toBe('ONEX_CORE_088_TIMEOUT');
    const withNodeCode = Object.assign(new Error('missing'), { code: 'ENOENT' });
    expect(OnexError.from(withNodeCode).code).toBe(EnumCoreErrorCode.OPERATION_FAILED);
  });

  it('uses the error name when the message is empty', () => {
    expect(OnexError.from(new RangeError()).message).toBe('RangeError');
  });

  it.each([
    ['a string', 'boom', '"boom"'],
    ['undefined', undefined, 'undefined'],
    ['a number', 42, '42'],
    ['an object', { reason: 'x' }, '{"reason":"x"}'],
  ])('wraps a thrown non-Error value (%s), describing it', (_label, value, described) => {
    const err = OnexError.from(value);
    expect(err.code).toBe(EnumCoreErrorCode.OPERATION_FAILED);
    expect(err.message).toBe(`non-Error value thrown: ${described}`);
    expect(err.context.thrown).toBe(described);
  });

  it('describes a value JSON cannot encode without throwing', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(OnexError.from(cyclic).message).toBe('non-Error value thrown: [object Object]');
    expect(OnexError.from(10n).message).toBe('non-Error value thrown: 10');
  });
});

describe('isRetryable', () => {
  it.each([
    [EnumCoreErrorCode.TIMEOUT, true],
    [EnumCoreErrorCode.RESOURCE_UNAVAILABLE, true],
    [EnumCoreErrorCode.SERVICE_UNAVAILABLE, true],
    [EnumCoreErrorCode.OPERATION_FAILED, false],
    [EnumCoreErrorCode.VALIDATION_ERROR, false],
    [EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_CYCLE_DETECTED, false],
  ])('decides by code when not marked: %s -> %s', (code, expected) => {
    expect(isRetryable(new OnexError(code, 'x'))).toBe(expected);
  });

  it('lets explicit flags win, except that VALIDATION_ERROR never retries', () => {
    expect(isRetryable(OnexError.retryable(EnumCoreErrorCode.OPERATION_FAILED, 'x'))).toBe(true);
    expect(isRetryable(OnexError.nonRetryable(EnumCoreErrorCode.TIMEOUT, 'x'))).toBe(false);
    expect(isRetryable(OnexError.retryable(EnumCoreErrorCode.VALIDATION_ERROR, 'x'))).toBe(false);
  });

  it('retries plain errors and thrown values (spec §4: "plain errors not marked otherwise")', () => {
    expect(isRetryable(OnexError.from(new Error('flaky')))).toBe(true);
    expect(isRetryable(OnexError.from('flaky'))).toBe(true);
  });

  it('honours a retryable flag on a plain Error', () => {
    const marked = Object.assign(new Error('bad input'), { retryable: false });
    expect(isRetryable(OnexError.from(marked))).toBe(false);
  });

  it('keeps context on the static constructors', () => {
    const err = OnexError.nonRetryable(EnumCoreErrorCode.INVALID_INPUT, 'no', { row: 3 });
    expect(err.context).toEqual({ row: 3 });
    expect(err.retryable).toBe(false);
  });
});

describe('EnumCoreErrorCode', () => {
  it('every value is ONEX_CORE_<nnn>_<member name>, with unique numbers', () => {
    const numbers = new Set<string>();
    for (const [name, value] of Object.entries(EnumCoreErrorCode)) {
      const match = /^ONEX_CORE_(\d{3})_(.+)$/.exec(value);
      expect(match, value).not.toBeNull();
      expect(match![2]).toBe(name);
      numbers.add(match![1]!);
    }
    expect(numbers.size).toBe(Object.keys(EnumCoreErrorCode).length);
  });

  it("keeps the reference's numbers (omnibase-core.md §7)", () => {
    expect(EnumCoreErrorCode.VALIDATION_ERROR).toBe('ONEX_CORE_006_VALIDATION_ERROR');
    expect(EnumCoreErrorCode.OPERATION_FAILED).toBe('ONEX_CORE_081_OPERATION_FAILED');
    expect(EnumCoreErrorCode.RESOURCE_UNAVAILABLE).toBe('ONEX_CORE_083_RESOURCE_UNAVAILABLE');
    expect(EnumCoreErrorCode.TIMEOUT).toBe('ONEX_CORE_088_TIMEOUT');
    expect(EnumCoreErrorCode.DEPENDENCY_UNAVAILABLE).toBe('ONEX_CORE_122_DEPENDENCY_UNAVAILABLE');
    expect(EnumCoreErrorCode.SERVICE_UNAVAILABLE).toBe('ONEX_CORE_205_SERVICE_UNAVAILABLE');
    expect(EnumCoreErrorCode.WORKFLOW_PAYLOAD_SIZE_EXCEEDED).toBe('ONEX_CORE_282_WORKFLOW_PAYLOAD_SIZE_EXCEEDED');
    expect(EnumCoreErrorCode.WORKFLOW_TOTAL_PAYLOAD_EXCEEDED).toBe('ONEX_CORE_283_WORKFLOW_TOTAL_PAYLOAD_EXCEEDED');
    expect(EnumCoreErrorCode.ORCHESTRATOR_STRUCT_INVALID_STEP_TYPE).toBe(
      'ONEX_CORE_294_ORCHESTRATOR_STRUCT_INVALID_STEP_TYPE',
    );
    expect(EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_INVALID_DEPENDENCY).toBe(
      'ONEX_CORE_302_ORCHESTRATOR_SEMANTIC_INVALID_DEPENDENCY',
    );
    expect(EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_DUPLICATE_STEP_ID).toBe(
      'ONEX_CORE_303_ORCHESTRATOR_SEMANTIC_DUPLICATE_STEP_ID',
    );
    expect(EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_EXPIRED).toBe('ONEX_CORE_315_ORCHESTRATOR_EXEC_LEASE_EXPIRED');
    expect(EnumCoreErrorCode.ORCHESTRATOR_EXEC_WORKFLOW_FAILED).toBe('ONEX_CORE_316_ORCHESTRATOR_EXEC_WORKFLOW_FAILED');
  });
});
