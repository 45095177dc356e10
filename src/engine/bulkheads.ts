/**
 * Bulkheads (`nodeConcurrency`): at most N calls of one target node type in flight in a run, so one slow dependency
 * cannot take every slot. Actions that find their node type full are parked and come back one by one as calls of
 * that type end.
 * @module
 */
export class Bulkheads {
  private readonly inFlight = new Map<string, number>();
  private readonly parked = new Map<string, number[]>();
  /** No limit at all (the common case): nothing to count. */
  private readonly none: boolean;

  /** `limits`: most calls in flight by target node type (types not listed are unbounded). */
  constructor(private readonly limits: Readonly<Record<string, number>>) {
    this.none = Object.keys(limits).length === 0;
  }

  /** Whether another call to `target` fits. */
  hasRoom(target: string): boolean {
    if (this.none) return true;
    const limit = this.limits[target];
    return limit === undefined || (this.inFlight.get(target) ?? 0) < limit;
  }

  /** Keep action `a` until a call to `target` ends. */
  park(target: string, a: number): void {
    let parked = this.parked.get(target);
    if (!parked) {
      parked = [];
      this.parked.set(target, parked);
    }
    parked.push(a);
  }

  /** A call to `target` starts. */
  acquire(target: string): void {
    if (this.none) return;
    this.inFlight.set(target, (this.inFlight.get(target) ?? 0) + 1);
  }

  /** A call to `target` ended; returns the parked action that may now go, if any. */
  release(target: string): number | undefined {
    if (this.none) return undefined;
    this.inFlight.set(target, (this.inFlight.get(target) ?? 1) - 1);
    return this.parked.get(target)?.shift();
  }
}
