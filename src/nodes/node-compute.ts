/**
 * `NodeCompute`: pure transforms. Results are cached in a bounded LRU keyed by target node type + the hash of the
 * input (operation data and dependency results); hits and misses are counted (spec §6).
 * @module
 */
import { LRUCache } from 'lru-cache';
import type { ModelONEXContainer } from '../container/container.js';
import { canonicalJson, sha256 } from '../models/json.js';
import type { NodeContext } from './context.js';
import { NodeCoreBase } from './node-core-base.js';

/** Options of a compute node. */
export interface NodeComputeOptions {
  /** Cache results by input hash. Turn off for computations that are not pure. @default true */
  cacheEnabled?: boolean;
  /** Most cached results kept (least recently used go first). @default 256 */
  cacheSize?: number;
}

/** A pure computation node: implement `compute`. */
export abstract class NodeCompute<TInput = Record<string, unknown>, TOutput = unknown> extends NodeCoreBase {
  readonly cacheEnabled: boolean;
  private readonly cache: LRUCache<string, { value: TOutput }>;
  private hits = 0;
  private misses = 0;

  constructor(container: ModelONEXContainer, options: NodeComputeOptions = {}) {
    super(container);
    this.cacheEnabled = options.cacheEnabled ?? true;
    this.cache = new LRUCache({ max: options.cacheSize ?? 256 });
  }

  /** The pure computation: same input, same output, no side effects. */
  abstract compute(input: TInput, ctx: NodeContext): TOutput | Promise<TOutput>;

  /** Run `compute` through the cache (used by the orchestrator). */
  async run(input: TInput, ctx: NodeContext): Promise<TOutput> {
    if (!this.cacheEnabled) return this.measured(() => this.compute(input, ctx));
    const key = cacheKey(ctx.action.targetNodeType, input, ctx.inputs, ctx.workflowInput);
    const cached = this.cache.get(key);
    if (cached) {
      this.hits++;
      this.recordOperation(0, true);
      return cached.value;
    }
    this.misses++;
    const value = await this.measured(() => this.compute(input, ctx));
    this.cache.set(key, { value });
    return value;
  }

  /** Cache counters: hits, misses, and entries held. */
  getCacheStats(): { hits: number; misses: number; size: number } {
    return { hits: this.hits, misses: this.misses, size: this.cache.size };
  }

  /** Forget every cached result. */
  clearCache(): void {
    this.cache.clear();
  }

  /** The cached result for this input, if any (used by recovery to fall back on a cached COMPUTE result). */
  peekCached(
    targetNodeType: string,
    input: TInput,
    inputs: readonly unknown[],
    workflowInput: Readonly<Record<string, unknown>> = {},
  ): TOutput | undefined {
    return this.cache.peek(cacheKey(targetNodeType, input, inputs, workflowInput))?.value;
  }
}

/** Target node type + sha-256 of everything a compute may read: its input, its dependency results, the workflow input. */
function cacheKey(targetNodeType: string, input: unknown, inputs: readonly unknown[], workflowInput: unknown): string {
  return `${targetNodeType}:${sha256(canonicalJson({ input, inputs, workflowInput }))}`;
}
