/**
 * Turns whatever was registered for a `targetNodeType` (a function, a node instance, a node class, a plain object
 * with the node kind's methods, an orchestrator) into one `Invoker` shape the engine calls (spec §6, §8).
 * @module
 */
import type { ModelONEXContainer } from '../container/container.js';
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import type { BatchItem, NodeContext } from './context.js';
import { NodeCompute } from './node-compute.js';
import { NodeCoreBase } from './node-core-base.js';
import { NodeEffect } from './node-effect.js';
import { NodeReducer } from './node-reducer.js';

/** How the engine calls one node instance. */
export interface Invoker {
  readonly kind: 'function' | 'compute' | 'effect' | 'reducer' | 'orchestrator';
  /** The registered node (after instantiation for classes). */
  readonly node: unknown;
  /** The registered class, when `node` was instantiated from one. */
  readonly source?: unknown;
  run(operationData: Readonly<Record<string, unknown>>, ctx: NodeContext): unknown;
  /** Present when the node implements `processBatch`. */
  runBatch?(items: readonly BatchItem[], ctx: NodeContext): Promise<readonly unknown[]> | readonly unknown[];
  /** Present when the node implements `compensate`. */
  compensate?(operationData: Readonly<Record<string, unknown>>, result: unknown, ctx: NodeContext): unknown;
}

const resolved = new WeakMap<ModelONEXContainer, Map<string, readonly Invoker[]>>();

/**
 * The invokers (one per registered instance) for `targetNodeType`; classes are instantiated once per container.
 * Throws ORCHESTRATOR_SEMANTIC_UNKNOWN_NODE_TYPE when nothing is registered, naming what is.
 */
export function resolveInvokers(container: ModelONEXContainer, targetNodeType: string): readonly Invoker[] {
  let byType = resolved.get(container);
  if (!byType) {
    byType = new Map();
    resolved.set(container, byType);
  }
  const nodes = container.getNodes(targetNodeType);
  const cached = byType.get(targetNodeType);
  if (
    cached &&
    cached.length === nodes.length &&
    cached.every((inv, i) => inv.node === nodes[i] || inv.source === nodes[i])
  ) {
    return cached;
  }
  if (nodes.length === 0) {
    const known = container.nodeTypes();
    throw new OnexError(
      EnumCoreErrorCode.ORCHESTRATOR_SEMANTIC_UNKNOWN_NODE_TYPE,
      `no node is registered for target_node_type '${targetNodeType}'` +
        (known.length ? ` (registered: ${known.join(', ')})` : ' (no nodes are registered)'),
      { context: { targetNodeType, registered: known } },
    );
  }
  const invokers = nodes.map((node) => toInvoker(node, container, targetNodeType));
  byType.set(targetNodeType, invokers);
  return invokers;
}

function isClass(value: unknown): value is new (container: ModelONEXContainer) => unknown {
  if (typeof value !== 'function' || !value.prototype) return false;
  return value.prototype instanceof NodeCoreBase || /^class[\s{]/.test(Function.prototype.toString.call(value));
}

type Fn = (...args: unknown[]) => unknown;
const method = (node: object, name: string): Fn | undefined => {
  const m = (node as Record<string, unknown>)[name];
  return typeof m === 'function' ? (m as Fn).bind(node) : undefined;
};

/** Build the invoker for one registered value. */
export function toInvoker(value: unknown, container: ModelONEXContainer, targetNodeType: string): Invoker {
  if (isClass(value)) return { ...toInvoker(new value(container), container, targetNodeType), source: value };
  if (typeof value === 'function') return { kind: 'function', node: value, run: value as Invoker['run'] };
  if (value instanceof NodeCompute) return { kind: 'compute', node: value, run: (d, ctx) => value.run(d, ctx) };
  if (value instanceof NodeReducer) return { kind: 'reducer', node: value, run: (d, ctx) => value.run(d, ctx) };
  if (value instanceof NodeEffect) {
    return {
      kind: 'effect',
      node: value,
      run: (d, ctx) => value.run(d, ctx),
      runBatch: value.processBatch ? (items, ctx) => value.runBatch(items, ctx) : undefined,
      compensate: value.compensate ? (d, r, ctx) => value.compensate!(d, r, ctx) : undefined,
    };
  }
  if (value && typeof value === 'object') {
    const compute = method(value, 'compute');
    if (compute) return { kind: 'compute', node: value, run: compute };
    const execute = method(value, 'execute');
    if (execute) {
      const batch = method(value, 'processBatch');
      const compensate = method(value, 'compensate');
      return {
        kind: 'effect',
        node: value,
        run: execute,
        runBatch: batch ? (batch as Invoker['runBatch']) : undefined,
        compensate: compensate ? (compensate as Invoker['compensate']) : undefined,
      };
    }
    const reduce = method(value, 'reduce');
    if (reduce) return { kind: 'reducer', node: value, run: reduce };
    const process = method(value, 'process');
    if (process) return { kind: 'orchestrator', node: value, run: (d) => process(d) };
  }
  throw new OnexError(
    EnumCoreErrorCode.ORCHESTRATOR_STRUCT_INVALID_FIELD_TYPE,
    `the node registered for '${targetNodeType}' is not a function, a node class or instance, nor an object with compute, execute, reduce or process`,
    { context: { targetNodeType, type: typeof value } },
  );
}
