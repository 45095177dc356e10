/**
 * Marks on the models built here (validated and frozen), so that a built model given again is not parsed again.
 * The mark is a private class field stamped onto the object just before it is frozen (a base class whose
 * constructor returns the object it is given): invisible to `Object.keys`, symbols, spreads, JSON, the wire codec
 * and equality checks, unforgeable, and cheaper than a `WeakSet`, whose entries the garbage collector traces one by
 * one (40% of building a 100k-step workflow went there).
 *
 * What `createAction`, `createWorkflowStep` and `createOrchestratorInput` return is marked, and so is the step list
 * of a built input (a workflow built again from a built one, `{ ...input, operationId }`, reuses its steps as they
 * are). The steps and actions built inside a workflow are not marked one by one: a mark costs an extra property
 * block per object, a tenth of the memory of a 100k-step workflow. Given again on their own, they are parsed again.
 * @module
 */

/** A constructor that returns the object it is given, so that a subclass stamps its private field onto it. */
class Stamp {
  constructor(target: object) {
    // biome-ignore lint/correctness/noConstructorReturn: the stamping pattern: the subclass adds its field to `target`.
    return target;
  }
}

/** One kind of built model: `mark` stamps an object (not frozen yet), `has` tells whether a value carries the stamp. */
export interface BuiltMark {
  mark(target: object): void;
  has(value: unknown): boolean;
}

function builtMark(): BuiltMark {
  class Mark extends Stamp {
    readonly #built = true;

    static has(value: object): boolean {
      return #built in value;
    }
  }
  return {
    mark: (target) => {
      new Mark(target);
    },
    has: (value) => typeof value === 'object' && value !== null && Mark.has(value),
  };
}

export const BUILT_ACTION = builtMark();
export const BUILT_STEP = builtMark();
export const BUILT_INPUT = builtMark();
export const BUILT_STEP_LIST = builtMark();

/**
 * A workflow's steps being built by `createOrchestratorInput`: its steps and actions are not marked one by one, and
 * it counts the action ids it was given (the others are fresh random uuids, which cannot repeat).
 */
export interface WorkflowBuild {
  givenActionIds: number;
}

/** Built step lists (frozen) whose every action id was generated: the planner needs no duplicate check for them. */
const generatedIds = new WeakSet<readonly object[]>();

/** Record that every action id in the built step list `steps` was generated. */
export function markGeneratedIds(steps: readonly object[]): void {
  generatedIds.add(steps);
}

/** Whether every action id in the built step list `steps` was generated (false when unknown). */
export function hasGeneratedIdsOnly(steps: readonly object[]): boolean {
  return generatedIds.has(steps);
}
