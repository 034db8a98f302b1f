/**
 * The physical planner: checks the whole logical plan against the schema (every error raised
 * here, before any task runs) and lays it out as Spark does:
 *
 *   Scan → Filter → HashAggregate(partial) → Exchange hashpartitioning(keys, P) → HashAggregate(final)
 *        [having Filter, Sort: on the driver, over the gathered result]
 *
 * The exchange splits the job into a ShuffleMapStage and a ResultStage.
 */
import type * as arrow from 'apache-arrow';
import { bindAggregate } from '../aggregate/registry.ts';
import { DuplicateColumnError, InvalidOptionError, UnsupportedTypeError } from '../errors.ts';
import { columnsOf, type Expr, type SortKey } from '../expr/expr.ts';
import { fieldOf, predicate, resolve, type Schema, type TExpr } from '../expr/resolve.ts';
import { type AggregationSpec, columnsOfSpec, keyKind, outputSchema } from './aggregation-spec.ts';
import type { LogicalPlan, Source } from './logical-plan.ts';
import type { ScanTask } from '../io/file-source.ts';
import { planScan, type ScanPlan } from './scan-plan.ts';

/** One map (or scan) task's input: record batches in memory, or a scan task's units of a file and the columns to read. */
export type TaskInput =
  | { readonly kind: 'batches'; readonly batches: readonly arrow.RecordBatch[] }
  | { readonly kind: 'file'; readonly task: ScanTask; readonly columns: readonly string[] };

export interface PhysicalPlan {
  readonly source: Source;
  /** The first stage's tasks' inputs, one per task. */
  readonly inputs: readonly TaskInput[];
  /** How the files are read, for a file source. */
  readonly scan: ScanPlan | null;
  /** Conjunction of the filters below the aggregate. */
  readonly filter: TExpr | null;
  readonly filterExprs: readonly Expr[];
  readonly aggregation: AggregationSpec | null;
  /** Filters above the aggregate, over its output (run on the driver). */
  readonly having: TExpr | null;
  readonly havingExprs: readonly Expr[];
  readonly sort: readonly SortKey[];
  readonly outputSchema: arrow.Schema;
  readonly output: Schema;
}

function conjunction(exprs: readonly Expr[], schema: Schema): TExpr | null {
  if (exprs.length === 0) return null;
  const e = exprs.reduce((a, b) => ({ kind: 'logic', op: 'and', left: a, right: b }));
  return predicate(resolve(e, schema), e);
}


/** Rejects any column a query reads whose Arrow type the engine does not support. */
function checkSupported(schema: Schema, names: readonly string[]): void {
  for (const n of names) {
    const f = fieldOf(schema, n);
    if (f.unsupported !== undefined) throw new UnsupportedTypeError(n, f.unsupported);
  }
}

export function planQuery(plan: LogicalPlan, shufflePartitions: number): PhysicalPlan {
  const nodes: LogicalPlan[] = [];
  for (let p: LogicalPlan = plan; ; p = p.input) {
    nodes.unshift(p);
    if (p.kind === 'scan') break;
  }
  const source = (nodes[0] as Extract<LogicalPlan, { kind: 'scan' }>).source;
  const filters: Expr[] = [], having: Expr[] = [];
  let agg: Extract<LogicalPlan, { kind: 'aggregate' }> | null = null;
  let sort: readonly SortKey[] = [];
  for (const n of nodes.slice(1)) {
    if (n.kind === 'filter') (agg ? having : filters).push(n.predicate);
    else if (n.kind === 'aggregate') {
      if (agg) throw new InvalidOptionError('a DataFrame can be aggregated once; aggregate the collected result in a new session.fromArrow');
      agg = n;
    } else if (n.kind === 'sort') sort = n.keys;
  }
  const input = source.schema;
  const read = (e: Expr, out: string[]) => columnsOf(e, out);
  checkSupported(input, filters.flatMap((f) => read(f, [])));
  const filter = conjunction(filters, input);
  let aggregation: AggregationSpec | null = null;
  let output: Schema = input;
  let outSchema: arrow.Schema = source.arrowSchema;
  if (agg) {
    checkSupported(input, [...agg.keys, ...agg.aggs.flatMap((a) => (a.arg ? read(a.arg, []) : []))]);
    const keys = agg.keys.map((k) => {
      const f = fieldOf(input, k);
      return { column: f.name, dtype: f.dtype, kind: keyKind(f.dtype) };
    });
    const aggs = agg.aggs.map((a) => bindAggregate(a, input));
    const names = new Set<string>();
    for (const n of [...keys.map((k) => k.column), ...aggs.map((a) => a.name)]) {
      if (names.has(n)) throw new DuplicateColumnError(n);
      names.add(n);
    }
    aggregation = { input, filter, keys, aggs, partitions: keys.length === 0 ? 1 : shufflePartitions, ...(source.cached ? { cacheInput: source.cached } : {}) };
    output = [...keys.map((k) => ({ name: k.column, dtype: k.dtype })), ...aggs.map((a) => ({ name: a.name, dtype: a.result }))];
    outSchema = outputSchema(aggregation);
  }
  const havingExpr = agg ? conjunction(having, output) : null;
  for (const s of sort) fieldOf(output, s.column);
  const scan = source.files ? planScan(source.files, input, filters, filter, aggregation ? columnsOfSpec(aggregation) : input.map((f) => f.name)) : null;
  const inputs: TaskInput[] = scan
    ? scan.tasks.map((task) => ({ kind: 'file', task, columns: scan.columns }))
    : source.partitions.map((batches) => ({ kind: 'batches', batches }));
  // Every unit skipped: one empty task still gives a global aggregate its row.
  if (inputs.length === 0) inputs.push({ kind: 'batches', batches: [] });
  return { source, inputs, scan, filter, filterExprs: filters, aggregation, having: havingExpr, havingExprs: having, sort, outputSchema: outSchema, output };
}
