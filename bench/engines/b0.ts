/**
 * B0, the floor: a minimal hand-written Promise-per-node DAG executor. Each node's promise waits for its
 * dependencies' promises, then runs the step (through a small FIFO semaphore when a concurrency bound is asked for).
 * Nothing else: no validation, no state, no records. Whatever an engine costs above this is its overhead.
 * @module
 */
import type { Dag } from '../lib/dag.js';
import { ENGINE_LABELS, type Engine, type Prepared, type RunShape, type StepFn } from './engine.js';

/** A FIFO semaphore: at most `limit` calls of `fn` in flight. */
function semaphore(limit: number): (fn: () => Promise<void>) => Promise<void> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    if (active < limit) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      await fn();
    } finally {
      // Hand the slot straight to the next waiter, so `active` never dips below the bound while work is queued.
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}

export const b0: Engine = {
  id: 'b0',
  label: ENGINE_LABELS.b0,
  async prepare(dag: Dag, step: StepFn, shape: RunShape): Promise<Prepared> {
    const { deps, size } = dag;
    const run = async () => {
      const gate = shape.concurrency === undefined ? null : semaphore(shape.concurrency);
      const exec = gate ? (i: number) => gate(() => step(i)) : step;
      // Nodes are declared in topological order (lib/dag.ts), so every dependency's promise already exists.
      const done = new Array<Promise<void>>(size);
      for (let i = 0; i < size; i++) {
        const ds = deps[i]!;
        if (ds.length === 0) done[i] = exec(i);
        else if (ds.length === 1) done[i] = done[ds[0]!]!.then(() => exec(i));
        else done[i] = Promise.all(ds.map((d) => done[d]!)).then(() => exec(i));
      }
      await Promise.all(done);
    };
    return { run };
  },
};
