/**
 * The scheduler's wall clock: ISO-8601 UTC strings for store records, formatted at most once per millisecond
 * (a run of 1,000 actions writes ~3,000 timestamps; most fall in the same millisecond).
 * @module
 */
let lastMs = -1;
let lastIso = '';

/** Now, as an ISO-8601 UTC string. */
export function nowIso(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}
