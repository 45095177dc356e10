// The application's test suite, run by the pipeline's `test` step: each check throws when it fails.
// The data checks use the real cars.json of vega-datasets (406 cars, 6 without Horsepower).
import { loadDataset } from '../../../shared/datasets.js';
import { mean, median, numericColumn, summarise } from '../src/stats.js';

/**
 * @param {unknown} actual
 * @param {unknown} expected
 * @param {string} what
 */
function equal(actual, expected, what) {
  if (actual !== expected) throw new Error(`${what}: expected ${String(expected)}, got ${String(actual)}`);
}

/** @type {{ name: string, run(): void }[]} */
export const checks = [
  { name: 'mean of [1, 2, 3, 4] is 2.5', run: () => equal(mean([1, 2, 3, 4]), 2.5, 'mean') },
  { name: 'mean of nothing is null', run: () => equal(mean([]), null, 'mean') },
  { name: 'median of an odd count is the middle value', run: () => equal(median([9, 1, 5]), 5, 'median') },
  { name: 'median of an even count averages the middle pair', run: () => equal(median([4, 1, 3, 2]), 2.5, 'median') },
  {
    name: 'numericColumn skips nulls and strings',
    run: () => equal(numericColumn([{ x: 1 }, { x: null }, { x: '2' }, { x: 3 }], 'x').join(','), '1,3', 'column'),
  },
  {
    name: 'cars.json: 406 cars, 400 with a Horsepower',
    run: () => {
      const s = summarise(loadDataset('cars'), 'Horsepower');
      equal(s.count, 406, 'count');
      equal(s.non_null, 400, 'non_null');
    },
  },
  {
    name: 'cars.json: Horsepower ranges from 46 to 230',
    run: () => {
      const s = summarise(loadDataset('cars'), 'Horsepower');
      equal(s.min, 46, 'min');
      equal(s.max, 230, 'max');
    },
  },
];

/** A check that fails on purpose (`input_data.inject_failing_test`), to watch the pipeline hold the deploy back. */
export const brokenCheck = {
  name: 'cars.json: 407 cars (wrong on purpose)',
  run: () => equal(loadDataset('cars').length, 407, 'count'),
};
