/**
 * Tutorial Step 3: `NodeConditionalPipelineOrchestrator`, the pipeline plus a quality check after validation and a
 * fast-track step that runs only when a previous result has `quality_score >= 0.9` (CUSTOM + conditionFunction).
 * @module
 */
import { EnumActionType, EnumBranchCondition, EnumExecutionMode, type ModelWorkflowStep } from '../../src/index.js';
import type { ModelPipelineOrchestratorInput } from './model-pipeline-orchestrator-input.js';
import { NodePipelineOrchestrator, type PipelineStep } from './node-pipeline-orchestrator.js';

/** Pipeline orchestrator with conditional branching on data quality. */
export class NodeConditionalPipelineOrchestrator extends NodePipelineOrchestrator {
  /**
   * High quality → fast track; otherwise the fast-track step is skipped. onex orders steps by their dependencies (list
   * position only breaks ties), so unlike the tutorial the two new steps say what they come after: the quality check
   * after validation, the fast track after the quality check. Without that, the fast track (priority 3, no
   * dependencies) would be planned first and test its condition before any quality score exists.
   */
  protected override async createPipelineSteps(input: ModelPipelineOrchestratorInput): Promise<PipelineStep[]> {
    const steps = await super.createPipelineSteps(input);
    const validation = input.config.validateInput ? steps[0] : undefined;

    const qualityCheckStep = this.createQualityCheckStep(input, validation);
    steps.splice(1, 0, qualityCheckStep); // After validation

    const fastTrackStep: PipelineStep = {
      ...this.createFastTrackStep(),
      dependsOn: [qualityCheckStep.stepId],
      condition: EnumBranchCondition.CUSTOM,
      conditionFunction: (step, previousResults) => this.checkHighQuality(step, previousResults),
    };
    steps.push(fastTrackStep);
    return steps;
  }

  /** Step for quality assessment. */
  protected createQualityCheckStep(input: ModelPipelineOrchestratorInput, after?: PipelineStep): PipelineStep {
    return {
      stepId: crypto.randomUUID(),
      stepName: 'Assess Data Quality',
      executionMode: EnumExecutionMode.SEQUENTIAL,
      dependsOn: after ? [after.stepId] : [],
      actions: [
        {
          actionId: crypto.randomUUID(),
          actionType: EnumActionType.COMPUTE,
          targetNodeType: 'NodeQualityAssessorCompute',
          operationData: { threshold: input.config.qualityThreshold },
          dependencies: [],
          priority: 1,
          timeoutMs: 5000,
          retryCount: 0,
          metadata: { step_type: 'quality_check' },
          createdAt: new Date().toISOString(),
          leaseId: this.leaseId,
          epoch: 1,
        },
      ],
      timeoutMs: this.defaultStepTimeoutMs,
      metadata: { step_type: 'quality_check' },
    };
  }

  /** Fast-track step for high-quality data. */
  protected createFastTrackStep(): PipelineStep {
    return {
      stepId: crypto.randomUUID(),
      stepName: 'Fast Track Storage',
      executionMode: EnumExecutionMode.SEQUENTIAL,
      actions: [
        {
          actionId: crypto.randomUUID(),
          actionType: EnumActionType.EFFECT,
          targetNodeType: 'NodeFastTrackWriterEffect',
          operationData: { destination: 'fast_track_table' },
          dependencies: [],
          priority: 3,
          timeoutMs: 5000,
          retryCount: 1,
          metadata: { step_type: 'fast_track' },
          createdAt: new Date().toISOString(),
          leaseId: this.leaseId,
          epoch: 1,
        },
      ],
      timeoutMs: this.defaultStepTimeoutMs,
      metadata: { step_type: 'fast_track' },
    };
  }

  /** Condition function: true when the first previous result with a quality score has one >= 0.9. */
  checkHighQuality(_step: ModelWorkflowStep, previousResults: readonly unknown[]): boolean {
    for (const result of previousResults) {
      if (typeof result === 'object' && result !== null && 'quality_score' in result) {
        return Number(result.quality_score) >= 0.9;
      }
    }
    return false;
  }
}
