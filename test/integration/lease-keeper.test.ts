// The lease keeper of a running run: it renews on a timer, passes on cancel requests once, reports a lease taken by
// another orchestrator at once, tolerates a store that is briefly unreachable while the lease lasts, and by its own
// clock refuses work once the lease may have run out (a paused or blocked process).
import { describe, expect, it } from 'vitest';
import { LeaseKeeper } from '../../src/engine/lease-keeper.js';
import {
  EnumCoreErrorCode,
  EnumWorkflowState,
  type LeaseRenewal,
  type LeaseStatus,
  MemoryStore,
  OnexError,
  type Store,
} from '../../src/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A store whose renewals are answered by `answer` and counted. */
function fakeStore(answer: (r: LeaseRenewal, n: number) => LeaseStatus | Error): {
  store: Store;
  renewals: LeaseRenewal[];
} {
  const renewals: LeaseRenewal[] = [];
  const store = new MemoryStore() as Store;
  store.renewLease = async (r) => {
    renewals.push(r);
    const a = answer(r, renewals.length);
    if (a instanceof Error) throw a;
    return a;
  };
  return { store, renewals };
}

const live = (cancelRequested = false): LeaseStatus => ({
  leaseExpiresAt: new Date(Date.now() + 1000).toISOString(),
  cancelRequested,
  state: EnumWorkflowState.RUNNING,
});

function keeper(store: Store, extra: { leaseMs?: number; renewMs?: number } = {}) {
  const events: string[] = [];
  const lostErrors: OnexError[] = [];
  const k = new LeaseKeeper({
    store,
    runId: 'run-1',
    leaseId: 'lease-1',
    leaseMs: extra.leaseMs ?? 1000,
    renewMs: extra.renewMs ?? 20,
    onCancelRequested: () => events.push('cancel'),
    onLost: (e) => {
      events.push('lost');
      lostErrors.push(e);
    },
  });
  return { k, events, lostErrors };
}

describe('LeaseKeeper', () => {
  it('renews every renewMs with the lease length, until stopped', async () => {
    const { store, renewals } = fakeStore(() => live());
    const { k, events } = keeper(store);
    k.start();
    await sleep(110);
    k.stop();
    const count = renewals.length;
    expect(count).toBeGreaterThanOrEqual(3);
    expect(renewals[0]).toEqual({ runId: 'run-1', leaseId: 'lease-1', leaseMs: 1000 });
    await sleep(60);
    expect(renewals.length).toBe(count);
    expect(events).toEqual([]);
    expect(k.check()).toBeNull();
  });

  it('passes a cancel request on once', async () => {
    const { store } = fakeStore(() => live(true));
    const { k, events } = keeper(store);
    k.start();
    await sleep(100);
    k.stop();
    expect(events).toEqual(['cancel']);
  });

  it('reports a lease taken by another orchestrator at once, and stops renewing', async () => {
    const conflict = new OnexError(EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_CONFLICT, 'taken over');
    const { store, renewals } = fakeStore((_r, n) => (n >= 2 ? conflict : live()));
    const { k, events, lostErrors } = keeper(store);
    k.start();
    await sleep(150);
    expect(events).toEqual(['lost']);
    expect(lostErrors[0]).toBe(conflict);
    expect(renewals.length).toBe(2);
    expect(k.lost).toBe(conflict);
    expect(k.check()).toBe(conflict);
  });

  it('keeps trying through a store outage while the lease lasts, then reports it expired', async () => {
    const { store, renewals } = fakeStore(() => new Error('connection refused'));
    const { k, events, lostErrors } = keeper(store, { leaseMs: 150, renewMs: 20 });
    k.start();
    await sleep(80);
    expect(events).toEqual([]);
    expect(renewals.length).toBeGreaterThanOrEqual(2);
    await sleep(200);
    expect(events).toEqual(['lost']);
    expect(lostErrors[0]!.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_EXPIRED);
    k.stop();
  });

  it('by its own clock refuses work once the lease may have run out, and stops at its next tick without renewing', async () => {
    const { store, renewals } = fakeStore(() => live());
    const { k, events, lostErrors } = keeper(store, { leaseMs: 60, renewMs: 20 });
    k.granted(performance.now());
    k.start();
    // Block the event loop past the lease, as a paused (SIGSTOP) or busy process would be.
    const until = performance.now() + 100;
    while (performance.now() < until) {
      /* busy */
    }
    const refused = k.check();
    expect(refused?.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_EXPIRED);
    expect(refused?.message).toMatch(/was not renewed within 60 ms/);
    const before = renewals.length;
    await sleep(40);
    expect(events).toEqual(['lost']);
    expect(lostErrors[0]!.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_EXPIRED);
    expect(renewals.length).toBe(before);
  });

  it('claim() on an expired lease marks it lost at once and calls onLost after the caller’s synchronous code', async () => {
    const { store } = fakeStore(() => live());
    const { k, events, lostErrors } = keeper(store, { leaseMs: 30 });
    expect(k.claim()).toBeNull();
    const until = performance.now() + 50;
    while (performance.now() < until) {
      /* busy */
    }
    const refused = k.claim();
    expect(refused?.code).toBe(EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_EXPIRED);
    expect(k.lost).toBe(refused);
    expect(events).toEqual([]);
    await Promise.resolve();
    expect(events).toEqual(['lost']);
    expect(lostErrors[0]).toBe(refused);
    expect(k.claim()).toBe(refused);
  });
});
