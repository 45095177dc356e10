/**
 * The 1 ms timer W4's steps await, and its measured cost on this machine and this process (a `setTimeout(1)`
 * takes longer than 1 ms; the ideal makespan is counted in measured timer costs, not in nominal milliseconds).
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';

export const TIMER_MS = 1;

export function timerStep(): Promise<void> {
  return sleep(TIMER_MS);
}

/** Mean wall time of one awaited `setTimeout(1)`, over `samples` in a row. */
export async function measureTimerCostMs(samples = 200): Promise<number> {
  for (let i = 0; i < 20; i++) await timerStep();
  const started = performance.now();
  for (let i = 0; i < samples; i++) await timerStep();
  return (performance.now() - started) / samples;
}
