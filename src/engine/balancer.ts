/**
 * The least-loaded balancer over a node's instances (BATCH mode, spec §4): each dispatch goes to the instance with
 * the fewest operations in flight; ties go to the earliest registered.
 * @module
 */
export class LoadBalancer<T> {
  private readonly load = new Map<T, number>();

  /** Pick the least-loaded of `targets` and count one operation on it. */
  acquire(targets: readonly T[]): T {
    let best = targets[0]!;
    let bestLoad = this.load.get(best) ?? 0;
    for (let i = 1; i < targets.length; i++) {
      const l = this.load.get(targets[i]!) ?? 0;
      if (l < bestLoad) {
        best = targets[i]!;
        bestLoad = l;
      }
    }
    this.load.set(best, bestLoad + 1);
    return best;
  }

  /** The operation on `target` ended. */
  release(target: T): void {
    const l = this.load.get(target) ?? 0;
    if (l <= 1) this.load.delete(target);
    else this.load.set(target, l - 1);
  }

  /** Operations in flight on `target`. */
  inFlight(target: T): number {
    return this.load.get(target) ?? 0;
  }
}
