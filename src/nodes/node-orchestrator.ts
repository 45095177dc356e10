/**
 * `NodeOrchestrator`: plans workflows (`plan`, the reference's action emission) and runs them (`process`), with a
 * lease of its own, a bound on concurrent workflows, and a store that records every state change (spec §2–§4, §7).
 * @module
 */
import type { ModelONEXContainer } from '../container/container.js';
import { planWorkflow } from '../engine/planner.js';
import type { RetryBackoff, RunEvent } from '../engine/run-options.js';
import { WorkflowRun } from '../engine/workflow-run.js';
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import { type ModelAction, withLease } from '../models/action.js';
import { type EnumExecutionMode, EnumLogLevel } from '../models/enums.js';
import type { ModelOrchestratorInput, ModelOrchestratorInputInput } from '../models/orchestrator-input.js';
import type { ModelOrchestratorOutput } from '../models/orchestrator-output.js';
import { type CircuitBreakerOptions, CircuitBreakerRegistry } from '../resilience/circuit-breakers.js';
import { MemoryStore } from '../store/memory/memory-store.js';
import type { Store } from '../store/store.js';
import { NodeCoreBase } from './node-core-base.js';

/** Options of an orchestrator. */
export interface NodeOrchestratorOptions {
  /** Where runs are recorded. @default a new bounded `MemoryStore` */
  store?: Store;
  /** Most workflows `process()` runs at once; further calls wait their turn. @default 5 */
  maxConcurrentWorkflows?: number;
  /** Retry backoff (exponential with jitter). @default { initialDelayMs: 100, maxDelayMs: 10000 } */
  retryBackoff?: Partial<RetryBackoff>;
  /** The lease id this orchestrator writes with. @default a random uuid */
  leaseId?: string;
  /**
   * Circuit breakers per target node type, shared by all workflows of this orchestrator; `false` turns them off.
   * @default { failureThreshold: 3, cooldownMs: 30000 }
   */
  circuitBreakers?: CircuitBreakerOptions | false;
}

/** Per-call options of `process()`. */
export interface ProcessOptions {
  /** Abort to cancel the run: in-flight actions are aborted, the run ends CANCELLED. */
  signal?: AbortSignal;
  /** Called on every step state change (live progress). */
  onEvent?: (event: RunEvent) => void;
}

/** What `plan()` returns: the order, the waves, the critical path and the actions, with nothing run. */
export interface WorkflowPlan {
  readonly workflowId: string;
  readonly workflowName: string;
  readonly workflowHash: string;
  readonly executionMode: EnumExecutionMode;
  /** Step ids in planned order. */
  readonly order: readonly string[];
  /** Step ids by topological level. */
  readonly waves: readonly (readonly string[])[];
  /** Step ids of one longest dependency chain. */
  readonly criticalPath: readonly string[];
  readonly steps: readonly {
    stepId: string;
    stepName: string;
    wave: number;
    dependsOn: readonly string[];
    actionIds: readonly string[];
  }[];
  /** Every action in emission order, carrying this orchestrator's lease and epoch 1. */
  readonly actionsEmitted: readonly ModelAction[];
}

/** The ORCHESTRATOR node. */
export class NodeOrchestrator extends NodeCoreBase {
  /** The lease every action this orchestrator emits carries. */
  readonly leaseId: string;
  readonly maxConcurrentWorkflows: number;
  readonly store: Store;
  /** Circuit breakers per target node type (state in every output's `metadata.circuit_breakers`). */
  readonly breakers: CircuitBreakerRegistry;
  /** Runs in progress, by operation id. Cleared as each ends. */
  readonly activeWorkflows = new Map<string, WorkflowRun>();
  private readonly backoff: RetryBackoff;
  private readonly waiting: (() => void)[] = [];
  private running = 0;

  constructor(container: ModelONEXContainer, options: NodeOrchestratorOptions = {}) {
    super(container);
    this.leaseId = options.leaseId ?? crypto.randomUUID();
    this.maxConcurrentWorkflows = options.maxConcurrentWorkflows ?? 5;
    if (!Number.isInteger(this.maxConcurrentWorkflows) || this.maxConcurrentWorkflows < 1) {
      throw new OnexError(
        EnumCoreErrorCode.INVALID_PARAMETER,
        `maxConcurrentWorkflows must be an integer ≥ 1, got ${options.maxConcurrentWorkflows}`,
      );
    }
    this.store = options.store ?? new MemoryStore();
    this.breakers = new CircuitBreakerRegistry(options.circuitBreakers ?? {});
    this.backoff = { initialDelayMs: 100, maxDelayMs: 10_000, ...options.retryBackoff };
  }

  /** Validate and plan `input` without running anything. Throws `OnexError` for a bad workflow. */
  plan(input: ModelOrchestratorInputInput | ModelOrchestratorInput): WorkflowPlan {
    const plan = planWorkflow(input);
    const ids = (list: readonly number[]) => list.map((s) => plan.steps[s]!.step.stepId);
    return {
      workflowId: plan.input.workflowId,
      workflowName: plan.input.workflowName ?? 'unnamed',
      workflowHash: plan.workflowHash,
      executionMode: plan.input.executionMode,
      order: ids(plan.order),
      waves: plan.waves.map(ids),
      criticalPath: ids(plan.criticalPath),
      steps: plan.order.map((s) => {
        const ps = plan.steps[s]!;
        return {
          stepId: ps.step.stepId,
          stepName: ps.step.stepName,
          wave: ps.wave,
          dependsOn: ids(ps.deps),
          actionIds: ps.actions.map((a) => plan.actions[a]!.action.actionId),
        };
      }),
      actionsEmitted: plan.actionOrder.map((a) => withLease(plan.actions[a]!.action, this.leaseId, 1)),
    };
  }

  /**
   * Run a workflow. Resolves with the output when the run COMPLETED, or ended PARTIAL_SUCCESS / FAILED under
   * CONTINUE_ON_ERROR. Rejects with an `OnexError` for an invalid workflow (before anything runs), and when a
   * failure stops the run (the failing action's code, else OPERATION_FAILED), with `context.output` the partial output.
   */
  async process(
    input: ModelOrchestratorInputInput | ModelOrchestratorInput,
    options: ProcessOptions = {},
  ): Promise<ModelOrchestratorOutput> {
    const plan = planWorkflow(input);
    const run = new WorkflowRun(plan, {
      container: this.container,
      store: this.store,
      leaseId: this.leaseId,
      backoff: this.backoff,
      breakers: this.breakers,
      onEvent: options.onEvent,
      signal: options.signal,
    });
    run.resolveNodes();
    await this.acquireSlot();
    this.activeWorkflows.set(run.runId, run);
    let output: ModelOrchestratorOutput;
    const started = performance.now();
    try {
      output = await run.execute();
    } finally {
      this.activeWorkflows.delete(run.runId);
      this.releaseSlot();
    }
    this.recordOperation(performance.now() - started, output.workflowState !== 'failed');
    const stopped = run.stoppedBy;
    this.container.emitLogEvent(EnumLogLevel.INFO, 'workflow finished', {
      workflowId: output.workflowId,
      state: output.workflowState,
      stepsCompleted: output.stepsCompleted,
      processingTimeMs: output.processingTimeMs,
    });
    if (stopped) {
      const code = stopped.code.startsWith('ONEX_') ? stopped.code : EnumCoreErrorCode.OPERATION_FAILED;
      throw new OnexError(
        code,
        `workflow '${output.metadata.workflow_name}' ${output.workflowState}: ${stopped.message}`,
        {
          context: { output, workflowId: output.workflowId },
          cause: stopped,
        },
      );
    }
    return output;
  }

  /** Workflows running now. */
  get activeCount(): number {
    return this.running;
  }

  protected override async cleanupNodeResources(): Promise<void> {
    this.activeWorkflows.clear();
  }

  private async acquireSlot(): Promise<void> {
    if (this.running < this.maxConcurrentWorkflows) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private releaseSlot(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
