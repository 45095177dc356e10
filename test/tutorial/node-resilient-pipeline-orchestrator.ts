/**
 * Tutorial Step 5: `NodeResilientPipelineOrchestrator`, the pipeline with error recovery: it catches `OnexError`s with
 * TIMEOUT or RESOURCE_UNAVAILABLE (or any failure under continue_on_error) and recovers.
 * @module
 */
import {
  EnumCoreErrorCode,
  EnumFailureStrategy,
  EnumLogLevel,
  EnumWorkflowState,
  type ModelOrchestratorOutput,
  OnexError,
  type ProcessOptions,
} from '../../src/index.js';
import {
  createPipelineInput,
  isPipelineInput,
  type ModelPipelineOrchestratorInput,
} from './model-pipeline-orchestrator-input.js';
import { NodePipelineOrchestrator, type PipelineProcessInput } from './node-pipeline-orchestrator.js';

const RECOVERABLE_CODES: readonly string[] = [EnumCoreErrorCode.TIMEOUT, EnumCoreErrorCode.RESOURCE_UNAVAILABLE];

/** Pipeline orchestrator with error recovery and partial-failure handling. */
export class NodeResilientPipelineOrchestrator extends NodePipelineOrchestrator {
  override async process(input: PipelineProcessInput, options: ProcessOptions = {}): Promise<ModelOrchestratorOutput> {
    if (!isPipelineInput(input)) return super.process(input, options);
    const pipelineInput = createPipelineInput(input);
    try {
      return await super.process(pipelineInput, options);
    } catch (err) {
      if (err instanceof OnexError && this.canRecover(err, pipelineInput)) {
        this.container.emitLogEvent(EnumLogLevel.WARNING, 'Attempting error recovery', {
          error: String(err),
          workflow_id: pipelineInput.workflowId,
        });
        return this.recoverWorkflow(pipelineInput, err, options);
      }
      throw err;
    }
  }

  /** Recoverable: TIMEOUT / RESOURCE_UNAVAILABLE, or any failure when the strategy is continue_on_error. */
  protected canRecover(error: OnexError, input: ModelPipelineOrchestratorInput): boolean {
    // A cancellation is the caller's decision, not a failure to recover from.
    if (error.code === EnumCoreErrorCode.ORCHESTRATOR_EXEC_CANCELLED) return false;
    if (RECOVERABLE_CODES.includes(error.code)) return true;
    return input.failureStrategy === EnumFailureStrategy.CONTINUE_ON_ERROR;
  }

  /**
   * The tutorial's strategies: (1) TIMEOUT → run again with one parallel step fewer; (2) continue_on_error → return
   * the partial results. The tutorial re-raises RESOURCE_UNAVAILABLE under fail_fast although `_can_recover` accepts
   * it; here it gets its docstring's "skip failed step and continue": the run goes again under continue_on_error, so
   * the unavailable step fails alone and the rest ends PARTIAL_SUCCESS (COMPUTE results come from the node cache).
   */
  protected async recoverWorkflow(
    input: ModelPipelineOrchestratorInput,
    error: OnexError,
    options: ProcessOptions,
  ): Promise<ModelOrchestratorOutput> {
    // Strategy 1: retry
    if (error.code === EnumCoreErrorCode.TIMEOUT) {
      this.container.emitLogEvent(EnumLogLevel.INFO, 'Retrying workflow with less parallelism', {
        workflow_id: input.workflowId,
      });
      // A fresh operation id: it is the run id in the store, and this is a new run of the same workflow.
      const retry = {
        ...input,
        operationId: crypto.randomUUID(),
        maxParallelSteps: Math.max(1, input.maxParallelSteps - 1),
      };
      return this.recovered(await super.process(retry, options), 'retry');
    }
    // Strategy 2: partial results
    const partial = partialOutput(error);
    if (input.failureStrategy === EnumFailureStrategy.CONTINUE_ON_ERROR && partial) {
      this.container.emitLogEvent(EnumLogLevel.WARNING, 'Continuing workflow with partial results', {
        workflow_id: input.workflowId,
      });
      const state = partial.stepsCompleted > 0 ? EnumWorkflowState.PARTIAL_SUCCESS : EnumWorkflowState.FAILED;
      return this.recovered({ ...partial, workflowState: state }, 'partial_results');
    }
    // Strategy 2b: skip the unavailable step and continue
    if (error.code === EnumCoreErrorCode.RESOURCE_UNAVAILABLE) {
      this.container.emitLogEvent(EnumLogLevel.WARNING, 'Skipping the unavailable step', {
        workflow_id: input.workflowId,
      });
      const rerun = {
        ...input,
        operationId: crypto.randomUUID(),
        failureStrategy: EnumFailureStrategy.CONTINUE_ON_ERROR,
      };
      return this.recovered(await super.process(rerun, options), 'skip_failed_step');
    }
    // No recovery possible
    throw error;
  }

  private recovered(output: ModelOrchestratorOutput, strategy: string): ModelOrchestratorOutput {
    return { ...output, metadata: { ...output.metadata, recovery_strategy: strategy } };
  }
}

/** The partial output a failed run carries in its error's context, if it got that far. */
function partialOutput(error: OnexError): ModelOrchestratorOutput | undefined {
  const output = error.context.output;
  return typeof output === 'object' && output !== null && 'workflowState' in output
    ? (output as ModelOrchestratorOutput)
    : undefined;
}
