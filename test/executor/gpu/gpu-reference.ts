/**
 * The exact answer a spec must give, computed in plain JS from the input's values, independent of
 * both executors: the filter and the arguments evaluated row by row with the README's semantics
 * (SQL nulls and Kleene logic, NaN equal to NaN and greatest, -0 = 0, exact 64-bit comparisons,
 * integer arithmetic exact within 53 bits and float64 beyond, division by zero null), groups keyed
 * by canonical values, integer sums as exact BigInts (beyond Int64: the ArithmeticOverflowError
 * message the engine must raise), float sums exact (exactSum: no rounding until the end).
 *
 * Each executor's result is checked against this reference with the bound of its path:
 *   - integers, counts, keys, strings, booleans, dates: equal;
 *   - min / max of floats: floatMatches with bound 0 (non-finite exact), and never -0 (DuckDB gives 0);
 *   - sum of floats: sumBound(path, Σ|x|, exact) — SUM_ERROR.cpu = 4u or SUM_ERROR.gpu = 1e-13 of
 *     the group's own Σ|x|, plus the rounding of the result;
 *   - sum of a float64 arithmetic argument: the reference evaluates each row in float64 as the CPU
 *     does (same operations, same roundings), so the CPU's bound is as above. The GPU evaluates
 *     the row in double-float (48-bit operands: each operation loses up to ~2^-47 of its operands'
 *     magnitude, m = |a|+|b| for add/sub, |a|·|b| for mul, |x| for a column or literal), then adds
 *     it on its fixed-point grid (1e-13 of Σ|x|, checked by the engine per group). Bound:
 *     sumBound('gpu', 2·Σm, exact) — 1e-13·Σm for the grid and as much again (≥ 2^-44·Σm, room for
 *     16 operand roundings) for the double-float evaluation;
 *   - avg: the sum's bound / count plus one rounding (2u of the average); an integer avg's sum is
 *     exact, so its bound is the sum's rounding 2u·|Σ| / count plus that.
 */
import * as arrow from 'apache-arrow';
import type { AggSpec } from '../../../src/aggregate/registry.ts';
import type { AggregationSpec } from '../../../src/plan/aggregation-spec.ts';
import type { CmpOp } from '../../../src/expr/expr.ts';
import type { TExpr } from '../../../src/expr/resolve.ts';
import type { DType } from '../../../src/types.ts';
import { exactSum, floatMatches, sumBound, U } from '../../support/float-compare.ts';
import type { TableModel } from '../../support/random.ts';

/**
 * A value as the reference reads it: integers as bigint (those of up to 32 bits may be numbers),
 * floats as numbers, date32 as day numbers.
 */
export type Value = null | bigint | number | string | boolean;

/** The input's rows, column by column. */
export interface Rows {
  readonly n: number;
  column(name: string): readonly Value[];
}

const DAY_MS = 86_400_000;

/** Rows of an Arrow table, read through Arrow's own accessors (not the engine's decoders). */
export function rowsOfTable(t: arrow.Table): Rows {
  const cache = new Map<string, Value[]>();
  return {
    n: t.numRows,
    column(name) {
      let out = cache.get(name);
      if (out) return out;
      const v = t.getChild(name);
      if (!v) throw new Error(`reference: no column ${name}`);
      const type = v.type as arrow.DataType;
      const conv: (x: unknown) => Value =
        arrow.DataType.isInt(type) ? (x) => x as number | bigint
          : arrow.DataType.isFloat(type) ? (x) => x as number
            : arrow.DataType.isBool(type) ? (x) => x as boolean
              : arrow.DataType.isUtf8(type) || arrow.DataType.isLargeUtf8(type) || arrow.DataType.isDictionary(type) ? (x) => x as string
                : arrow.DataType.isDate(type) && (type as arrow.Date_).unit === arrow.DateUnit.DAY ? (x) => (x as number) / DAY_MS
                  : () => { throw new Error(`reference: column ${name} of type ${String(type)} is not supported`); };
      out = new Array<Value>(t.numRows);
      let i = 0;
      for (const x of v) out[i++] = x === null || x === undefined ? null : conv(x);
      cache.set(name, out);
      return out;
    },
  };
}

/** Rows of a random table's model: the values its Arrow data was built from (the source of truth). */
export function rowsOfModel(t: TableModel): Rows {
  const byName = new Map(t.columns.map((c) => [c.name, c.values as Value[]]));
  return {
    n: t.rows,
    column(name) {
      const v = byName.get(name);
      if (!v) throw new Error(`reference: no column ${name}`);
      return v;
    },
  };
}

/**
 * One canonical form for values coming back from either side and from the reference: integers
 * (bigint or integral number) as "<digits>n", NaN and infinities as strings, -0 as 0.
 */
export function canon(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return String(v);
    return Number.isInteger(v) ? `${BigInt(v)}n` : v;
  }
  return v;
}

/** The key of a group: its key values in canonical form. */
export const groupKey = (values: readonly unknown[]): string => JSON.stringify(values.map(canon));

// ---------------------------------------------------------------- expression evaluation

type Eval = (i: number) => Value;

const num = (v: Value): number => (typeof v === 'bigint' ? Number(v) : typeof v === 'boolean' ? (v ? 1 : 0) : (v as number));
const big = (v: Value): bigint => (typeof v === 'bigint' ? v : BigInt(v as number));

/** SQL's comparison of numbers: NaN equals NaN and is greater than every number; -0 = 0. */
function numCmp(op: CmpOp, a: number, b: number): boolean {
  const an = Number.isNaN(a), bn = Number.isNaN(b);
  switch (op) {
    case 'eq': return a === b || (an && bn);
    case 'ne': return !(a === b || (an && bn));
    case 'lt': return a < b || (bn && !an);
    case 'le': return a <= b || bn;
    case 'gt': return a > b || (an && !bn);
    case 'ge': return a >= b || an;
  }
}

function bigCmp(op: CmpOp, a: bigint, b: bigint): boolean {
  switch (op) {
    case 'eq': return a === b;
    case 'ne': return a !== b;
    case 'lt': return a < b;
    case 'le': return a <= b;
    case 'gt': return a > b;
    case 'ge': return a >= b;
  }
}

function cmpValues(op: CmpOp, mode: string, a: Value, b: Value): boolean | null {
  if (mode === 'null' || a === null || b === null) return null;
  if (mode === 'wide') return bigCmp(op, big(a), big(b));
  if (mode === 'str') {
    if (op !== 'eq' && op !== 'ne') throw new Error(`reference: string comparison ${op}`);
    return op === 'eq' ? a === b : a !== b;
  }
  return numCmp(op, num(a), num(b));
}

/** Compiles a typed expression into a function of the row index. */
function compile(e: TExpr, rows: Rows): Eval {
  switch (e.kind) {
    case 'col': {
      const v = rows.column(e.name);
      return (i) => v[i];
    }
    case 'lit': {
      const x = e.value;
      return () => x;
    }
    case 'arith': {
      const a = compile(e.left, rows), b = compile(e.right, rows);
      const op = e.op;
      // Integer arithmetic typed Int64 stays below 2^53 (its static bound), so the double is exact.
      return (i) => {
        const x = a(i), y = b(i);
        if (x === null || y === null) return null;
        const p = num(x), q = num(y);
        switch (op) {
          case 'add': return p + q;
          case 'sub': return p - q;
          case 'mul': return p * q;
          case 'div': return q === 0 ? null : p / q;
        }
      };
    }
    case 'cmp': {
      const a = compile(e.left, rows), b = compile(e.right, rows);
      return (i) => cmpValues(e.op, e.mode, a(i), b(i));
    }
    case 'logic': {
      const a = compile(e.left, rows), b = compile(e.right, rows);
      return e.op === 'and'
        ? (i) => { const x = a(i), y = b(i); return x === false || y === false ? false : x === null || y === null ? null : true; }
        : (i) => { const x = a(i), y = b(i); return x === true || y === true ? true : x === null || y === null ? null : false; };
    }
    case 'not': {
      const a = compile(e.arg, rows);
      return (i) => { const x = a(i); return x === null ? null : !x; };
    }
    case 'isNull': {
      const a = compile(e.arg, rows);
      return e.negated ? (i) => a(i) !== null : (i) => a(i) === null;
    }
    case 'in': {
      const a = compile(e.arg, rows);
      const values = e.list.filter((x) => !(x.kind === 'lit' && x.value === null)).map((x) => (x as { value: Value }).value);
      const hasNull = values.length < e.list.length;
      return (i) => {
        if (e.mode === 'null') return null;
        const x = a(i);
        if (x === null) return null;
        if (values.some((y) => cmpValues('eq', e.mode, x, y) === true)) return true;
        return hasNull ? null : false;
      };
    }
    case 'strMatch': {
      const a = compile(e.arg, rows);
      const p = e.pattern;
      const test = e.op === 'startsWith' ? (s: string) => s.slice(0, p.length) === p
        : e.op === 'endsWith' ? (s: string) => p.length <= s.length && s.slice(s.length - p.length) === p
          : e.op === 'contains' ? (s: string) => s.indexOf(p) >= 0 : (s: string) => likeMatch(s, p);
      return (i) => { const x = a(i); return x === null ? null : test(x as string); };
    }
  }
}

/** SQL LIKE by dynamic programming over code points (independent of the engine's regular expression). */
export function likeMatch(s: string, pattern: string): boolean {
  const t = [...s], p = [...pattern];
  let row = new Array<boolean>(t.length + 1).fill(false);
  row[0] = true;
  for (const c of p) {
    const next = new Array<boolean>(t.length + 1).fill(false);
    if (c === '%') {
      for (let j = 0; j <= t.length; j++) next[j] = row[j] || (j > 0 && next[j - 1]);
    } else {
      for (let j = 1; j <= t.length; j++) next[j] = row[j - 1] && (c === '_' || t[j - 1] === c);
    }
    row = next;
  }
  return row[t.length];
}

/** The magnitude of an argument's operands (see the module comment): |x| for a column or literal. */
function compileMagnitude(e: TExpr, rows: Rows): (i: number) => number {
  if (e.kind === 'arith' && e.op !== 'div') {
    const a = compileMagnitude(e.left, rows), b = compileMagnitude(e.right, rows);
    return e.op === 'mul' ? (i) => a(i) * b(i) : (i) => a(i) + b(i);
  }
  const v = compile(e, rows);
  return (i) => Math.abs(num(v(i) ?? 0));
}

// ---------------------------------------------------------------- aggregates

/** What one aggregate of one group must be. */
export type Want =
  | { readonly kind: 'exact'; readonly value: unknown }
  | { readonly kind: 'float'; readonly value: number | null; readonly bound: { readonly cpu: number; readonly gpu: number }; readonly what: string; readonly noNegativeZero?: true };

export interface Reference {
  /** Groups by groupKey, each aggregate's wanted value in spec order. */
  readonly groups: Map<string, Want[]>;
  /**
   * Messages of the ArithmeticOverflowError the reduce must raise (one per group whose exact
   * integer sum leaves Int64); empty when every sum fits.
   */
  readonly overflows: readonly string[];
}

interface Acc {
  n: number;
  isum: bigint;
  /** Part of an integer sum still below 2^53 (exact as a double): added to isum when it grows. */
  small: number;
  xs: number[];
  abs: number;
  mag: number;
  best: Value;
}

const INT64_MIN = -(2n ** 63n), INT64_MAX = 2n ** 63n - 1n;

/** Output form of a key or min/max value of this type (date32 comes back as epoch milliseconds). */
const outputOf = (t: DType | null) => (t?.id === 'date32' ? (v: Value) => (v === null ? null : (v as number) * DAY_MS) : (v: Value) => v);

/** min/max order: NaN greatest, booleans false < true, bigints exactly. */
function less(a: Value, b: Value): boolean {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b;
  if (typeof a === 'bigint' || typeof b === 'bigint') return big(a) < big(b);
  const p = num(a), q = num(b);
  if (Number.isNaN(p)) return false;
  return Number.isNaN(q) || p < q;
}

export function referenceOf(spec: AggregationSpec, rows: Rows): Reference {
  const filter = spec.filter ? compile(spec.filter, rows) : null;
  const keys = spec.keys.map((k) => ({ v: rows.column(k.column), out: outputOf(k.dtype) }));
  const args = spec.aggs.map((a) => (a.arg ? compile(a.arg, rows) : null));
  const mags = spec.aggs.map((a) => (a.state === 'fsum' && a.arg?.kind === 'arith' ? compileMagnitude(a.arg, rows) : null));
  // Each key value's canonical JSON, once per distinct value (the same text groupKey gives).
  const parts = keys.map(() => new Map<Value, string>());
  const part = (j: number, v: Value): string => {
    let p = parts[j].get(v);
    if (p === undefined) parts[j].set(v, (p = JSON.stringify(canon(keys[j].out(v)))));
    return p;
  };
  const updates = spec.aggs.map((a, j): ((s: Acc, i: number) => void) => {
    if (a.state === 'countRows') return (s) => { s.n++; };
    const arg = args[j]!, mag = mags[j];
    const valued = (f: (s: Acc, x: Value, i: number) => void) => (s: Acc, i: number) => {
      const x = arg(i);
      if (x === null) return;
      s.n++;
      f(s, x, i);
    };
    switch (a.state) {
      case 'count': return valued(() => {});
      case 'isum': return valued((s, x) => {
        if (typeof x === 'number' && Math.abs(x) <= 2 ** 50) {
          s.small += x;
          if (Math.abs(s.small) > 2 ** 52) { s.isum += BigInt(s.small); s.small = 0; }
        } else s.isum += big(x);
      });
      case 'fsum': return valued((s, x, i) => {
        const f = num(x);
        s.xs.push(f);
        if (Number.isFinite(f)) {
          s.abs += Math.abs(f);
          s.mag += mag ? mag(i) : Math.abs(f);
        }
      });
      case 'min': case 'wmin': return valued((s, x) => { if (s.n === 1 || less(x, s.best)) s.best = x; });
      default: return valued((s, x) => { if (s.n === 1 || less(s.best, x)) s.best = x; });
    }
  });
  const fresh = (): Acc => ({ n: 0, isum: 0n, small: 0, xs: [], abs: 0, mag: 0, best: null });
  const accs = new Map<string, Acc[]>();
  for (let i = 0; i < rows.n; i++) {
    if (filter && filter(i) !== true) continue;
    let key = '[';
    for (let j = 0; j < keys.length; j++) key += (j ? ',' : '') + part(j, keys[j].v[i]);
    key += ']';
    let acc = accs.get(key);
    if (!acc) accs.set(key, (acc = spec.aggs.map(fresh)));
    for (let j = 0; j < updates.length; j++) updates[j](acc[j], i);
  }
  const overflows: string[] = [];
  const groups = new Map<string, Want[]>();
  for (const [key, acc] of accs) groups.set(key, spec.aggs.map((a, j) => finish(a, acc[j], overflows)));
  // A global aggregate has its one group even over no rows.
  if (spec.keys.length === 0 && groups.size === 0) groups.set(groupKey([]), spec.aggs.map((a) => finish(a, fresh(), overflows)));
  return { groups, overflows };
}

function finish(a: AggSpec, s: Acc, overflows: string[]): Want {
  const what = a.display;
  switch (a.state) {
    case 'countRows': case 'count': return { kind: 'exact', value: BigInt(s.n) };
    case 'isum': {
      s.isum += BigInt(s.small);
      s.small = 0;
      if (s.n === 0) return a.fn === 'avg' ? { kind: 'float', value: null, bound: { cpu: 0, gpu: 0 }, what } : { kind: 'exact', value: null };
      if (a.fn === 'sum') {
        if (s.isum < INT64_MIN || s.isum > INT64_MAX) overflows.push(`${a.name} = ${s.isum} overflows Int64`);
        return { kind: 'exact', value: s.isum };
      }
      const total = Number(s.isum), avg = total / s.n;
      const b = (2 * U * Math.abs(total)) / s.n + 2 * U * Math.abs(avg);
      return { kind: 'float', value: avg, bound: { cpu: b, gpu: b }, what };
    }
    case 'fsum': {
      if (s.n === 0) return { kind: 'float', value: null, bound: { cpu: 0, gpu: 0 }, what };
      const total = exactSum(s.xs);
      const arith = a.arg?.kind === 'arith';
      const cpu = sumBound('cpu', s.abs, total), gpu = sumBound('gpu', arith ? 2 * s.mag : s.abs, total);
      if (a.fn === 'sum') return { kind: 'float', value: total, bound: { cpu, gpu }, what };
      const avg = total / s.n;
      return { kind: 'float', value: avg, bound: { cpu: cpu / s.n + 2 * U * Math.abs(avg), gpu: gpu / s.n + 2 * U * Math.abs(avg) }, what };
    }
    default: {
      const v = s.n === 0 ? null : outputOf(a.result)(s.best);
      if (a.result.id === 'float64' || a.result.id === 'float32') return { kind: 'float', value: v === null ? null : num(v), bound: { cpu: 0, gpu: 0 }, what, noNegativeZero: true };
      return { kind: 'exact', value: v };
    }
  }
}

// ---------------------------------------------------------------- comparison

const show = (v: unknown): string => (typeof v === 'bigint' ? `${v}n` : Object.is(v, -0) ? '-0' : String(v));

/** Where `got` (rows by groupKey, as the harness's reduceAll gives them) differs from the reference on this path. */
export function diffFromReference(got: ReadonlyMap<string, readonly unknown[]>, ref: Reference, path: 'cpu' | 'gpu', limit = 10): string[] {
  const out: string[] = [];
  if (got.size !== ref.groups.size) out.push(`${path}: ${got.size} groups, reference ${ref.groups.size}`);
  for (const k of got.keys()) if (!ref.groups.has(k) && out.length < limit) out.push(`${path}: group ${k} is not in the reference`);
  for (const [k, want] of ref.groups) {
    if (out.length >= limit) break;
    const row = got.get(k);
    if (!row) { out.push(`${path}: missing group ${k}`); continue; }
    want.forEach((w, j) => {
      const g = row[j];
      if (w.kind === 'exact') {
        if (canon(g) !== canon(w.value)) out.push(`${path}: group ${k} agg ${j}: ${show(g)}, reference ${show(w.value)}`);
        return;
      }
      const bound = w.bound[path];
      if (w.noNegativeZero && Object.is(g, -0)) out.push(`${path}: group ${k} ${w.what}: -0, where min/max give 0`);
      if (!floatMatches(g as number | null, w.value, bound)) {
        const err = typeof g === 'number' && Number.isFinite(g) && w.value !== null && Number.isFinite(w.value) ? ` (|error| ${Math.abs(g - w.value).toExponential(3)} > bound ${bound.toExponential(3)})` : '';
        out.push(`${path}: group ${k} ${w.what}: ${show(g)}, reference ${show(w.value)}${err}`);
      }
    });
  }
  return out;
}

/** Where two results differ at all (floats with bound 0: non-finite exact, -0 = 0). */
export function diffExact(a: ReadonlyMap<string, readonly unknown[]>, b: ReadonlyMap<string, readonly unknown[]>, limit = 10): string[] {
  const out: string[] = [];
  if (a.size !== b.size) out.push(`groups: ${a.size} vs ${b.size}`);
  for (const [k, bv] of b) {
    if (out.length >= limit) break;
    const av = a.get(k);
    if (!av) { out.push(`missing group ${k}`); continue; }
    bv.forEach((y, j) => {
      const x = av[j];
      const same = typeof x === 'number' && typeof y === 'number' ? floatMatches(x, y, 0) : canon(x) === canon(y);
      if (!same) out.push(`group ${k} agg ${j}: ${show(x)} vs ${show(y)}`);
    });
  }
  return out;
}
