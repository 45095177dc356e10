/**
 * `ModelONEXContainer`: a small dependency-injection registry (spec §6). Services by name (values or lazy
 * factories), nodes by `targetNodeType` (one or several instances, for the load balancer), and the one logger.
 * @module
 */
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import type { EnumLogLevel } from '../models/enums.js';
import { createLogger, type Logger } from '../observability/logger.js';

/** A factory called once, on first `get`, with the container. */
export type ServiceFactory<T> = (container: ModelONEXContainer) => T;

/** Options of a container. */
export interface ContainerOptions {
  /** The logger nodes and the orchestrator write to. @default a pino logger on stderr at `ONEX_LOG_LEVEL` or `warn` */
  logger?: Logger;
}

/** The dependency-injection registry handed to every node. */
export class ModelONEXContainer {
  /** The one structured logger of this container. */
  readonly logger: Logger;
  private readonly values = new Map<string, unknown>();
  private readonly factories = new Map<string, ServiceFactory<unknown>>();
  private readonly nodes = new Map<string, readonly unknown[]>();

  constructor(options: ContainerOptions = {}) {
    this.logger = options.logger ?? createLogger();
  }

  /**
   * Register a service under `name`: a value, or a factory function `(container) => service` that runs once, on the
   * first `get`. To register a function itself as the service, use `registerValue`.
   */
  register<T>(name: string, value: T | ServiceFactory<T>): this {
    if (typeof value === 'function') {
      this.values.delete(name);
      // A class is a factory too: instantiated with `new Class(container)` on first use.
      const create = isClass(value)
        ? (c: ModelONEXContainer) => new (value as new (c: ModelONEXContainer) => unknown)(c)
        : (value as ServiceFactory<unknown>);
      this.factories.set(name, create);
      return this;
    }
    return this.registerValue(name, value);
  }

  /** Register `value` under `name` as it is (even when it is a function). */
  registerValue<T>(name: string, value: T): this {
    this.factories.delete(name);
    this.values.set(name, value);
    return this;
  }

  /** The service registered under `name`; throws DEPENDENCY_UNAVAILABLE when there is none. */
  get<T = unknown>(name: string): T {
    if (this.values.has(name)) return this.values.get(name) as T;
    const factory = this.factories.get(name);
    if (factory) {
      const value = factory(this);
      this.factories.delete(name);
      this.values.set(name, value);
      return value as T;
    }
    throw new OnexError(
      EnumCoreErrorCode.DEPENDENCY_UNAVAILABLE,
      `Cannot resolve service '${name}': nothing is registered under that name`,
      {
        context: { service: name },
      },
    );
  }

  /** The service registered under `name`, or undefined. */
  getOptional<T = unknown>(name: string): T | undefined {
    return this.has(name) ? this.get<T>(name) : undefined;
  }

  /** Whether a service is registered under `name`. */
  has(name: string): boolean {
    return this.values.has(name) || this.factories.has(name);
  }

  /**
   * Register the node (or several instances of it, for load balancing) that runs actions whose `targetNodeType`
   * is `targetNodeType`. A node is an async function `(operationData, ctx)`, a node instance, a node class, or a
   * plain object with `compute`, `execute` (+ `processBatch`, `compensate`) or `reduce`. Replaces any earlier one.
   */
  registerNode(targetNodeType: string, node: unknown | readonly unknown[]): this {
    const instances = Array.isArray(node) ? [...node] : [node];
    if (instances.length === 0) {
      throw new OnexError(EnumCoreErrorCode.INVALID_PARAMETER, `registerNode('${targetNodeType}'): no node given`, {
        context: { targetNodeType },
      });
    }
    this.nodes.set(targetNodeType, Object.freeze(instances));
    return this;
  }

  /** The instances registered for `targetNodeType` (empty when none). */
  getNodes(targetNodeType: string): readonly unknown[] {
    return this.nodes.get(targetNodeType) ?? [];
  }

  /** Every registered target node type. */
  nodeTypes(): string[] {
    return [...this.nodes.keys()];
  }

  /** Write one structured log event through the container's logger. */
  emitLogEvent(level: EnumLogLevel, message: string, context: Record<string, unknown> = {}): void {
    this.logger[level](context, message);
  }
}

function isClass(value: unknown): boolean {
  return typeof value === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(value));
}
