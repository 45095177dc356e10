/**
 * In-process CPU profiling (the same V8 sampling profiler as `node --cpu-prof`, through `node:inspector`), and a
 * summary of self time per function with `file:line` in the TypeScript sources: tsx compiles each module to one
 * line, so raw profile positions are useless; run with --enable-source-maps and they are mapped back.
 * @module
 */
import { Session } from 'node:inspector/promises';
import { findSourceMap } from 'node:module';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
/** The parts of a V8 `.cpuprofile` used here. */
export interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Run `fn` under the sampling profiler; returns the profile. */
export async function profile(fn: () => Promise<void>, intervalUs = 200): Promise<CpuProfile> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
  await session.post('Profiler.start');
  try {
    await fn();
    const { profile: result } = await session.post('Profiler.stop');
    return result as unknown as CpuProfile;
  } finally {
    session.disconnect();
  }
}

/** `src/engine/planner.ts:123` for a frame of this repository, the package for node_modules, else the url. */
function where(frame: CallFrame): string {
  if (!frame.url) return '(native)';
  const path = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url;
  const nm = path.lastIndexOf('node_modules/');
  if (nm !== -1) return path.slice(nm + 'node_modules/'.length).replace(/\/.*\//, '/…/');
  if (!path.startsWith(ROOT)) return path;
  const entry = findSourceMap(path)?.findEntry(frame.lineNumber, frame.columnNumber);
  const line = entry && 'originalLine' in entry ? entry.originalLine + 1 : frame.lineNumber + 1;
  return `${relative(ROOT, path)}:${line}`;
}

/**
 * The `top` functions by self time, then the `top` functions of `src/` by total time (self + callees, each
 * function counted once per sample even when recursive), as text.
 */
export function summarizeProfile(p: CpuProfile, top = 30): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyCache = new Map<number, string>();
  const keyOf = (id: number) => {
    let key = keyCache.get(id);
    if (key === undefined) {
      const frame = byId.get(id)!.callFrame;
      key = `${frame.functionName || '(anonymous)'}  ${where(frame)}`;
      keyCache.set(id, key);
    }
    return key;
  };
  const selfUs = new Map<string, number>();
  const totalUsBy = new Map<string, number>();
  let totalUs = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    totalUs += dt;
    selfUs.set(keyOf(id), (selfUs.get(keyOf(id)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const key = keyOf(at);
      if (seen.has(key) || !key.includes(' src/')) continue;
      seen.add(key);
      totalUsBy.set(key, (totalUsBy.get(key) ?? 0) + dt);
    }
  });
  const table = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([key, us]) =>
          `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / totalUs).toFixed(1).padStart(5)}%  ${key}`,
      );
  return [
    `${(totalUs / 1000).toFixed(0)} ms sampled; self time per function:`,
    ...table(selfUs),
    '',
    'total time (self + callees) of src/ functions:',
    ...table(totalUsBy),
  ].join('\n');
}
