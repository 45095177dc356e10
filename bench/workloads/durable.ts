/**
 * W6, durable: W3 (1,000 no-op steps, 20 layers × 50) on onex with a durable store, passed as
 * `new NodeOrchestrator(container, { store })`. Reports actions per second and bytes written per action.
 * @module
 */
import { onexEngine } from '../engines/onex.js';
import type { ResultRow } from '../lib/protocol.js';
import { runStepWorkload } from './steps.js';
import { DURABLE_STORES, openDurableStore } from './stores.js';

export async function runDurableWorkload(storeId: string): Promise<ResultRow> {
  const spec = DURABLE_STORES.find((s) => s.id === storeId);
  if (!spec) throw new Error(`unknown store '${storeId}' (known: ${DURABLE_STORES.map((s) => s.id).join(', ')})`);
  const base = { workload: 'W6' as const, engine: 'onex', variant: spec.id, label: spec.label };
  const opened = await openDurableStore(spec);
  if ('unavailable' in opened) return { ...base, status: 'n/a', reason: opened.unavailable };
  try {
    const before = await opened.bytesWritten();
    const row = await runStepWorkload('W3', onexEngine(opened.store, spec.label));
    const written = (await opened.bytesWritten()) - before;
    if (row.status !== 'ok') return { ...row, ...base };
    const actions = (row.verifiedRuns ?? 0) * (row.steps ?? 0);
    return {
      ...row,
      ...base,
      extra: {
        actionsPerSec: Math.round(((row.steps ?? 0) * 1000) / row.medianMs!),
        bytesPerAction: Math.round(written / actions),
        bytesCounted: opened.bytesCounted,
        where: opened.where,
      },
    };
  } finally {
    await opened.close();
  }
}
