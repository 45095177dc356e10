// The output is honest (spec §2): the counters equal the lists and the step reports, processingTimeMs > 0,
// parallelExecutions is 0 in SEQUENTIAL, and metadata names the mode, the workflow and a stable workflow_hash.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  EnumCoreErrorCode,
  EnumStepState,
  EnumWorkflowState,
  loadWorkflowFile,
  type ModelOrchestratorOutput,
  type NodeContext,
  OnexError,
} from '../../../src/index.js';
import { asInput, fastOrchestrator, never, oneActionStep, quietContainer, sleep } from './support.js';

function setup() {
  const container = quietContainer();
  container.registerNode(
    'value',
    (data: Readonly<Record<string, unknown>>, ctx: NodeContext) => data.value ?? ctx.stepName,
  );
  container.registerNode('slow', async (_d: unknown, ctx: NodeContext) => {
    await sleep(15);
    return ctx.stepName;
  });
  container.registerNode('fail', () => {
    throw OnexError.nonRetryable(EnumCoreErrorCode.OPERATION_FAILED, 'no');
  });
  container.registerNode('hang', () => never());
  return { container, orchestrator: fastOrchestrator(container, { circuitBreakers: false }) };
}

/** Every counter agrees with its list and with the step reports. */
function expectHonestCounters(out: ModelOrchestratorOutput) {
  const reports = out.stepReports;
  const count = (...states: string[]) => reports.filter((r) => states.includes(r.state)).length;
  expect(out.stepsCompleted).toBe(out.completedSteps.length);
  expect(out.stepsFailed).toBe(out.failedSteps.length);
  expect(out.stepsSkipped).toBe(out.skippedSteps.length);
  expect(out.stepsCompleted).toBe(count(EnumStepState.COMPLETED));
  expect(out.stepsFailed).toBe(count(EnumStepState.FAILED, EnumStepState.TIMEOUT, EnumStepState.CANCELLED));
  expect(out.stepsSkipped).toBe(count(EnumStepState.SKIPPED));
  expect(new Set(out.completedSteps)).toEqual(
    new Set(reports.filter((r) => r.state === EnumStepState.COMPLETED).map((r) => r.stepId)),
  );
  expect(new Set(out.skippedSteps)).toEqual(
    new Set(reports.filter((r) => r.state === EnumStepState.SKIPPED).map((r) => r.stepId)),
  );
  expect(out.results).toHaveLength(out.stepsCompleted);
  expect(Object.keys(out.stepOutputs)).toHaveLength(out.stepsCompleted);
  expect(out.processingTimeMs).toBeGreaterThan(0);
}

describe('output counters', () => {
  it('are honest in a run with completed, failed, timed-out and skipped steps', async () => {
    const { orchestrator } = setup();
    const a = oneActionStep('a', 'value');
    const broken = oneActionStep('broken', 'fail');
    const child = oneActionStep('child', 'value', {}, { dependsOn: [broken.stepId] });
    const stuck = oneActionStep('stuck', 'hang', { timeoutMs: 100 });
    const off = oneActionStep('off', 'value', {}, { enabled: false });
    const gated = oneActionStep('gated', 'value', {}, { dependsOn: [a.stepId], conditionFunction: () => false });
    const last = oneActionStep('last', 'slow', {}, { dependsOn: [a.stepId, off.stepId, gated.stepId] });
    const out = await orchestrator.process({
      executionMode: 'parallel',
      failureStrategy: 'continue_on_error',
      steps: asInput([a, broken, child, stuck, off, gated, last]),
    });
    expect(out.workflowState).toBe(EnumWorkflowState.PARTIAL_SUCCESS);
    expectHonestCounters(out);
    expect([out.stepsCompleted, out.stepsFailed, out.stepsSkipped]).toEqual([2, 2, 3]);
    expect(out.stepsCompleted + out.stepsFailed + out.stepsSkipped).toBe(out.stepReports.length);
    expect(out.errors.map((e) => e.code).sort()).toEqual([
      EnumCoreErrorCode.OPERATION_FAILED,
      EnumCoreErrorCode.TIMEOUT,
    ]);
    // results are in completion order and match stepOutputs.
    expect(out.completedSteps).toEqual([a.stepId, last.stepId]);
    expect(out.results).toEqual(['a', 'last']);
    expect(out.stepOutputs).toEqual({ a: 'a', last: 'last' });
  });

  it('are honest in the partial output of a FAIL_FAST rejection', async () => {
    const { orchestrator } = setup();
    const a = oneActionStep('a', 'value');
    const broken = oneActionStep('broken', 'fail', {}, { dependsOn: [a.stepId] });
    const never1 = oneActionStep('never', 'value', {}, { dependsOn: [broken.stepId] });
    let output: ModelOrchestratorOutput | undefined;
    try {
      await orchestrator.process({ steps: asInput([a, broken, never1]) });
    } catch (err) {
      output = (err as OnexError).context.output as ModelOrchestratorOutput;
    }
    expect(output?.workflowState).toBe(EnumWorkflowState.FAILED);
    expectHonestCounters(output!);
    expect([output!.stepsCompleted, output!.stepsFailed]).toEqual([1, 1]);
  });

  it('reports processingTimeMs > 0 even for an instant run, and a consistent time window', async () => {
    const { orchestrator } = setup();
    const out = await orchestrator.process({ steps: asInput([oneActionStep('a', 'value')]) });
    expect(out.processingTimeMs).toBeGreaterThan(0);
    expect(Date.parse(out.completedAt)).toBeGreaterThanOrEqual(Date.parse(out.startedAt));
    expect(out.startedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });
});

describe('parallelExecutions', () => {
  it('is 0 in SEQUENTIAL', async () => {
    const { orchestrator } = setup();
    const out = await orchestrator.process({
      executionMode: 'sequential',
      steps: asInput([oneActionStep('a', 'slow'), oneActionStep('b', 'slow'), oneActionStep('c', 'slow')]),
    });
    expect(out.parallelExecutions).toBe(0);
    expectHonestCounters(out);
  });

  it('counts the actions the parallel scheduler dispatched in PARALLEL', async () => {
    const { orchestrator } = setup();
    const out = await orchestrator.process({
      executionMode: 'parallel',
      steps: asInput([oneActionStep('a', 'slow'), oneActionStep('b', 'slow'), oneActionStep('c', 'slow')]),
    });
    expect(out.parallelExecutions).toBe(3);
  });
});

describe('metadata', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onex-output-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const yaml = (value: number) => `workflow_name: hash-check
execution_mode: parallel
metadata: { team: data }
steps:
  - step_name: first
    action_type: compute
    target_node_type: value
    operation_data: { value: ${value} }
  - step_name: second
    depends_on: [first]
    action_type: compute
    target_node_type: value
`;

  it('names the execution mode and the workflow, keeps user metadata, and hashes the definition (sha-256 hex)', async () => {
    const { orchestrator } = setup();
    const out = await orchestrator.process({
      workflowName: 'named',
      executionMode: 'batch',
      metadata: { owner: 'me' },
      steps: asInput([oneActionStep('a', 'value')]),
    });
    expect(out.metadata.execution_mode).toBe('batch');
    expect(out.metadata.workflow_name).toBe('named');
    expect(out.metadata.owner).toBe('me');
    expect(out.metadata.workflow_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('calls an unnamed workflow "unnamed"', async () => {
    const { orchestrator } = setup();
    const out = await orchestrator.process({ steps: asInput([oneActionStep('a', 'value')]) });
    expect(out.metadata.workflow_name).toBe('unnamed');
    expect(out.metadata.execution_mode).toBe('sequential');
  });

  it('gives the same workflow_hash for two loads of the same file, and another for a changed definition', async () => {
    const file = join(dir, 'wf.yaml');
    writeFileSync(file, yaml(1));
    const first = await loadWorkflowFile(file, { loadNodes: false });
    const second = await loadWorkflowFile(file, { loadNodes: false });
    // The loader assigns fresh ids on each load …
    expect(first.input.steps[0]!.stepId).not.toBe(second.input.steps[0]!.stepId);
    const { orchestrator } = setup();
    const out1 = await orchestrator.process(first.input);
    const out2 = await orchestrator.process(second.input);
    expect(out1.workflowState).toBe(EnumWorkflowState.COMPLETED);
    expect(out1.metadata.workflow_name).toBe('hash-check');
    expect(out1.metadata.execution_mode).toBe('parallel');
    expect(out1.metadata.team).toBe('data');
    // … yet the hash is the same, and equals the plan's.
    expect(out1.metadata.workflow_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(out2.metadata.workflow_hash).toBe(out1.metadata.workflow_hash);
    expect(orchestrator.plan(first.input).workflowHash).toBe(out1.metadata.workflow_hash);

    writeFileSync(file, yaml(2));
    const changed = await loadWorkflowFile(file, { loadNodes: false });
    expect(orchestrator.plan(changed.input).workflowHash).not.toBe(out1.metadata.workflow_hash);
  });
});

describe('derived views (stepReports, actionsEmitted, stepOutputs) are made on first read', () => {
  async function run() {
    const { orchestrator } = setup();
    const steps = [oneActionStep('a', 'value', { operationData: { value: 1 } }), oneActionStep('b', 'value')];
    return orchestrator.process({ executionMode: 'sequential', steps: asInput(steps) });
  }

  it('serialise, spread and compare like plain fields, with the values of the finished run', async () => {
    const out = await run();
    const json = JSON.parse(JSON.stringify(out)) as Record<string, unknown>;
    expect(json.stepOutputs).toEqual({ a: 1, b: 'b' });
    expect((json.stepReports as { state: string }[]).map((r) => r.state)).toEqual([
      EnumStepState.COMPLETED,
      EnumStepState.COMPLETED,
    ]);
    expect(json.actionsEmitted as unknown[]).toHaveLength(2);
    const copy = { ...out };
    expect(Object.getOwnPropertyDescriptor(copy, 'stepReports')?.value).toEqual(out.stepReports);
    // In their places among the fields (spec §2 order), as when they were plain fields.
    const keys = Object.keys(out);
    expect(keys.slice(keys.indexOf('skippedSteps'), keys.indexOf('errors') + 1)).toEqual([
      'skippedSteps',
      'actionsEmitted',
      'results',
      'stepOutputs',
      'errors',
    ]);
    expect(keys[keys.indexOf('batches') + 1]).toBe('stepReports');
    expect(copy).toEqual(out);
  });

  it('are computed once (the same value on every read) and can be replaced by assignment', async () => {
    const out = await run();
    expect(out.stepReports).toBe(out.stepReports);
    expect(out.actionsEmitted).toBe(out.actionsEmitted);
    expect(out.actionsEmitted.every((a) => a.leaseId === out.leaseId && a.epoch >= 1)).toBe(true);
    const mutable = out as { stepOutputs: unknown };
    mutable.stepOutputs = { replaced: true };
    expect(out.stepOutputs).toEqual({ replaced: true });
    expect(JSON.parse(JSON.stringify(out)).stepOutputs).toEqual({ replaced: true });
  });
});
