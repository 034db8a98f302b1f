/** Aggregate calls as the user writes them: `sum('v1').as('s')`, `count()`, `avg(col('a').mul(2))`. */
import { InvalidOptionError } from '../errors.ts';
import { col, Column, exprToString, type Expr } from '../expr/expr.ts';
import { describeValue } from '../option-checks.ts';
import { hllPrecision } from './hyperloglog.ts';

export type AggFn = 'count' | 'countDistinct' | 'approxCountDistinct' | 'sum' | 'avg' | 'min' | 'max' | 'stddev' | 'stddevPop' | 'variance' | 'varPop';

/** How SQL spells each function, in output names and in the CLI's language (Spark's names). */
export const SQL_NAME: Readonly<Record<AggFn, string>> = {
  count: 'count', countDistinct: 'count_distinct', approxCountDistinct: 'approx_count_distinct', sum: 'sum', avg: 'avg', min: 'min', max: 'max',
  stddev: 'stddev', stddevPop: 'stddev_pop', variance: 'variance', varPop: 'var_pop',
};

export class Aggregate {
  constructor(
    readonly fn: AggFn,
    /** null for count() of rows. */
    readonly arg: Expr | null,
    readonly alias: string | null = null,
    /** approxCountDistinct: the relative standard error asked for. */
    readonly relativeError?: number,
  ) {}

  as(name: string): Aggregate {
    if (typeof name !== 'string' || name === '') throw new InvalidOptionError(`as() takes a non-empty output column name, got ${describeValue(name)}`);
    return new Aggregate(this.fn, this.arg, name, this.relativeError);
  }

  /** The output column name: the alias, or Spark's default such as `sum(v1)` and `count(1)`. */
  get name(): string { return this.alias ?? this.defaultName; }

  get defaultName(): string {
    if (this.fn === 'countDistinct') return `count(DISTINCT ${exprToString(this.arg!)})`;
    return `${SQL_NAME[this.fn]}(${this.arg === null ? '1' : exprToString(this.arg)})`;
  }
}

type AggInput = string | Column;
function argOf(x: AggInput): Expr {
  if (typeof x === 'string') return col(x).expr;
  if (x instanceof Column) return x.expr;
  throw new InvalidOptionError(`an aggregate takes a column name or a Column expression, got ${describeValue(x)}`);
}

export const count = (x?: AggInput): Aggregate => new Aggregate('count', x === undefined ? null : argOf(x));
export const sum = (x: AggInput): Aggregate => new Aggregate('sum', argOf(x));
/**
 * The number of distinct non-null values estimated by a HyperLogLog sketch (Spark's
 * approx_count_distinct): `relativeError` (default 0.05, from 0.01 to 0.39) bounds its relative
 * standard error; its state is 2^p 6-bit registers whatever the count.
 */
export function approxCountDistinct(x: AggInput, options: { relativeError?: number } = {}): Aggregate {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError(`approxCountDistinct takes options { relativeError }, got ${describeValue(options)}`);
  const relativeError = options.relativeError ?? 0.05;
  hllPrecision(relativeError);
  return new Aggregate('approxCountDistinct', argOf(x), null, relativeError);
}
/** The number of distinct non-null values, exactly (Spark's count(DISTINCT x)): through the shuffle, keyed by (keys, x). */
export const countDistinct = (x: AggInput): Aggregate => new Aggregate('countDistinct', argOf(x));
export const avg = (x: AggInput): Aggregate => new Aggregate('avg', argOf(x));
export const min = (x: AggInput): Aggregate => new Aggregate('min', argOf(x));
export const max = (x: AggInput): Aggregate => new Aggregate('max', argOf(x));
/** Sample standard deviation (Spark's stddev, stddev_samp): null for fewer than 2 values. */
export const stddev = (x: AggInput): Aggregate => new Aggregate('stddev', argOf(x));
/** Population standard deviation: null for no values. */
export const stddevPop = (x: AggInput): Aggregate => new Aggregate('stddevPop', argOf(x));
/** Sample variance (Spark's variance, var_samp): null for fewer than 2 values. */
export const variance = (x: AggInput): Aggregate => new Aggregate('variance', argOf(x));
/** Population variance: null for no values. */
export const varPop = (x: AggInput): Aggregate => new Aggregate('varPop', argOf(x));
