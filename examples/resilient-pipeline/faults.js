// Seeded fault injection for the resilient pipeline: whether a call fails is a pure function of
// (seed, dataset, attempt), so a run with the same input fails the same calls every time, on any machine.

/**
 * FNV-1a, 32 bits: turns the text of a call's identity into a PRNG seed.
 * @param {string} text
 */
export function hash32(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * mulberry32: a tiny, well-mixed 32-bit PRNG; returns a function giving floats in [0, 1).
 * @param {number} seed
 */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Whether attempt `attempt` of fetching `dataset` fails, for a run seeded with `seed` and failing at `rate`.
 * @param {{ seed: unknown, dataset: string, attempt: number, rate: number }} call
 */
export function injectedFailure({ seed, dataset, attempt, rate }) {
  return mulberry32(hash32(`${String(seed)}|${dataset}|${attempt}`))() < rate;
}
