// The wire codec (spec §1): model field names camelCase <-> snake_case, user data untouched, round trip identity.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromWire, ModelONEXContainer, NodeOrchestrator, toWire } from '../../../src/index.js';
import { createLogger } from '../../../src/observability/logger.js';

/** User data whose keys look like model fields, so a codec that recursed into it would visibly rename them. */
const userData = () => ({ camelKey: 1, snake_key: 2, nestedObj: { innerKey: [{ deepKey: true }] } });

describe('toWire', () => {
  it('renames model fields at every level to snake_case', () => {
    const wire = toWire({
      workflowId: 'w',
      stepReports: [{ stepName: 's', actions: [{ actionId: 'a', targetNodeType: 't', durationMs: 3 }] }],
      errors: [{ stepId: 's', actionId: null }],
    });
    expect(wire).toEqual({
      workflow_id: 'w',
      step_reports: [{ step_name: 's', actions: [{ action_id: 'a', target_node_type: 't', duration_ms: 3 }] }],
      errors: [{ step_id: 's', action_id: null }],
    });
  });

  it.each([
    'operationData',
    'metadata',
    'results',
    'stepOutputs',
    'inputData',
    'payload',
    'context',
    'result',
    'output',
  ])('leaves user data under %s untouched', (field) => {
    const wire = toWire({ outerField: { [field]: userData() } }) as Record<string, Record<string, unknown>>;
    const snake = field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    expect(wire.outer_field![snake]).toEqual(userData());
  });

  it('drops functions and undefined fields, keeps nulls and Dates', () => {
    const when = new Date('2024-01-01T00:00:00Z');
    const wire = toWire({ conditionFunction: () => true, gone: undefined, kept: null, startedAt: when });
    expect(wire).toEqual({ kept: null, started_at: when });
  });

  it('passes scalars and arrays of scalars through', () => {
    expect(toWire(5)).toBe(5);
    expect(toWire('someText')).toBe('someText');
    expect(toWire(['aB', 1])).toEqual(['aB', 1]);
    expect(toWire(null)).toBeNull();
  });
});

describe('fromWire', () => {
  it('renames snake_case fields to camelCase but leaves user data alone', () => {
    const model = fromWire({
      workflow_name: 'wf',
      max_parallel_steps: 3,
      input_data: { snake_key: 1 },
      steps: [
        {
          step_name: 'a',
          depends_on: [],
          actions: [{ action_type: 'compute', operation_data: { snake_key: 2, camelKey: 3 }, metadata: { my_tag: 1 } }],
        },
      ],
    });
    expect(model).toEqual({
      workflowName: 'wf',
      maxParallelSteps: 3,
      inputData: { snake_key: 1 },
      steps: [
        {
          stepName: 'a',
          dependsOn: [],
          actions: [{ actionType: 'compute', operationData: { snake_key: 2, camelKey: 3 }, metadata: { my_tag: 1 } }],
        },
      ],
    });
  });
});

// camelCase identifiers as model fields are spelled: a lowercase word followed by capitalised words.
const word = fc.stringMatching(/^[a-z]{1,6}$/);
const camelKey = fc
  .tuple(word, fc.array(word, { maxLength: 3 }))
  .map(([head, rest]) => head + rest.map((w) => w[0]!.toUpperCase() + w.slice(1)).join(''))
  .filter((k) => !['payload', 'metadata', 'results', 'context', 'result', 'output'].includes(k));
const opaqueKey = fc.constantFrom('operationData', 'metadata', 'results', 'stepOutputs', 'inputData');
const userValue = fc.jsonValue();

const modelTree = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)),
    fc.array(tie('node'), { maxLength: 3 }),
    fc.dictionary(camelKey, tie('node'), { maxKeys: 4 }),
    fc.record({ opaque: opaqueKey, value: userValue }).map(({ opaque, value }) => ({ [opaque]: value })),
  ),
})).node;

describe('round trip', () => {
  it('fromWire(toWire(x)) is x for any model-shaped value (property)', () => {
    fc.assert(
      fc.property(modelTree, (value) => {
        expect(fromWire(toWire(value))).toEqual(value);
      }),
      { numRuns: 300 },
    );
  });

  it('toWire never changes user data under an opaque field (property)', () => {
    fc.assert(
      fc.property(opaqueKey, userValue, (key, value) => {
        const wire = toWire({ [key]: value }) as Record<string, unknown>;
        expect(Object.values(wire)[0]).toEqual(value);
      }),
      { numRuns: 200 },
    );
  });

  it('a real process() output round-trips and its node results keep their keys', async () => {
    const container = new ModelONEXContainer({ logger: createLogger('silent') });
    container.registerNode('echo', async (data: Record<string, unknown>) => ({ echoedValue: data.someInput }));
    const output = await new NodeOrchestrator(container).process({
      workflowName: 'wire-test',
      inputData: { userKey: 1 },
      steps: [
        {
          stepName: 'firstStep',
          actions: [{ actionType: 'compute', targetNodeType: 'echo', operationData: { someInput: 'x' } }],
        },
      ],
    });
    const wire = toWire(output) as Record<string, unknown>;
    expect(wire.workflow_state).toBe('completed');
    expect(wire.steps_completed).toBe(1);
    expect(wire.step_outputs).toEqual({ firstStep: { echoedValue: 'x' } });
    expect(wire.results).toEqual([{ echoedValue: 'x' }]);
    const action = (wire.actions_emitted as Record<string, unknown>[])[0]!;
    expect(action.target_node_type).toBe('echo');
    expect(action.operation_data).toEqual({ someInput: 'x' });
    expect(action.lease_id).toBe(output.leaseId);
    expect(Object.keys(wire).every((k) => !/[A-Z]/.test(k))).toBe(true);
    expect(fromWire(JSON.parse(JSON.stringify(wire)))).toEqual(JSON.parse(JSON.stringify(output)));
  });
});
