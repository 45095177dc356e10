/**
 * The deadlines of one run (attempt timeouts, step timeouts) on a single timer. A run of 1,000 short actions would
 * otherwise arm and clear 2,000 Node timers, each an object that outlives its step; here a deadline is three numbers
 * in a queue. Entries with the same duration fall due in the order they were added, so each duration keeps a FIFO and
 * the timer is armed for the earliest head. Nothing is ever removed early: an entry whose owner ended is stale
 * (`isLive` says so) and is dropped when it reaches the head, so queues stay short while work completes in order.
 * @module
 */

/** One duration's entries, oldest first, from `head` on. */
class Fifo {
  due: number[] = [];
  ids: number[] = [];
  tokens: number[] = [];
  head = 0;

  get empty(): boolean {
    return this.head === this.due.length;
  }

  shift(): void {
    this.head++;
    if (this.head === this.due.length) {
      this.due = [];
      this.ids = [];
      this.tokens = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.due.length) {
      this.due = this.due.slice(this.head);
      this.ids = this.ids.slice(this.head);
      this.tokens = this.tokens.slice(this.head);
      this.head = 0;
    }
  }
}

/** Deadlines for numbered owners: `onDue(id, token)` runs once an entry's time has come and it is still live. */
export class Deadlines {
  private readonly queues = new Map<number, Fifo>();
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Number.POSITIVE_INFINITY;
  private closed = false;

  constructor(
    private readonly isLive: (id: number, token: number) => boolean,
    private readonly onDue: (id: number, token: number) => void,
  ) {}

  /** `onDue(id, token)` in `durationMs`, unless the entry is stale by then. */
  add(durationMs: number, id: number, token: number): void {
    if (this.closed) return;
    let queue = this.queues.get(durationMs);
    if (!queue) {
      queue = new Fifo();
      this.queues.set(durationMs, queue);
    }
    this.dropStale(queue);
    const due = performance.now() + durationMs;
    queue.due.push(due);
    queue.ids.push(id);
    queue.tokens.push(token);
    if (due < this.armedFor) this.arm(due);
  }

  /** Stop: no deadline fires any more. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queues.clear();
  }

  private dropStale(queue: Fifo): void {
    while (!queue.empty && !this.isLive(queue.ids[queue.head]!, queue.tokens[queue.head]!)) queue.shift();
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
      if (!queue.empty && (!best || queue.due[queue.head]! < best.due[best.head]!)) best = queue;
    }
    return best;
  }
}
