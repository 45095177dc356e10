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

  it('drops stale heads when a queue fills up, so a long run of finished work does not pile up', () => {
    vi.useFakeTimers();
    let liveId = -1;
    const onDue = vi.fn();
    const deadlines = new Deadlines((id) => id === liveId, onDue);
    for (let id = 0; id < 10_000; id++) {
      liveId = id;
      deadlines.add(30_000, id, 0);
    }
    // Every entry but the last one's owner ended: the queue never grew past its first buffer (8 entries).
    expect(deadlines.size).toBeGreaterThanOrEqual(1);
    expect(deadlines.size).toBeLessThanOrEqual(8);
    deadlines.close();
    expect(onDue).not.toHaveBeenCalled();
  });

  it('keeps every entry, in order, when a queue wraps around and grows', async () => {
    const live = new Set<number>();
    const fired: number[] = [];
    const deadlines = new Deadlines(
      (id) => live.has(id),
      (id) => fired.push(id),
    );
    const t0 = performance.now();
    // 5 entries finish early (their heads are dropped), then 40 more are added: the ring wraps, then grows twice.
    for (let id = 0; id < 5; id++) deadlines.add(20, id, 0, t0);
    for (let id = 5; id < 45; id++) {
      live.add(id);
      deadlines.add(20, id, 0, t0);
    }
    expect(deadlines.size).toBe(40);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(fired).toEqual(Array.from({ length: 40 }, (_, k) => k + 5));
    deadlines.close();
  });

  it('counts a deadline from the reading it is given', async () => {
    const fired: number[] = [];
    const deadlines = new Deadlines(
      () => true,
      (id) => fired.push(id),
    );
    // Given a reading 30 ms old, a 40 ms deadline is due in ~10 ms; a fresh one in 40 ms.
    deadlines.add(40, 1, 0, performance.now() - 30);
    deadlines.add(40, 2, 0);
    await new Promise((resolve) => setTimeout(resolve, 25));
    expect(fired).toEqual([1]);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(fired).toEqual([1, 2]);
    deadlines.close();
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

describe('Deadlines buffers', () => {
  it('a queue made after another closed reuses its buffers and starts empty', async () => {
    const first = new Deadlines(
      () => true,
      () => {},
    );
    for (let id = 0; id < 100; id++) first.add(10_000, id, 0);
    first.close();
    const fired: number[] = [];
    const second = new Deadlines(
      () => true,
      (id) => fired.push(id),
    );
    expect(second.size).toBe(0);
    second.add(5, 7, 0);
    expect(second.size).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(fired).toEqual([7]);
    second.close();
  });
});
