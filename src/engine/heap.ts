/**
 * A binary min-heap over numbers with a caller-supplied order; the ready queues of the planner and scheduler.
 * @module
 */
export class Heap {
  private readonly items: number[] = [];

  /** `before(a, b)` is true when `a` must come out before `b`. */
  constructor(private readonly before: (a: number, b: number) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  push(value: number): void {
    const items = this.items;
    let i = items.push(value) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(value, items[parent]!)) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = value;
  }

  peek(): number | undefined {
    return this.items[0];
  }

  pop(): number | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      let i = 0;
      const n = items.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const child = r < n && this.before(items[r]!, items[l]!) ? r : l;
        if (!this.before(items[child]!, last)) break;
        items[i] = items[child]!;
        i = child;
      }
      items[i] = last;
    }
    return top;
  }
}

/** A total order as ranks: `rank[item]` is the item's position, `byRank[position]` the item there. */
export interface Ranking {
  readonly rank: Int32Array;
  readonly byRank: Int32Array;
}

/**
 * The scheduler's ready queue: items come out lowest rank first. Items mostly become ready in rank order (a chain, a
 * fan-out, a layer of a DAG), so the queue keeps two parts: a run of keys pushed in increasing order (a FIFO:
 * constant time in and out) and a heap for the keys that arrived out of order; `pop` takes the smaller of the two
 * heads. Keys are ranks in typed arrays, compared inline: no comparator call per heap step.
 */
export class RankQueue {
  // The in-order run: a plain array of small integers used as a buffer (its length only grows; the counts say what is
  // live), made in a bump of the young generation.
  private readonly run: number[] = [];
  private runHead = 0;
  private runTail = 0;
  /** Keys that arrived out of order (made on the first one: chains and fan-outs never need it). */
  private heap: KeyHeap | null = null;

  constructor(private readonly ranking: Ranking) {}

  get size(): number {
    return this.runTail - this.runHead + (this.heap?.size ?? 0);
  }

  push(item: number): void {
    const key = this.ranking.rank[item]!;
    if (this.runHead === this.runTail) {
      this.runHead = 0;
      this.runTail = 0;
    }
    if (this.runTail === 0 || key > this.run[this.runTail - 1]!) this.run[this.runTail++] = key;
    else {
      this.heap ??= new KeyHeap();
      this.heap.push(key);
    }
  }

  pop(): number | undefined {
    let key: number;
    const heap = this.heap;
    if (this.runHead < this.runTail && (heap === null || heap.size === 0 || this.run[this.runHead]! < heap.peek())) {
      key = this.run[this.runHead++]!;
    } else if (heap !== null && heap.size > 0) {
      key = heap.pop();
    } else {
      return undefined;
    }
    return this.ranking.byRank[key]!;
  }
}

/**
 * A binary min-heap of non-negative numeric keys (integers exact up to 2^53, so a key can pack a priority and an
 * index), in a typed array that doubles when full. The planner's ready queue, and `RankQueue`'s out-of-order part.
 */
export class KeyHeap {
  private keys: Float64Array;
  size = 0;

  constructor(capacity = 16) {
    this.keys = new Float64Array(Math.max(1, capacity));
  }

  /** The smallest key (the heap must not be empty). */
  peek(): number {
    return this.keys[0]!;
  }

  push(key: number): void {
    if (this.size === this.keys.length) {
      const bigger = new Float64Array(this.keys.length * 2);
      bigger.set(this.keys);
      this.keys = bigger;
    }
    const keys = this.keys;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (keys[parent]! <= key) break;
      keys[i] = keys[parent]!;
      i = parent;
    }
    keys[i] = key;
  }

  /** Remove and return the smallest key (the heap must not be empty). */
  pop(): number {
    const keys = this.keys;
    const top = keys[0]!;
    const n = --this.size;
    const last = keys[n]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const child = l + 1 < n && keys[l + 1]! < keys[l]! ? l + 1 : l;
      if (keys[child]! >= last) break;
      keys[i] = keys[child]!;
      i = child;
    }
    keys[i] = last;
    return top;
  }
}
