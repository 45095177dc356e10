/**
 * The bare Kahn sort W5 compares onex's planner with: from the very input onex gets (steps with string ids and
 * `dependsOn` lists), index the ids, count in-degrees and pop a FIFO queue. No validation, no priorities, no models.
 * @module
 */

/** The part of a step Kahn needs. */
export interface KahnStep {
  readonly stepId: string;
  readonly dependsOn: readonly string[];
}

/** Step indices in a topological order; throws on a cycle or an unknown id. */
export function kahnOrder(steps: readonly KahnStep[]): Int32Array {
  const n = steps.length;
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) index.set(steps[i]!.stepId, i);
  const indegree = new Int32Array(n);
  // Dependents in compressed rows: count, prefix-sum, fill.
  const outCount = new Int32Array(n + 1);
  const depIndex: number[][] = new Array(n);
  for (let i = 0; i < n; i++) {
    const ds = steps[i]!.dependsOn;
    const resolved = new Array<number>(ds.length);
    for (let k = 0; k < ds.length; k++) {
      const d = index.get(ds[k]!);
      if (d === undefined) throw new Error(`unknown dependency ${ds[k]}`);
      resolved[k] = d;
      outCount[d + 1]!++;
    }
    depIndex[i] = resolved;
    indegree[i] = ds.length;
  }
  for (let i = 0; i < n; i++) outCount[i + 1]! += outCount[i]!;
  const fill = outCount.slice(0, n);
  const dependents = new Int32Array(outCount[n]!);
  for (let i = 0; i < n; i++) for (const d of depIndex[i]!) dependents[fill[d]!++] = i;
  const order = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) if (indegree[i] === 0) order[tail++] = i;
  while (head < tail) {
    const s = order[head++]!;
    for (let e = outCount[s]!; e < outCount[s + 1]!; e++) {
      const t = dependents[e]!;
      if (--indegree[t]! === 0) order[tail++] = t;
    }
  }
  if (tail !== n) throw new Error(`cycle: only ${tail} of ${n} steps ordered`);
  return order;
}

/** Null when `order` lists every step exactly once with each dependency before its dependents, else why not. */
export function checkOrder(steps: readonly KahnStep[], order: ArrayLike<number>): string | null {
  const n = steps.length;
  if (order.length !== n) return `order has ${order.length} of ${n} steps`;
  const position = new Int32Array(n).fill(-1);
  for (let p = 0; p < n; p++) {
    const s = order[p]!;
    if (position[s] !== -1) return `step ${s} appears twice`;
    position[s] = p;
  }
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) index.set(steps[i]!.stepId, i);
  for (let i = 0; i < n; i++) {
    for (const id of steps[i]!.dependsOn) {
      if (position[index.get(id)!]! > position[i]!) return `step ${i} is ordered before its dependency ${id}`;
    }
  }
  return null;
}
