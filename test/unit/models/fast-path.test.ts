// The models' fast parsers (schemas.ts: fastAction, fastStep) against their zod schemas, on random inputs mixing
// valid and invalid values: whenever a fast parser accepts an input, zod accepts it too and returns the same fields,
// values and key order; whatever it does not accept is left to zod. And the usual inputs do take the fast path.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fastAction, ModelActionSchema } from '../../../src/models/action.js';
import { randomUuid, uuidValue } from '../../../src/models/schemas.js';
import { fastStep, ModelWorkflowStepSchema } from '../../../src/models/step.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const lower = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const upper = lower.toUpperCase();

/** One of `values`, made fresh for every run (objects are copied by the parsers, never shared between runs). */
const oneOf = (...values: (() => unknown)[]) => fc.constantFrom(...values).map((make) => make());

/** A field's value: mostly one the schema accepts, sometimes one it rejects (or that only zod can decide). */
const field = (valid: (() => unknown)[], invalid: (() => unknown)[]) =>
  fc.oneof({ weight: 8, arbitrary: oneOf(...valid) }, { weight: 1, arbitrary: oneOf(...invalid) });

const jsonObject = field(
  [() => ({}), () => ({ a: 1, b: 'two', c: null }), () => ({ nested: { list: [1, { x: true }] } })],
  [
    () => ({ 10: 'ten', 2: 'two', b: 1, a: 2 }),
    () => JSON.parse('{"__proto__": 1, "a": 2}'),
    () => ({ constructor: 'not a function' }),
    () => ({ [Symbol('s')]: 1, a: 1 }),
    () => Object.assign(Object.create(null), { a: 1 }),
    () => new Date(0),
    () => [1, 2],
    () => 'text',
    () => null,
  ],
);
const uuid = field([() => lower, () => upper], [() => 'not-a-uuid', () => 5, () => undefined]);
const uuids = field([() => [], () => [lower], () => [upper, lower]], [() => ['nope'], () => lower, () => undefined]);
const int = (valid: number[], invalid: unknown[]) =>
  field(
    valid.map((v) => () => v),
    [...invalid.map((v) => () => v), () => 2.5, () => '3', () => Number.NaN, () => undefined],
  );

const actionFields = {
  actionId: uuid,
  actionType: field([() => 'compute', () => 'EFFECT', () => 'Reduce'], [() => 'transform', () => 3, () => undefined]),
  targetNodeType: field(
    [() => 't', () => 'x'.repeat(100)],
    [() => 'x'.repeat(101), () => '', () => '😀'.repeat(60), () => '😀'.repeat(101), () => 7, () => undefined],
  ),
  operationData: jsonObject,
  dependencies: uuids,
  priority: int([1, 10], [0, 11]),
  timeoutMs: int([100, 300_000], [99, 300_001]),
  retryCount: int([0, 10], [-1, 11]),
  metadata: jsonObject,
  epoch: int([0, 5], [-1]),
};
/** Keys the fast parser leaves to zod. */
const actionExtras = {
  createdAt: oneOf(
    () => '2024-01-01T10:00:00+02:00',
    () => 'yesterday',
  ),
  leaseId: oneOf(
    () => lower,
    () => undefined,
  ),
  payload: oneOf(() => ({ p: 1 })),
  unknownField: oneOf(() => 1),
};

const stepFields = {
  stepId: uuid,
  stepName: field([() => 'load', () => 'n'.repeat(255)], [() => 'n'.repeat(256), () => '', () => 5, () => undefined]),
  executionMode: field(
    [() => 'sequential', () => 'PARALLEL'],
    [() => 'batch', () => 'conditional', () => 'eventual', () => undefined],
  ),
  actions: field(
    [() => [], () => [{ actionType: 'compute', targetNodeType: 't' }], () => [1, 'two']],
    [() => 'none', () => undefined],
  ),
  timeoutMs: int([100, 300_000], [99, 300_001]),
  metadata: jsonObject,
  dependsOn: uuids,
  enabled: field([() => true, () => false], [() => 'yes', () => undefined]),
  skipOnFailure: field([() => true, () => false], [() => 0]),
};
const stepExtras = {
  condition: oneOf(() => 'if_success'),
  when: oneOf(() => 'x > 1'),
  stepType: oneOf(() => 'compute'),
  compensation: oneOf(() => ({ targetNodeType: 'undo' })),
  unknownField: oneOf(() => 1),
};

/** `required` and some of the other `fields`, now and then with some of `extras` too. */
const inputOf = (
  fields: Record<string, fc.Arbitrary<unknown>>,
  required: string[],
  extras: Record<string, fc.Arbitrary<unknown>>,
) =>
  fc
    .tuple(
      fc.record(fields, { requiredKeys: required }),
      fc.oneof(
        { weight: 5, arbitrary: fc.constant({}) },
        { weight: 1, arbitrary: fc.record(extras, { requiredKeys: [] }) },
      ),
    )
    .map(([core, extra]) => ({ ...core, ...extra }) as Record<string, unknown>);

/** Counts of the inputs a fast parser took, so that a test can check the property was not vacuous. */
const taken = { action: 0, step: 0 };

/** `fast` is zod's `parsed`, but for values the parse generates itself (a fresh id, the current time). */
function expectSameAsZod(
  fast: Record<string, unknown>,
  parsed: Record<string, unknown>,
  given: Record<string, unknown>,
) {
  const expected = { ...parsed };
  for (const key of ['actionId', 'stepId']) {
    if (key in parsed && given[key] === undefined) {
      expect(fast[key]).toMatch(UUID);
      expected[key] = fast[key];
    }
  }
  if ('createdAt' in parsed) {
    expect(Date.parse(fast.createdAt as string)).toBeGreaterThan(Date.now() - 60_000);
    expected.createdAt = fast.createdAt;
  }
  expect(fast).toStrictEqual(expected);
  expect(Object.keys(fast)).toEqual(Object.keys(expected));
}

describe('fastAction', () => {
  it('accepts only what ModelActionSchema accepts, and returns what it returns', () => {
    fc.assert(
      fc.property(inputOf(actionFields, ['actionType', 'targetNodeType'], actionExtras), (given) => {
        const fast = fastAction(given);
        if (fast === undefined) return;
        taken.action++;
        const parsed = ModelActionSchema.safeParse(given);
        expect(parsed.success).toBe(true);
        expectSameAsZod(fast, parsed.data as Record<string, unknown>, given);
      }),
      { numRuns: 3000 },
    );
    expect(taken.action).toBeGreaterThan(500);
  });

  it('takes the usual action without zod', () => {
    expect(fastAction({ actionType: 'compute', targetNodeType: 'node', operationData: { i: 1 } })).toBeDefined();
    expect(fastAction({ actionId: upper, actionType: 'EFFECT', targetNodeType: 'n', dependencies: [lower] })).toEqual(
      expect.objectContaining({ actionId: lower, actionType: 'effect', dependencies: [lower] }),
    );
  });
});

describe('fastStep', () => {
  it('accepts only what ModelWorkflowStepSchema accepts, and returns what it returns', () => {
    fc.assert(
      fc.property(inputOf(stepFields, ['stepName'], stepExtras), (given) => {
        const fast = fastStep(given);
        if (fast === undefined) return;
        taken.step++;
        const parsed = ModelWorkflowStepSchema.safeParse(given);
        expect(parsed.success).toBe(true);
        // buildStep adds these two to every step, after the parse.
        const withAdded = { ...(parsed.data as Record<string, unknown>), condition: undefined, stepType: undefined };
        expectSameAsZod(fast, withAdded, given);
      }),
      { numRuns: 3000 },
    );
    expect(taken.step).toBeGreaterThan(500);
  });

  it('takes the usual step without zod', () => {
    const step = { stepId: lower, stepName: 's', dependsOn: [upper], actions: [{ actionType: 'compute' }] };
    expect(fastStep(step)).toEqual(expect.objectContaining({ stepId: lower, dependsOn: [lower], enabled: true }));
  });
});

describe('ids', () => {
  it('uuidValue accepts what z.guid() accepts, lowercased', () => {
    const guid = z.guid();
    const hexish = fc.stringMatching(/^[0-9a-fA-FgG-]{0,40}$/);
    // A uuid with one character replaced by anything (a dash, a letter past f, a digit, a non-ASCII one …).
    const mutated = fc
      .tuple(
        fc.uuid(),
        fc.nat(35),
        fc.oneof(
          // Next to the hex ranges in ASCII, and some far off.
          fc.constantFrom('g', 'G', '-', '/', ':', '@', '`', 'A', 'F', 'a', 'f', '0', '9', ' ', 'é', '٠'),
          fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
        ),
        fc.boolean(),
      )
      .map(([u, at, c, upper]) => (upper ? u.toUpperCase() : u).slice(0, at) + c + u.slice(at + 1));
    fc.assert(
      fc.property(
        fc.oneof(
          hexish,
          mutated,
          fc.uuid(),
          fc.uuid().map((u) => u.toUpperCase()),
        ),
        (text) => {
          const ok = guid.safeParse(text).success;
          expect(uuidValue(text)).toBe(ok ? text.toLowerCase() : undefined);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('randomUuid makes distinct version-4 uuids', () => {
    const ids = Array.from({ length: 5000 }, randomUuid);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
