/**
 * `NodeCoreBase`: identity, container, lifecycle (`initialize` / `cleanup` with resource hooks) and metrics shared by
 * the four node kinds (spec §6; reference `infrastructure/node_core_base.py`).
 * @module
 */
import type { ModelONEXContainer } from '../container/container.js';
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import { EnumLogLevel, EnumNodeLifecycleStatus } from '../models/enums.js';

/** Running counters of one node. */
export interface NodeMetrics {
  totalOperations: number;
  successCount: number;
  errorCount: number;
  avgProcessingTimeMs: number;
  initializationDurationMs: number;
}

/** Metrics plus derived rates, as `getPerformanceMetrics()` reports them. */
export interface NodePerformanceMetrics extends NodeMetrics {
  successRate: number;
  errorRate: number;
  uptimeMs: number;
  nodeHealthScore: number;
}

/** Base of every node class. */
export abstract class NodeCoreBase {
  readonly nodeId: string = crypto.randomUUID();
  readonly container: ModelONEXContainer;
  readonly createdAt: Date = new Date();
  protected lifecycle: EnumNodeLifecycleStatus = EnumNodeLifecycleStatus.INITIALIZED;
  protected readonly metrics: NodeMetrics = {
    totalOperations: 0,
    successCount: 0,
    errorCount: 0,
    avgProcessingTimeMs: 0,
    initializationDurationMs: 0,
  };

  constructor(container: ModelONEXContainer) {
    if (!container) {
      throw new OnexError(
        EnumCoreErrorCode.VALIDATION_ERROR,
        'Container cannot be None for NodeCoreBase initialization',
      );
    }
    this.container = container;
  }

  /** Current lifecycle status (`initialized`, `ready`, `cleaned_up`, …). */
  get status(): EnumNodeLifecycleStatus {
    return this.lifecycle;
  }

  /** The node's type name (its class name). */
  getNodeType(): string {
    return this.constructor.name;
  }

  /**
   * Bring the node to `ready`: runs `initializeNodeResources()`. On failure the status is `failed` and the error is
   * rethrown as OPERATION_FAILED (PROTOCOL_CONFIGURATION_ERROR passes through unchanged).
   */
  async initialize(): Promise<void> {
    const started = performance.now();
    this.lifecycle = EnumNodeLifecycleStatus.INITIALIZING;
    try {
      await this.initializeNodeResources();
      this.lifecycle = EnumNodeLifecycleStatus.READY;
      this.metrics.initializationDurationMs = performance.now() - started;
      this.container.emitLogEvent(EnumLogLevel.DEBUG, 'node_initialized', {
        nodeId: this.nodeId,
        nodeType: this.getNodeType(),
      });
    } catch (err) {
      this.lifecycle = EnumNodeLifecycleStatus.FAILED;
      this.metrics.errorCount++;
      if (err instanceof OnexError && err.code === EnumCoreErrorCode.PROTOCOL_CONFIGURATION_ERROR) throw err;
      throw new OnexError(
        EnumCoreErrorCode.OPERATION_FAILED,
        `Node initialization failed: ${(err as Error)?.message ?? String(err)}`,
        {
          cause: err,
          context: { nodeId: this.nodeId, nodeType: this.getNodeType() },
        },
      );
    }
  }

  /** Release resources: runs `cleanupNodeResources()`. Errors are logged and leave status `cleanup_failed`. */
  async cleanup(): Promise<void> {
    this.lifecycle = EnumNodeLifecycleStatus.CLEANING_UP;
    try {
      await this.cleanupNodeResources();
      this.lifecycle = EnumNodeLifecycleStatus.CLEANED_UP;
    } catch (err) {
      this.lifecycle = EnumNodeLifecycleStatus.CLEANUP_FAILED;
      this.container.emitLogEvent(EnumLogLevel.ERROR, 'node cleanup failed', {
        nodeId: this.nodeId,
        error: (err as Error)?.message ?? String(err),
      });
    }
  }

  /** Hook: acquire connections, caches, … Called by `initialize()`. */
  protected async initializeNodeResources(): Promise<void> {}

  /** Hook: release what `initializeNodeResources` acquired. Called by `cleanup()`. */
  protected async cleanupNodeResources(): Promise<void> {}

  /** Counters plus success/error rates, uptime and a health score in [0, 1]. */
  getPerformanceMetrics(): NodePerformanceMetrics {
    const total = this.metrics.totalOperations;
    const errorRate = total === 0 ? 0 : this.metrics.errorCount / total;
    return {
      ...this.metrics,
      successRate: total === 0 ? 0 : this.metrics.successCount / total,
      errorRate,
      uptimeMs: Date.now() - this.createdAt.getTime(),
      nodeHealthScore: Math.max(0, 1 - errorRate),
    };
  }

  /** Record one operation in the running metrics. */
  protected recordOperation(durationMs: number, success: boolean): void {
    const m = this.metrics;
    m.totalOperations++;
    if (success) m.successCount++;
    else m.errorCount++;
    m.avgProcessingTimeMs += (durationMs - m.avgProcessingTimeMs) / m.totalOperations;
  }

  /** Run `fn` and record its duration and outcome in the metrics. */
  protected async measured<T>(fn: () => T | Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const value = await fn();
      this.recordOperation(performance.now() - started, true);
      return value;
    } catch (err) {
      this.recordOperation(performance.now() - started, false);
      throw err;
    }
  }
}
