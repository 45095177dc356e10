/**
 * The deadlines of one run (attempt timeouts, step timeouts) on a single timer. A run of 1,000 short actions would
 * otherwise arm and clear 2,000 Node timers, each an object that outlives its step; here a deadline is three numbers
 * in a ring buffer. Entries with the same duration fall due in the order they were added, so each duration keeps a
 * FIFO and the timer is armed for the earliest head. Nothing is ever removed early: an entry whose owner ended is
 * stale (`isLive` says so) and is dropped when it reaches the head and the timer fires or the buffer is full, so
 * queues stay short while work completes in order — and, the buffers being reused, adding a deadline allocates
 * nothing.
 * @module
 */

/** One duration's entries, oldest first: a ring buffer of typed columns (capacity a power of two). */
class Fifo {
  due: Float64Array;
  ids: Int32Array;
  tokens: Int32Array;
  /** Position of the oldest entry; `count` entries follow it (wrapping). */
  head = 0;
  count = 0;

  constructor() {
    // A run's queues grow to its concurrency (1,000 calls in flight: 1,024 entries); the next run starts from there.
    const reused = spare.pop();
    this.due = reused?.due ?? new Float64Array(8);
    this.ids = reused?.ids ?? new Int32Array(8);
    this.tokens = reused?.tokens ?? new Int32Array(8);
  }

  /** Hand the buffers on to the next queue made (bounded: a huge queue's buffers are left to the collector). */
  recycle(): void {
    if (spare.length < MAX_SPARE && this.due.length <= MAX_SPARE_CAPACITY) {
      spare.push({ due: this.due, ids: this.ids, tokens: this.tokens });
    }
  }

  push(due: number, id: number, token: number): void {
    if (this.count === this.due.length) this.grow();
    const i = (this.head + this.count) & (this.due.length - 1);
    this.due[i] = due;
    this.ids[i] = id;
    this.tokens[i] = token;
    this.count++;
  }

  shift(): void {
    this.head = (this.head + 1) & (this.due.length - 1);
    this.count--;
  }

  /** Double the capacity, the entries moved to the front in order. */
  private grow(): void {
    const size = this.due.length;
    const due = new Float64Array(size * 2);
    const ids = new Int32Array(size * 2);
    const tokens = new Int32Array(size * 2);
    for (let k = 0; k < size; k++) {
      const i = (this.head + k) & (size - 1);
      due[k] = this.due[i]!;
      ids[k] = this.ids[i]!;
      tokens[k] = this.tokens[i]!;
    }
    this.due = due;
    this.ids = ids;
    this.tokens = tokens;
    this.head = 0;
  }
}

/** Buffers of closed queues, for the next ones (runs come and go; their queues have the same sizes). */
const spare: { due: Float64Array; ids: Int32Array; tokens: Int32Array }[] = [];
const MAX_SPARE = 8;
const MAX_SPARE_CAPACITY = 4096;

/** Deadlines for numbered owners: `onDue(id, token)` runs once an entry's time has come and it is still live. */
export class Deadlines {
  private readonly queues = new Map<number, Fifo>();
  /** The queue of the last duration added: runs mostly use one or two durations. */
  private lastDuration = Number.NaN;
  private lastQueue: Fifo | undefined = undefined;
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Number.POSITIVE_INFINITY;
  private closed = false;

  constructor(
    private readonly isLive: (id: number, token: number) => boolean,
    private readonly onDue: (id: number, token: number) => void,
  ) {}

  /** Entries held (live or not yet found stale). */
  get size(): number {
    let n = 0;
    for (const queue of this.queues.values()) n += queue.count;
    return n;
  }

  /**
   * `onDue(id, token)` `durationMs` after `now` (a `performance.now()` reading the caller already has; read afresh
   * when omitted), unless the entry is stale by then.
   */
  add(durationMs: number, id: number, token: number, now = performance.now()): void {
    if (this.closed) return;
    let queue = durationMs === this.lastDuration ? this.lastQueue : this.queues.get(durationMs);
    if (!queue) {
      queue = new Fifo();
      this.queues.set(durationMs, queue);
    }
    this.lastDuration = durationMs;
    this.lastQueue = queue;
    // Stale heads are dropped when the buffer is full rather than on every add: the queue stays bounded by what is
    // live plus one buffer, and a run of short steps does not ask `isLive` twice per step.
    if (queue.count === queue.due.length) this.dropStale(queue);
    const due = now + durationMs;
    queue.push(due, id, token);
    if (due < this.armedFor) this.arm(due);
  }

  /** Stop: no deadline fires any more. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const queue of this.queues.values()) queue.recycle();
    this.queues.clear();
    this.lastQueue = undefined;
  }

  private dropStale(queue: Fifo): void {
    while (queue.count > 0 && !this.isLive(queue.ids[queue.head]!, queue.tokens[queue.head]!)) queue.shift();
  }

  private arm(due: number): void {
    clearTimeout(this.timer);
    this.armedFor = due;
    // Node timers count whole milliseconds from the loop's cached clock: rounding up never fires before `due`
    // by more than that clock's lag, and an early wake-up just re-arms (see `fire`).
    this.timer = setTimeout(() => this.fire(), Math.max(1, Math.ceil(due - performance.now())));
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    const now = performance.now();
    // Due entries in deadline order across durations (a late timer may find several queues due).
    for (;;) {
      const queue = this.earliest();
      if (!queue || queue.due[queue.head]! > now) break;
      const id = queue.ids[queue.head]!;
      const token = queue.tokens[queue.head]!;
      queue.shift();
      if (this.isLive(id, token)) this.onDue(id, token);
      if (this.closed) return;
    }
    const next = this.earliest();
    if (next && next.due[next.head]! < this.armedFor) this.arm(next.due[next.head]!);
  }

  /** The queue whose live head is due first (stale heads dropped on the way). */
  private earliest(): Fifo | undefined {
    let best: Fifo | undefined;
    for (const queue of this.queues.values()) {
      this.dropStale(queue);
      if (queue.count > 0 && (!best || queue.due[queue.head]! < best.due[best.head]!)) best = queue;
    }
    return best;
  }
}
