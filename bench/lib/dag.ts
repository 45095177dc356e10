/**
 * The benchmark graphs. Nodes are numbered in a topological declaration order (every dependency has a smaller
 * number), which every generator guarantees and `assertTopological` checks, so engines may declare nodes in order.
 * @module
 */
import { mulberry32 } from './prng.js';

/** A DAG: `deps[i]` lists the nodes node `i` waits for. */
export interface Dag {
  readonly name: string;
  readonly size: number;
  readonly deps: readonly (readonly number[])[];
}

/** W1: `n` nodes, each depending on the one before. */
export function chain(n: number): Dag {
  return { name: `chain(${n})`, size: n, deps: Array.from({ length: n }, (_, i) => (i === 0 ? [] : [i - 1])) };
}

/** W2: one root, `width` nodes depending on it, one sink depending on all of them. */
export function fanOutIn(width: number): Dag {
  const deps: number[][] = [[]];
  for (let i = 1; i <= width; i++) deps.push([0]);
  deps.push(Array.from({ length: width }, (_, i) => i + 1));
  return { name: `fan-out/fan-in 1→${width}→1`, size: width + 2, deps };
}

/**
 * W3: `layers` layers of `width` nodes; each node after the first layer depends on `fanIn` distinct nodes of the
 * layer before, chosen by a seeded generator (the same graph on every engine and every run).
 */
export function layered(layers: number, width: number, fanIn: number, seed: number): Dag {
  const random = mulberry32(seed);
  const deps: number[][] = [];
  for (let layer = 0; layer < layers; layer++) {
    for (let k = 0; k < width; k++) {
      if (layer === 0) {
        deps.push([]);
        continue;
      }
      const previous = (layer - 1) * width;
      const picked = new Set<number>();
      while (picked.size < Math.min(fanIn, width)) picked.add(previous + Math.floor(random() * width));
      deps.push([...picked].sort((a, b) => a - b));
    }
  }
  return { name: `${layers} layers × ${width}, ${fanIn} random deps (seed ${seed})`, size: layers * width, deps };
}

/** Number of edges. */
export function edgeCount(dag: Dag): number {
  return dag.deps.reduce((n, d) => n + d.length, 0);
}

/** `dependents[i]`: the nodes that wait for `i`. */
export function dependentsOf(dag: Dag): number[][] {
  const out: number[][] = Array.from({ length: dag.size }, () => []);
  dag.deps.forEach((ds, i) => {
    for (const d of ds) out[d]!.push(i);
  });
  return out;
}

/** Nodes on the longest dependency chain (the critical path, counted in steps). */
export function criticalPathSteps(dag: Dag): number {
  const depth = new Array<number>(dag.size).fill(1);
  let longest = 0;
  for (let i = 0; i < dag.size; i++) {
    for (const d of dag.deps[i]!) depth[i] = Math.max(depth[i]!, depth[d]! + 1);
    longest = Math.max(longest, depth[i]!);
  }
  return longest;
}

/** Nodes without dependents: an engine that needs one end node joins these. */
export function sinksOf(dag: Dag): number[] {
  const hasDependent = new Uint8Array(dag.size);
  for (const ds of dag.deps) for (const d of ds) hasDependent[d] = 1;
  const sinks: number[] = [];
  for (let i = 0; i < dag.size; i++) if (!hasDependent[i]) sinks.push(i);
  return sinks;
}

/** Throws unless every dependency of a node has a smaller number (the generators' promise). */
export function assertTopological(dag: Dag): void {
  dag.deps.forEach((ds, i) => {
    for (const d of ds) if (d >= i) throw new Error(`${dag.name}: node ${i} depends on later node ${d}`);
  });
}
