/**
 * A full garbage collection before a memory reading; the children that read memory run with --expose-gc.
 * @module
 */

/** Collect twice (the second pass frees what the first one's finalizers released). */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('this workload reads memory and needs --expose-gc (the runner passes it)');
  gc();
  gc();
}
