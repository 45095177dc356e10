/**
 * Who owns a lease, and whether that owner is provably dead: same host and its pid gone (spec §7). Only then may a
 * successor take a run over before the lease expires; on another host nothing can be proven, so it waits.
 * @module
 */
import { hostname } from 'node:os';
import type { RunOwner } from './store.js';

let self: RunOwner | undefined;

/** This process as a lease owner (read once: every run records it, and `hostname()` is a system call). */
export function currentOwner(): RunOwner {
  self ??= Object.freeze({ host: hostname(), pid: process.pid });
  return self;
}

/**
 * True only when `owner` ran on this host and its process no longer exists. A stopped (SIGSTOP) or busy process is
 * alive; a process of another user is alive (EPERM); a pid on another host proves nothing.
 */
export function ownerIsDead(owner: RunOwner): boolean {
  if (owner.host !== hostname() || !Number.isInteger(owner.pid) || owner.pid <= 0) return false;
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
