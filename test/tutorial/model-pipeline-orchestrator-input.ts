/**
 * Tutorial Step 1: `ModelPipelineConfig` and `ModelPipelineOrchestratorInput`, ported from pydantic to zod with the
 * same fields (camelCase, as onex's TypeScript API) and the same defaults.
 * @module
 */
import { z } from 'zod';
import { EnumCoreErrorCode, EnumExecutionMode, EnumFailureStrategy, OnexError } from '../../src/index.js';

/** Configuration for pipeline processing. */
export const ModelPipelineConfigSchema = z.strictObject({
  /** Source identifier for data (required, as in the tutorial). */
  dataSource: z.string().min(1),
  /** Whether to validate input data. */
  validateInput: z.boolean().default(true),
  /** Whether to cache intermediate results. */
  enableCaching: z.boolean().default(true),
  /** Whether to use parallel execution mode. */
  parallelProcessing: z.boolean().default(false),
  /** Minimum quality score to proceed. */
  qualityThreshold: z.number().min(0).max(1).default(0.8),
});

/** Input for data processing pipeline orchestration. */
export const ModelPipelineOrchestratorInputSchema = z.strictObject({
  workflowId: z.uuid().default(() => crypto.randomUUID()),
  operationId: z.uuid().default(() => crypto.randomUUID()),
  /** Input data to process through the pipeline. */
  inputData: z.record(z.string(), z.unknown()),
  // The tutorial's `default_factory=ModelPipelineConfig` cannot work (data_source is required), so config is required.
  config: ModelPipelineConfigSchema,
  executionMode: z.enum(EnumExecutionMode).default(EnumExecutionMode.SEQUENTIAL),
  /** How to handle step failures (the tutorial's plain string, checked against onex's strategies). */
  failureStrategy: z.enum(EnumFailureStrategy).default(EnumFailureStrategy.FAIL_FAST),
  /** Maximum parallel steps for PARALLEL mode. */
  maxParallelSteps: z.number().int().min(1).default(3),
});

export type ModelPipelineConfigInput = z.input<typeof ModelPipelineConfigSchema>;
export type ModelPipelineConfig = z.output<typeof ModelPipelineConfigSchema>;
export type ModelPipelineOrchestratorInputInput = z.input<typeof ModelPipelineOrchestratorInputSchema>;
export type ModelPipelineOrchestratorInput = z.output<typeof ModelPipelineOrchestratorInputSchema>;

/** Validate a pipeline input and apply the defaults. Throws VALIDATION_ERROR naming the bad field. */
export function createPipelineInput(input: ModelPipelineOrchestratorInputInput): ModelPipelineOrchestratorInput {
  const parsed = ModelPipelineOrchestratorInputSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new OnexError(
    EnumCoreErrorCode.VALIDATION_ERROR,
    `invalid pipeline input at '${issue.path.join('.') || '(root)'}': ${issue.message}`,
    { context: { issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })) } },
  );
}

/** Whether `value` is a pipeline input (has `config`, no `steps`) rather than a plain orchestrator input. */
export function isPipelineInput(value: unknown): value is ModelPipelineOrchestratorInputInput {
  return typeof value === 'object' && value !== null && 'config' in value && !('steps' in value);
}
