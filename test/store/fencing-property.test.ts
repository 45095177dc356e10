// Property: writers racing on one action never both succeed. Each case fires 2–6 writes at the same stored version
// of one action at once, through separate connections to one database (separate pools for PostgreSQL, so the
// transactions really overlap), with a mix of the owner's lease, foreign leases and stale epochs. Exactly one write
// wins when one of them carries the owner's lease and the current epoch, none otherwise; every other write fails
// with its typed error; the stored action shows the winner's write and the epoch moved by exactly one.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EnumCoreErrorCode,
  EnumStepState,
  MemoryStore,
  OnexError,
  PostgresStore,
  SqliteStore,
  type Store,
} from '../../src/index.js';
import { sampleRun } from './contract.js';
import { dropTestSchemas, postgresStoreUrl, requirePostgres, uniqueSchema } from './support/postgres.js';

const root = mkdtempSync(join(tmpdir(), 'onex-fencing-property-'));
beforeAll(requirePostgres);
afterAll(async () => {
  rmSync(root, { recursive: true, force: true });
  await dropTestSchemas();
});

const STATES = [EnumStepState.RUNNING, EnumStepState.COMPLETED, EnumStepState.FAILED] as const;

const writerArb = fc.record({
  foreign: fc.boolean(),
  /** How many epochs behind the stored one the writer is (0: current). */
  staleBy: fc.constantFrom(0, 0, 0, 1, 2),
  state: fc.constantFrom(...STATES),
  connection: fc.nat({ max: 5 }),
});

type Writer = typeof writerArb extends fc.Arbitrary<infer T> ? T : never;

async function checkRace(stores: readonly Store[], writers: readonly Writer[], advance: number): Promise<void> {
  const owner = crypto.randomUUID();
  const start = sampleRun(owner, { steps: 1, perStep: 1 });
  await stores[0]!.beginRun(start);
  const actionId = start.actions[0]!.actionId;
  const at = new Date().toISOString();
  for (let e = 1; e <= advance; e++) {
    await stores[0]!.transitionAction({
      runId: start.runId,
      actionId,
      leaseId: owner,
      expectedEpoch: e,
      state: EnumStepState.PENDING,
      attempt: e,
      at,
    });
  }
  const current = 1 + advance;
  const issued = writers.map((w, i) => ({
    ...w,
    leaseId: w.foreign ? crypto.randomUUID() : owner,
    expectedEpoch: current - Math.min(w.staleBy, current - 1),
    result: `writer-${i}`,
  }));
  // Every write leaves in the same tick, each through its own connection.
  const outcomes = await Promise.allSettled(
    issued.map((w) =>
      Promise.resolve().then(() =>
        stores[w.connection % stores.length]!.transitionAction({
          runId: start.runId,
          actionId,
          leaseId: w.leaseId,
          expectedEpoch: w.expectedEpoch,
          state: w.state,
          attempt: 9,
          at,
          result: w.result,
        }),
      ),
    ),
  );
  const eligible = issued.filter((w) => !w.foreign && w.expectedEpoch === current);
  const winners = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [{ w: issued[i]!, epoch: o.value }] : []));
  expect(winners.length).toBe(eligible.length > 0 ? 1 : 0);
  for (const { w, epoch } of winners) {
    expect(w.foreign).toBe(false);
    expect(w.expectedEpoch).toBe(current);
    expect(epoch).toBe(current + 1);
  }
  outcomes.forEach((o, i) => {
    if (o.status === 'fulfilled') return;
    const w = issued[i]!;
    expect(o.reason).toBeInstanceOf(OnexError);
    expect((o.reason as OnexError).code).toBe(
      w.foreign ? EnumCoreErrorCode.ORCHESTRATOR_EXEC_LEASE_CONFLICT : EnumCoreErrorCode.ORCHESTRATOR_EXEC_STALE_EPOCH,
    );
  });
  const stored = (await stores[0]!.getRun(start.runId))!.actions[0]!;
  const winner = winners[0];
  expect(stored.epoch).toBe(current + winners.length);
  expect(stored.leaseId).toBe(owner);
  if (winner) expect(stored).toMatchObject({ state: winner.w.state, result: winner.w.result, attempt: 9 });
  else expect(stored.state).toBe(EnumStepState.PENDING);
}

function property(stores: () => readonly Store[], numRuns: number) {
  return fc.assert(
    fc.asyncProperty(fc.array(writerArb, { minLength: 2, maxLength: 6 }), fc.integer({ min: 0, max: 3 }), (w, a) =>
      checkRace(stores(), w, a),
    ),
    { numRuns },
  );
}

describe('concurrent writers on one action never both succeed', () => {
  it('memory store', async () => {
    const store = new MemoryStore();
    await property(() => [store], 300);
  });

  it('SQLite: three connections to one file', async () => {
    const path = join(root, 'race.db');
    const stores = [SqliteStore.open(path), SqliteStore.open(path), SqliteStore.open(path)];
    try {
      await property(() => stores, 80);
    } finally {
      for (const s of stores) await s.close();
    }
  });

  it('PostgreSQL: three pools on one schema', async () => {
    const schema = uniqueSchema();
    const stores = await Promise.all([0, 1, 2].map(() => PostgresStore.open(postgresStoreUrl(schema))));
    try {
      await property(() => stores, 50);
    } finally {
      for (const s of stores) await s.close();
    }
  });
});
