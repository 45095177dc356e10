// The application the CI/CD example lints, tests, builds and deploys: small statistics helpers over records such as
// those of vega-datasets. Kept tiny on purpose: the pipeline around it is the point.

/**
 * Numeric values of `field` in `records`; nulls, strings and NaN are left out.
 * @param {readonly Record<string, unknown>[]} records
 * @param {string} field
 * @returns {number[]}
 */
export function numericColumn(records, field) {
  const out = [];
  for (const record of records) {
    const value = record[field];
    if (typeof value === 'number' && Number.isFinite(value)) out.push(value);
  }
  return out;
}

/**
 * Arithmetic mean; null for an empty list (no evidence, no number).
 * @param {readonly number[]} values
 */
export function mean(values) {
  if (values.length === 0) return null;
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/**
 * Median (mean of the two middle values for an even count); null for an empty list.
 * @param {readonly number[]} values
 */
export function median(values) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Count, non-null count, min, max, mean and median of one numeric field.
 * @param {readonly Record<string, unknown>[]} records
 * @param {string} field
 */
export function summarise(records, field) {
  const values = numericColumn(records, field);
  return {
    field,
    count: records.length,
    non_null: values.length,
    min: values.length ? Math.min(...values) : null,
    max: values.length ? Math.max(...values) : null,
    mean: mean(values),
    median: median(values),
  };
}
