/**
 * The scheduler's wall clock: ISO-8601 UTC strings for store records, formatted at most once per millisecond
 * (a run of 1,000 actions writes ~3,000 timestamps; most fall in the same millisecond).
 * @module
 */
let lastMs = -1;
let lastIso = '';

function isoOf(ms: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/** Now, as an ISO-8601 UTC string. */
export function nowIso(): string {
  return isoOf(Date.now());
}

/** How far the wall clock is ahead of `performance.now()`, and when (in `performance.now()` time) that was read. */
let offsetMs = Date.now() - performance.now();
let offsetReadAt = performance.now();
/** How long an offset is trusted: the wall clock may be set, or slewed by NTP, meanwhile. */
const OFFSET_TRUSTED_MS = 1000;

/**
 * The wall time of a `performance.now()` reading the caller already has, as an ISO-8601 UTC string: one clock read
 * per scheduler turn instead of two. The offset between the two clocks is read again once it is a second old, so a
 * change of the wall clock shows within a second.
 */
export function isoAt(perfMs: number): string {
  if (perfMs - offsetReadAt > OFFSET_TRUSTED_MS || perfMs < offsetReadAt) {
    offsetReadAt = performance.now();
    offsetMs = Date.now() - offsetReadAt;
  }
  return isoOf(Math.floor(offsetMs + perfMs));
}
