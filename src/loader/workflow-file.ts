/**
 * Workflow files (spec §8): YAML or JSON, snake_case. Loads the file, checks it against its schema with errors that
 * point at the file and line, resolves step and action names into uuids, imports the nodes module, and checks every
 * `target_node_type` and `when:` before anything runs.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { ModelONEXContainer } from '../container/container.js';
import { compileWhen } from '../engine/conditions.js';
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import { EnumExecutionMode } from '../models/enums.js';
import { createOrchestratorInput, type ModelOrchestratorInput } from '../models/orchestrator-input.js';
import { zJsonObject } from '../models/schemas.js';
import { formatPath } from '../models/validation.js';
import { fromWire } from '../models/wire.js';
import type { CircuitBreakerOptions } from '../resilience/circuit-breakers.js';

const ACTION_FIELDS = [
  'action_type',
  'target_node_type',
  'operation_data',
  'payload',
  'priority',
  'retry_count',
  'dependencies',
];

const fileSchema = z.strictObject({
  workflow_name: z.string().min(1).max(255),
  workflow_id: z.string().optional(),
  description: z.string().optional(),
  version: z.union([z.string(), z.number()]).optional(),
  execution_mode: z.string().optional(),
  failure_strategy: z.string().optional(),
  max_parallel_steps: z.number().int().min(1).optional(),
  global_timeout_ms: z.number().int().optional(),
  batch_size: z.number().int().min(1).optional(),
  node_concurrency: z.record(z.string(), z.number().int().min(1)).optional(),
  circuit_breakers: z
    .union([
      z.literal(false),
      z.strictObject({
        failure_threshold: z.number().int().min(1).optional(),
        cooldown_ms: z.number().int().min(0).optional(),
        per_node_type: z
          .record(
            z.string(),
            z.union([
              z.literal(false),
              z.strictObject({
                failure_threshold: z.number().int().min(1).optional(),
                cooldown_ms: z.number().int().min(0).optional(),
              }),
            ]),
          )
          .optional(),
      }),
    ])
    .optional(),
  dependency_resolution_enabled: z.boolean().optional(),
  input_data: zJsonObject.optional(),
  metadata: zJsonObject.optional(),
  nodes: z.string().min(1).optional(),
  steps: z.array(z.record(z.string(), z.unknown())).min(1),
});
type WorkflowFile = z.output<typeof fileSchema>;

/** Options of `loadWorkflowFile`. */
export interface LoadWorkflowOptions {
  /** Override the file's `execution_mode`. */
  mode?: string;
  /** Replace the file's `input_data`. */
  inputData?: Record<string, unknown>;
  /** Register the nodes into this container. @default a new container */
  container?: ModelONEXContainer;
  /** Import the nodes module and check every target_node_type. @default true */
  loadNodes?: boolean;
}

/** A loaded workflow file: the validated input and a container holding its nodes. */
export interface LoadedWorkflow {
  /** Absolute path of the file. */
  readonly path: string;
  /** The path as it was given (used in messages). */
  readonly displayPath: string;
  readonly input: ModelOrchestratorInput;
  readonly container: ModelONEXContainer;
  /** Absolute path of the nodes module, when the file names one. */
  readonly nodesPath: string | undefined;
  /** The file's `circuit_breakers` settings, for the orchestrator that runs it (undefined: the defaults). */
  readonly circuitBreakers: CircuitBreakerOptions | false | undefined;
}

/** Load, validate and resolve a workflow file. Every problem is an `OnexError` naming the file and, where known, the line. */
export async function loadWorkflowFile(path: string, options: LoadWorkflowOptions = {}): Promise<LoadedWorkflow> {
  const source = new SourceFile(path);
  const file = source.validate();
  const container = options.container ?? new ModelONEXContainer();
  const steps = source.convertSteps(file.steps);
  let input: ModelOrchestratorInput;
  try {
    input = createOrchestratorInput({
      ...(file.workflow_id ? { workflowId: file.workflow_id } : {}),
      workflowName: file.workflow_name,
      executionMode: options.mode ?? file.execution_mode ?? EnumExecutionMode.SEQUENTIAL,
      failureStrategy: file.failure_strategy,
      maxParallelSteps: file.max_parallel_steps,
      globalTimeoutMs: file.global_timeout_ms,
      batchSize: file.batch_size,
      nodeConcurrency: file.node_concurrency,
      dependencyResolutionEnabled: file.dependency_resolution_enabled,
      inputData: options.inputData ?? file.input_data ?? {},
      metadata: { ...(file.metadata ?? {}), ...(file.description ? { description: file.description } : {}) },
      steps: steps as never,
    } as never);
  } catch (err) {
    throw source.wrap(err, stepPathOf(err));
  }
  input.steps.forEach((step, i) => {
    if (step.when) {
      try {
        compileWhen(step.when, step.stepName);
      } catch (err) {
        throw source.wrap(err, ['steps', i, 'when']);
      }
    }
  });
  let nodesPath: string | undefined;
  if (options.loadNodes !== false) {
    nodesPath = file.nodes ? await source.importNodes(file.nodes, container) : undefined;
    source.checkTargets(input, container);
  }
  return { path: source.path, displayPath: path, input, container, nodesPath, circuitBreakers: breakerOptions(file) };
}

/** Read a JSON or YAML data file (for `--input-file`): must hold an object. */
export function loadDataFile(path: string): Record<string, unknown> {
  const source = new SourceFile(path);
  const data = source.data;
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new OnexError(EnumCoreErrorCode.VALIDATION_ERROR, `${path}: input file must hold an object`, {
      context: { path },
    });
  }
  return data as Record<string, unknown>;
}

/** The text of one file with a way back from a field path to its line. */
class SourceFile {
  readonly path: string;
  readonly data: unknown;
  private readonly locate: (path: readonly PropertyKey[]) => number | undefined;

  constructor(readonly displayPath: string) {
    this.path = resolve(displayPath);
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      throw new OnexError(
        EnumCoreErrorCode.NOT_FOUND,
        `${displayPath}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? err})`,
        {
          context: { path: this.path },
          cause: err,
        },
      );
    }
    if (extname(this.path).toLowerCase() === '.json') {
      this.data = this.parseJson(text);
      this.locate = () => undefined;
    } else {
      const lineCounter = new LineCounter();
      const doc = parseDocument(text, { lineCounter, prettyErrors: false });
      const first = doc.errors[0];
      if (first) {
        const pos = first.linePos?.[0] ?? lineCounter.linePos(first.pos[0]);
        throw new OnexError(
          EnumCoreErrorCode.ORCHESTRATOR_STRUCT_MALFORMED_CONTRACT,
          `${displayPath}:${pos ? `${pos.line}:${pos.col}` : '?'}: malformed YAML: ${first.message.split('\n')[0]}`,
          { context: { path: this.path, line: pos?.line, column: pos?.col, yamlCode: first.code } },
        );
      }
      this.data = doc.toJS();
      this.locate = (path) => {
        for (let n = path.length; n >= 0; n--) {
          const node = doc.getIn(path.slice(0, n) as unknown[], true) as
            | { range?: [number, number, number] }
            | undefined;
          if (node?.range) return lineCounter.linePos(node.range[0]).line;
        }
        return undefined;
      };
    }
  }

  private parseJson(text: string): unknown {
    try {
      return JSON.parse(text);
    } catch (err) {
      const message = (err as Error).message;
      const at = /position (\d+)/.exec(message);
      const line = at ? text.slice(0, Number(at[1])).split('\n').length : undefined;
      throw new OnexError(
        EnumCoreErrorCode.ORCHESTRATOR_STRUCT_MALFORMED_CONTRACT,
        `${this.displayPath}:${line ?? '?'}: malformed JSON: ${message}`,
        { context: { path: this.path, line } },
      );
    }
  }

  /** `file:line: ` for a field path (just `file: ` when the line is unknown). */
  where(path: readonly PropertyKey[]): string {
    const line = this.locate(path);
    return line === undefined ? `${this.displayPath}: ` : `${this.displayPath}:${line}: `;
  }

  /** Prefix an error with the file and line of `path`, keeping its code. */
  wrap(err: unknown, path: readonly PropertyKey[]): OnexError {
    const error = OnexError.from(err, EnumCoreErrorCode.VALIDATION_ERROR);
    return new OnexError(error.code, `${this.where(path)}${error.message}`, {
      context: { ...error.context, path: this.path, line: this.locate(path) },
      cause: error,
    });
  }

  validate(): WorkflowFile {
    const result = fileSchema.safeParse(this.data);
    if (result.success) return result.data;
    const issue = result.error.issues[0]!;
    const field = formatPath(issue.path);
    throw new OnexError(
      EnumCoreErrorCode.VALIDATION_ERROR,
      `${this.where(issue.path)}invalid workflow file: ${field ? `${field}: ` : ''}${issue.message}`,
      {
        context: {
          path: this.path,
          issues: result.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
        },
      },
    );
  }

  /** snake_case file steps → camelCase step inputs with uuids; names in `depends_on` / `dependencies` resolved. */
  convertSteps(steps: WorkflowFile['steps']): Record<string, unknown>[] {
    const stepIds = new Map<string, string>();
    const actionIds = new Map<string, string>();
    const prepared = steps.map((raw, i) => {
      const name = typeof raw.step_name === 'string' ? raw.step_name : undefined;
      const stepId = typeof raw.step_id === 'string' ? raw.step_id : crypto.randomUUID();
      if (name !== undefined) {
        if (stepIds.has(name)) {
          throw new OnexError(
            EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_DUPLICATE_STEP_ID,
            `${this.where(['steps', i, 'step_name'])}duplicate step_name '${name}'`,
            {
              context: { stepName: name },
            },
          );
        }
        stepIds.set(name, stepId);
      }
      // A reference-style step (step_type) keeps priority / retry_count as its own fields.
      const inline = 'step_type' in raw ? [] : ACTION_FIELDS.filter((f) => f in raw);
      if (inline.length > 0 && 'actions' in raw) {
        throw new OnexError(
          EnumCoreErrorCode.VALIDATION_ERROR,
          `${this.where(['steps', i])}step '${name}' gives both 'actions' and inline action fields (${inline.join(', ')})`,
          { context: { stepName: name, fields: inline } },
        );
      }
      const rawActions: Record<string, unknown>[] =
        inline.length > 0
          ? [pick(raw, [...ACTION_FIELDS, 'timeout_ms', 'name'])]
          : Array.isArray(raw.actions)
            ? (raw.actions as Record<string, unknown>[])
            : [];
      const actions = rawActions.map((a, j) => {
        const actionId = typeof a.action_id === 'string' ? a.action_id : crypto.randomUUID();
        if (typeof a.name === 'string') {
          if (actionIds.has(a.name)) {
            throw new OnexError(
              EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_DUPLICATE_STEP_ID,
              `${this.where(['steps', i, 'actions', j, 'name'])}duplicate action name '${a.name}'`,
              { context: { actionName: a.name } },
            );
          }
          actionIds.set(a.name, actionId);
        }
        return { ...a, action_id: actionId } as Record<string, unknown>;
      });
      return { raw, i, stepId, actions, inline: inline.length > 0 };
    });
    return prepared.map(({ raw, i, stepId, actions, inline }) => {
      const rest = omit(raw, inline ? [...ACTION_FIELDS, 'actions', 'name', 'timeout_ms'] : ['actions']);
      if (inline && typeof raw.timeout_ms === 'number') {
        // Short form: timeout_ms is the action's; the step must leave room for every attempt of it.
        const retries = typeof raw.retry_count === 'number' ? raw.retry_count : 0;
        rest.timeout_ms = Math.min(300_000, raw.timeout_ms * (retries + 1) + 1_000);
      }
      const dependsOn = asList(raw.depends_on, ['steps', i, 'depends_on'], this).map((ref, k) => {
        const id = stepIds.get(ref) ?? (isUuid(ref) ? ref : undefined);
        if (!id) {
          throw new OnexError(
            EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_INVALID_DEPENDENCY,
            `${this.where(['steps', i, 'depends_on', k])}Step '${raw.step_name}' depends on non-existent step: ${ref}`,
            { context: { stepName: raw.step_name, dependency: ref } },
          );
        }
        return id;
      });
      const converted = actions.map((a, j) => {
        const at = inline ? ['steps', i, 'dependencies'] : ['steps', i, 'actions', j, 'dependencies'];
        const deps = asList(a.dependencies, at, this).map((ref, k) => {
          const id = actionIds.get(ref) ?? (isUuid(ref) ? ref : undefined);
          if (!id) {
            throw new OnexError(
              EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_INVALID_DEPENDENCY,
              `${this.where([...at, k])}Step '${raw.step_name}' action depends on non-existent action: ${ref}`,
              { context: { stepName: raw.step_name, dependency: ref } },
            );
          }
          return id;
        });
        const { name, ...fields } = a;
        return fromWire({
          ...fields,
          dependencies: deps,
          metadata: { ...((fields.metadata as object) ?? {}), ...(typeof name === 'string' ? { name } : {}) },
        });
      });
      return {
        ...(fromWire(rest) as Record<string, unknown>),
        stepId,
        dependsOn,
        actions: converted,
      };
    });
  }

  async importNodes(nodes: string, container: ModelONEXContainer): Promise<string> {
    const nodesPath = resolve(dirname(this.path), nodes);
    if (!existsSync(nodesPath)) {
      throw new OnexError(
        EnumCoreErrorCode.DEPENDENCY_UNAVAILABLE,
        `${this.where(['nodes'])}nodes module '${nodes}' not found (looked for ${nodesPath})`,
        { context: { nodes, resolved: nodesPath } },
      );
    }
    let module: Record<string, unknown>;
    try {
      module = (await import(pathToFileURL(nodesPath).href)) as Record<string, unknown>;
    } catch (err) {
      throw new OnexError(
        EnumCoreErrorCode.DEPENDENCY_UNAVAILABLE,
        `${this.where(['nodes'])}nodes module '${nodes}' failed to load: ${(err as Error)?.message ?? err}`,
        { context: { nodes, resolved: nodesPath }, cause: err },
      );
    }
    const exports = {
      ...(isPlainObject(module.default) ? (module.default as Record<string, unknown>) : {}),
      ...module,
    };
    delete exports.default;
    for (const [target, node] of Object.entries(exports)) container.registerNode(target, node);
    return nodesPath;
  }

  checkTargets(input: ModelOrchestratorInput, container: ModelONEXContainer): void {
    const known = container.nodeTypes();
    input.steps.forEach((step, i) => {
      const compensation = step.compensation?.targetNodeType;
      if (compensation && container.getNodes(compensation).length === 0) {
        throw new OnexError(
          EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_UNKNOWN_NODE_TYPE,
          `${this.where(['steps', i, 'compensation', 'target_node_type'])}step '${step.stepName}': unknown compensation target_node_type '${compensation}'`,
          { context: { stepName: step.stepName, targetNodeType: compensation, known } },
        );
      }
      step.actions.forEach((action, j) => {
        if (container.getNodes(action.targetNodeType).length > 0) return;
        const rawStep = (this.data as WorkflowFile).steps[i]!;
        const at =
          'actions' in rawStep ? ['steps', i, 'actions', j, 'target_node_type'] : ['steps', i, 'target_node_type'];
        throw new OnexError(
          EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_UNKNOWN_NODE_TYPE,
          `${this.where(at)}step '${step.stepName}': unknown target_node_type '${action.targetNodeType}'` +
            (known.length
              ? ` (the nodes module exports: ${known.join(', ')})`
              : ' (no nodes module, or it exports nothing)'),
          { context: { stepName: step.stepName, targetNodeType: action.targetNodeType, known } },
        );
      });
    });
  }
}

function asList(value: unknown, at: readonly PropertyKey[], source: SourceFile): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  list.forEach((v, k) => {
    if (typeof v !== 'string') {
      throw new OnexError(
        EnumCoreErrorCode.VALIDATION_ERROR,
        `${source.where([...at, k])}expected a name or id, got ${JSON.stringify(v)}`,
        {
          context: { value: v },
        },
      );
    }
  });
  return list as string[];
}

/** The `steps[i]` path of a step-level validation error, from its message (`steps[3] …`). */
function stepPathOf(err: unknown): PropertyKey[] {
  const message = (err as Error)?.message ?? '';
  const m = /steps\[(\d+)\](?:\.actions\[(\d+)\])?/.exec(message) ?? /step '[^']*' actions\[(\d+)\]/.exec(message);
  if (m?.[1] !== undefined && message.includes('steps[')) {
    return m[2] !== undefined ? ['steps', Number(m[1]), 'actions', Number(m[2])] : ['steps', Number(m[1])];
  }
  return ['steps'];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
function isUuid(value: string): boolean {
  return UUID.test(value);
}

function isPlainObject(value: unknown): boolean {
  return !!value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
}

function pick(obj: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => keys.includes(k)));
}

function omit(obj: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => !keys.includes(k)));
}

/** `circuit_breakers:` (snake_case, in the file) → the orchestrator's `circuitBreakers` option. */
function breakerOptions(file: WorkflowFile): CircuitBreakerOptions | false | undefined {
  const given = file.circuit_breakers;
  if (given === undefined || given === false) return given;
  const settings = (s: { failure_threshold?: number; cooldown_ms?: number }) => ({
    ...(s.failure_threshold !== undefined ? { failureThreshold: s.failure_threshold } : {}),
    ...(s.cooldown_ms !== undefined ? { cooldownMs: s.cooldown_ms } : {}),
  });
  const perNodeType = given.per_node_type
    ? Object.fromEntries(
        Object.entries(given.per_node_type).map(([k, v]) => [k, v === false ? (false as const) : settings(v)]),
      )
    : undefined;
  return { ...settings(given), ...(perNodeType ? { perNodeType } : {}) };
}
