/**
 * Checks the checkers before any number is trusted: the run verifier must reject a skipped step, a step run twice,
 * a step started before its dependency ended and a broken concurrency bound; the order checker a wrong order; the
 * graphs must have their promised shapes. `npm run bench` runs this first and stops when it fails; run it alone
 * with `node --import tsx bench/selftest.ts`.
 * @module
 */

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertTopological, chain, criticalPathSteps, edgeCount, fanOutIn, layered, sinksOf } from './lib/dag.js';
import { checkOrder, kahnOrder } from './lib/kahn.js';
import { Recorder, verifyRun } from './lib/recorder.js';
import { median } from './lib/stats.js';

/** Every failed expectation, as a message (empty when all hold). */
export function selfTest(): string[] {
  const failures: string[] = [];
  const expect = (what: string, ok: boolean) => {
    if (!ok) failures.push(what);
  };

  // Graph shapes.
  const w1 = chain(1000);
  const w2 = fanOutIn(1000);
  const w3 = layered(20, 50, 2, 42);
  for (const dag of [w1, w2, w3]) {
    try {
      assertTopological(dag);
    } catch (err) {
      failures.push(String(err));
    }
  }
  expect(
    'W1 has 1,000 steps and 999 edges',
    w1.size === 1000 && edgeCount(w1) === 999 && criticalPathSteps(w1) === 1000,
  );
  expect(
    'W2 has 1,002 steps, 2,000 edges, depth 3',
    w2.size === 1002 && edgeCount(w2) === 2000 && criticalPathSteps(w2) === 3,
  );
  expect('W3 has 1,000 steps, 2 deps each after layer 0, depth 20', w3.size === 1000 && edgeCount(w3) === 1900);
  expect('W3 critical path is 20 steps', criticalPathSteps(w3) === 20);
  expect(
    'W3 deps are in the layer before',
    w3.deps.every((ds, i) => ds.every((d) => Math.floor(d / 50) === Math.floor(i / 50) - 1)),
  );
  expect(
    'W3 is the same graph for the same seed',
    JSON.stringify(layered(20, 50, 2, 42).deps) === JSON.stringify(w3.deps),
  );
  // Every step of the last layer is a sink; earlier steps no later step picked are sinks too (the engines join all).
  expect('W3 last layer are all sinks', sinksOf(w3).filter((s) => s >= 950).length === 50);

  // The run verifier, on a 3-step chain a → b → c.
  const abc = chain(3);
  const record = (steps: readonly [number, 'start' | 'end'][]) => {
    const rec = new Recorder(3);
    for (const [s, what] of steps) rec[what](s);
    return rec;
  };
  const good = record([
    [0, 'start'],
    [0, 'end'],
    [1, 'start'],
    [1, 'end'],
    [2, 'start'],
    [2, 'end'],
  ]);
  expect('a correct run passes', verifyRun(abc, good) === null);
  expect(
    'a skipped step fails',
    verifyRun(
      abc,
      record([
        [0, 'start'],
        [0, 'end'],
        [1, 'start'],
        [1, 'end'],
      ]),
    ) !== null,
  );
  const twice = record([
    [0, 'start'],
    [0, 'end'],
    [1, 'start'],
    [1, 'end'],
    [1, 'start'],
    [1, 'end'],
    [2, 'start'],
    [2, 'end'],
  ]);
  expect('a step run twice fails', verifyRun(abc, twice) !== null);
  const early = record([
    [0, 'start'],
    [1, 'start'],
    [0, 'end'],
    [1, 'end'],
    [2, 'start'],
    [2, 'end'],
  ]);
  expect('a step started before its dependency ended fails', verifyRun(abc, early) !== null);
  const unfinished = record([
    [0, 'start'],
    [0, 'end'],
    [1, 'start'],
    [2, 'start'],
    [2, 'end'],
  ]);
  expect('a step that never ended fails', verifyRun(abc, unfinished) !== null);
  const wide = fanOutIn(2);
  const overlap = new Recorder(4);
  overlap.start(0);
  overlap.end(0);
  overlap.start(1);
  overlap.start(2);
  overlap.end(1);
  overlap.end(2);
  overlap.start(3);
  overlap.end(3);
  expect('two at once passes a bound of 2', verifyRun(wide, overlap, 2) === null);
  expect('two at once fails a bound of 1', verifyRun(wide, overlap, 1) !== null);

  // The order checker and the bare Kahn sort.
  const steps = [
    { stepId: 'a', dependsOn: [] },
    { stepId: 'b', dependsOn: ['a'] },
    { stepId: 'c', dependsOn: ['a', 'b'] },
  ];
  expect('Kahn orders a, b, c', checkOrder(steps, kahnOrder(steps)) === null);
  expect('a wrong order is caught', checkOrder(steps, [1, 0, 2]) !== null);
  expect('a repeated step is caught', checkOrder(steps, [0, 0, 2]) !== null);
  expect('a missing step is caught', checkOrder(steps, [0, 1]) !== null);
  let cycleCaught = false;
  try {
    kahnOrder([
      { stepId: 'a', dependsOn: ['b'] },
      { stepId: 'b', dependsOn: ['a'] },
    ]);
  } catch {
    cycleCaught = true;
  }
  expect('Kahn rejects a cycle', cycleCaught);

  expect('median of an even count', median([4, 1, 3, 2]) === 2.5);
  expect('median of an odd count', median([5, 1, 3]) === 3);
  return failures;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const failures = selfTest();
  process.stdout.write(failures.length === 0 ? 'bench self-test: all checks hold\n' : `${failures.join('\n')}\n`);
  process.exitCode = failures.length === 0 ? 0 : 1;
}
