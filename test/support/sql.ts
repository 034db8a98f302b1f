/**
 * Random query descriptions and their translation to DuckDB SQL.
 *
 * A `Query` is engine-independent data: the differential test turns it into
 * DataFrame calls, `toSql` turns it into SQL, `toCode` into a printable
 * DataFrame snippet for replays, and `outputColumns` says how every result
 * column is compared (kind, error bound, accepted Arrow types).
 *
 * What is generated: filters of comparisons with literals, BETWEEN (bounds
 * that are literals or columns, over columns or arithmetic), IN, IS NULL,
 * boolean columns, column-vs-column comparisons, arithmetic compared with a
 * literal, a column or other arithmetic, under and/or/not; 0-3 group keys;
 * 1-5 aggregates of columns or arithmetic; HAVING (a filter after the
 * aggregate over its output columns); ORDER BY 1-3 output columns, mixed
 * directions, after aggregates or over collected rows.
 *
 * The SQL of an aggregate query is
 *   SELECT * FROM (SELECT keys, aggregates, hidden columns … GROUP BY keys) q
 *   WHERE <having> ORDER BY k1 ASC NULLS FIRST, k2 DESC NULLS LAST …
 * (Spark's null placement, the engine's documented one; NaN sorts greatest and -0 equals 0
 * both in the engine, src/arrow/sort-table.ts, and in DuckDB, so the ORDER BY maps straight; DuckDB
 * orders strings by code point, as Spark does by UTF-8 bytes; false < true in both). Hidden
 * columns (`__abs<i>` Σ|x|, `__mag<i>` Σ of the operands' magnitudes, `__n<i>` the count) give
 * each float aggregate its error bound (compare.ts). A float sum's reference is DuckDB's
 * compensated `fsum` (Kahan-Babuška; its own error is ≤ 2u·|S| + n·u²·Σ|x|, which
 * compare.ts adds); where the plain `sum` is not finite (NaN, ±Inf among the
 * values) the reference is that `sum`, matched exactly. Integer sums are
 * `sum(x::HUGEINT)` (exact); `overflowSql` finds whether any group's exact sum
 * leaves Int64 (then, and only then, the engine must raise ArithmeticOverflowError).
 *
 * What is deliberately NOT generated (semantics the engine spec leaves open
 * or where DuckDB differs by design):
 * - integer arithmetic that could overflow its type: +, -, * only on columns
 *   with the 'small' profile (|v| <= max/4 and <= 2^40), multipliers 2/3/-1,
 *   nesting only as `(a op b) * 2`; no subtraction on unsigned columns;
 * - 64-bit integer columns beyond 'small' compared with floats or float
 *   arithmetic (DuckDB compares through DOUBLE, the engine too, but not always
 *   the same way round);
 * - ordering comparisons (<, >, between) on strings and booleans;
 * - float64 data large enough that sums overflow to ±Infinity;
 * - HAVING comparisons on aggregates that are not exact (float sums and
 *   averages, aggregates of arithmetic): only IS [NOT] NULL (a value within
 *   the error bound of the threshold could fall either side);
 * - temporal literals as raw numbers (the README allows Date and ISO strings).
 * A JS number with an integral value is an integer literal to the engine, so
 * the float literals used in arithmetic are never integral.
 * Division `/` in DuckDB 1.5 follows IEEE (x/0 = ±Inf, 0/0 = NaN); the
 * engine's `.div` by zero is null, so SQL divides by `NULLIF(divisor, 0)`.
 */
import {
  INT_RANGE,
  SMALL_RANGE,
  UNITS_PER_SECOND,
  isFloatKind,
  isIntKind,
  isNumericKind,
  isStringKind,
  isTemporalKind,
  isWideTemporalKind,
  Rng,
  showValue,
  type ColKind,
  type ColumnModel,
  type TableModel,
  type Value,
  type WideTemporalKind,
} from './random.ts';
import { quoteIdent } from './duckdb.ts';


// ---------------------------------------------------------------- model

export type Lit =
  | { t: 'int'; v: bigint; js: 'number' | 'bigint' }
  | { t: 'float'; v: number }
  | { t: 'str'; v: string }
  | { t: 'bool'; v: boolean }
  /** a date32 literal: a JS Date at midnight UTC, or (iso) a 'YYYY-MM-DD' string */
  | { t: 'date'; days: number; iso?: boolean }
  /** an instant compared with a Date64 / Timestamp column: a JS Date, an ISO string ending in Z, or a 'YYYY-MM-DD' string (day) */
  | { t: 'ts'; ms: number; form: 'date' | 'iso' | 'day' }
  | { t: 'null' };

export type ArithFn = 'add' | 'sub' | 'mul' | 'div';
export type CmpFn = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

export type Expr =
  | { op: 'col'; name: string; kind: ColKind }
  /** wrap: pass as lit(v) rather than a plain JS value (forced where the operand is a receiver) */
  | { op: 'lit'; lit: Lit; wrap: boolean }
  | { op: 'arith'; fn: ArithFn; l: Expr; r: Expr };

export type Pred =
  | { op: 'cmp'; fn: CmpFn; l: Expr; r: Expr }
  | { op: 'isNull' | 'isNotNull'; e: Expr }
  | { op: 'in'; e: Expr; list: Lit[] }
  /** e BETWEEN lo AND hi: bounds are literals or columns */
  | { op: 'between'; e: Expr; lo: Expr; hi: Expr }
  | { op: 'and' | 'or'; l: Pred; r: Pred }
  | { op: 'not'; p: Pred }
  | { op: 'boolCol'; name: string }
  /** a literal predicate: lit(true) / lit(false) / lit(null) */
  | { op: 'boolLit'; v: boolean | null }
  /** a string predicate of a string column */
  | { op: 'strMatch'; fn: StrMatchFn; e: Expr; pattern: string };

export type StrMatchFn = 'startsWith' | 'endsWith' | 'contains' | 'like';

export type AggFn = 'count' | 'countDistinct' | 'approxCountDistinct' | 'sum' | 'avg' | 'min' | 'max' | SpreadFn;
export type SpreadFn = 'stddev' | 'stddevPop' | 'variance' | 'varPop';
const SPREAD_FNS: readonly SpreadFn[] = ['stddev', 'stddevPop', 'variance', 'varPop'];
const isSpread = (fn: AggFn): fn is SpreadFn => (SPREAD_FNS as readonly string[]).includes(fn);
/** Integer columns whose variance the engine computes from exact sums (32 bits at most). */
const exactSpread = (e: Expr): boolean => e.op === 'col' && isIntKind(e.kind) && e.kind !== 'int64' && e.kind !== 'uint64';

export interface Agg {
  fn: AggFn;
  /** null: count() */
  arg: Expr | null;
  /** pass a plain column name instead of col(name) */
  byName: boolean;
  alias: string;
  /** the engine aggregates this derived column by name (`arg` is its expression, for SQL) */
  via?: string;
}

/** style: orderBy("k") | orderBy(desc("k")) | orderBy(col("k").asc()) / orderBy(col("k").desc()) */
export interface OrderKey {
  name: string;
  desc: boolean;
  style: 'name' | 'desc()' | 'col';
}

/** A column the query adds with withColumn before it filters (`(SELECT *, expr AS name FROM t)` in SQL). */
export interface Derived {
  name: string;
  expr: Expr;
}

export interface Query {
  /** distinct: the distinct rows of the `keys` columns (select, then distinct()) */
  mode: 'agg' | 'collect' | 'count' | 'distinct';
  derived?: Derived[];
  filter: Pred | null;
  keys: string[];
  aggs: Agg[];
  /** agg mode: a filter over the output columns (after the aggregate) */
  having?: Pred | null;
  /** 1-3 sort keys over the output columns (agg or collect mode) */
  orderBy: OrderKey[] | null;
}

/** How a result column is compared. */
export type ResultKind = 'int' | 'float' | 'numeric' | 'approx' | 'str' | 'bool' | 'date' | 'ts';

/** Where a float aggregate's error bound comes from (hidden SQL columns of the same row). */
export interface ErrorSpec {
  /** var / stddev: a variance or standard deviation (sample: over n − 1) */
  fn: 'sum' | 'avg' | 'var' | 'stddev' | 'approx';
  sample?: boolean;
  /** var / stddev: hidden column Σx² */
  sq?: string;
  /** hidden column: Σ|x| over the group */
  abs: string;
  /** hidden column: Σ of the operands' magnitudes (arithmetic arguments: the GPU's double-float evaluation) */
  mag?: string;
  /** hidden column: the number of non-null x */
  n: string;
  /** the reference is an exact integer sum (HUGEINT), rounded once */
  exactRef: boolean;
  /** the engine sums exactly too (an integer column: Int64 state) */
  exactEngine: boolean;
}

export interface OutColumn {
  name: string;
  kind: ResultKind;
  /** compare exactly (floats: non-finite exact, -0 = 0, otherwise bound 0) */
  exact: boolean;
  /** Arrow type strings the engine may return (DataType.toString()) */
  arrowTypes: string[];
  /** sums and averages of floats (and of integer arithmetic): how to bound the error */
  err?: ErrorSpec;
  /** a sum of an integer column: the engine must raise ArithmeticOverflowError iff a group's exact sum leaves Int64 */
  overflowChecked?: boolean;
  /** whether this is a group key */
  key: boolean;
}

const INT_ARROW = ['Int8', 'Int16', 'Int32', 'Int64', 'Uint8', 'Uint16', 'Uint32', 'Uint64'];

export type ExprKind = 'int' | 'float' | 'str' | 'bool' | 'date' | 'ts';

export function colExprKind(k: ColKind): ExprKind {
  if (isIntKind(k)) return 'int';
  if (isFloatKind(k)) return 'float';
  if (isStringKind(k)) return 'str';
  if (k === 'bool') return 'bool';
  if (isWideTemporalKind(k)) return 'ts';
  return 'date';
}

function litKind(l: Lit): ExprKind | 'null' {
  switch (l.t) {
    case 'int': return 'int';
    case 'float': return 'float';
    case 'str': return 'str';
    case 'bool': return 'bool';
    case 'date': return 'date';
    case 'ts': return 'ts';
    case 'null': return 'null';
  }
}

export function exprKind(e: Expr): ExprKind {
  if (e.op === 'col') return colExprKind(e.kind);
  if (e.op === 'lit') {
    const k = litKind(e.lit);
    return k === 'null' ? 'int' : k;
  }
  if (e.fn === 'div') return 'float';
  return exprKind(e.l) === 'float' || exprKind(e.r) === 'float' ? 'float' : 'int';
}

// ---------------------------------------------------------------- generation

function colByName(t: TableModel, name: string): ColumnModel {
  const c = t.columns.find((x) => x.name === name);
  if (!c) throw new Error(`no column ${name}`);
  return c;
}

function nonNullPool(c: ColumnModel): Value[] {
  return c.pool.filter((v) => v !== null);
}

function intLitJs(rng: Rng, kind: ColKind, v: bigint): 'number' | 'bigint' {
  const safe = v >= -(2n ** 53n) && v <= 2n ** 53n;
  if (!safe) return 'bigint';
  if (kind === 'int64' || kind === 'uint64') return rng.bool(0.7) ? 'bigint' : 'number';
  return rng.bool(0.85) ? 'number' : 'bigint';
}

const MS_PER_DAY = 86_400_000;

/** An instant near a Date64 / Timestamp column's values, as a literal in milliseconds. */
function tsLit(rng: Rng, c: ColumnModel): Lit {
  const k = c.kind as WideTemporalKind;
  const per = UNITS_PER_SECOND[k];
  const pool = nonNullPool(c) as bigint[];
  let ms: number;
  if (pool.length && rng.bool(0.7)) {
    // a value of the column (floored to whole ms) or the ms just around it
    const units = rng.pick(pool) * 1000n;
    const floorMs = units / per - (units % per !== 0n && units < 0n ? 1n : 0n);
    ms = Number(floorMs) + rng.pick([0, 0, 0, 1, -1]);
  } else {
    ms = rng.int(-6_000_000_000_000, 7_000_000_000_000);
  }
  const form = rng.weighted<'date' | 'iso' | 'day'>([[6, 'date'], [3, 'iso'], [1, 'day']]);
  if (form === 'day') ms = Math.floor(ms / MS_PER_DAY) * MS_PER_DAY;
  return { t: 'ts', ms, form };
}

/** A literal that makes sense next to column `c` (mostly values that occur in it). */
export function litFor(rng: Rng, c: ColumnModel, allowNull = true): Lit {
  if (allowNull && rng.bool(0.03)) return { t: 'null' };
  const pool = nonNullPool(c);
  const k = c.kind;
  if (isIntKind(k)) {
    const [lo, hi] = INT_RANGE[k];
    const choice = rng.weighted<string>([
      [pool.length ? 55 : 0, 'pool'],
      [20, 'fresh'],
      [10, 'extreme'],
      [k === 'int64' ? 0 : 5, 'outOfRange'],
      [5, 'fraction'],
      [5, 'zero'],
    ]);
    let v: bigint;
    switch (choice) {
      case 'pool': v = rng.pick(pool) as bigint; break;
      case 'fresh': {
        const [slo, shi] = c.profile === 'full' ? [lo, hi] : SMALL_RANGE[k];
        v = rng.bigint(slo, shi);
        break;
      }
      case 'extreme': v = rng.pick([lo, hi]); break;
      // (Uint64: below the range only; a literal above 2^64 has no engine type)
      case 'outOfRange': v = k === 'uint64' ? rng.pick([-1n, -1000n, -(2n ** 63n)]) : rng.pick([lo - 1n, hi + 1n, hi * 2n + 7n, -1000n - (lo < 0n ? -lo : 0n)]); break;
      case 'fraction': {
        const base = pool.length ? (rng.pick(pool) as bigint) : 0n;
        if (base > -(2n ** 50n) && base < 2n ** 50n) return { t: 'float', v: Number(base) + rng.pick([0.5, -0.5, 0.25]) };
        v = base;
        break;
      }
      default: v = 0n;
    }
    return { t: 'int', v, js: intLitJs(rng, k, v) };
  }
  if (isWideTemporalKind(k)) return tsLit(rng, c);
  switch (k) {
    case 'float32':
    case 'float64': {
      const choice = rng.weighted<string>([[pool.length ? 50 : 0, 'pool'], [25, 'fresh'], [12, 'special'], [13, 'int']]);
      if (choice === 'pool') return { t: 'float', v: rng.pick(pool) as number };
      if (choice === 'fresh') return { t: 'float', v: (rng.next() - 0.5) * 200 };
      if (choice === 'special') return { t: 'float', v: rng.pick([0, -0, NaN, Infinity, -Infinity, 0.1]) };
      return { t: 'int', v: BigInt(rng.int(-100, 100)), js: 'number' };
    }
    case 'utf8':
    case 'lutf8':
    case 'dict': {
      const choice = rng.weighted<string>([[pool.length ? 60 : 0, 'pool'], [30, 'fresh'], [10, 'empty']]);
      if (choice === 'pool') return { t: 'str', v: rng.pick(pool) as string };
      if (choice === 'fresh') return { t: 'str', v: rng.pick(['id001', 'nope', 'A', 'é', '😀', 'a,b', 'unused_shared', 'x']) };
      return { t: 'str', v: '' };
    }
    case 'bool':
      return { t: 'bool', v: rng.bool() };
    default: {
      // date32 (days within 0001..9999, so the ISO form is plain 'YYYY-MM-DD')
      const days = pool.length && rng.bool(0.6) ? (rng.pick(pool) as number) : rng.int(-40000, 40000);
      return days >= -719162 && days <= 2932896 && rng.bool(0.25) ? { t: 'date', days, iso: true } : { t: 'date', days };
    }
  }
}

function colExpr(c: ColumnModel): Expr {
  return { op: 'col', name: c.name, kind: c.kind };
}

function litExpr(rng: Rng, lit: Lit): Expr {
  return { op: 'lit', lit, wrap: rng.bool(0.3) };
}

const SIGNED_OR_FLOAT = (c: ColumnModel) => c.kind === 'float64' || (isIntKind(c.kind) && !c.kind.startsWith('uint'));

/** columns usable in arithmetic without overflow (see header) */
function arithColumns(t: TableModel): ColumnModel[] {
  return t.columns.filter((c) => c.kind === 'float64' || (isIntKind(c.kind) && c.profile === 'small'));
}

/** a random arithmetic expression over arithmetic-safe columns, or null if there are none */
export function genArith(rng: Rng, t: TableModel): Expr | null {
  const cols = arithColumns(t);
  if (cols.length === 0) return null;
  const a = rng.pick(cols);
  const isFloat = a.kind === 'float64';
  const fn = rng.weighted<ArithFn>([[3, 'add'], [SIGNED_OR_FLOAT(a) ? 2 : 0, 'sub'], [3, 'mul'], [2, 'div']]);
  let r: Expr;
  const partners = cols.filter((c) => c !== a || rng.bool(0.3));
  switch (fn) {
    case 'add':
      r = partners.length && rng.bool(0.7)
        ? colExpr(rng.pick(partners))
        : litExpr(rng, isFloat && rng.bool(0.5) ? { t: 'float', v: rng.pick([0.5, -1.25, 1e10 + 0.5]) } : { t: 'int', v: BigInt(rng.pick(a.kind.startsWith('uint') ? [1, 7] : [1, 7, -3])), js: 'number' });
      break;
    case 'sub': {
      const signed = partners.filter(SIGNED_OR_FLOAT);
      r = signed.length && rng.bool(0.7) ? colExpr(rng.pick(signed)) : litExpr(rng, { t: 'int', v: BigInt(rng.pick([1, 7])), js: 'number' });
      break;
    }
    case 'mul': {
      const floats = partners.filter((c) => c.kind === 'float64');
      if (isFloat && floats.length && rng.bool(0.5)) r = colExpr(rng.pick(floats));
      else if (rng.bool(0.2)) r = litExpr(rng, { t: 'float', v: rng.pick([0.5, -1.5, 12345.678]) });
      else r = litExpr(rng, { t: 'int', v: BigInt(rng.pick(a.kind.startsWith('uint') ? [2, 3] : [2, 3, -1])), js: rng.bool(0.85) ? 'number' : 'bigint' });
      break;
    }
    case 'div':
      r = partners.length && rng.bool(0.7)
        ? colExpr(rng.pick(partners))
        : litExpr(rng, rng.bool(0.15) ? { t: 'int', v: 0n, js: 'number' } : { t: 'int', v: BigInt(rng.pick([2, 3, -4])), js: 'number' });
      break;
  }
  let e: Expr = { op: 'arith', fn, l: colExpr(a), r };
  // one level of nesting: (a op b) * 2 stays in range for 'small' ints
  if (fn !== 'mul' && rng.bool(0.25)) e = { op: 'arith', fn: 'mul', l: e, r: litExpr(rng, { t: 'int', v: 2n, js: 'number' }) };
  return e;
}

const ORDER_FNS: CmpFn[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];

/** 64-bit integers beyond the 'small' profile: never compared with floats (see header) */
const wideInt = (c: ColumnModel) => (c.kind === 'int64' || c.kind === 'uint64') && c.profile !== 'small';

/** Columns `c` may be compared with: same class; temporals of the very same type (unit and zone). */
function comparableColumns(t: TableModel, c: ColumnModel): ColumnModel[] {
  return t.columns.filter((o) => {
    if (o === c) return false;
    const a = colExprKind(c.kind);
    const b = colExprKind(o.kind);
    if (isTemporalKind(c.kind) || isTemporalKind(o.kind)) return c.kind === o.kind && (c.tz ?? null) === (o.tz ?? null);
    if (a === b) return true;
    if ((a === 'int' && b === 'float') || (a === 'float' && b === 'int')) return !wideInt(a === 'int' ? c : o);
    return false;
  });
}

/** Columns an arithmetic expression of kind `k` may be compared with. */
function arithPartners(t: TableModel): ColumnModel[] {
  // (the engine may evaluate integer arithmetic in Float64: README)
  return t.columns.filter((o) => (isIntKind(o.kind) || isFloatKind(o.kind)) && !wideInt(o));
}

function leaf(rng: Rng, t: TableModel): Pred {
  const c = rng.pick(t.columns);
  const e = colExpr(c);
  const kind = colExprKind(c.kind);
  const isNullP = (): Pred => ({ op: rng.bool() ? 'isNull' : 'isNotNull', e });
  /** 1..5 literals of the column's kind, sometimes with a null among them. */
  const inPredicate = (): Pred => {
    const n = rng.int(1, 5);
    const list: Lit[] = [];
    for (let i = 0; i < n; i++) list.push(litFor(rng, c, false));
    if (rng.bool(0.08)) list.push({ t: 'null' });
    return { op: 'in', e, list };
  };
  const others = comparableColumns(t, c);
  if (kind === 'int' || kind === 'float' || kind === 'date' || kind === 'ts') {
    const temporal = kind === 'date' || kind === 'ts';
    const choice = rng.weighted<string>([[40, 'cmp'], [12, 'between'], [12, 'in'], [10, 'null'], [others.length ? 15 : 0, 'colcol'], [temporal ? 0 : 15, 'arith']]);
    switch (choice) {
      case 'cmp': {
        const fn = rng.pick(ORDER_FNS);
        const l = litFor(rng, c);
        if (rng.bool(0.1)) return { op: 'cmp', fn, l: { op: 'lit', lit: l, wrap: true }, r: e };
        return { op: 'cmp', fn, l: e, r: litExpr(rng, l) };
      }
      case 'between': {
        // over the column or (numbers) arithmetic; each bound a literal or a comparable column
        const subject = !temporal && rng.bool(0.2) ? genArith(rng, t) : null;
        const partners = subject ? arithPartners(t) : others;
        const bound = (): Expr => (partners.length && rng.bool(0.3) ? colExpr(rng.pick(partners)) : litExpr(rng, subject ? arithLit(rng, subject) : litFor(rng, c, false)));
        let lo = bound();
        let hi = bound();
        if (lo.op === 'lit' && hi.op === 'lit' && rng.bool(0.8) && litNumber(lo.lit) > litNumber(hi.lit)) [lo, hi] = [hi, lo];
        return { op: 'between', e: subject ?? e, lo, hi };
      }
      case 'in': return inPredicate();
      case 'null': return isNullP();
      case 'colcol': return { op: 'cmp', fn: rng.pick(ORDER_FNS), l: e, r: colExpr(rng.pick(others)) };
      default: {
        const a = genArith(rng, t);
        if (!a) return isNullP();
        // arithmetic against a literal, a column, or other arithmetic
        const partners = arithPartners(t);
        const r: Expr = rng.weighted<() => Expr>([
          [5, () => litExpr(rng, arithLit(rng, a))],
          [partners.length ? 3 : 0, () => colExpr(rng.pick(partners))],
          [2, () => genArith(rng, t)!],
        ])();
        return { op: 'cmp', fn: rng.pick(ORDER_FNS), l: a, r };
      }
    }
  }
  if (kind === 'str') {
    const choice = rng.weighted<string>([[40, 'cmp'], [20, 'in'], [12, 'null'], [others.length ? 8 : 0, 'colcol'], [25, 'match']]);
    switch (choice) {
      case 'match': return strMatch(rng, c);
      case 'cmp': return { op: 'cmp', fn: rng.pick<CmpFn>(['eq', 'ne']), l: e, r: litExpr(rng, litFor(rng, c)) };
      case 'in': return inPredicate();
      case 'null': return isNullP();
      default: return { op: 'cmp', fn: rng.pick<CmpFn>(['eq', 'ne']), l: e, r: colExpr(rng.pick(others)) };
    }
  }
  // bool
  const choice = rng.weighted<string>([[30, 'direct'], [30, 'cmp'], [20, 'null'], [others.length ? 10 : 0, 'colcol'], [10, 'not']]);
  switch (choice) {
    case 'direct': return { op: 'boolCol', name: c.name };
    case 'cmp': return { op: 'cmp', fn: rng.pick<CmpFn>(['eq', 'ne']), l: e, r: litExpr(rng, litFor(rng, c)) };
    case 'null': return isNullP();
    case 'colcol': return { op: 'cmp', fn: rng.pick<CmpFn>(['eq', 'ne']), l: e, r: colExpr(rng.pick(others)) };
    default: return { op: 'not', p: { op: 'boolCol', name: c.name } };
  }
}

/**
 * A string predicate whose pattern comes from the column's values (a prefix, suffix or middle
 * part, or for LIKE the value with some characters turned into _ and runs into %), or is fresh.
 */
function strMatch(rng: Rng, c: ColumnModel): Pred {
  const e = colExpr(c);
  const pool = (c.pool as string[]).filter((x) => typeof x === 'string');
  const chars = [...(pool.length && rng.bool(0.8) ? rng.pick(pool) : rng.pick(['id0', 'é', '😀', 'a,b', '']))];
  const a = rng.int(0, chars.length), b = rng.int(a, chars.length);
  const fn = rng.pick<StrMatchFn>(['startsWith', 'endsWith', 'contains', 'like']);
  if (fn !== 'like') {
    const pattern = (fn === 'startsWith' ? chars.slice(0, b) : fn === 'endsWith' ? chars.slice(a) : chars.slice(a, b)).join('');
    return { op: 'strMatch', fn, e, pattern };
  }
  const like = chars.map((ch, i) => (i >= a && i < b ? rng.pick(['_', '%', ch]) : ch)).join('');
  return { op: 'strMatch', fn, e, pattern: rng.pick(['', '%']) + like + rng.pick(['', '%']) };
}

/** a literal to compare arithmetic with */
function arithLit(rng: Rng, a: Expr): Lit {
  return exprKind(a) === 'float' || rng.bool(0.3)
    ? { t: 'float', v: rng.pick([0, 0.5, -3.5, 10, 1e6, -1e6]) }
    : { t: 'int', v: BigInt(rng.int(-50, 50)), js: 'number' };
}

function litNumber(l: Lit): number {
  switch (l.t) {
    case 'int': return Number(l.v);
    case 'float': return l.v;
    case 'date': return l.days;
    case 'ts': return l.ms;
    default: return 0;
  }
}

export function genPred(rng: Rng, t: TableModel, depth = 3): Pred {
  if (depth < 3 && rng.bool(0.03)) return { op: 'boolLit', v: rng.pick([true, false, null]) };
  if (depth > 0 && rng.bool(0.4)) {
    if (rng.bool(0.15)) return { op: 'not', p: genPred(rng, t, depth - 1) };
    return { op: rng.bool(0.5) ? 'and' : 'or', l: genPred(rng, t, depth - 1), r: genPred(rng, t, depth - 1) };
  }
  return leaf(rng, t);
}

function genAgg(rng: Rng, t: TableModel, alias: string): Agg {
  const numeric = t.columns.filter((c) => isNumericKind(c.kind));
  const dates = t.columns.filter((c) => isTemporalKind(c.kind));
  const choice = rng.weighted<string>([[15, 'count*'], [15, 'count'], [numeric.length ? 20 : 0, 'sum'], [numeric.length ? 12 : 0, 'avg'], [numeric.length || dates.length ? 20 : 0, 'minmax'], [18, 'expr'], [numeric.length ? 12 : 0, 'spread'], [10, 'distinct'], [8, 'approx']]);
  const byName = rng.bool(0.5);
  switch (choice) {
    case 'spread': return { fn: rng.pick(SPREAD_FNS), arg: colExpr(rng.pick(numeric)), byName, alias };
    case 'approx': return { fn: 'approxCountDistinct', arg: colExpr(rng.pick(t.columns)), byName, alias };
    case 'distinct': return { fn: 'countDistinct', arg: (rng.bool(0.2) ? genArith(rng, t) : null) ?? colExpr(rng.pick(t.columns)), byName, alias };
    case 'count*': return { fn: 'count', arg: null, byName, alias };
    case 'count': return { fn: 'count', arg: colExpr(rng.pick(t.columns)), byName, alias };
    case 'sum': return { fn: 'sum', arg: colExpr(rng.pick(numeric)), byName, alias };
    case 'avg': return { fn: 'avg', arg: colExpr(rng.pick(numeric)), byName, alias };
    case 'minmax': {
      const strings = t.columns.filter((c) => isStringKind(c.kind));
      const c = strings.length && rng.bool(0.2) ? rng.pick(strings)
        : dates.length && (numeric.length === 0 || rng.bool(0.25)) ? rng.pick(dates) : rng.pick(numeric);
      return { fn: rng.bool() ? 'min' : 'max', arg: colExpr(c), byName, alias };
    }
    default: {
      const a = genArith(rng, t);
      if (!a) return { fn: 'count', arg: null, byName, alias };
      return { fn: rng.pick<AggFn>(['sum', 'sum', 'avg', 'min', 'max', 'count']), arg: a, byName: false, alias };
    }
  }
}

/** 1-3 distinct sort keys over the given output columns (with their source column), mixed directions and call styles. */
function genOrderBy(rng: Rng, cols: { name: string; from: ColumnModel | null }[]): OrderKey[] | null {
  const usable = cols;
  if (!usable.length) return null;
  const n = rng.weighted<number>([[5, 1], [3, 2], [2, 3]]);
  const keys = rng.sample(usable, n).map((c): OrderKey => {
    const desc = rng.bool();
    return { name: c.name, desc, style: desc ? rng.pick(['desc()', 'col'] as const) : rng.pick(['name', 'col'] as const) };
  });
  return keys.filter((k, i) => keys.findIndex((o) => o.name === k.name) === i);
}

/** The column a min/max output holds the values of, or null (counts, sums, averages, arithmetic). */
function aggSource(t: TableModel, a: Agg): ColumnModel | null {
  return (a.fn === 'min' || a.fn === 'max') && a.arg?.op === 'col' ? colByName(t, a.arg.name) : null;
}

/**
 * HAVING: a predicate over the aggregate's output columns. Keys, counts, integer sums and min/max
 * of columns are exact, so they take any comparison; the other aggregates only IS [NOT] NULL.
 */
function genHaving(rng: Rng, t: TableModel, keys: string[], aggs: Agg[]): Pred {
  const exact: ColumnModel[] = keys.map((k) => colByName(t, k));
  const loose: string[] = [];
  const pseudo = (name: string, kind: ColKind, profile: ColumnModel['profile'], pool: Value[], from?: ColumnModel): ColumnModel =>
    ({ name, kind, profile, pool, values: [], lowCardinality: true, nullRate: 0, specials: false, ...(from?.tz ? { tz: from.tz } : {}) });
  for (const a of aggs) {
    if (a.fn === 'count' || a.fn === 'countDistinct' || !a.arg) {
      exact.push(pseudo(a.alias, 'int64', 'small', [0n, 1n, 2n, 3n, 5n, 10n, 40n, 100n, 1000n]));
    } else if (a.arg.op === 'col' && (a.fn === 'min' || a.fn === 'max')) {
      const c = colByName(t, a.arg.name);
      exact.push({ ...pseudo(a.alias, c.kind, c.profile, c.pool, c), specials: c.specials });
    } else if (a.arg.op === 'col' && a.fn === 'sum' && isIntKind(a.arg.kind)) {
      const c = colByName(t, a.arg.name);
      const pool = (nonNullPool(c) as bigint[]).flatMap((v) => [v, v * 3n]).filter((v) => v >= -(2n ** 63n) && v < 2n ** 63n);
      exact.push(pseudo(a.alias, 'int64', 'full', [0n, ...pool]));
    } else loose.push(a.alias);
  }
  const anyNull = (): Pred => {
    const name = rng.pick([...loose, ...exact.map((c) => c.name)]);
    return { op: rng.bool() ? 'isNull' : 'isNotNull', e: { op: 'col', name, kind: exact.find((c) => c.name === name)?.kind ?? 'float64' } };
  };
  if (!exact.length || (loose.length && rng.bool(0.15))) return anyNull();
  const p = genPred(rng, { ...t, columns: exact }, 1);
  return loose.length && rng.bool(0.15) ? { op: rng.bool() ? 'and' : 'or', l: p, r: anyNull() } : p;
}

export interface QueryOptions {
  /** group by exactly these keys (agg mode forced) */
  keys?: string[];
}

/** 1..2 derived columns: arithmetic of numeric columns, or a column under another name. */
function genDerived(rng: Rng, t: TableModel): Derived[] {
  const out: Derived[] = [];
  for (let i = rng.int(1, 2); i > 0; i--) {
    const expr = (rng.bool(0.6) ? genArith(rng, t) : null) ?? colExpr(rng.pick(t.columns));
    out.push({ name: `d${out.length}`, expr });
  }
  return out;
}

/** An aggregate of a derived column, by its name. */
function derivedAgg(rng: Rng, d: Derived, alias: string): Agg {
  const k = exprKind(d.expr);
  const fns: AggFn[] = k === 'int' || k === 'float' ? ['sum', 'avg', 'min', 'max', 'count', 'variance', 'countDistinct'] : k === 'date' || k === 'ts' ? ['count', 'min', 'max', 'countDistinct'] : ['count', 'countDistinct'];
  return { fn: rng.pick(fns), arg: d.expr, byName: false, alias, via: d.name };
}

export function genQuery(rng: Rng, t: TableModel, opts: QueryOptions = {}): Query {
  const mode = opts.keys ? 'agg' : rng.weighted<Query['mode']>([[74, 'agg'], [12, 'collect'], [8, 'count'], [6, 'distinct']]);
  const filter = rng.bool(0.7) ? genPred(rng, t) : null;
  if (mode === 'distinct' || (mode === 'agg' && !opts.keys && rng.bool(0.25))) return genDerivedQuery(rng, t, mode, filter);
  if (mode === 'count') return { mode, filter, keys: [], aggs: [], orderBy: null };
  if (mode === 'collect') {
    const orderBy = rng.bool(0.4) ? genOrderBy(rng, t.columns.map((c) => ({ name: c.name, from: c }))) : null;
    return { mode, filter, keys: [], aggs: [], orderBy };
  }
  const grouped = opts.keys ? opts.keys.length > 0 : rng.bool(0.75);
  const keys: string[] = opts.keys ? [...opts.keys] : [];
  if (grouped && !opts.keys) {
    const keyable = t.columns.filter((c) => c.kind !== 'float64' || rng.bool(0.25));
    const weighted = keyable.map((c) => [c.lowCardinality ? 4 : 1, c] as const);
    const n = rng.weighted<number>([[5, 1], [3, 2], [2, 3]]);
    for (let i = 0; i < n && weighted.length; i++) {
      const c = rng.weighted(weighted);
      if (!keys.includes(c.name)) keys.push(c.name);
    }
  }
  const aggs: Agg[] = [];
  const n = rng.int(1, 5);
  for (let i = 0; i < n; i++) aggs.push(genAgg(rng, t, `a${i}`));
  const having = rng.bool(keys.length ? 0.35 : 0.1) ? genHaving(rng, t, keys, aggs) : null;
  let orderBy: Query['orderBy'] = null;
  if (rng.bool(keys.length ? 0.45 : 0.05)) {
    const cols = [...keys.map((k) => ({ name: k, from: colByName(t, k) })), ...aggs.map((a) => ({ name: a.alias, from: aggSource(t, a) }))];
    // mostly led by keys, as real queries are
    if (keys.length && rng.bool(0.5)) cols.splice(keys.length, 0, ...cols.slice(0, keys.length));
    orderBy = genOrderBy(rng, cols);
  }
  return { mode, filter, keys, aggs, having, orderBy };
}

/** An aggregate or distinct over derived columns (withColumn), which may be keys and aggregated by name. */
function genDerivedQuery(rng: Rng, t: TableModel, mode: 'agg' | 'distinct', filter: Pred | null): Query {
  const derived = genDerived(rng, t);
  const names = [...t.columns.filter((c) => c.lowCardinality || rng.bool(0.3)).map((c) => c.name), ...derived.map((d) => d.name)];
  const keys: string[] = [];
  for (let i = rng.int(mode === 'distinct' ? 1 : 0, 3); i > 0 && names.length; i--) {
    const k = rng.bool(0.5) ? rng.pick(derived).name : rng.pick(names);
    if (!keys.includes(k)) keys.push(k);
  }
  if (mode === 'distinct') {
    const orderBy = rng.bool(0.5) ? keys.map((name) => { const desc = rng.bool(0.3); return { name, desc, style: desc ? 'desc()' as const : 'name' as const }; }) : null;
    return { mode, derived, filter, keys, aggs: [], orderBy };
  }
  const aggs: Agg[] = [];
  for (let i = rng.int(1, 3); i > 0; i--) aggs.push(rng.bool(0.6) ? derivedAgg(rng, rng.pick(derived), `a${aggs.length}`) : genAgg(rng, t, `a${aggs.length}`));
  return { mode, derived, filter, keys, aggs, orderBy: null };
}

// ---------------------------------------------------------------- SQL

/** Nanoseconds per unit of a 64-bit temporal kind: every temporal comparison is made in exact ns. */
function nsPerUnit(k: WideTemporalKind): bigint {
  return 1_000_000_000n / UNITS_PER_SECOND[k];
}

export function sqlLit(l: Lit): string {
  switch (l.t) {
    case 'null': return 'NULL';
    case 'bool': return l.v ? 'TRUE' : 'FALSE';
    case 'str': return `'${l.v.replace(/'/g, "''")}'`;
    case 'date': return `(DATE '1970-01-01' + (${l.days}))`;
    case 'ts': return `(CAST(${l.ms} AS HUGEINT) * 1000000)`;
    case 'int': {
      const big = l.v > 2n ** 62n || l.v < -(2n ** 62n);
      return big ? `CAST('${l.v}' AS HUGEINT)` : l.v < 0n ? `(${l.v})` : `${l.v}`;
    }
    case 'float': {
      const s = Number.isNaN(l.v) ? 'NaN' : Object.is(l.v, -0) ? '-0.0' : String(l.v);
      return `CAST('${s}' AS DOUBLE)`;
    }
  }
}

export function sqlExpr(e: Expr): string {
  switch (e.op) {
    case 'col': return quoteIdent(e.name);
    case 'lit': return sqlLit(e.lit);
    case 'arith': {
      const l = sqlExpr(e.l);
      const r = sqlExpr(e.r);
      switch (e.fn) {
        case 'add': return `(${l} + ${r})`;
        case 'sub': return `(${l} - ${r})`;
        case 'mul': return `(${l} * ${r})`;
        case 'div': return `(CAST(${l} AS DOUBLE) / NULLIF(CAST(${r} AS DOUBLE), 0))`;
      }
    }
  }
}

/** An operand of a comparison: 64-bit temporal columns (raw units in DuckDB) as exact nanoseconds. */
function sqlOperand(e: Expr): string {
  if (e.op === 'col' && isWideTemporalKind(e.kind)) return `(CAST(${quoteIdent(e.name)} AS HUGEINT) * ${nsPerUnit(e.kind)})`;
  return sqlExpr(e);
}

const SQL_CMP: Record<CmpFn, string> = { eq: '=', ne: '<>', lt: '<', le: '<=', gt: '>', ge: '>=' };

export function sqlPred(p: Pred): string {
  switch (p.op) {
    case 'cmp': return `(${sqlOperand(p.l)} ${SQL_CMP[p.fn]} ${sqlOperand(p.r)})`;
    case 'isNull': return `(${sqlExpr(p.e)} IS NULL)`;
    case 'isNotNull': return `(${sqlExpr(p.e)} IS NOT NULL)`;
    case 'in': return `(${sqlOperand(p.e)} IN (${p.list.map(sqlLit).join(', ')}))`;
    case 'between': return `(${sqlOperand(p.e)} BETWEEN ${sqlOperand(p.lo)} AND ${sqlOperand(p.hi)})`;
    case 'and': return `(${sqlPred(p.l)} AND ${sqlPred(p.r)})`;
    case 'or': return `(${sqlPred(p.l)} OR ${sqlPred(p.r)})`;
    case 'not': return `(NOT ${sqlPred(p.p)})`;
    case 'boolCol': return quoteIdent(p.name);
    case 'boolLit': return p.v === null ? 'CAST(NULL AS BOOLEAN)' : p.v ? 'TRUE' : 'FALSE';
    case 'strMatch': {
      const pattern = `'${p.pattern.replace(/'/g, "''")}'`;
      if (p.fn === 'like') return `(${sqlExpr(p.e)} LIKE ${pattern})`;
      return `${{ startsWith: 'starts_with', endsWith: 'ends_with', contains: 'contains' }[p.fn]}(${sqlExpr(p.e)}, ${pattern})`;
    }
  }
}

/** Σ of the operands' magnitudes of an arithmetic argument (gpu-reference.ts compileMagnitude). */
function sqlMagnitude(e: Expr): string {
  if (e.op === 'arith' && e.fn !== 'div') {
    const a = sqlMagnitude(e.l), b = sqlMagnitude(e.r);
    return e.fn === 'mul' ? `(${a} * ${b})` : `(${a} + ${b})`;
  }
  return `abs(CAST(${sqlExpr(e)} AS DOUBLE))`;
}

/**
 * A variance or standard deviation: of a narrow integer column exactly, from HUGEINT sums rounded
 * once; of other numbers DuckDB's own (a group holding NaN or ±Infinity is NaN, as in the engine,
 * where DuckDB would raise an error).
 */
function sqlSpread(fn: SpreadFn, e: Expr): string {
  const x = sqlExpr(e);
  const sample = fn === 'stddev' || fn === 'variance', root = fn === 'stddev' || fn === 'stddevPop';
  const few = `count(${x}) < ${sample ? 2 : 1}`;
  let v: string;
  if (exactSpread(e)) {
    const h = `CAST(${x} AS HUGEINT)`;
    const num = `(count(${x}) * sum(${h} * ${h}) - sum(${h}) * sum(${h}))`;
    v = `(CAST(${num} AS DOUBLE) / CAST(${sample ? `count(${x}) * (count(${x}) - 1)` : `count(${x}) * count(${x})`} AS DOUBLE))`;
  } else {
    const d = `CAST(${x} AS DOUBLE)`;
    v = `(CASE WHEN count(*) FILTER (WHERE NOT isfinite(${d})) > 0 THEN 'NaN'::DOUBLE ELSE ${sample ? 'var_samp' : 'var_pop'}(${d}) FILTER (WHERE isfinite(${d})) END)`;
  }
  return `(CASE WHEN ${few} THEN NULL ELSE ${root ? `sqrt(${v})` : v} END)`;
}

function sqlAgg(a: Agg): string {
  if (!a.arg) return 'count(*)';
  const e = sqlExpr(a.arg);
  const intArg = exprKind(a.arg) === 'int';
  if (isSpread(a.fn)) return sqlSpread(a.fn, a.arg);
  // The exact count: the sketch's estimate is compared with it within its error bound.
  if (a.fn === 'countDistinct' || a.fn === 'approxCountDistinct') return `count(DISTINCT ${e})`;
  switch (a.fn) {
    case 'count':
    case 'min':
    case 'max': return `${a.fn}(${e})`;
    case 'sum': {
      if (intArg) return `sum(CAST(${e} AS HUGEINT))`;
      const d = `CAST(${e} AS DOUBLE)`;
      return `(CASE WHEN isfinite(sum(${d})) THEN fsum(${d}) ELSE sum(${d}) END)`;
    }
    case 'avg': {
      if (intArg) return `(CAST(sum(CAST(${e} AS HUGEINT)) AS DOUBLE) / count(${e}))`;
      const d = `CAST(${e} AS DOUBLE)`;
      return `((CASE WHEN isfinite(sum(${d})) THEN fsum(${d}) ELSE sum(${d}) END) / count(${d}))`;
    }
  }
}

/** hidden columns of the error bound: __abs<i> Σ|x|, __mag<i> Σ operand magnitudes, __n<i> count */
function sqlHidden(a: Agg, i: number): string[] {
  if (a.arg && isSpread(a.fn)) {
    const d = `CAST(${sqlExpr(a.arg)} AS DOUBLE)`;
    return [`fsum(${d} * ${d}) AS __sq${i}`, `count(${d}) AS __n${i}`];
  }
  if (!a.arg || (a.fn !== 'sum' && a.fn !== 'avg')) return [];
  if (a.fn === 'sum' && a.arg.op === 'col' && isIntKind(a.arg.kind)) return [];
  const e = sqlExpr(a.arg);
  const out = [`fsum(abs(CAST(${e} AS DOUBLE))) AS __abs${i}`, `count(${e}) AS __n${i}`];
  if (a.arg.op === 'arith') out.push(`fsum(${sqlMagnitude(a.arg)}) AS __mag${i}`);
  return out;
}

function sqlOrderBy(keys: OrderKey[]): string {
  return ` ORDER BY ${keys.map((k) => `${quoteIdent(k.name)} ${k.desc ? 'DESC NULLS LAST' : 'ASC NULLS FIRST'}`).join(', ')}`;
}

/** The table a query reads: `t`, or `t` with its derived columns. */
function fromSql(q: Query, table: string): string {
  if (!q.derived?.length) return quoteIdent(table);
  return `(SELECT *, ${q.derived.map((d) => `${sqlExpr(d.expr)} AS ${quoteIdent(d.name)}`).join(', ')} FROM ${quoteIdent(table)}) AS ${quoteIdent(table)}`;
}

/** The aggregate itself (no HAVING, no ORDER BY). */
function innerSql(q: Query, table: string): string {
  const where = q.filter ? ` WHERE ${sqlPred(q.filter)}` : '';
  const items = [
    ...q.keys.map(quoteIdent),
    ...q.aggs.map((a) => `${sqlAgg(a)} AS ${quoteIdent(a.alias)}`),
    ...q.aggs.flatMap(sqlHidden),
  ];
  const groupBy = q.keys.length ? ` GROUP BY ${q.keys.map(quoteIdent).join(', ')}` : '';
  return `SELECT ${items.join(', ')} FROM ${fromSql(q, table)}${where}${groupBy}`;
}

export function toSql(q: Query, table = 't'): string {
  const where = q.filter ? ` WHERE ${sqlPred(q.filter)}` : '';
  const from = ` FROM ${fromSql(q, table)}${where}`;
  if (q.mode === 'count') return `SELECT count(*) AS n${from}`;
  if (q.mode === 'distinct') return `SELECT DISTINCT ${q.keys.map(quoteIdent).join(', ')}${from}${q.orderBy ? sqlOrderBy(q.orderBy) : ''}`;
  if (q.mode === 'collect') return `SELECT *${from}${q.orderBy ? sqlOrderBy(q.orderBy) : ''}`;
  const inner = innerSql(q, table);
  if (!q.having && !q.orderBy) return inner;
  return `SELECT * FROM (${inner}) AS q${q.having ? ` WHERE ${sqlPred(q.having)}` : ''}${q.orderBy ? sqlOrderBy(q.orderBy) : ''}`;
}

/**
 * SQL counting the groups whose exact integer sum (of a column) leaves Int64, before HAVING (the
 * engine finalizes every group before it filters); null when the query has no such sum.
 */
export function overflowSql(q: Query, table = 't'): string | null {
  if (q.mode !== 'agg') return null;
  const sums = q.aggs.filter((a) => a.fn === 'sum' && a.arg?.op === 'col' && isIntKind(a.arg.kind));
  if (!sums.length) return null;
  const out = sums.map((a) => `${quoteIdent(a.alias)} NOT BETWEEN (-9223372036854775808)::HUGEINT AND 9223372036854775807::HUGEINT`);
  return `SELECT count(*) AS n FROM (${innerSql(q, table)}) AS q WHERE ${out.join(' OR ')}`;
}

// ---------------------------------------------------------------- expected result columns

export function outputColumns(q: Query, t: TableModel): OutColumn[] {
  const typeOf = (name: string) => t.table.schema.fields.find((f) => f.name === name)!.type.toString();
  const resultKind = (k: ExprKind): ResultKind => k;
  if (q.mode === 'count') return [{ name: 'n', kind: 'int', exact: true, arrowTypes: [], key: false }];
  if (q.mode === 'collect') {
    return t.columns.map((c) => ({
      name: c.name,
      kind: resultKind(colExprKind(c.kind)),
      exact: true,
      // (a sort re-encodes per-batch dictionaries into one with Int32 indices: src/arrow/take.ts)
      arrowTypes: c.kind === 'dict' ? [typeOf(c.name), 'Utf8', ...(q.orderBy ? ['Dictionary<Int32, Utf8>'] : [])] : [typeOf(c.name)],
      key: true,
    }));
  }
  const out: OutColumn[] = q.keys.map((k) => {
    const d = q.derived?.find((x) => x.name === k);
    if (d && d.expr.op !== 'col') {
      // arithmetic: the same IEEE (or exact integer) operations on both sides
      const ek = exprKind(d.expr);
      return { name: k, kind: ek === 'float' ? 'float' : 'numeric', exact: true, arrowTypes: ek === 'float' ? ['Float64'] : ['Int64', 'Float64'], key: true };
    }
    const c = d ? colByName(t, (d.expr as Extract<Expr, { op: 'col' }>).name) : colByName(t, k);
    return {
      name: k,
      kind: resultKind(colExprKind(c.kind)),
      exact: true,
      // String keys come back as Utf8 whatever their encoding (dictionary, LargeUtf8).
      arrowTypes: [c.kind === 'dict' || typeOf(c.name) === 'LargeUtf8' ? 'Utf8' : typeOf(c.name)],
      key: true,
    };
  });
  q.aggs.forEach((a, i) => {
    const base = { name: a.alias, key: false };
    if (a.fn === 'count' || a.fn === 'countDistinct' || !a.arg) {
      out.push({ ...base, kind: 'int', exact: true, arrowTypes: ['Int64'] });
      return;
    }
    const ek = exprKind(a.arg);
    const isCol = a.arg.op === 'col';
    const err = (fn: 'sum' | 'avg'): ErrorSpec => ({
      fn, abs: `__abs${i}`, n: `__n${i}`, ...(isCol ? {} : { mag: `__mag${i}` }), exactRef: ek === 'int', exactEngine: ek === 'int' && isCol,
    });
    switch (a.fn) {
      case 'sum':
        if (ek === 'float') out.push({ ...base, kind: 'float', exact: false, arrowTypes: ['Float64'], err: err('sum') });
        else if (isCol) out.push({ ...base, kind: 'int', exact: true, arrowTypes: ['Int64'], overflowChecked: true });
        // integer arithmetic: Int64 (exact) while its static bound fits 53 bits, else Float64 (README)
        else out.push({ ...base, kind: 'numeric', exact: false, arrowTypes: ['Int64', 'Float64'], err: err('sum') });
        return;
      case 'avg':
        out.push({ ...base, kind: 'float', exact: false, arrowTypes: ['Float64'], err: err('avg') });
        return;
      case 'approxCountDistinct':
        out.push({ ...base, kind: 'approx', exact: false, arrowTypes: ['Int64'], err: { fn: 'approx', abs: '', n: '', exactRef: true, exactEngine: false } });
        return;
      case 'stddev': case 'stddevPop': case 'variance': case 'varPop': {
        const root = a.fn === 'stddev' || a.fn === 'stddevPop';
        const exact = exactSpread(a.arg);
        out.push({ ...base, kind: 'float', exact: false, arrowTypes: ['Float64'], err: {
          fn: root ? 'stddev' : 'var', sample: a.fn === 'stddev' || a.fn === 'variance', sq: `__sq${i}`, abs: `__sq${i}`, n: `__n${i}`, exactRef: exact, exactEngine: exact,
        } });
        return;
      }
      case 'min':
      case 'max':
        if (isCol) {
          const c = a.arg as Extract<Expr, { op: 'col' }>;
          // (strings come back as Utf8 whatever their encoding, as keys do)
          out.push({ ...base, kind: resultKind(colExprKind(c.kind)), exact: true, arrowTypes: [isStringKind(c.kind) ? 'Utf8' : typeOf(c.name)] });
        } else {
          // both sides evaluate the same IEEE operations row by row: exact
          out.push({ ...base, kind: ek === 'float' ? 'float' : 'numeric', exact: true, arrowTypes: ek === 'float' ? ['Float64'] : [...INT_ARROW, 'Float64'] });
        }
        return;
    }
  });
  return out;
}

// ---------------------------------------------------------------- printable DataFrame code (replays)

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The JS value the engine is given for a literal. */
export function jsLitValue(l: Lit): null | boolean | string | number | bigint | Date {
  switch (l.t) {
    case 'null': return null;
    case 'bool': return l.v;
    case 'str': return l.v;
    case 'date': return l.iso ? isoDay(l.days * MS_PER_DAY) : new Date(l.days * MS_PER_DAY);
    case 'ts': return l.form === 'date' ? new Date(l.ms) : l.form === 'day' ? isoDay(l.ms) : new Date(l.ms).toISOString();
    case 'int': return l.js === 'bigint' ? l.v : Number(l.v);
    case 'float': return l.v;
  }
}

export function codeLit(l: Lit): string {
  switch (l.t) {
    case 'null': return 'null';
    case 'bool': return String(l.v);
    case 'str': return JSON.stringify(l.v);
    case 'date': return l.iso ? JSON.stringify(jsLitValue(l)) : `new Date(${l.days * MS_PER_DAY})`;
    case 'ts': return l.form === 'date' ? `new Date(${l.ms})` : JSON.stringify(jsLitValue(l));
    case 'int': return l.js === 'bigint' ? `${l.v}n` : String(l.v);
    case 'float': return showValue(l.v);
  }
}

export function codeExpr(e: Expr, receiver = false): string {
  switch (e.op) {
    case 'col': return `col(${JSON.stringify(e.name)})`;
    case 'lit': return e.wrap || receiver ? `lit(${codeLit(e.lit)})` : codeLit(e.lit);
    case 'arith': return `${codeExpr(e.l, true)}.${e.fn}(${codeExpr(e.r)})`;
  }
}

export function codePred(p: Pred): string {
  switch (p.op) {
    case 'cmp': return `${codeExpr(p.l, true)}.${p.fn}(${codeExpr(p.r)})`;
    case 'isNull': return `${codeExpr(p.e, true)}.isNull()`;
    case 'isNotNull': return `${codeExpr(p.e, true)}.isNotNull()`;
    case 'in': return `${codeExpr(p.e, true)}.isIn([${p.list.map(codeLit).join(', ')}])`;
    case 'between': return `${codeExpr(p.e, true)}.between(${codeExpr(p.lo)}, ${codeExpr(p.hi)})`;
    case 'and':
    case 'or': return `${codePred(p.l)}.${p.op}(${codePred(p.r)})`;
    case 'not': return `${codePred(p.p)}.not()`;
    case 'boolCol': return `col(${JSON.stringify(p.name)})`;
    case 'boolLit': return `lit(${String(p.v)})`;
    case 'strMatch': return `${codeExpr(p.e, true)}.${p.fn}(${JSON.stringify(p.pattern)})`;
  }
}

export function codeAgg(a: Agg): string {
  const arg = !a.arg ? '' : a.via ? JSON.stringify(a.via) : a.byName && a.arg.op === 'col' ? JSON.stringify(a.arg.name) : codeExpr(a.arg, true);
  return `${a.fn}(${arg}).as(${JSON.stringify(a.alias)})`;
}

export function codeOrderKey(k: OrderKey): string {
  const n = JSON.stringify(k.name);
  return k.style === 'name' ? n : k.style === 'desc()' ? `desc(${n})` : `col(${n}).${k.desc ? 'desc' : 'asc'}()`;
}

export function toCode(q: Query): string {
  let s = 'df';
  for (const d of q.derived ?? []) s += `.withColumn(${JSON.stringify(d.name)}, ${codeExpr(d.expr, true)})`;
  if (q.filter) s += `.filter(${codePred(q.filter)})`;
  if (q.mode === 'count') return s + '.count()';
  if (q.mode === 'distinct') s += `.select(${q.keys.map((k) => JSON.stringify(k)).join(', ')}).distinct()`;
  if (q.mode === 'agg') {
    if (q.keys.length) s += `.groupBy(${q.keys.map((k) => JSON.stringify(k)).join(', ')})`;
    s += `.agg(${q.aggs.map(codeAgg).join(', ')})`;
    if (q.having) s += `.filter(${codePred(q.having)})`;
  }
  if (q.orderBy) s += `.orderBy(${q.orderBy.map(codeOrderKey).join(', ')})`;
  return s + '.collect()';
}
