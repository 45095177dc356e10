/**
 * Tutorial Step 2: `NodePipelineOrchestrator`, a five-step data pipeline (validate COMPUTE → fetch EFFECT → process
 * COMPUTE → aggregate REDUCE → save EFFECT) built exactly as the tutorial's `_create_pipeline_steps` builds it, and run
 * by onex's `NodeOrchestrator` (`super.process`), which — unlike the reference — executes the actions.
 * @module
 */
import {
  EnumActionType,
  EnumCoreErrorCode,
  EnumExecutionMode,
  EnumLogLevel,
  type ModelActionInput,
  type ModelONEXContainer,
  type ModelOrchestratorInput,
  type ModelOrchestratorInputInput,
  type ModelOrchestratorOutput,
  type ModelWorkflowStepInput,
  NodeOrchestrator,
  type NodeOrchestratorOptions,
  OnexError,
  type ProcessOptions,
} from '../../src/index.js';
import {
  createPipelineInput,
  isPipelineInput,
  type ModelPipelineOrchestratorInput,
  type ModelPipelineOrchestratorInputInput,
} from './model-pipeline-orchestrator-input.js';

/** What `process()` accepts: a pipeline input, or (as the base class) a plain orchestrator input. */
export type PipelineProcessInput =
  | ModelPipelineOrchestratorInputInput
  | ModelOrchestratorInputInput
  | ModelOrchestratorInput;

/** A step as the pipeline builds it, with its id known so later steps can depend on it. */
export type PipelineStep = ModelWorkflowStepInput & { stepId: string; actions: ModelActionInput[] };

/** Data Processing Pipeline Orchestrator. */
export class NodePipelineOrchestrator extends NodeOrchestrator {
  readonly defaultStepTimeoutMs = 30_000;

  constructor(container: ModelONEXContainer, options: NodeOrchestratorOptions = {}) {
    super(container, options);
    container.emitLogEvent(EnumLogLevel.INFO, 'NodePipelineOrchestrator initialized', { node_id: this.nodeId });
  }

  /**
   * Process data through the pipeline workflow: build the steps, then let onex run them. A failure rejects with an
   * `OnexError` "Pipeline orchestration failed: …" that keeps the failing action's code and the partial output.
   */
  override async process(input: PipelineProcessInput, options: ProcessOptions = {}): Promise<ModelOrchestratorOutput> {
    if (!isPipelineInput(input)) return super.process(input, options);
    const pipelineInput = createPipelineInput(input);
    const started = performance.now();
    try {
      const steps = await this.createPipelineSteps(pipelineInput);
      const result = await super.process(
        {
          workflowId: pipelineInput.workflowId,
          operationId: pipelineInput.operationId,
          workflowName: 'data_processing_pipeline',
          steps,
          executionMode: pipelineInput.executionMode,
          dependencyResolutionEnabled: true,
          failureStrategy: pipelineInput.failureStrategy,
          maxParallelSteps: pipelineInput.maxParallelSteps,
          // onex hands this to every node as ctx.workflowInput (the reference has no such field).
          inputData: pipelineInput.inputData,
          metadata: { pipeline_type: 'data_processing', data_source: pipelineInput.config.dataSource },
        },
        options,
      );
      this.container.emitLogEvent(EnumLogLevel.INFO, `Pipeline workflow completed: ${pipelineInput.workflowId}`, {
        workflow_id: pipelineInput.workflowId,
        execution_mode: pipelineInput.executionMode,
        steps_completed: result.stepsCompleted,
        processing_time_ms: performance.now() - started,
      });
      return result;
    } catch (err) {
      this.container.emitLogEvent(EnumLogLevel.ERROR, `Pipeline workflow failed: ${String(err)}`, {
        workflow_id: pipelineInput.workflowId,
        error: String(err),
      });
      throw pipelineFailure(err, pipelineInput.workflowId);
    }
  }

  /** The five steps, each with one action; dependencies chain them; every action carries this orchestrator's lease. */
  protected async createPipelineSteps(input: ModelPipelineOrchestratorInput): Promise<PipelineStep[]> {
    const steps: PipelineStep[] = [];
    const leaseId = this.leaseId; // one lease for every action of this orchestrator instance
    const action = (fields: Omit<ModelActionInput, 'createdAt' | 'leaseId' | 'epoch'>): ModelActionInput => ({
      ...fields,
      createdAt: new Date().toISOString(),
      leaseId,
      epoch: 1,
    });
    const step = (stepName: string, stepType: string, a: ModelActionInput): PipelineStep => ({
      stepId: crypto.randomUUID(),
      stepName,
      executionMode: EnumExecutionMode.SEQUENTIAL,
      actions: [a],
      timeoutMs: this.defaultStepTimeoutMs,
      metadata: { step_type: stepType },
    });

    // Step 1: Validation (if enabled)
    if (input.config.validateInput) {
      const validationAction = action({
        actionId: crypto.randomUUID(),
        actionType: EnumActionType.COMPUTE,
        targetNodeType: 'NodeDataValidatorCompute',
        operationData: {
          data: input.inputData,
          validation_rules: { required_fields: ['id', 'data'], quality_threshold: input.config.qualityThreshold },
        },
        dependencies: [],
        priority: 1,
        timeoutMs: 5000,
        retryCount: 0,
        metadata: { step_type: 'validation' },
      });
      steps.push(step('Validate Input Data', 'validation', validationAction));
    }

    // Step 2: Data Fetching
    const fetchActionId = crypto.randomUUID();
    const fetchDependencies = input.config.validateInput ? [steps[0]!.actions[0]!.actionId!] : [];
    const fetchAction = action({
      actionId: fetchActionId,
      actionType: EnumActionType.EFFECT,
      targetNodeType: 'NodeDataFetcherEffect',
      operationData: { source: input.config.dataSource, query: input.inputData.query ?? {} },
      dependencies: fetchDependencies,
      priority: 1,
      timeoutMs: 10000,
      retryCount: 2,
      metadata: { step_type: 'fetch' },
    });
    steps.push(step('Fetch Data from Source', 'fetch', fetchAction));

    // Step 3: Data Processing
    const processActionId = crypto.randomUUID();
    const processAction = action({
      actionId: processActionId,
      actionType: EnumActionType.COMPUTE,
      targetNodeType: 'NodeDataProcessorCompute',
      operationData: { operation: 'transform', enable_caching: input.config.enableCaching },
      dependencies: [fetchActionId],
      priority: 1,
      timeoutMs: 15000,
      retryCount: 1,
      metadata: { step_type: 'processing' },
    });
    steps.push(step('Process Fetched Data', 'processing', processAction));

    // Step 4: Data Aggregation
    const aggregateActionId = crypto.randomUUID();
    const aggregateAction = action({
      actionId: aggregateActionId,
      actionType: EnumActionType.REDUCE,
      targetNodeType: 'NodeMetricsAggregatorReducer',
      operationData: { aggregation_type: 'sum', group_by: 'category' },
      dependencies: [processActionId],
      priority: 1,
      timeoutMs: 10000,
      retryCount: 0,
      metadata: { step_type: 'aggregation' },
    });
    steps.push(step('Aggregate Processed Data', 'aggregation', aggregateAction));

    // Step 5: Save Results
    const saveAction = action({
      actionId: crypto.randomUUID(),
      actionType: EnumActionType.EFFECT,
      targetNodeType: 'NodeDatabaseWriterEffect',
      operationData: { destination: 'processed_data_table', mode: 'upsert' },
      dependencies: [aggregateActionId],
      priority: 2,
      timeoutMs: 10000,
      retryCount: 3,
      metadata: { step_type: 'storage' },
    });
    steps.push(step('Save Aggregated Results', 'storage', saveAction));

    return steps;
  }

  protected override async initializeNodeResources(): Promise<void> {
    this.container.emitLogEvent(EnumLogLevel.INFO, 'NodePipelineOrchestrator resources initialized', {
      node_id: this.nodeId,
    });
  }

  protected override async cleanupNodeResources(): Promise<void> {
    await super.cleanupNodeResources();
    this.container.emitLogEvent(EnumLogLevel.INFO, 'NodePipelineOrchestrator resources cleaned up', {
      node_id: this.nodeId,
    });
  }
}

/**
 * The tutorial wraps every failure as OPERATION_FAILED "Pipeline orchestration failed: …". This port keeps the
 * wrapper's message but not its code: the failing action's own code (TIMEOUT, RESOURCE_UNAVAILABLE, …) is what the
 * resilient orchestrator (Step 5) decides on, and what onex's process() reports (spec §4).
 */
function pipelineFailure(err: unknown, workflowId: string): OnexError {
  const cause = OnexError.from(err);
  return new OnexError(
    cause.code.startsWith('ONEX_') ? cause.code : EnumCoreErrorCode.OPERATION_FAILED,
    `Pipeline orchestration failed: ${cause.message}`,
    { context: { ...cause.context, workflow_id: workflowId }, cause: err, retryable: cause.retryable },
  );
}
