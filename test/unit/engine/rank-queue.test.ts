// The scheduler's ready queue (src/engine/heap.ts RankQueue): whatever the order of pushes and pops, items come out
// lowest rank first — in order runs, out-of-order pushes, repeats, and growth past the initial capacity.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyHeap, type Ranking, RankQueue } from '../../../src/engine/heap.js';

function rankingOf(order: number[]): Ranking {
  const rank = new Int32Array(order.length);
  order.forEach((item, r) => {
    rank[item] = r;
  });
  return { rank, byRank: Int32Array.from(order) };
}

describe('RankQueue', () => {
  it('pops in rank order, against a sorted reference, for any interleaving of pushes and pops', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3000 }).chain((n) =>
          fc.tuple(
            fc.shuffledSubarray(
              Array.from({ length: n }, (_, i) => i),
              { minLength: n, maxLength: n },
            ),
            fc.array(fc.oneof(fc.integer({ min: 0, max: n - 1 }), fc.constant(-1)), { maxLength: 4000 }),
          ),
        ),
        ([order, ops]) => {
          const ranking = rankingOf(order);
          const queue = new RankQueue(ranking);
          const reference: number[] = [];
          for (const op of ops) {
            if (op >= 0) {
              queue.push(op);
              reference.push(op);
              reference.sort((a, b) => ranking.rank[a]! - ranking.rank[b]!);
            } else {
              expect(queue.pop()).toBe(reference.shift());
            }
            expect(queue.size).toBe(reference.length);
          }
          while (reference.length > 0) expect(queue.pop()).toBe(reference.shift());
          expect(queue.pop()).toBeUndefined();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('takes a long in-order run (a fan-out of 5,000) and gives it back in order', () => {
    const n = 5000;
    const queue = new RankQueue(rankingOf(Array.from({ length: n }, (_, i) => i)));
    for (let i = 0; i < n; i++) queue.push(i);
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(queue.pop()!);
    expect(out).toEqual(Array.from({ length: n }, (_, i) => i));
  });
});

describe('KeyHeap', () => {
  it('pops keys in increasing order, growing past its capacity, with keys up to 2^53', () => {
    fc.assert(
      fc.property(fc.array(fc.maxSafeNat(), { maxLength: 500 }), (keys) => {
        const heap = new KeyHeap(2);
        for (const k of keys) heap.push(k);
        expect(heap.size).toBe(keys.length);
        const out: number[] = [];
        while (heap.size > 0) out.push(heap.pop());
        expect(out).toEqual([...keys].sort((a, b) => a - b));
      }),
      { numRuns: 200 },
    );
  });
});
