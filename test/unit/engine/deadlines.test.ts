// The run's timer queue (src/engine/deadlines.ts): attempt and step timeouts on one Node timer. Deadlines fire once,
// in time order across durations, never before they are due; stale entries (their owner ended) never fire; close()
// stops everything.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Deadlines } from '../../../src/engine/deadlines.js';

describe('Deadlines', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires each live entry once, when due, in time order across durations', async () => {
    const fired: { id: number; at: number }[] = [];
    const started = performance.now();
    const deadlines = new Deadlines(
      () => true,
      (id) => fired.push({ id, at: performance.now() - started }),
    );
    deadlines.add(40, 1, 0);
    deadlines.add(10, 2, 0);
    deadlines.add(25, 3, 0);
    deadlines.add(10, 4, 0);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(fired.map((f) => f.id)).toEqual([2, 4, 3, 1]);
    const dueAt: Record<number, number> = { 1: 40, 2: 10, 3: 25, 4: 10 };
    for (const f of fired) expect(f.at).toBeGreaterThanOrEqual(dueAt[f.id]!);
    deadlines.close();
  });

  it('skips entries whose owner ended or moved on (another token)', async () => {
    const live = new Map<number, number>([
      [1, 0],
      [2, 5],
    ]);
    const fired: number[] = [];
    const deadlines = new Deadlines(
      (id, token) => live.get(id) === token,
      (id) => fired.push(id),
    );
    deadlines.add(5, 1, 0);
    deadlines.add(5, 2, 4); // token 4 is stale: the owner is on token 5
    deadlines.add(5, 3, 0); // unknown owner
    live.delete(1);
    deadlines.add(5, 2, 5);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(fired).toEqual([2]);
    deadlines.close();
  });

  it('drops stale heads as entries are added, so a long run of finished work does not pile up', () => {
    vi.useFakeTimers();
    let liveId = -1;
    const onDue = vi.fn();
    const deadlines = new Deadlines((id) => id === liveId, onDue);
    for (let id = 0; id < 10_000; id++) {
      liveId = id;
      deadlines.add(30_000, id, 0);
    }
    // Every entry but the last one's owner ended: the queue holds one entry, internal arrays were compacted.
    const queue = (deadlines as unknown as { queues: Map<number, { due: number[]; head: number }> }).queues.get(
      30_000,
    )!;
    expect(queue.due.length - queue.head).toBe(1);
    expect(queue.due.length).toBeLessThan(2048);
    deadlines.close();
    expect(onDue).not.toHaveBeenCalled();
  });

  it('never fires after close(), and ignores adds after it', async () => {
    const onDue = vi.fn();
    const deadlines = new Deadlines(() => true, onDue);
    deadlines.add(5, 1, 0);
    deadlines.close();
    deadlines.add(5, 2, 0);
    await new Promise((resolve) => setTimeout(resolve, 25));
    expect(onDue).not.toHaveBeenCalled();
  });

  it('lets a firing deadline add new ones (the scheduler starts work from a timeout)', async () => {
    const fired: number[] = [];
    const deadlines = new Deadlines(
      () => true,
      (id) => {
        fired.push(id);
        if (id === 1) deadlines.add(5, 2, 0);
      },
    );
    deadlines.add(5, 1, 0);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(fired).toEqual([1, 2]);
    deadlines.close();
  });
});
