/**
 * The snake_case wire codec (spec §1): the one module that knows about snake_case. Model field names are
 * converted; user data (operation data, metadata, results, step outputs, input data, error context) is not.
 * @module
 */

/** camelCase field names whose values are user data, passed through untouched. */
const OPAQUE_CAMEL = new Set([
  'operationData',
  'payload',
  'metadata',
  'results',
  'stepOutputs',
  'inputData',
  'context',
  'result',
  'output',
]);
const OPAQUE_SNAKE = new Set([
  'operation_data',
  'payload',
  'metadata',
  'results',
  'step_outputs',
  'input_data',
  'context',
  'result',
  'output',
]);

/** `workflowState` → `workflow_state`. */
export function toSnakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** `workflow_state` → `workflowState`. */
export function toCamelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Convert a model (camelCase) to its wire form (snake_case field names). Functions are dropped. */
export function toWire(value: unknown): unknown {
  return convert(value, toSnakeCase, OPAQUE_CAMEL);
}

/** Convert a wire document (snake_case) to the TypeScript form (camelCase field names). */
export function fromWire(value: unknown): unknown {
  return convert(value, toCamelCase, OPAQUE_SNAKE);
}

function convert(value: unknown, rename: (s: string) => string, opaque: Set<string>): unknown {
  if (Array.isArray(value)) return value.map((v) => convert(v, rename, opaque));
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'function' || v === undefined) continue;
    out[rename(key)] = opaque.has(key) ? v : convert(v, rename, opaque);
  }
  return out;
}
