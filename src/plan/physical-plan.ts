/**
 * The physical planner: checks the whole logical plan against the schema (every error raised
 * here, before any task runs) and lays it out as Spark does:
 *
 *   Scan → Filter → HashAggregate(partial) → Exchange hashpartitioning(keys, P) → HashAggregate(final)
 *        [having Filter, Project, Sort, Limit: on the driver, over the gathered result]
 *
 * select / withColumn / drop are substituted into what reads their columns: a filter or an
 * aggregate's argument over a computed column is one over the input's columns; a group key that
 * is not an input column is computed by each map task (AggregationSpec.computed); the columns of
 * the result are computed on the driver (PhysicalPlan.projection).
 *
 * The exchange splits the job into a ShuffleMapStage and a ResultStage.
 */
import * as arrow from 'apache-arrow';
import { Aggregate } from '../aggregate/aggregate.ts';
import { bindAggregate } from '../aggregate/registry.ts';
import { DuplicateColumnError, InvalidOptionError, TypeMismatchError, UnknownColumnError, UnsupportedTypeError } from '../errors.ts';
import { columnsOfTyped } from '../expr/columns.ts';
import { columnsOf, substitute, type Expr, type SortKey } from '../expr/expr.ts';
import { fieldOf, predicate, resolve, typedToString, type Schema, type TExpr } from '../expr/resolve.ts';
import { toArrowType } from '../types.ts';
import { type AggregationSpec, type ComputedColumn, type KeyInfo, computedName, distinctName, keyKind, outputSchema, sourceColumnsOfSpec } from './aggregation-spec.ts';
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
  /** Conjunction of the filters below the aggregate (over input columns: projections substituted). */
  readonly filter: TExpr | null;
  readonly filterExprs: readonly Expr[];
  readonly aggregation: AggregationSpec | null;
  /** What the job's tasks return: the aggregate's output, or the filtered input rows. */
  readonly jobOutput: Schema;
  /** Filters above the aggregate, over its output (run on the driver). */
  readonly having: TExpr | null;
  readonly havingExprs: readonly Expr[];
  /** The final select / withColumn over the job's output (on the driver); null where it keeps it as it is. */
  readonly projection: readonly { readonly name: string; readonly expr: TExpr }[] | null;
  readonly sort: readonly SortKey[];
  /** limit(n): the first n rows; `limitBeforeSort` where limit came before orderBy (then the n rows are sorted). */
  readonly limit: number | null;
  readonly limitBeforeSort: boolean;
  /** The result's schema (after the projection). */
  readonly outputSchema: arrow.Schema;
  readonly output: Schema;
}

/** The n of orderBy(...).limit(n) (top-N: each result task can keep its own first n rows); null where there is none. */
export const topNOf = (plan: PhysicalPlan): number | null => (plan.limit !== null && plan.sort.length > 0 && !plan.limitBeforeSort ? plan.limit : null);

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

/** The columns of a frame at some point of its plan: each name's expression over the columns below (input or aggregate output). */
type Scope = Map<string, Expr>;

const identity = (schema: Schema): Scope => new Map(schema.map((f) => [f.name, { kind: 'col', name: f.name }]));

/** The scope after a select, withColumn or drop. */
function project(scope: Scope, node: Extract<LogicalPlan, { kind: 'project' }>): Scope {
  if (node.mode === 'drop') {
    for (const c of node.columns) if (!scope.has(c.name)) throw new UnknownColumnError(c.name, [...scope.keys()]);
    return new Map([...scope].filter(([n]) => !node.columns.some((c) => c.name === n)));
  }
  const defs = node.columns.map((c) => ({ name: c.name, expr: substitute(c.expr, scope) }));
  if (node.mode === 'with') {
    const out = new Map(scope);
    for (const d of defs) out.set(d.name, d.expr);
    return out;
  }
  const out: Scope = new Map();
  for (const d of defs) {
    if (out.has(d.name)) throw new DuplicateColumnError(d.name);
    out.set(d.name, d.expr);
  }
  return out;
}

const isIdentity = (scope: Scope, schema: Schema): boolean =>
  scope.size === schema.length && schema.every((f, i) => {
    const [name, e] = [...scope][i]!;
    return name === f.name && e.kind === 'col' && e.name === f.name;
  });

export function planQuery(plan: LogicalPlan, shufflePartitions: number): PhysicalPlan {
  const nodes: LogicalPlan[] = [];
  for (let p: LogicalPlan = plan; ; p = p.input) {
    nodes.unshift(p);
    if (p.kind === 'scan') break;
  }
  const source = (nodes[0] as Extract<LogicalPlan, { kind: 'scan' }>).source;
  const input = source.schema;
  const filters: Expr[] = [], having: Expr[] = [];
  let agg: { keys: readonly string[]; aggs: readonly Aggregate[]; scope: Scope } | null = null;
  let sort: readonly SortKey[] = [];
  let limit: number | null = null, limitBeforeSort = false;
  let scope = identity(input);
  for (const n of nodes.slice(1)) {
    if (limit !== null && (n.kind === 'filter' || n.kind === 'aggregate' || n.kind === 'distinct')) {
      throw new InvalidOptionError(`${n.kind === 'filter' ? 'filter' : n.kind === 'distinct' ? 'distinct' : 'an aggregate'} after limit(): put limit() last (only select, withColumn, drop and orderBy may follow it)`);
    }
    switch (n.kind) {
      case 'filter': (agg ? having : filters).push(substitute(n.predicate, scope)); break;
      case 'project': scope = project(scope, n); break;
      case 'aggregate': case 'distinct': {
        if (agg) throw new InvalidOptionError('a DataFrame can be aggregated once; aggregate the collected result in a new session.fromArrow');
        const keys = n.kind === 'distinct' ? [...scope.keys()] : n.keys;
        for (const k of keys) if (!scope.has(k)) throw new UnknownColumnError(k, [...scope.keys()]);
        agg = { keys, aggs: n.kind === 'distinct' ? [] : n.aggs, scope };
        scope = new Map([...keys, ...agg.aggs.map((a) => a.name)].map((name) => [name, { kind: 'col', name }]));
        break;
      }
      case 'sort': sort = n.keys; limitBeforeSort = limit !== null; break;
      case 'limit':
        if (limitBeforeSort) throw new InvalidOptionError('limit() after orderBy() after limit(): sort the limited rows in a new session.fromArrow of the result');
        limit = Math.min(limit ?? Infinity, n.n);
        break;
    }
  }
  const read = (e: Expr, out: string[]) => columnsOf(e, out);
  checkSupported(input, filters.flatMap((f) => read(f, [])));
  const filter = conjunction(filters, input);
  let aggregation: AggregationSpec | null = null;
  let jobOutput: Schema = input;
  let jobSchema: arrow.Schema = source.arrowSchema;
  if (agg) {
    const at = agg.scope;
    const computed: ComputedColumn[] = [];
    const keys = agg.keys.map((k) => {
      const e = at.get(k)!;
      checkSupported(input, read(e, []));
      if (e.kind === 'col' && e.name === k) {
        const f = fieldOf(input, k);
        return { column: f.name, dtype: f.dtype, kind: keyKind(f.dtype) };
      }
      const t = resolve(e, input);
      if (t.dtype === null) throw new TypeMismatchError(`group key ${k} is a null literal, which has no type`);
      computed.push({ name: computedName(k), expr: t });
      return { column: computedName(k), dtype: t.dtype, kind: keyKind(t.dtype) };
    });
    // countDistinct's arguments (and min / max of strings') are group keys of the map side after the
    // query's (AggregationSpec.groupKeys): an input column as it is (once), an expression computed.
    const distinct: ComputedColumn[] = [];
    const distinctKeys: KeyInfo[] = [];
    const aggs = agg.aggs.map((a) => {
      if (a.arg === null) return bindAggregate(a, input);
      const arg = substitute(a.arg, at);
      checkSupported(input, read(arg, []));
      const spec = { ...bindAggregate(new Aggregate(a.fn, arg, a.name, a.relativeError), input), display: a.defaultName };
      if (spec.state !== 'distinct') return spec;
      const t = resolve(arg, input);
      if (t.kind === 'col') {
        if (![...keys, ...distinctKeys].some((k) => k.column === t.name)) distinctKeys.push({ column: t.name, dtype: t.dtype, kind: keyKind(t.dtype) });
        return { ...spec, distinctKey: t.name };
      }
      let d = distinct.find((x) => typedToString(x.expr) === typedToString(t));
      if (!d) {
        distinct.push(d = { name: distinctName(distinct.length), expr: t });
        distinctKeys.push({ column: d.name, dtype: t.dtype!, kind: keyKind(t.dtype!) });
      }
      return { ...spec, distinctKey: d.name };
    });
    computed.push(...distinct);
    keys.push(...distinctKeys);
    const names = new Set<string>();
    for (const n of [...agg.keys, ...aggs.map((a) => a.name)]) {
      if (names.has(n)) throw new DuplicateColumnError(n);
      names.add(n);
    }
    const specInput = computed.length ? [...input, ...computed.map((c) => ({ name: c.name, dtype: c.expr.dtype! }))] : input;
    aggregation = {
      input: specInput, filter, keys, aggs, partitions: agg.keys.length === 0 ? 1 : shufflePartitions,
      ...(aggs.some((a) => a.state === 'distinct') ? { groupKeys: agg.keys.length } : {}),
      ...(source.cached ? { cacheInput: source.cached } : {}), ...(computed.length ? { computed } : {}),
    };
    jobOutput = [...agg.keys.map((k, i) => ({ name: k, dtype: keys[i]!.dtype })), ...aggs.map((a) => ({ name: a.name, dtype: a.result }))];
    jobSchema = outputSchema(aggregation);
  }
  const havingExpr = agg ? conjunction(having, jobOutput) : null;
  // The final columns, over the job's output: none where they are that output as it is.
  const projection = isIdentity(scope, jobOutput) ? null : [...scope].map(([name, e]) => {
    if (!agg) checkSupported(input, read(e, []));
    const expr = resolve(e, jobOutput);
    if (expr.dtype === null) throw new TypeMismatchError(`column ${name} is a null literal, which has no type`);
    return { name, expr };
  });
  const output: Schema = projection ? projection.map((c) => ({ name: c.name, dtype: c.expr.dtype! })) : jobOutput;
  const outSchema = projection ? projectedSchema(projection, jobOutput, jobSchema) : jobSchema;
  for (const s of sort) fieldOf(output, s.column);
  const scanColumns = aggregation ? sourceColumnsOfSpec(aggregation)
    : projection ? [...new Set([...filters.flatMap((f) => read(f, [])), ...projection.flatMap((c) => columnsOfTyped(c.expr))])] : input.map((f) => f.name);
  const scan = source.files ? planScan(source.files, input, filters, filter, scanColumns) : null;
  const inputs: TaskInput[] = scan
    ? scan.tasks.map((task) => ({ kind: 'file', task, columns: scan.columns }))
    : source.partitions.map((batches) => ({ kind: 'batches', batches }));
  // Every unit skipped: one empty task still gives a global aggregate its row.
  if (inputs.length === 0) inputs.push({ kind: 'batches', batches: [] });
  return {
    source, inputs, scan, filter, filterExprs: filters, aggregation, jobOutput, having: havingExpr, havingExprs: having, projection,
    sort, limit, limitBeforeSort, outputSchema: outSchema, output,
  };
}

/** The Arrow schema of the projected columns: a column taken as it is keeps its Arrow type. */
function projectedSchema(projection: NonNullable<PhysicalPlan['projection']>, schema: Schema, arrowSchema: arrow.Schema): arrow.Schema {
  return new arrow.Schema(projection.map(({ name, expr }) => {
    if (expr.kind === 'col') {
      const f = arrowSchema.fields[schema.findIndex((x) => x.name === expr.name)]!;
      return new arrow.Field(name, f.type, true);
    }
    return new arrow.Field(name, toArrowType(expr.dtype!), true);
  }));
}
