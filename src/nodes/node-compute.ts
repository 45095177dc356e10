/**
 * `NodeCompute`: pure transforms. Results are cached in a bounded LRU keyed by target node type + the hash of the
 * input (operation data and dependency results); hits and misses are counted (spec §6). With `fallbackToCache`, a
 * compute that fails with a recoverable error returns the last result cached for the same key instead (spec §5
 * "Recovery": the tutorial's "use cached results if available").
 * @module
 */
import { LRUCache } from 'lru-cache';
import type { ModelONEXContainer } from '../container/container.js';
import { EnumCoreErrorCode } from '../errors/error-codes.js';
import { OnexError } from '../errors/onex-error.js';
import { EnumLogLevel } from '../models/enums.js';
import { canonicalJson, sha256 } from '../models/json.js';
import type { NodeContext } from './context.js';
import { NodeCoreBase } from './node-core-base.js';

/** Codes that let a compute fall back on its cache unless `fallbackOn` says otherwise: the transient ones. */
export const DEFAULT_FALLBACK_CODES: readonly string[] = Object.freeze([
  EnumCoreErrorCode.TIMEOUT,
  EnumCoreErrorCode.RESOURCE_UNAVAILABLE,
  EnumCoreErrorCode.SERVICE_UNAVAILABLE,
]);

/** Options of a compute node. */
export interface NodeComputeOptions {
  /** Cache results by input hash. Turn off for computations that are not pure. @default true */
  cacheEnabled?: boolean;
  /** Most cached results kept (least recently used go first). @default 256 */
  cacheSize?: number;
  /**
   * How long a cached result is served as a hit. Older entries are recomputed, but stay in the LRU so
   * `fallbackToCache` can still use them (stale-if-error). @default no limit
   */
  cacheTtlMs?: number;
  /**
   * When `compute` fails with a code in `fallbackOn` and the LRU holds a result for the same key (fresh or stale),
   * return that result instead of failing, and count it (`getFallbackCount`). With `cacheEnabled: false` the node
   * still keeps its last results, but only as fallbacks: every call computes. @default false
   */
  fallbackToCache?: boolean;
  /** Error codes that allow the fallback. @default TIMEOUT, RESOURCE_UNAVAILABLE, SERVICE_UNAVAILABLE */
  fallbackOn?: readonly string[];
}

/** A pure computation node: implement `compute`. */
export abstract class NodeCompute<TInput = Record<string, unknown>, TOutput = unknown> extends NodeCoreBase {
  readonly cacheEnabled: boolean;
  /** Whether a recoverable failure falls back on the cached result for the same key. */
  readonly fallbackToCache: boolean;
  private readonly fallbackOn: ReadonlySet<string>;
  private readonly cache: LRUCache<string, { value: TOutput }>;
  private hits = 0;
  private misses = 0;
  private fallbacks = 0;

  constructor(container: ModelONEXContainer, options: NodeComputeOptions = {}) {
    super(container);
    this.cacheEnabled = options.cacheEnabled ?? true;
    this.fallbackToCache = options.fallbackToCache ?? false;
    this.fallbackOn = new Set(options.fallbackOn ?? DEFAULT_FALLBACK_CODES);
    this.cache = new LRUCache({
      max: options.cacheSize ?? 256,
      // Stale entries are not deleted on read: they are what `fallbackToCache` falls back on.
      ...(options.cacheTtlMs === undefined ? {} : { ttl: options.cacheTtlMs, noDeleteOnStaleGet: true }),
    });
  }

  /** The pure computation: same input, same output, no side effects. */
  abstract compute(input: TInput, ctx: NodeContext): TOutput | Promise<TOutput>;

  /** Run `compute` through the cache (used by the orchestrator). */
  async run(input: TInput, ctx: NodeContext): Promise<TOutput> {
    if (!this.cacheEnabled && !this.fallbackToCache) return this.measured(() => this.compute(input, ctx));
    const key = cacheKey(ctx.action.targetNodeType, input, ctx.inputs, ctx.workflowInput);
    if (this.cacheEnabled) {
      const cached = this.cache.get(key);
      if (cached) {
        this.hits++;
        this.recordOperation(0, true);
        return cached.value;
      }
      this.misses++;
    }
    let value: TOutput;
    try {
      value = await this.measured(() => this.compute(input, ctx));
    } catch (err) {
      const fallback = this.fallbackFor(key, err, ctx);
      if (fallback) return fallback.value;
      throw err;
    }
    this.cache.set(key, { value });
    return value;
  }

  /** Cache counters: hits, misses, and entries held. */
  getCacheStats(): { hits: number; misses: number; size: number } {
    return { hits: this.hits, misses: this.misses, size: this.cache.size };
  }

  /** How many failed computes were answered from the cache (`fallbackToCache`). */
  getFallbackCount(): number {
    return this.fallbacks;
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

  /** The entry to answer a failed compute with, when the fallback applies. */
  private fallbackFor(key: string, err: unknown, ctx: NodeContext): { value: TOutput } | undefined {
    if (!this.fallbackToCache) return undefined;
    // Once the attempt was aborted (timeout, cancel) nobody waits for this value: answering would only skew the count.
    if (ctx.signal.aborted) return undefined;
    const error = OnexError.from(err);
    if (!this.fallbackOn.has(error.code)) return undefined;
    const entry = this.cache.peek(key, { allowStale: true });
    if (!entry) return undefined;
    this.fallbacks++;
    this.container.emitLogEvent(EnumLogLevel.WARNING, 'compute failed; using the cached result', {
      nodeId: this.nodeId,
      targetNodeType: ctx.action.targetNodeType,
      actionId: ctx.action.actionId,
      code: error.code,
      error: error.message,
    });
    return entry;
  }
}

/** Target node type + sha-256 of everything a compute may read: its input, its dependency results, the workflow input. */
function cacheKey(targetNodeType: string, input: unknown, inputs: readonly unknown[], workflowInput: unknown): string {
  return `${targetNodeType}:${sha256(canonicalJson({ input, inputs, workflowInput }))}`;
}
