/**
 * The lazy DataFrame: each method returns a new frame over a longer logical plan; nothing runs
 * until an action (collect, count, show), and each action is one job on the session's executor.
 */
import type * as arrow from 'apache-arrow';
import { Aggregate, count as countAgg } from './aggregate/aggregate.ts';
import { Column, toExpr, type LitValue, type SortKey } from './expr/expr.ts';
import { InvalidOptionError } from './errors.ts';
import { describeValue, intAtLeast } from './option-checks.ts';
import type { LogicalPlan, NamedExpr, Source } from './plan/logical-plan.ts';
import { planQuery, type PhysicalPlan } from './plan/physical-plan.ts';
import { explainPlan } from './plan/explain.ts';
import { formatTable } from './format-table.ts';

/** Identifies a cached input across the jobs over it (and the frames derived from it). */
let nextCacheId = 1;
import type { ActionOptions, Session } from './session.ts';

export class DataFrame {
  constructor(readonly session: Session, readonly plan: LogicalPlan) {}

  /** Rows for which the predicate is true (null and false drop the row). */
  filter(predicate: Column): DataFrame {
    if (!(predicate instanceof Column)) throw new InvalidOptionError('filter takes a Column expression, e.g. col("v2").gt(5)');
    return new DataFrame(this.session, { kind: 'filter', input: this.plan, predicate: predicate.expr });
  }

  /** Alias of filter, as in Spark. */
  where(predicate: Column): DataFrame { return this.filter(predicate); }

  /**
   * Exactly these columns, in this order: names, or expressions (named by as(), else as Spark
   * prints them: `(v1 * 2)`).
   */
  select(...columns: (string | Column)[]): DataFrame {
    if (columns.length === 0) throw new InvalidOptionError('select needs at least one column name or expression');
    const named = columns.map((c): NamedExpr => {
      if (typeof c === 'string') return { name: c, expr: { kind: 'col', name: c } };
      if (c instanceof Column) return { name: c.outputName, expr: c.expr };
      throw new InvalidOptionError(`select takes column names or Column expressions, got ${describeValue(c)}`);
    });
    return new DataFrame(this.session, { kind: 'project', input: this.plan, mode: 'select', columns: named });
  }

  /** Every column, with `name` added at the end (or replaced where it is) as `value`: an expression or a literal. */
  withColumn(name: string, value: Column | LitValue): DataFrame {
    if (typeof name !== 'string' || name === '') throw new InvalidOptionError(`withColumn takes a non-empty column name, got ${describeValue(name)}`);
    return new DataFrame(this.session, { kind: 'project', input: this.plan, mode: 'with', columns: [{ name, expr: toExpr(value) }] });
  }

  /** Every column but these. */
  drop(...names: string[]): DataFrame {
    const bad = names.find((n) => typeof n !== 'string');
    if (bad !== undefined) throw new InvalidOptionError(`drop takes column names, got ${describeValue(bad)}`);
    return new DataFrame(this.session, { kind: 'project', input: this.plan, mode: 'drop', columns: names.map((name) => ({ name, expr: { kind: 'col', name } })) });
  }

  /** The distinct rows (every column a group key; a null equals a null, NaN equals NaN). */
  distinct(): DataFrame {
    return new DataFrame(this.session, { kind: 'distinct', input: this.plan });
  }

  /** The first n rows (after orderBy: the n first in that order). Only select, withColumn, drop and orderBy may follow it. */
  limit(n: number): DataFrame {
    if (n === undefined) throw new InvalidOptionError('limit takes a row count, e.g. limit(10)');
    intAtLeast('limit: the row count', n, 0, 0);
    return new DataFrame(this.session, { kind: 'limit', input: this.plan, n });
  }

  groupBy(...keys: string[]): GroupedData {
    if (keys.length === 0) throw new InvalidOptionError('groupBy needs at least one column name; use agg() on the DataFrame for a global aggregate');
    const bad = keys.find((k) => typeof k !== 'string');
    if (bad !== undefined) throw new InvalidOptionError(`groupBy takes column names, got ${describeValue(bad)}`);
    return new GroupedData(this, keys);
  }

  /** A global aggregate: one output row. */
  agg(...aggs: Aggregate[]): DataFrame {
    return new GroupedData(this, []).agg(...aggs);
  }

  /** Orders the result by output columns: names (ascending) or asc()/desc() keys. */
  orderBy(...keys: (string | SortKey)[]): DataFrame {
    const sortKeys = keys.map((k) => {
      if (typeof k === 'string') return { column: k, descending: false };
      if (typeof k !== 'object' || k === null || typeof k.column !== 'string') {
        throw new InvalidOptionError(`orderBy takes column names or asc()/desc() keys, got ${describeValue(k)}`);
      }
      return k;
    });
    return new DataFrame(this.session, { kind: 'sort', input: this.plan, keys: sortKeys });
  }

  /**
   * Marks this frame's input for caching, as Spark's cache(): on the GPU executor, each batch's
   * columns stay on the device once a job has uploaded them, so later jobs over the frame (or any
   * frame derived from it) skip the upload; the CPU executor reads the Arrow batches in place
   * anyway. Device memory is bounded by the session's gpuCacheBytes: an input bigger than that is
   * cached as far as it fits and the rest read as if uncached, and other inputs' chunks go first
   * (least recently used first); unpersist() frees it.
   */
  cache(): DataFrame {
    if (sourceOf(this.plan).files) {
      throw new InvalidOptionError('cache() keeps in-memory input on the GPU; a file source is read anew by each job: load it with another library and use fromArrow to cache it');
    }
    return new DataFrame(this.session, withSource(this.plan, (s) => ({ ...s, cached: s.cached ?? nextCacheId++ })));
  }

  /** Frees the device memory cache() took for this frame's input; the returned frame is not cached. */
  unpersist(): DataFrame {
    const source = sourceOf(this.plan);
    this.session.releaseCached(source);
    return new DataFrame(this.session, withSource(this.plan, (s) => ({ ...s, cached: undefined })));
  }

  /** The checked physical plan (throws the plan-time errors). */
  physicalPlan(): PhysicalPlan {
    return planQuery(this.plan, this.session.options.shufflePartitions);
  }

  /** The physical plan, its stages and where each runs and why (Spark's explain, plus placement). */
  explain(): string {
    const plan = this.physicalPlan();
    return explainPlan(plan, this.session.executorName, this.session.placeStages(plan));
  }

  /** Action: runs the job and returns the result as an Arrow table. */
  async collect(options: ActionOptions = {}): Promise<arrow.Table> {
    return (await this.session.runJob(this.physicalPlan(), 'collect', options)).table;
  }

  /** Action: the number of rows (after filters), computed as a job. */
  async count(options: ActionOptions = {}): Promise<number> {
    const counted = this.plan.kind === 'sort' ? this.plan.input : this.plan;
    // Aggregated or limited frames: their rows, counted on the driver.
    if (!countable(counted)) return (await this.collect(options)).numRows;
    const p = planQuery({ kind: 'aggregate', input: counted, keys: [], aggs: [countAgg().as('count')] }, 1);
    const { table } = await this.session.runJob(p, 'count', options);
    return Number(table.getChild('count')!.get(0));
  }

  /** Action: prints the first n rows as Spark's show() does, and returns the text. */
  async show(n = 20, options: ActionOptions = {}): Promise<string> {
    intAtLeast('show: the row count', n, 0, 20);
    const table = await this.collect(options);
    const text = formatTable(table, n);
    console.log(text);
    return text;
  }
}

function sourceOf(plan: LogicalPlan): Source {
  let p = plan;
  while (p.kind !== 'scan') p = p.input;
  return p.source;
}

/** The same plan over a source changed by `f` (the partitions' batches stay the same objects). */
function withSource(plan: LogicalPlan, f: (s: Source) => Source): LogicalPlan {
  return plan.kind === 'scan' ? { kind: 'scan', source: f(plan.source) } : { ...plan, input: withSource(plan.input, f) };
}

/** Whether count() can be a global count over the plan (no aggregate, distinct or limit in it). */
function countable(plan: LogicalPlan): boolean {
  for (let p: LogicalPlan = plan; p.kind !== 'scan'; p = p.input) {
    if (p.kind === 'aggregate' || p.kind === 'distinct' || p.kind === 'limit') return false;
  }
  return true;
}

export class GroupedData {
  constructor(private readonly df: DataFrame, private readonly keys: readonly string[]) {}

  agg(...aggs: Aggregate[]): DataFrame {
    if (aggs.length === 0) throw new InvalidOptionError('agg needs at least one aggregate, e.g. sum("v1")');
    const bad = aggs.find((a) => !(a instanceof Aggregate));
    if (bad !== undefined) throw new InvalidOptionError(`agg takes aggregates such as sum("v1") or count(), got ${describeValue(bad)}`);
    return new DataFrame(this.df.session, { kind: 'aggregate', input: this.df.plan, keys: this.keys, aggs });
  }

  /** count() per group, named `count` as in Spark. */
  count(): DataFrame {
    return this.agg(countAgg().as('count'));
  }
}
