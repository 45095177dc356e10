/**
 * Branch conditions (spec §4): IF_TRUE / IF_FALSE on a dotted key of the dependencies' results, IF_SUCCESS /
 * IF_ERROR / IF_TIMEOUT on how the dependencies ended, CUSTOM through `conditionFunction` or a `when` expression.
 * `when` is CEL (cel-js, an interpreter: no eval, no Function), parsed once before anything runs.
 * @module
 */
import { parse } from '@marcbachmann/cel-js';
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import { EnumBranchCondition, EnumStepState } from '../models/enums.js';
import { getPath } from '../models/json.js';
import type { ModelWorkflowStep } from '../models/step.js';

type Evaluator = (scope: Record<string, unknown>) => unknown;
const compiled = new Map<string, Evaluator>();

/** Parse a `when` expression (cached). Throws ORCHESTRATOR_SEMANTIC_INVALID_CONDITION naming the step. */
export function compileWhen(expression: string, stepName: string): Evaluator {
  let evaluator = compiled.get(expression);
  if (!evaluator) {
    try {
      evaluator = parse(expression) as Evaluator;
    } catch (err) {
      throw new OnexError(
        EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_INVALID_CONDITION,
        `step '${stepName}': invalid when expression ${JSON.stringify(expression)}: ${firstLine(err)}`,
        { context: { stepName, when: expression }, cause: err },
      );
    }
    compiled.set(expression, evaluator);
  }
  return evaluator;
}

/** What a condition can look at when its step becomes ready. */
export interface ConditionInputs {
  /** Outputs of the step's dependency steps that ran, in dependency order. */
  readonly dependencyOutputs: readonly unknown[];
  /** End states of the step's dependency steps. */
  readonly dependencyStates: readonly EnumStepState[];
  /** Outputs of every step finished so far, in completion order. */
  readonly previousResults: readonly unknown[];
  /** The workflow input. */
  readonly input: Readonly<Record<string, unknown>>;
}

/** Whether the step should run. Throws ORCHESTRATOR_SEMANTIC_INVALID_CONDITION when a `when` cannot be evaluated. */
export function conditionHolds(step: ModelWorkflowStep, inputs: ConditionInputs): boolean {
  switch (step.condition) {
    case undefined:
      return true;
    case EnumBranchCondition.IF_TRUE:
      return Boolean(lookup(inputs.dependencyOutputs, step.conditionKey!));
    case EnumBranchCondition.IF_FALSE:
      return !lookup(inputs.dependencyOutputs, step.conditionKey!);
    case EnumBranchCondition.IF_SUCCESS:
      return inputs.dependencyStates.every((s) => s === EnumStepState.COMPLETED || s === EnumStepState.SKIPPED);
    case EnumBranchCondition.IF_ERROR:
      return inputs.dependencyStates.some((s) => s === EnumStepState.FAILED || s === EnumStepState.TIMEOUT);
    case EnumBranchCondition.IF_TIMEOUT:
      return inputs.dependencyStates.some((s) => s === EnumStepState.TIMEOUT);
    case EnumBranchCondition.CUSTOM:
      if (step.conditionFunction) return Boolean(step.conditionFunction(step, inputs.previousResults));
      return evaluateWhen(step, inputs);
  }
}

/** Whether this condition makes the step run after a failed dependency (an error-handling branch). */
export function handlesFailure(step: ModelWorkflowStep): boolean {
  return step.condition === EnumBranchCondition.IF_ERROR || step.condition === EnumBranchCondition.IF_TIMEOUT;
}

/** The first dependency result, from the last dependency back, in which the dotted key is present. */
function lookup(outputs: readonly unknown[], key: string): unknown {
  for (let i = outputs.length - 1; i >= 0; i--) {
    const value = getPath(outputs[i], key);
    if (value !== undefined) return value;
  }
  return undefined;
}

function evaluateWhen(step: ModelWorkflowStep, inputs: ConditionInputs): boolean {
  const scope: Record<string, unknown> = {};
  for (const output of inputs.dependencyOutputs) {
    if (output && typeof output === 'object' && !Array.isArray(output)) Object.assign(scope, output);
  }
  scope.results = inputs.previousResults;
  scope.input = inputs.input;
  try {
    return Boolean(compileWhen(step.when!, step.stepName)(scope));
  } catch (err) {
    if (err instanceof OnexError) throw err;
    throw new OnexError(
      EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_INVALID_CONDITION,
      `step '${step.stepName}': when ${JSON.stringify(step.when)} could not be evaluated: ${firstLine(err)}`,
      { context: { stepName: step.stepName, when: step.when, variables: Object.keys(scope) }, cause: err },
    );
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}
