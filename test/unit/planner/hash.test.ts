// The workflow hash is stored with every run and compared on resume, so its value is pinned: these are the hashes
// the planner gave before it was rewritten for speed (the definition fed to sha-256 byte for byte as before). Also:
// the hash is computed only when read, by plan() too, and is the same wherever it is read.
import { describe, expect, it } from 'vitest';
import { planWorkflow } from '../../../src/engine/planner.js';
import { ModelONEXContainer, NodeOrchestrator } from '../../../src/index.js';
import { createLogger } from '../../../src/observability/logger.js';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** 30 steps in 6 layers, one action each, as the benchmark's workflows. */
const layered = {
  workflowName: 'layered',
  executionMode: 'parallel',
  maxParallelSteps: 7,
  steps: Array.from({ length: 30 }, (_, i) => ({
    stepId: id(i),
    stepName: `s${i}`,
    dependsOn: i < 5 ? [] : [id(i - 5), id(((i * 7) % 5) + Math.floor(i / 5) * 5 - 5)],
    actions: [{ actionType: 'compute', targetNodeType: 'bench_step', operationData: { i } }],
  })),
};

/** Every field the hash covers: names to escape, conditions, compensation, action dependencies, user data. */
const rich = {
  workflowName: 'rich "quoted" ünïcode ✓',
  workflowId: id(900),
  failureStrategy: 'CONTINUE_ON_ERROR',
  globalTimeoutMs: 120_000,
  batchSize: 7,
  steps: [
    {
      stepId: id(100).toUpperCase(),
      stepName: 'fetch "it" \\ now',
      executionMode: 'PARALLEL',
      timeoutMs: 5000,
      metadata: { owner: 'me' },
      actions: [
        {
          actionId: id(1),
          actionType: 'EFFECT',
          targetNodeType: 'http',
          priority: 7,
          retryCount: 2,
          timeoutMs: 1000,
          operationData: {
            url: 'https://x/é',
            z: 1,
            a: [3, { y: 2, b: null }],
            '10': 'ten',
            '2': 'two',
            nested: { q: true, p: 'π' },
          },
        },
        {
          actionId: id(2),
          actionType: 'compute',
          targetNodeType: 'parse',
          dependencies: [id(1)],
          payload: { text: 'x' },
        },
        { actionId: id(3), actionType: 'reduce', targetNodeType: 'sum', dependencies: [id(2), id(1)] },
      ],
    },
    {
      stepId: id(101),
      stepName: 'branch',
      dependsOn: [id(100), id(100)],
      condition: 'if_true',
      conditionKey: 'a.b',
      skipOnFailure: true,
      compensation: { targetNodeType: 'undo', operationData: { z: 1, a: { d: 2, c: 1 } }, retryCount: 1 },
      actions: [{ actionId: id(4), actionType: 'custom', targetNodeType: 'x', dependencies: [id(3)] }],
    },
    { stepId: id(102), stepName: 'when', when: 'x > 1', enabled: false, dependsOn: [id(101)], actions: [] },
    { stepId: id(103), stepName: 'ref a', stepType: 'compute', priority: 50, retryCount: 1 },
    { stepId: id(104), stepName: 'ref b', stepType: 'REDUCER', dependsOn: [id(103)], timeoutMs: 2000 },
    { stepId: id(105), stepName: 'empty', actions: [] },
  ],
};

const PINNED: [string, Record<string, unknown>, string][] = [
  ['layered', layered, '9c11b96995cab7767f811dddb3ba444c5cfd338b38c0b989ce8b4fc41a9fd057'],
  ['rich', rich, 'f861c458607cb74a6f64925e41aa8986a374fd7c3efc7d2d392e00e1260ee74c'],
  ['empty', { steps: [] }, '8fe30b8ca30b6a67d06e5fcf411bffa95983dd147f6368c36b4491b5fa62dc10'],
];

describe('workflow hash', () => {
  it.each(PINNED)('of the %s workflow is the one stored runs carry', (_name, workflow, hash) => {
    expect(planWorkflow(workflow as never).workflowHash).toBe(hash);
  });

  it('is what plan() reports, and stays the same on every read', () => {
    const orchestrator = new NodeOrchestrator(new ModelONEXContainer({ logger: createLogger('silent') }));
    const planned = orchestrator.plan(rich as never);
    expect(planned.workflowHash).toBe(PINNED[1]![2]);
    expect(planned.workflowHash).toBe(PINNED[1]![2]);
    expect(JSON.parse(JSON.stringify(planned)).workflowHash).toBe(PINNED[1]![2]);
    expect({ ...planned }.workflowHash).toBe(PINNED[1]![2]);
  });
});
