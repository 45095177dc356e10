// The write batcher behind the durable stores: writes made in one event-loop turn are applied in one batch, in the
// order they were made; each gets its own outcome; a failed transaction rejects every write of its batch with a
// typed error; `applyNow` commits what is queued plus one write synchronously and settles the queued ones.
import { describe, expect, it } from 'vitest';
import { EnumCoreErrorCode, OnexError } from '../../src/index.js';
import { WriteBatcher, type WriteOutcome } from '../../src/store/write-batcher.js';

function recorder(outcome: (w: number) => WriteOutcome = (w) => ({ ok: true, epoch: w + 1 })) {
  const batches: number[][] = [];
  const batcher = new WriteBatcher<number>((writes) => {
    batches.push([...writes]);
    return writes.map(outcome);
  }, 'test store');
  return { batches, batcher };
}

describe('WriteBatcher', () => {
  it('applies the writes of one turn as one batch, in order, each with its own outcome', async () => {
    const { batches, batcher } = recorder((w) =>
      w === 2 ? { ok: false, error: new Error('two') } : { ok: true, epoch: w * 10 },
    );
    const results = await Promise.allSettled([batcher.push(1), batcher.push(2), batcher.push(3)]);
    expect(batches).toEqual([[1, 2, 3]]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([
      10,
      'two',
      30,
    ]);
    await batcher.push(4);
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it('rejects every write of a batch whose transaction failed, with SERVICE_UNAVAILABLE naming the store', async () => {
    const batcher = new WriteBatcher<number>(() => {
      throw new Error('disk I/O error');
    }, 'test store');
    const results = await Promise.allSettled([batcher.push(1), batcher.push(2)]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const error = (r as PromiseRejectedResult).reason as OnexError;
      expect(error).toBeInstanceOf(OnexError);
      expect(error.code).toBe(EnumCoreErrorCode.SERVICE_UNAVAILABLE);
      expect(error.message).toBe('test store: could not record 2 write(s), nothing was written: disk I/O error');
    }
  });

  it('applies one batch at a time with an asynchronous apply, and flush() waits for everything queued', async () => {
    let inFlight = 0;
    let most = 0;
    const order: number[] = [];
    const batcher = new WriteBatcher<number>(async (writes) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      order.push(...writes);
      inFlight--;
      return writes.map((w) => ({ ok: true, epoch: w }) as const);
    }, 'async store');
    const first = batcher.push(1);
    await new Promise((r) => setImmediate(r));
    const second = batcher.push(2);
    expect(batcher.pending).toBe(1);
    await batcher.flush();
    expect(batcher.pending).toBe(0);
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(order).toEqual([1, 2]);
    expect(most).toBe(1);
  });

  it('applyNow commits the queue and the write at once, synchronously', async () => {
    const { batches, batcher } = recorder();
    const queued = batcher.push(1);
    const outcome = batcher.applyNow(2);
    expect(outcome).toEqual({ ok: true, epoch: 3 });
    expect(batches).toEqual([[1, 2]]);
    expect(await queued).toBe(2);
    expect(batcher.pending).toBe(0);
  });
});
