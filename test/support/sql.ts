/**
 * Random query descriptions and their translation to DuckDB SQL.
 *
 * A `Query` is engine-independent data: the differential test turns it into
 * DataFrame calls, `toSql` turns it into SQL, `toCode` into a printable
 * DataFrame snippet for replays, and `outputColumns` says how every result
 * column is compared (kind, tolerance, accepted Arrow types).
 *
 * What is deliberately NOT generated (semantics the engine spec leaves open
 * or where DuckDB differs by design):
 * - integer arithmetic that could overflow its type: +, -, * only on columns
 *   with the 'small' profile (|v| <= max/4 and <= 2^40), multipliers 2/3/-1,
 *   nesting only as `(a op b) * 2`; no subtraction on unsigned columns;
 * - int64 vs float64 column comparisons unless the int64 values are < 2^40
 *   (DuckDB compares through DOUBLE);
 * - ordering comparisons (<, >, between) on strings and booleans;
 * - float64 data large enough that sums overflow to ±Infinity.
 * A JS number with an integral value is an integer literal to the engine, so
 * the float literals used in arithmetic are never integral.
 * Division `/` in DuckDB 1.5 follows IEEE (x/0 = ±Inf, 0/0 = NaN); the
 * engine's `.div` by zero is null, so SQL divides by `NULLIF(divisor, 0)`.
 */
import {
  INT_RANGE,
  SMALL_RANGE,
  isFloatKind,
  isIntKind,
  isNumericKind,
  isStringKind,
  Rng,
  showValue,
  type ColKind,
  type ColumnModel,
  type TableModel,
  type Value,
} from './random.ts';
import { quoteIdent } from './duckdb.ts';

// ---------------------------------------------------------------- model

export type Lit =
  | { t: 'int'; v: bigint; js: 'number' | 'bigint' }
  | { t: 'float'; v: number }
  | { t: 'str'; v: string }
  | { t: 'bool'; v: boolean }
  | { t: 'date'; days: number }
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
  | { op: 'between'; e: Expr; lo: Lit; hi: Lit }
  | { op: 'and' | 'or'; l: Pred; r: Pred }
  | { op: 'not'; p: Pred }
  | { op: 'boolCol'; name: string }
  /** a literal predicate: lit(true) / lit(false) / lit(null) */
  | { op: 'boolLit'; v: boolean | null };

export type AggFn = 'count' | 'sum' | 'avg' | 'min' | 'max';

export interface Agg {
  fn: AggFn;
  /** null: count() */
  arg: Expr | null;
  /** pass a plain column name instead of col(name) */
  byName: boolean;
  alias: string;
}

export interface Query {
  mode: 'agg' | 'collect' | 'count';
  filter: Pred | null;
  keys: string[];
  aggs: Agg[];
  /** style: orderBy("k") | orderBy(desc("k")) | orderBy(col("k")) / orderBy(col("k").desc()) */
  orderBy: null | { name: string; desc: boolean; style: 'name' | 'desc()' | 'col' };
}

/** How a result column is compared. */
export type ResultKind = 'int' | 'float' | 'numeric' | 'str' | 'bool' | 'date';

export interface OutColumn {
  name: string;
  kind: ResultKind;
  /** float/numeric: compare exactly (min/max of a plain column, keys, collected rows) */
  exact: boolean;
  /** Arrow type strings the engine may return (DataType.toString()) */
  arrowTypes: string[];
  /** hidden SQL column holding the error scale (sum |x| for sum, avg |x| for avg) */
  scaleCol?: string;
  /** hidden SQL column holding sum(|x|) as HUGEINT for integer sums (overflow ambiguity) */
  absCol?: string;
  /** whether this is a group key */
  key: boolean;
}

const INT_ARROW = ['Int8', 'Int16', 'Int32', 'Int64', 'Uint8', 'Uint16', 'Uint32', 'Uint64'];

export type ExprKind = 'int' | 'float' | 'str' | 'bool' | 'date';

export function colExprKind(k: ColKind): ExprKind {
  if (isIntKind(k)) return 'int';
  if (isFloatKind(k)) return 'float';
  if (isStringKind(k)) return 'str';
  if (k === 'bool') return 'bool';
  return 'date';
}

function litKind(l: Lit): ExprKind | 'null' {
  switch (l.t) {
    case 'int': return 'int';
    case 'float': return 'float';
    case 'str': return 'str';
    case 'bool': return 'bool';
    case 'date': return 'date';
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
  if (kind === 'int64') return rng.bool(0.7) ? 'bigint' : 'number';
  return rng.bool(0.85) ? 'number' : 'bigint';
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
      case 'outOfRange': v = rng.pick([lo - 1n, hi + 1n, hi * 2n + 7n, -1000n - (lo < 0n ? -lo : 0n)]); break;
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
    case 'date32':
      if (pool.length && rng.bool(0.6)) return { t: 'date', days: rng.pick(pool) as number };
      return { t: 'date', days: rng.int(-40000, 40000) };
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

function comparableColumns(t: TableModel, c: ColumnModel): ColumnModel[] {
  return t.columns.filter((o) => {
    if (o === c) return false;
    const a = colExprKind(c.kind);
    const b = colExprKind(o.kind);
    if (a === b) return true;
    if ((a === 'int' && b === 'float') || (a === 'float' && b === 'int')) {
      const intCol = a === 'int' ? c : o;
      return !(intCol.kind === 'int64' && intCol.profile !== 'small');
    }
    return false;
  });
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
  if (kind === 'int' || kind === 'float' || kind === 'date') {
    const choice = rng.weighted<string>([[40, 'cmp'], [10, 'between'], [12, 'in'], [10, 'null'], [others.length ? 15 : 0, 'colcol'], [kind === 'date' ? 0 : 13, 'arith']]);
    switch (choice) {
      case 'cmp': {
        const fn = rng.pick(ORDER_FNS);
        const l = litFor(rng, c);
        if (rng.bool(0.1)) return { op: 'cmp', fn, l: { op: 'lit', lit: l, wrap: true }, r: e };
        return { op: 'cmp', fn, l: e, r: litExpr(rng, l) };
      }
      case 'between': {
        let lo = litFor(rng, c, false);
        let hi = litFor(rng, c, false);
        if (rng.bool(0.8) && litNumber(lo) > litNumber(hi)) [lo, hi] = [hi, lo];
        return { op: 'between', e, lo, hi };
      }
      case 'in': return inPredicate();
      case 'null': return isNullP();
      case 'colcol': return { op: 'cmp', fn: rng.pick(ORDER_FNS), l: e, r: colExpr(rng.pick(others)) };
      default: {
        const a = genArith(rng, t);
        if (!a) return isNullP();
        const lit: Lit = exprKind(a) === 'float' || rng.bool(0.3)
          ? { t: 'float', v: rng.pick([0, 0.5, -3.5, 10, 1e6, -1e6]) }
          : { t: 'int', v: BigInt(rng.int(-50, 50)), js: 'number' };
        return { op: 'cmp', fn: rng.pick(ORDER_FNS), l: a, r: litExpr(rng, lit) };
      }
    }
  }
  if (kind === 'str') {
    const choice = rng.weighted<string>([[50, 'cmp'], [25, 'in'], [15, 'null'], [others.length ? 10 : 0, 'colcol']]);
    switch (choice) {
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

function litNumber(l: Lit): number {
  switch (l.t) {
    case 'int': return Number(l.v);
    case 'float': return l.v;
    case 'date': return l.days;
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
  const dates = t.columns.filter((c) => c.kind === 'date32');
  const choice = rng.weighted<string>([[15, 'count*'], [15, 'count'], [numeric.length ? 20 : 0, 'sum'], [numeric.length ? 12 : 0, 'avg'], [numeric.length || dates.length ? 20 : 0, 'minmax'], [18, 'expr']]);
  const byName = rng.bool(0.5);
  switch (choice) {
    case 'count*': return { fn: 'count', arg: null, byName, alias };
    case 'count': return { fn: 'count', arg: colExpr(rng.pick(t.columns)), byName, alias };
    case 'sum': return { fn: 'sum', arg: colExpr(rng.pick(numeric)), byName, alias };
    case 'avg': return { fn: 'avg', arg: colExpr(rng.pick(numeric)), byName, alias };
    case 'minmax': {
      const c = dates.length && (numeric.length === 0 || rng.bool(0.15)) ? rng.pick(dates) : rng.pick(numeric);
      return { fn: rng.bool() ? 'min' : 'max', arg: colExpr(c), byName, alias };
    }
    default: {
      const a = genArith(rng, t);
      if (!a) return { fn: 'count', arg: null, byName, alias };
      return { fn: rng.pick<AggFn>(['sum', 'sum', 'avg', 'min', 'max', 'count']), arg: a, byName: false, alias };
    }
  }
}

export function genQuery(rng: Rng, t: TableModel): Query {
  const mode = rng.weighted<Query['mode']>([[80, 'agg'], [12, 'collect'], [8, 'count']]);
  const filter = rng.bool(0.7) ? genPred(rng, t) : null;
  if (mode !== 'agg') return { mode, filter, keys: [], aggs: [], orderBy: null };
  const grouped = rng.bool(0.75);
  const keys: string[] = [];
  if (grouped) {
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
  let orderBy: Query['orderBy'] = null;
  if (keys.length && rng.bool(0.25)) {
    const desc = rng.bool();
    orderBy = { name: rng.bool(0.6) ? rng.pick(keys) : rng.pick(aggs).alias, desc, style: desc ? rng.pick(['desc()', 'col'] as const) : rng.pick(['name', 'col'] as const) };
  }
  return { mode, filter, keys, aggs, orderBy };
}

// ---------------------------------------------------------------- SQL

export function sqlLit(l: Lit): string {
  switch (l.t) {
    case 'null': return 'NULL';
    case 'bool': return l.v ? 'TRUE' : 'FALSE';
    case 'str': return `'${l.v.replace(/'/g, "''")}'`;
    case 'date': return `(DATE '1970-01-01' + (${l.days}))`;
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

const SQL_CMP: Record<CmpFn, string> = { eq: '=', ne: '<>', lt: '<', le: '<=', gt: '>', ge: '>=' };

export function sqlPred(p: Pred): string {
  switch (p.op) {
    case 'cmp': return `(${sqlExpr(p.l)} ${SQL_CMP[p.fn]} ${sqlExpr(p.r)})`;
    case 'isNull': return `(${sqlExpr(p.e)} IS NULL)`;
    case 'isNotNull': return `(${sqlExpr(p.e)} IS NOT NULL)`;
    case 'in': return `(${sqlExpr(p.e)} IN (${p.list.map(sqlLit).join(', ')}))`;
    case 'between': return `(${sqlExpr(p.e)} BETWEEN ${sqlLit(p.lo)} AND ${sqlLit(p.hi)})`;
    case 'and': return `(${sqlPred(p.l)} AND ${sqlPred(p.r)})`;
    case 'or': return `(${sqlPred(p.l)} OR ${sqlPred(p.r)})`;
    case 'not': return `(NOT ${sqlPred(p.p)})`;
    case 'boolCol': return quoteIdent(p.name);
    case 'boolLit': return p.v === null ? 'CAST(NULL AS BOOLEAN)' : p.v ? 'TRUE' : 'FALSE';
  }
}

function sqlAgg(a: Agg): string {
  if (!a.arg) return 'count(*)';
  const e = sqlExpr(a.arg);
  if (a.fn === 'sum' && exprKind(a.arg) === 'int') return `sum(CAST(${e} AS HUGEINT))`;
  return `${a.fn}(${e})`;
}

/** hidden columns: error scales and |x| sums; named __scale<i> / __abs<i> */
function sqlHidden(a: Agg, i: number): string[] {
  if (!a.arg) return [];
  const e = sqlExpr(a.arg);
  const out: string[] = [];
  if (a.fn === 'sum') {
    if (exprKind(a.arg) === 'int') out.push(`sum(abs(CAST(${e} AS HUGEINT))) AS __abs${i}`);
    out.push(`sum(abs(CAST(${e} AS DOUBLE))) AS __scale${i}`);
  }
  if (a.fn === 'avg') out.push(`avg(abs(CAST(${e} AS DOUBLE))) AS __scale${i}`);
  return out;
}

export function toSql(q: Query, table = 't'): string {
  const where = q.filter ? ` WHERE ${sqlPred(q.filter)}` : '';
  const from = ` FROM ${quoteIdent(table)}${where}`;
  if (q.mode === 'count') return `SELECT count(*) AS n${from}`;
  if (q.mode === 'collect') return `SELECT *${from}`;
  const items = [
    ...q.keys.map(quoteIdent),
    ...q.aggs.map((a) => `${sqlAgg(a)} AS ${quoteIdent(a.alias)}`),
    ...q.aggs.flatMap(sqlHidden),
  ];
  const groupBy = q.keys.length ? ` GROUP BY ${q.keys.map(quoteIdent).join(', ')}` : '';
  return `SELECT ${items.join(', ')}${from}${groupBy}`;
}

// ---------------------------------------------------------------- expected result columns

export function outputColumns(q: Query, t: TableModel): OutColumn[] {
  const typeOf = (name: string) => t.table.schema.fields.find((f) => f.name === name)!.type.toString();
  const resultKind = (k: ExprKind): ResultKind => (k === 'int' ? 'int' : k === 'float' ? 'float' : k);
  if (q.mode === 'count') return [{ name: 'n', kind: 'int', exact: true, arrowTypes: [], key: false }];
  if (q.mode === 'collect') {
    return t.columns.map((c) => ({
      name: c.name,
      kind: resultKind(colExprKind(c.kind)),
      exact: true,
      arrowTypes: c.kind === 'dict' ? [typeOf(c.name), 'Utf8'] : [typeOf(c.name)],
      key: true,
    }));
  }
  const out: OutColumn[] = q.keys.map((k) => {
    const c = colByName(t, k);
    return {
      name: k,
      kind: resultKind(colExprKind(c.kind)),
      exact: true,
      // String keys come back as Utf8 whatever their encoding (dictionary, LargeUtf8).
      arrowTypes: [c.kind === 'dict' || typeOf(k) === 'LargeUtf8' ? 'Utf8' : typeOf(k)],
      key: true,
    };
  });
  q.aggs.forEach((a, i) => {
    const base = { name: a.alias, key: false };
    if (a.fn === 'count' || !a.arg) {
      out.push({ ...base, kind: 'int', exact: true, arrowTypes: ['Int64'] });
      return;
    }
    const ek = exprKind(a.arg);
    const isCol = a.arg.op === 'col';
    switch (a.fn) {
      case 'sum':
        if (ek === 'float') out.push({ ...base, kind: 'float', exact: false, arrowTypes: ['Float64'], scaleCol: `__scale${i}` });
        else if (isCol) out.push({ ...base, kind: 'int', exact: true, arrowTypes: ['Int64'], absCol: `__abs${i}` });
        // integer arithmetic: a plain JS number literal might be typed Float64 by the engine
        else out.push({ ...base, kind: 'numeric', exact: false, arrowTypes: ['Int64', 'Float64'], scaleCol: `__scale${i}`, absCol: `__abs${i}` });
        return;
      case 'avg':
        out.push({ ...base, kind: 'float', exact: false, arrowTypes: ['Float64'], scaleCol: `__scale${i}` });
        return;
      case 'min':
      case 'max':
        if (isCol) {
          const c = a.arg as Extract<Expr, { op: 'col' }>;
          out.push({ ...base, kind: resultKind(colExprKind(c.kind)), exact: true, arrowTypes: [typeOf(c.name)] });
        } else {
          // tolerance relative to the value itself (both sides evaluate the same IEEE operations)
          out.push({ ...base, kind: ek === 'float' ? 'float' : 'numeric', exact: false, arrowTypes: ek === 'float' ? ['Float64'] : [...INT_ARROW, 'Float64'] });
        }
        return;
    }
  });
  return out;
}

// ---------------------------------------------------------------- printable DataFrame code (replays)

export function codeLit(l: Lit): string {
  switch (l.t) {
    case 'null': return 'null';
    case 'bool': return String(l.v);
    case 'str': return JSON.stringify(l.v);
    case 'date': return `new Date(${l.days * 86400000})`;
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
    case 'between': return `${codeExpr(p.e, true)}.between(${codeLit(p.lo)}, ${codeLit(p.hi)})`;
    case 'and':
    case 'or': return `${codePred(p.l)}.${p.op}(${codePred(p.r)})`;
    case 'not': return `${codePred(p.p)}.not()`;
    case 'boolCol': return `col(${JSON.stringify(p.name)})`;
    case 'boolLit': return `lit(${String(p.v)})`;
  }
}

export function codeAgg(a: Agg): string {
  const arg = !a.arg ? '' : a.byName && a.arg.op === 'col' ? JSON.stringify(a.arg.name) : codeExpr(a.arg, true);
  return `${a.fn}(${arg}).as(${JSON.stringify(a.alias)})`;
}

export function toCode(q: Query): string {
  let s = 'df';
  if (q.filter) s += `.filter(${codePred(q.filter)})`;
  if (q.mode === 'count') return s + '.count()';
  if (q.mode === 'collect') return s + '.collect()';
  if (q.keys.length) s += `.groupBy(${q.keys.map((k) => JSON.stringify(k)).join(', ')})`;
  s += `.agg(${q.aggs.map(codeAgg).join(', ')})`;
  if (q.orderBy) {
    const n = JSON.stringify(q.orderBy.name);
    s += q.orderBy.style === 'name' ? `.orderBy(${n})` : q.orderBy.style === 'desc()' ? `.orderBy(desc(${n}))` : `.orderBy(col(${n})${q.orderBy.desc ? '.desc()' : ''})`;
  }
  return s + '.collect()';
}
