/**
 * Random DataFrames over a random table (random.ts): an optional Kleene filter of comparisons
 * (with a literal, BETWEEN two literals, column against column, arithmetic against a literal or a
 * column), IN, IS NULL and boolean columns; 0-2 group keys; 1-3 aggregates fitting each column's
 * type, some of them over arithmetic (add, sub, mul; rarely div).
 *
 * Arithmetic leans on operands the GPU evaluates (integers of up to 16 bits, exact in i32; float,
 * int32 and uint32 columns with a float operand, in double-float) so that most of it runs there;
 * the rest (division, integer arithmetic beyond 32 bits, float arithmetic in a comparison or in
 * min/max, 64-bit integers in float arithmetic, float columns beyond the double-float range) runs
 * its map task on the CPU by design, with the reason recorded.
 */
import { avg, col, count, max, min, sum, type DataFrame } from '../../src/index.ts';
import { isFloatKind, isIntKind, isNumericKind, isStringKind, type ColumnModel, type Rng, type TableModel } from './random.ts';

type Column = ReturnType<typeof col>;
type Literal = number | bigint | string | boolean | Date | null;

function literalOf(c: ColumnModel, rng: Rng): Literal {
  const v = rng.pick(c.pool.length ? c.pool : [null]);
  if (typeof v === 'bigint') return c.kind === 'int64' ? v : Number(v);
  if (c.kind === 'date32' && typeof v === 'number') return new Date(v * 86_400_000);
  return v;
}

const CMP = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;

/** Columns another column can be compared with (same class; no int64 against a float: no GPU kernel). */
function comparableWith(t: TableModel, c: ColumnModel): ColumnModel[] {
  return t.columns.filter((d) => {
    if (isNumericKind(c.kind)) {
      if (!isNumericKind(d.kind)) return false;
      return !((c.kind === 'int64' && isFloatKind(d.kind)) || (d.kind === 'int64' && isFloatKind(c.kind)));
    }
    if (isStringKind(c.kind)) return isStringKind(d.kind);
    return d.kind === c.kind;
  });
}

/** Small integer kinds: their sums, differences and products stay exact in 32 bits (on the GPU too). */
const SMALL_INTS = new Set(['int8', 'int16', 'uint8', 'uint16']);

/** An arithmetic expression over the table's numeric columns, or null where it has none. */
export function arithmetic(t: TableModel, rng: Rng, depth = 0): Column | null {
  const nums = t.columns.filter((c) => isNumericKind(c.kind));
  if (nums.length === 0) return null;
  const small = nums.filter((c) => SMALL_INTS.has(c.kind));
  // 64-bit integers only now and then (in float arithmetic they have no GPU kernel).
  const narrow = nums.filter((c) => c.kind !== 'int64');
  const operand = () => (narrow.length && rng.bool(0.9) ? rng.pick(narrow) : rng.pick(nums));
  const a = small.length && rng.bool(0.5) ? rng.pick(small) : operand();
  const left = depth < 1 && rng.bool(0.15) ? arithmetic(t, rng, depth + 1)! : col(a.name);
  const op = rng.weighted<'add' | 'sub' | 'mul' | 'div'>([[4, 'add'], [3, 'sub'], [4, 'mul'], [0.6, 'div']]);
  let right: Column | number;
  if (SMALL_INTS.has(a.kind) && rng.bool(0.6)) {
    // Integer arithmetic the GPU keeps exact in i32: another small integer or a small literal.
    right = small.length > 1 && rng.bool(0.5) ? col(rng.pick(small).name) : rng.pick([2, 3, -1, 7, 100]);
  } else if (rng.bool(0.6)) {
    // Float arithmetic: a float literal (also over integer columns).
    right = rng.pick([0.5, -1.25, 0.1, 2.5, 1e-3, 3]);
  } else {
    right = col(operand().name);
  }
  return left[op](right as never);
}

function predicate(t: TableModel, rng: Rng, depth = 0): Column {
  if (depth < 2 && rng.bool(0.35)) {
    const a = predicate(t, rng, depth + 1), b = predicate(t, rng, depth + 1);
    return rng.pick(['and', 'or'] as const) === 'and' ? a.and(b) : a.or(b);
  }
  const c = rng.pick(t.columns);
  if (rng.bool(0.15)) return rng.bool() ? col(c.name).isNull() : col(c.name).isNotNull();
  const x = col(c.name);
  if (c.kind === 'bool') {
    if (rng.bool(0.2)) return x[rng.pick(['eq', 'ne'] as const)](col(rng.pick(comparableWith(t, c)).name));
    return rng.bool() ? x : x.not();
  }
  const str = isStringKind(c.kind);
  const form = rng.weighted<'lit' | 'column' | 'between' | 'arith'>([[10, 'lit'], [3, 'column'], [str ? 0 : 2, 'between'], [isNumericKind(c.kind) ? 2 : 0, 'arith']]);
  if (form === 'column') {
    const other = col(rng.pick(comparableWith(t, c)).name);
    return str ? x[rng.pick(['eq', 'ne'] as const)](other) : x[rng.pick(CMP)](other);
  }
  if (form === 'between') {
    let lo = literalOf(c, rng), hi = literalOf(c, rng);
    // Mostly an ordered range; sometimes an empty one.
    if (lo !== null && hi !== null && rng.bool(0.8) && (lo as number) > (hi as number)) [lo, hi] = [hi, lo];
    return x.between(lo as never, hi as never);
  }
  if (form === 'arith') {
    const e = arithmetic(t, rng)!;
    const other = rng.bool(0.3) ? col(rng.pick(t.columns.filter((d) => isIntKind(d.kind) && SMALL_INTS.has(d.kind)).concat(c)).name) : literalOf(c, rng);
    return e[rng.pick(CMP)](typeof other === 'bigint' ? Number(other) : (other as never));
  }
  const lit = literalOf(c, rng) as never;
  if (str && rng.bool(0.4)) {
    // A string predicate on a piece of a value: its first, last or middle characters, or LIKE with _ and %.
    const chars = [...(typeof lit === 'string' ? lit as string : 'id0')];
    const a = rng.int(0, chars.length), b = rng.int(a, chars.length);
    switch (rng.pick(['startsWith', 'endsWith', 'contains', 'like'] as const)) {
      case 'startsWith': return x.startsWith(chars.slice(0, b).join(''));
      case 'endsWith': return x.endsWith(chars.slice(a).join(''));
      case 'contains': return x.contains(chars.slice(a, b).join(''));
      case 'like': return x.like(`%${chars.map((ch, i) => (i >= a && i < b ? rng.pick(['_', '%', ch]) : ch)).join('')}`);
    }
  }
  if (str) return rng.bool() ? x.eq(lit) : x.isIn([lit, literalOf(c, rng) as never]);
  return x[rng.pick(CMP)](lit);
}

export function randomFrame(df: DataFrame, t: TableModel, rng: Rng): DataFrame {
  const d = rng.bool(0.6) ? df.filter(predicate(t, rng)) : df;
  const aggs = [count().as('n')];
  for (const c of rng.sample(t.columns, rng.int(1, 3))) {
    const numeric = isNumericKind(c.kind);
    const fns = numeric ? ['sum', 'avg', 'min', 'max'] : c.kind === 'date32' || c.kind === 'bool' ? ['min', 'max', 'count'] : ['count'];
    const make = (fn: string) => ({ sum, avg, min, max, count } as Record<string, (x: string | Column) => ReturnType<typeof sum>>)[fn];
    if (numeric && rng.bool(0.25)) {
      const fn = rng.weighted<string>([[4, 'sum'], [2, 'avg'], [0.6, 'min'], [0.6, 'max'], [1, 'count']]);
      aggs.push(make(fn)(arithmetic(t, rng)!).as(`${fn}_expr_${aggs.length}`));
      continue;
    }
    const fn = rng.pick(fns);
    aggs.push(make(fn)(c.name).as(`${fn}_${c.name}_${aggs.length}`));
  }
  const keys = rng.sample(t.columns, rng.weighted([[2, 0], [5, 1], [3, 2]])).map((c) => c.name);
  return keys.length ? d.groupBy(...keys).agg(...aggs) : d.agg(...aggs);
}
