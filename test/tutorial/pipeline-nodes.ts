/**
 * Real node implementations for the tutorial's target node types, and the in-memory "systems" they talk to: data
 * sources the fetcher reads and a database the writers upsert into. onex runs these nodes, so the pipeline produces
 * real results the tests can check against values computed independently from the raw rows.
 * @module
 */
import {
  type BatchItem,
  EnumCoreErrorCode,
  ModelONEXContainer,
  NodeCompute,
  type NodeContext,
  NodeEffect,
  NodeReducer,
  OnexError,
} from '../../src/index.js';
import { createLogger } from '../../src/observability/logger.js';

/** One raw row of a data source, messy on purpose (case, spaces, numbers as strings, a missing amount). */
export interface SourceRow {
  readonly id: string;
  readonly category: string;
  readonly amount: number | string | null;
}

/** The rows behind the sources the tutorial names. */
export const SOURCE_TABLES: Readonly<Record<string, readonly SourceRow[]>> = {
  test_database: [
    { id: 'r1', category: 'books', amount: 12.5 },
    { id: 'r2', category: 'Games', amount: '30' },
    { id: 'r3', category: ' books ', amount: 7.5 },
    { id: 'r4', category: 'music', amount: 9 },
    { id: 'r5', category: 'games', amount: 15 },
    { id: 'r6', category: 'music', amount: null },
    { id: 'r7', category: 'BOOKS', amount: '5' },
    { id: 'r8', category: 'music', amount: 'n/a' },
  ],
  database: [
    { id: 'd1', category: 'alpha', amount: 1 },
    { id: 'd2', category: 'beta', amount: 2 },
    { id: 'd3', category: 'alpha', amount: 3 },
  ],
};

/** How a source misbehaves: always unavailable, or timing out on its first `times` queries. */
export type SourceFault = { readonly kind: 'unavailable' } | { readonly kind: 'timeout'; readonly times: number };

/** The data sources the fetcher reads (a stand-in for database drivers), with fault injection. */
export class DataSourceRegistry {
  /** Every query received, by source name, in order. */
  readonly queries: string[] = [];
  private readonly timeoutsLeft = new Map<string, number>();

  constructor(
    private readonly tables: Readonly<Record<string, readonly SourceRow[]>> = SOURCE_TABLES,
    private readonly faults: Readonly<Record<string, SourceFault>> = { unavailable_source: { kind: 'unavailable' } },
  ) {
    for (const [source, fault] of Object.entries(faults)) {
      if (fault.kind === 'timeout') this.timeoutsLeft.set(source, fault.times);
    }
  }

  /** Rows of `source` matching `query` (equality on each given field, after trimming and lower-casing strings). */
  async query(source: string, query: Readonly<Record<string, unknown>>, signal: AbortSignal): Promise<SourceRow[]> {
    this.queries.push(source);
    await new Promise((resolve) => setTimeout(resolve, 1));
    signal.throwIfAborted();
    const fault = this.faults[source];
    if (fault?.kind === 'unavailable') {
      throw new OnexError(EnumCoreErrorCode.RESOURCE_UNAVAILABLE, `data source '${source}' is unavailable`, {
        context: { source },
      });
    }
    const timeouts = this.timeoutsLeft.get(source) ?? 0;
    if (timeouts > 0) {
      this.timeoutsLeft.set(source, timeouts - 1);
      // What a driver reports when the server cancels a slow statement.
      throw new OnexError(EnumCoreErrorCode.TIMEOUT, `query on '${source}' timed out`, { context: { source } });
    }
    const rows = this.tables[source];
    if (!rows) {
      throw OnexError.nonRetryable(EnumCoreErrorCode.NOT_FOUND, `no data source named '${source}'`, { source });
    }
    return rows.filter((row) =>
      Object.entries(query).every(([key, want]) => norm(row[key as keyof SourceRow]) === norm(want)),
    );
  }
}

const norm = (v: unknown) => (typeof v === 'string' ? v.trim().toLowerCase() : v);

/** The database the writers upsert into: tables of rows keyed by one column, idempotent per key. */
export class InMemoryDatabase {
  private readonly tables = new Map<string, Map<string, Record<string, unknown>>>();
  private readonly applied = new Set<string>();
  /** Write calls received (a processBatch counts once). */
  writeCalls = 0;

  /** Upsert `rows` by `key` into `table`, once per idempotency key. Returns the rows written (0 when replayed). */
  upsert(table: string, rows: readonly Record<string, unknown>[], key: string, idempotencyKey: string): number {
    if (this.applied.has(idempotencyKey)) return 0;
    this.applied.add(idempotencyKey);
    let t = this.tables.get(table);
    if (!t) {
      t = new Map();
      this.tables.set(table, t);
    }
    for (const row of rows) t.set(String(row[key]), { ...row });
    return rows.length;
  }

  /** The rows of `table`, sorted by key. */
  rows(table: string): Record<string, unknown>[] {
    const t = this.tables.get(table);
    return t ? [...t.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, row]) => row) : [];
  }
}

/** A processed row: the shape the aggregator sums. */
export interface ProcessedRow {
  readonly id: string;
  readonly category: string;
  readonly value: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const filled = (v: unknown) => v !== undefined && v !== null && !(typeof v === 'string' && v.trim() === '');

/** NodeDataValidatorCompute: checks the record has every required field. */
export class NodeDataValidatorCompute extends NodeCompute {
  compute(input: Record<string, unknown>): Record<string, unknown> {
    const data = isRecord(input.data) ? input.data : {};
    const rules = isRecord(input.validation_rules) ? input.validation_rules : {};
    const required = Array.isArray(rules.required_fields) ? rules.required_fields.map(String) : [];
    const missing = required.filter((field) => !filled(data[field]));
    if (missing.length > 0) {
      throw new OnexError(
        EnumCoreErrorCode.VALIDATION_ERROR,
        `input is missing required fields: ${missing.join(', ')}`,
        {
          context: { missing },
        },
      );
    }
    return { valid: true, record_id: data.id ?? null, checked_fields: required };
  }
}

/** NodeDataFetcherEffect: reads rows from the named data source. */
export class NodeDataFetcherEffect extends NodeEffect {
  async execute(input: Record<string, unknown>, ctx: NodeContext): Promise<{ source: string; rows: SourceRow[] }> {
    const source = String(input.source);
    const query = isRecord(input.query) ? input.query : {};
    const rows = await ctx.container.get<DataSourceRegistry>('dataSources').query(source, query, ctx.signal);
    return { source, rows };
  }
}

/** NodeDataProcessorCompute: `transform` normalises categories, parses amounts, drops rows without one. */
export class NodeDataProcessorCompute extends NodeCompute {
  compute(input: Record<string, unknown>, ctx: NodeContext): ProcessedRow[] {
    if (input.operation !== 'transform') {
      throw OnexError.nonRetryable(EnumCoreErrorCode.UNSUPPORTED_OPERATION, `unknown operation '${input.operation}'`);
    }
    const fetched = ctx.inputs[0];
    const rows = isRecord(fetched) && Array.isArray(fetched.rows) ? (fetched.rows as SourceRow[]) : [];
    return rows.flatMap((row) => {
      const value = typeof row.amount === 'number' ? row.amount : Number.parseFloat(String(row.amount));
      return Number.isFinite(value) ? [{ id: row.id, category: row.category.trim().toLowerCase(), value }] : [];
    });
  }
}

/** NodeDatabaseWriterEffect: upserts the aggregated rows, keyed by their first column; one write per batch. */
export class NodeDatabaseWriterEffect extends NodeEffect {
  execute(input: Record<string, unknown>, ctx: NodeContext): Record<string, unknown> {
    return this.write(input, ctx);
  }

  override processBatch(items: readonly BatchItem[]): Record<string, unknown>[] {
    return items.map((item) => this.write(item.operationData, item.ctx));
  }

  private write(input: Readonly<Record<string, unknown>>, ctx: NodeContext): Record<string, unknown> {
    if (input.mode !== 'upsert') {
      throw OnexError.nonRetryable(EnumCoreErrorCode.UNSUPPORTED_OPERATION, `write mode '${input.mode}'`);
    }
    const rows = (Array.isArray(ctx.inputs[0]) ? ctx.inputs[0] : []).filter(isRecord);
    const key = rows[0] ? Object.keys(rows[0])[0]! : 'id';
    const db = ctx.container.get<InMemoryDatabase>('database');
    db.writeCalls++;
    const written = db.upsert(String(input.destination), rows, key, ctx.idempotencyKey);
    return { destination: input.destination, mode: input.mode, rows_upserted: written };
  }
}

/** NodeQualityAssessorCompute: share of the record's fields that are filled in. */
export class NodeQualityAssessorCompute extends NodeCompute {
  compute(input: Record<string, unknown>, ctx: NodeContext): Record<string, unknown> {
    const fields = Object.keys(ctx.workflowInput);
    const good = fields.filter((field) => filled(ctx.workflowInput[field])).length;
    const score = fields.length === 0 ? 0 : good / fields.length;
    const threshold = Number(input.threshold);
    return { quality_score: score, threshold, meets_threshold: score >= threshold, fields_checked: fields.length };
  }
}

/** NodeFastTrackWriterEffect: stores the record as is, keyed by id. */
export class NodeFastTrackWriterEffect extends NodeEffect {
  execute(input: Record<string, unknown>, ctx: NodeContext): Record<string, unknown> {
    const db = ctx.container.get<InMemoryDatabase>('database');
    db.writeCalls++;
    const written = db.upsert(String(input.destination), [{ ...ctx.workflowInput }], 'id', ctx.idempotencyKey);
    return { destination: input.destination, rows_upserted: written };
  }
}

/** A quiet container with the tutorial's services and every node it targets registered. */
export function createTutorialContainer(sources: DataSourceRegistry = new DataSourceRegistry()): ModelONEXContainer {
  const container = new ModelONEXContainer({ logger: createLogger('silent') });
  container.registerValue('dataSources', sources);
  container.registerValue('database', new InMemoryDatabase());
  container.registerNode('NodeDataValidatorCompute', new NodeDataValidatorCompute(container));
  container.registerNode('NodeDataFetcherEffect', new NodeDataFetcherEffect(container));
  container.registerNode('NodeDataProcessorCompute', new NodeDataProcessorCompute(container));
  // The built-in reducer reads {aggregation_type: 'sum', group_by: 'category'} from the action (field: value).
  container.registerNode('NodeMetricsAggregatorReducer', new NodeReducer(container));
  container.registerNode('NodeDatabaseWriterEffect', new NodeDatabaseWriterEffect(container));
  container.registerNode('NodeQualityAssessorCompute', new NodeQualityAssessorCompute(container));
  container.registerNode('NodeFastTrackWriterEffect', new NodeFastTrackWriterEffect(container));
  return container;
}
