// NodeCoreBase (spec §6, omnibase-core.md §6): identity, lifecycle with resource hooks, error handling of
// initialize/cleanup, and the running metrics.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  EnumCoreErrorCode,
  EnumNodeLifecycleStatus,
  ModelONEXContainer,
  NodeCoreBase,
  OnexError,
} from '../../../src/index.js';

/** A container whose logger writes JSON lines into `lines`. */
function capturingContainer() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  const container = new ModelONEXContainer({ logger: pino({ level: 'trace' }, stream) });
  return { container, lines };
}

class ProbeNode extends NodeCoreBase {
  readonly seen: string[] = [];
  initFailure: unknown = undefined;
  cleanupFailure: unknown = undefined;

  protected override async initializeNodeResources(): Promise<void> {
    this.seen.push(`init:${this.status}`);
    if (this.initFailure !== undefined) throw this.initFailure;
  }

  protected override async cleanupNodeResources(): Promise<void> {
    this.seen.push(`cleanup:${this.status}`);
    if (this.cleanupFailure !== undefined) throw this.cleanupFailure;
  }

  /** Expose the protected metric recorder, to check the running average with known durations. */
  record(ms: number, ok: boolean): void {
    this.recordOperation(ms, ok);
  }
}

describe('identity', () => {
  it('has a uuid node id, its class name as type, the container, and starts initialized', () => {
    const { container } = capturingContainer();
    const a = new ProbeNode(container);
    const b = new ProbeNode(container);
    expect(a.nodeId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.nodeId).not.toBe(b.nodeId);
    expect(a.getNodeType()).toBe('ProbeNode');
    expect(a.container).toBe(container);
    expect(a.status).toBe(EnumNodeLifecycleStatus.INITIALIZED);
    expect(a.createdAt).toBeInstanceOf(Date);
  });

  it('refuses to be built without a container', () => {
    let error: unknown;
    try {
      new ProbeNode(undefined as unknown as ModelONEXContainer);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(OnexError);
    expect((error as OnexError).code).toBe(EnumCoreErrorCode.VALIDATION_ERROR);
  });
});

describe('lifecycle', () => {
  it('initialize runs the hook while initializing, then is ready and logs node_initialized', async () => {
    const { container, lines } = capturingContainer();
    const node = new ProbeNode(container);
    await node.initialize();
    expect(node.seen).toEqual(['init:initializing']);
    expect(node.status).toBe('ready');
    expect(node.getPerformanceMetrics().initializationDurationMs).toBeGreaterThanOrEqual(0);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'node_initialized', nodeId: node.nodeId }));
  });

  it('a failing initializeNodeResources leaves status failed and throws OPERATION_FAILED with the cause', async () => {
    const { container } = capturingContainer();
    const node = new ProbeNode(container);
    const cause = new Error('cannot open pool');
    node.initFailure = cause;
    const err = await node.initialize().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OnexError);
    expect((err as OnexError).code).toBe('ONEX_CORE_081_OPERATION_FAILED');
    expect((err as OnexError).message).toBe('Node initialization failed: cannot open pool');
    expect((err as OnexError).cause).toBe(cause);
    expect((err as OnexError).context.nodeId).toBe(node.nodeId);
    expect(node.status).toBe(EnumNodeLifecycleStatus.FAILED);
    expect(node.getPerformanceMetrics().errorCount).toBe(1);
  });

  it('a PROTOCOL_CONFIGURATION_ERROR from the hook passes through unchanged', async () => {
    const { container } = capturingContainer();
    const node = new ProbeNode(container);
    const original = new OnexError(EnumCoreErrorCode.PROTOCOL_CONFIGURATION_ERROR, 'bad protocol');
    node.initFailure = original;
    await expect(node.initialize()).rejects.toBe(original);
    expect(node.status).toBe('failed');
  });

  it('a thrown non-Error is still wrapped', async () => {
    const { container } = capturingContainer();
    const node = new ProbeNode(container);
    node.initFailure = 'nope';
    await expect(node.initialize()).rejects.toMatchObject({ code: EnumCoreErrorCode.OPERATION_FAILED });
  });

  it('cleanup runs the hook while cleaning_up, then is cleaned_up', async () => {
    const { container } = capturingContainer();
    const node = new ProbeNode(container);
    await node.initialize();
    await node.cleanup();
    expect(node.seen).toEqual(['init:initializing', 'cleanup:cleaning_up']);
    expect(node.status).toBe(EnumNodeLifecycleStatus.CLEANED_UP);
  });

  it('a failing cleanup does not throw, leaves cleanup_failed and logs the error', async () => {
    const { container, lines } = capturingContainer();
    const node = new ProbeNode(container);
    node.cleanupFailure = new Error('socket stuck');
    await expect(node.cleanup()).resolves.toBeUndefined();
    expect(node.status).toBe('cleanup_failed');
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 50, msg: 'node cleanup failed', nodeId: node.nodeId, error: 'socket stuck' }),
    );
  });
});

describe('metrics', () => {
  it('start at zero with a perfect health score', () => {
    const { container } = capturingContainer();
    const m = new ProbeNode(container).getPerformanceMetrics();
    expect(m).toMatchObject({
      totalOperations: 0,
      successCount: 0,
      errorCount: 0,
      avgProcessingTimeMs: 0,
      successRate: 0,
      errorRate: 0,
      nodeHealthScore: 1,
    });
    expect(m.uptimeMs).toBeGreaterThanOrEqual(0);
  });

  it('count operations, keep a running average and derive the rates', () => {
    const { container } = capturingContainer();
    const node = new ProbeNode(container);
    node.record(10, true);
    node.record(20, true);
    node.record(30, true);
    node.record(60, false);
    const m = node.getPerformanceMetrics();
    expect(m.totalOperations).toBe(4);
    expect(m.successCount).toBe(3);
    expect(m.errorCount).toBe(1);
    expect(m.avgProcessingTimeMs).toBeCloseTo(30, 10);
    expect(m.successRate).toBe(0.75);
    expect(m.errorRate).toBe(0.25);
    expect(m.nodeHealthScore).toBe(0.75);
  });

  it('returns a snapshot, not the live counters', () => {
    const { container } = capturingContainer();
    const node = new ProbeNode(container);
    const before = node.getPerformanceMetrics();
    node.record(5, true);
    expect(before.totalOperations).toBe(0);
    expect(node.getPerformanceMetrics().totalOperations).toBe(1);
  });
});
