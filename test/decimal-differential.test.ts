/**
 * Decimal columns against DuckDB: random tables of decimal(p, s) columns (every precision up to 18,
 * and decimal(38, s) holding 64-bit unscaled values), with nulls (garbage under the null slots),
 * extremes ±(10^p − 1), empty and one-row tables; queries of sum / avg / min / max / count, decimal
 * group keys, comparisons with literals (some between two of the column's values), arithmetic with
 * SQL's scale rules, comparisons across scales, isIn and orderBy. Exact results must be equal digit
 * for digit; avg (Float64) within 4 ulps. Each table runs on the CPU and on the GPU executor.
 *
 * A second block, "128-bit decimals against DuckDB", draws decimal(p, s) columns with p from 19 to
 * 38 holding any value up to ±(10^p − 1) (just beyond ±2^63 and ±2^64, around ±2^96, the extremes),
 * sized so that every sum the queries take stays within 38 digits, and checks sums, group keys,
 * comparisons with literals beyond the Int64 range, arithmetic and isIn on them the same way; two
 * more tests check that a sum, and a product, beyond 38 digits is an ArithmeticOverflowError.
 */
import * as arrow from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArithmeticOverflowError, avg, col, count, countDistinct, desc, max, min, Session, sum, type DataFrame } from '../src/index.ts';
import { decimalCells, formatDecimal, toDecimal128Words } from '../src/arrow/decimal.ts';
import { gpuDetails } from '../src/executor/gpu/gpu-task-details.ts';
import { DuckDb, type SqlResult } from './support/duckdb.ts';
import { Rng } from './support/random.ts';

interface DecColumn { name: string; p: number; s: number; values: (bigint | null)[] }
interface DecTable { rows: number; cols: DecColumn[]; k: (number | null)[]; arrow: arrow.Table }

/** Tables drawn (DEC_SEEDS=n for more). */
const SEEDS = Number(process.env.DEC_SEEDS ?? 24);

const pow10 = (n: number): bigint => 10n ** BigInt(n);

type Profile = 'keys' | 'uniform' | 'extremes' | 'magnitudes' | 'edges';
const NARROW_PROFILES: readonly Profile[] = ['keys', 'uniform', 'extremes'];
/** 128-bit columns also draw values of every magnitude, and values at the 64- and 96-bit edges. */
const WIDE_PROFILES: readonly Profile[] = ['keys', 'uniform', 'extremes', 'magnitudes', 'edges'];

/**
 * Values of decimal(p, s), |unscaled| ≤ limit: few distinct (keys), uniform over the range,
 * extremes, and (WIDE_PROFILES) uniform in a random number of digits, or edges: just beyond ±2^63,
 * ±2^64 and around ±2^96 (5% of a wide column's values in the other profiles too). A wide column's
 * keys include values that differ from another key only in their high 64 bits.
 */
function decimalColumn(r: Rng, name: string, p: number, s: number, rows: number, limit = pow10(p) - 1n, profiles = NARROW_PROFILES): DecColumn {
  const profile = r.pick(profiles);
  const pool = Array.from({ length: r.int(1, 6) }, () => r.bigint(-limit, limit));
  if (profiles.includes('edges')) {
    pool.push(edgeValue(r, limit), magnitudeValue(r, limit));
    for (const v of pool.slice()) {
      const twin = v + (r.bool() ? 1n : -1n) * (1n << 64n);
      if (r.bool(0.5) && twin <= limit && twin >= -limit) pool.push(twin);
    }
  }
  const nullRate = r.pick([0, 0.1, 0.5]);
  const values = Array.from({ length: rows }, () => {
    if (r.bool(nullRate)) return null;
    if (profile === 'keys') return r.pick(pool);
    if (profiles.includes('edges') && r.bool(0.05)) return edgeValue(r, limit);
    if (profile === 'extremes') return r.pick([limit, -limit, 0n, 1n, -1n, r.bigint(-limit, limit)]);
    if (profile === 'magnitudes') return magnitudeValue(r, limit);
    if (profile === 'edges') return r.bool(0.7) ? edgeValue(r, limit) : r.bigint(-limit, limit);
    return r.bigint(-limit, limit);
  });
  return { name, p, s, values };
}

/** ±(2^63 + δ) (both sides of the Int64 range), ±(2^64 + δ), ±(2^96 + δ), 0, ±1 or ±limit; clamped to ±limit. */
function edgeValue(r: Rng, limit: bigint): bigint {
  const sign = r.bool() ? 1n : -1n;
  const v = r.pick([
    () => (1n << 63n) + r.bigint(-2n, 2n),
    () => (1n << 64n) + r.bigint(-2n, 2n),
    () => (1n << 96n) + r.bigint(-(1n << 40n), 1n << 40n),
    () => 0n,
    () => 1n,
    () => limit,
  ])();
  return v > limit ? sign * limit : sign * v;
}

/** Uniform among the values of a random number of digits (up to limit's). */
function magnitudeValue(r: Rng, limit: bigint): bigint {
  const top = pow10(r.int(0, limit.toString().length));
  const m = top > limit ? limit : top;
  return r.bigint(-m, m);
}

/** Null slots hold garbage the engine must never read: Int64-sized for the 64-bit tables. */
const narrowGarbage = (r: Rng): bigint => r.bigint(-(1n << 62n), 1n << 62n);
/** Any 128 bits, beyond 10^38 too. */
const wideGarbage = (r: Rng): bigint => r.bigint(-(1n << 127n), (1n << 127n) - 1n);

function decimalVector(c: DecColumn, r: Rng, garbage = narrowGarbage): arrow.Vector {
  // Garbage under the null slots: the engine must never read them.
  const data = toDecimal128Words(c.values.map((v) => v ?? garbage(r)));
  const bitmap = new Uint8Array(((c.values.length + 63) >> 6) << 3);
  c.values.forEach((v, i) => { if (v !== null) bitmap[i >> 3] |= 1 << (i & 7); });
  const nullCount = c.values.filter((v) => v === null).length;
  return arrow.makeVector(arrow.makeData({ type: new arrow.Decimal(c.s, c.p, 128), length: c.values.length, nullCount, nullBitmap: bitmap, data }));
}

/** The Arrow table of an Int32 key column k and the decimal columns. */
function tableOf(r: Rng, cols: DecColumn[], k: (number | null)[], garbage = narrowGarbage): DecTable {
  const vectors: Record<string, arrow.Vector> = { k: arrow.vectorFromArray(k, new arrow.Int32()) };
  for (const c of cols) vectors[c.name] = decimalVector(c, r, garbage);
  return { rows: k.length, cols, k, arrow: new arrow.Table(vectors) };
}

function randomTable(seed: number): DecTable {
  const r = new Rng(seed);
  const rows = r.pick([0, 1, 7, 300, 3000]);
  // c · d · 2.5 stays below 2^53 unscaled: checked arithmetic beyond it is an error (tested in decimal.test.ts).
  const pa = r.int(1, 18), pc = r.int(1, 7), pd = r.int(1, 7);
  const cols = [
    decimalColumn(r, 'a', pa, r.int(0, pa), rows),
    decimalColumn(r, 'b', r.int(1, 18), 0, rows),
    decimalColumn(r, 'c', pc, r.int(0, pc), rows),
    decimalColumn(r, 'd', pd, r.int(0, pd), rows),
    decimalColumn(r, 'w', 38, r.int(0, 20), rows, (1n << 62n) - 1n),
  ];
  cols[1]!.s = r.int(0, cols[1]!.p);
  const k = Array.from({ length: rows }, () => (r.bool(0.1) ? null : r.int(0, 4)));
  return tableOf(r, cols, k);
}

async function load(db: DuckDb, t: DecTable): Promise<void> {
  // Decimal text through VARCHAR, cast exactly by DuckDB.
  const raw = t.cols.map((c) => ({ name: c.name, kind: 'utf8' as const, values: c.values.map((v) => (v === null ? null : formatDecimal(v, c.s))) }));
  await db.load('raw', [{ name: 'k', kind: 'int32', values: t.k } as never, ...raw as never[]], t.rows);
  await db.query('DROP TABLE IF EXISTS t');
  await db.query(`CREATE TABLE t AS SELECT k, ${t.cols.map((c) => `CAST(${c.name} AS DECIMAL(${c.p}, ${c.s})) AS ${c.name}`).join(', ')} FROM raw`);
}

/** A literal near column c's values: one of them, or between two (a digit beyond its scale); as JS number text without an exponent. */
function literal(r: Rng, c: DecColumn): number {
  const present = c.values.filter((v): v is bigint => v !== null);
  const base = present.length && r.bool(0.6) ? r.pick(present) : r.bigint(-(pow10(Math.min(c.p, 15)) - 1n), pow10(Math.min(c.p, 15)) - 1n);
  const text = formatDecimal(base * 10n + (r.bool(0.4) ? 5n : 0n), c.s + 1);
  const x = Number(text);
  return Math.abs(x) >= 1e-6 && Math.abs(x) < 1e21 ? x : 0;
}

interface Query { name: string; df: (d: DataFrame) => DataFrame; sql: string }

function queries(r: Rng, t: DecTable): Query[] {
  const a = t.cols[0]!, b = t.cols[1]!;
  const l1 = literal(r, a), l2 = literal(r, a), l3 = literal(r, b);
  const sqlLit = (x: number) => String(x);
  return [
    {
      name: 'group by k: sum, avg, min, max, count',
      df: (d) => d.groupBy('k').agg(sum('a'), avg('a'), min('a'), max('a'), count('a'), sum('w'), min('w'), max('b')).orderBy('k'),
      sql: 'SELECT k, sum(a), avg(a), min(a), max(a), count(a), sum(w), min(w), max(b) FROM t GROUP BY k ORDER BY k NULLS FIRST',
    },
    {
      name: 'group by a decimal key, descending',
      df: (d) => d.groupBy('a').agg(count(), sum('c'), max('d')).orderBy(desc('a')),
      sql: 'SELECT a, count(*), sum(c), max(d) FROM t GROUP BY a ORDER BY a DESC NULLS LAST',
    },
    {
      name: `filter a > ${l1} and a <= ${l2}, b != ${l3}`,
      df: (d) => d.filter(col('a').gt(l1).and(col('a').le(l2)).and(col('b').ne(l3))).agg(count(), sum('a'), sum('b')),
      sql: `SELECT count(*), sum(a), sum(b) FROM t WHERE a > ${sqlLit(l1)} AND a <= ${sqlLit(l2)} AND b <> ${sqlLit(l3)}`,
    },
    {
      name: `filter a = ${l1} or a < ${l3}, and isIn`,
      df: (d) => d.filter(col('a').eq(l1).or(col('a').lt(l3)).or(col('b').isIn([l3, l2]))).groupBy('k').agg(count(), min('a')).orderBy('k'),
      sql: `SELECT k, count(*), min(a) FROM t WHERE a = ${sqlLit(l1)} OR a < ${sqlLit(l3)} OR b IN (${sqlLit(l3)}, ${sqlLit(l2)}) GROUP BY k ORDER BY k NULLS FIRST`,
    },
    {
      name: 'arithmetic: c * d, c + d, c - d, c * k, 1 - d',
      df: (d) => d.groupBy('k').agg(sum(col('c').mul(col('d'))), sum(col('c').add(col('d'))), min(col('c').sub(col('d'))), max(col('c').mul(col('k'))), sum(col('c').mul(col('d')).mul(2.5)), sum(col('d').mul(-1).add(1))).orderBy('k'),
      sql: 'SELECT k, sum(c * d), sum(c + d), min(c - d), max(c * k), sum(c * d * 2.5), sum(1 - d) FROM t GROUP BY k ORDER BY k NULLS FIRST',
    },
    {
      name: 'compare across scales: c < d, c * 3 >= d + k',
      df: (d) => d.filter(col('c').lt(col('d')).or(col('c').mul(3).ge(col('d').add(col('k'))))).agg(count(), sum('d'), avg(col('c').mul(col('d')))),
      sql: 'SELECT count(*), sum(d), avg(c * d) FROM t WHERE c < d OR c * 3 >= d + k',
    },
    {
      name: 'projections: distinct computed keys, withColumn over a sum',
      df: (d) => d.select(col('c').mul(col('d')).as('e'), 'k').distinct().orderBy('e', 'k'),
      sql: 'SELECT DISTINCT c * d AS e, k FROM t ORDER BY e NULLS FIRST, k NULLS FIRST',
    },
    {
      name: 'withColumn over aggregates',
      df: (d) => d.groupBy('k').agg(sum('c').as('s')).withColumn('t', col('s').mul(2).sub(col('k'))).orderBy('k'),
      sql: 'SELECT k, s, s * 2 - k AS t FROM (SELECT k, sum(c) AS s FROM t GROUP BY k) ORDER BY k NULLS FIRST',
    },
    {
      name: 'division and floats in Float64',
      df: (d) => d.filter(col('c').div(col('d')).gt(0.5)).agg(count()),
      // Spark's semantics: a division by zero is null (DuckDB's is Infinity).
      sql: 'SELECT count(*) FROM t WHERE CAST(c AS DOUBLE) / NULLIF(CAST(d AS DOUBLE), 0) > 0.5',
    },
  ];
}

// ---------------------------------------------------------------- 128-bit tables

/** 128-bit tables drawn (DEC_SEEDS=n for more), from seeds of their own. */
const WIDE_SEEDS = Number(process.env.DEC_SEEDS ?? 12);
const WIDE_SEED_OFFSET = 1_000_000;

const MAX38 = pow10(38) - 1n;
const minOf = (...xs: bigint[]): bigint => xs.reduce((m, x) => (x < m ? x : m));

/** x, unscaled at scale `from`, at scale `to`: exact upward, truncated downward. */
const rescaled = (x: bigint, from: number, to: number): bigint => (to >= from ? x * pow10(to - from) : x / pow10(from - to));

/**
 * Table i of the 128-bit block: k, a and b (decimal(19..38, s), their scales 1 to 3 apart, some of
 * b's values a's own or a unit beside it), c (a small decimal) and w (decimal(19..38, s) over its
 * whole range, ±(10^p − 1) included; never summed). Table i has no rows where i % 6 = 1, one where
 * i % 6 = 2, else 7, 300 (twice as likely) or 3000.
 *
 * Every sum the queries take stays within 38 digits: rows · |a| · max(10^pc, 100) < 10^38 (sum(a * c),
 * sum(a * 2.5)), and rows · (|a| + |b|) at the larger scale < 10^38 (sum(a + b)). a's and b's common
 * type (the larger integer part and the larger scale) is within 38 digits: DuckDB compares two
 * decimals in it, and fails ("value is out of range") where a value does not fit.
 */
function wideTable(i: number): DecTable {
  const r = new Rng(WIDE_SEED_OFFSET + i);
  const rows = i % 6 === 1 ? 0 : i % 6 === 2 ? 1 : r.pick([7, 300, 300, 3000]);
  let pa = 0, sa = 0, pb = 0, sb = 0;
  do {
    pa = r.int(19, 38);
    sa = r.int(0, Math.min(pa, 30));
    pb = r.int(19, 38);
    sb = sa + r.pick([-3, -2, -1, 1, 2, 3]);
  } while (sb < 0 || sb > pb || Math.max(pa - sa, pb - sb) + Math.max(sa, sb) > 38);
  const top = Math.max(sa, sb), pc = r.int(1, 3), n = BigInt(Math.max(rows, 1));
  const la = minOf(pow10(pa) - 1n, MAX38 / (2n * n * pow10(top - sa)), MAX38 / (n * pow10(Math.max(pc, 2))));
  const lb = minOf(pow10(pb) - 1n, MAX38 / (2n * n * pow10(top - sb)));
  const a = decimalColumn(r, 'a', pa, sa, rows, la, WIDE_PROFILES);
  const b = decimalColumn(r, 'b', pb, sb, rows, lb, WIDE_PROFILES);
  const copies = r.pick([0, 0.3, 0.9]);
  b.values = b.values.map((v, j) => {
    const x = a.values[j] ?? null;
    if (v === null || x === null || !r.bool(copies)) return v;
    const y = rescaled(x, sa, sb) + BigInt(r.int(-1, 1));
    return y <= lb && y >= -lb ? y : v;
  });
  const c = decimalColumn(r, 'c', pc, r.int(0, pc), rows);
  const pw = r.int(19, 38);
  const w = decimalColumn(r, 'w', pw, r.int(0, pw), rows, pow10(pw) - 1n, WIDE_PROFILES);
  const k = Array.from({ length: rows }, () => (r.bool(0.1) ? null : r.int(0, 4)));
  return tableOf(r, [a, b, c, w], k, wideGarbage);
}

/** A decimal literal: its unscaled value and scale. */
interface DecLit { unscaled: bigint; scale: number }

const LIT_KINDS = ['value', 'value', 'between', 'int64', 'beyond', 'small'] as const;
type LitKind = (typeof LIT_KINDS)[number];

/**
 * A literal for column c: one of its values; one between two of them (a digit beyond its scale);
 * ±2^63 + δ or ±2^64 + δ unscaled (either side of the Int64 range); 20 to 38 digits (beyond the
 * Int64 range, and often beyond the column's); or small. Its common type with c, and with the other
 * literals for c in an IN list, stays within 38 digits, where DuckDB compares exactly: a literal a
 * digit beyond c's scale only where p ≤ 37, and there the others have at most 37 digits.
 */
function wideLiteral(r: Rng, c: DecColumn, kind: LitKind = r.pick(LIT_KINDS)): DecLit {
  const sign = r.bool() ? 1n : -1n;
  const maxDigits = c.p <= 37 ? 37 : 38;
  switch (kind) {
    case 'between':
      if (c.p > 37) return wideLiteral(r, c, 'value');
      return { unscaled: wideLiteral(r, c, 'value').unscaled * 10n + sign * BigInt(r.int(1, 9)), scale: c.s + 1 };
    case 'int64':
      return { unscaled: sign * ((1n << BigInt(r.pick([63, 64]))) + r.bigint(-2n, 2n)), scale: c.s };
    case 'beyond': {
      const digits = r.int(20, r.bool() ? Math.max(20, Math.min(c.p, maxDigits)) : maxDigits);
      return { unscaled: sign * r.bigint(pow10(digits - 1), pow10(digits) - 1n), scale: c.s };
    }
    case 'small':
      return { unscaled: r.bigint(-(10n ** 12n), 10n ** 12n), scale: c.s };
    case 'value': {
      const present = c.values.filter((v): v is bigint => v !== null);
      return { unscaled: present.length ? r.pick(present) : r.bigint(-(pow10(c.p) - 1n), pow10(c.p) - 1n), scale: c.s };
    }
  }
}

/** A literal for both sides: as the engine takes it (its text, or where exact, drawn, a bigint or a JS number), as SQL, as text. */
interface BothLit { v: string | bigint | number; sql: string; text: string }

function bothLit(r: Rng, l: DecLit): BothLit {
  const text = formatDecimal(l.unscaled, l.scale);
  const short = text.includes('.') ? text.replace(/\.?0+$/, '') : text;
  const form = r.pick(['text', 'bigint', 'number'] as const);
  const v = form === 'bigint' && !short.includes('.') ? BigInt(short)
    : form === 'number' && String(Number(short)) === short ? Number(short)
      : text;
  // DuckDB types a literal of more than 38 digits as DOUBLE, and one beyond BIGINT as HUGEINT (DECIMAL(38, 0)): cast.
  const digits = (l.unscaled < 0n ? -l.unscaled : l.unscaled).toString().length;
  return { v, sql: `CAST('${text}' AS DECIMAL(${Math.max(digits, l.scale, 1)}, ${l.scale}))`, text };
}

function wideQueries(r: Rng, t: DecTable): Query[] {
  const [a, b, c, w] = t.cols as [DecColumn, DecColumn, DecColumn, DecColumn];
  const lit = (l: DecLit): BothLit => bothLit(r, l);
  const l1 = lit(wideLiteral(r, a)), l2 = lit(wideLiteral(r, a, r.pick(['beyond', 'int64', 'between'] as const))), l3 = lit(wideLiteral(r, w));
  const l4 = lit(wideLiteral(r, a, 'between')), lv = lit(wideLiteral(r, a, 'value')), lw = lit(wideLiteral(r, w)), lb = lit(wideLiteral(r, b));
  const inA = Array.from({ length: r.int(1, 4) }, () => lit(wideLiteral(r, a)));
  const inW = Array.from({ length: r.int(1, 4) }, () => lit(wideLiteral(r, w)));
  // Literals for a + b (at the larger scale) and a * c (at the sum of the scales): one of their values, else 0.
  const top = Math.max(a.s, b.s);
  const sums = a.values.flatMap((x, i) => { const y = b.values[i] ?? null; return x !== null && y !== null ? [rescaled(x, a.s, top) + rescaled(y, b.s, top)] : []; });
  const products = a.values.flatMap((x, i) => { const y = c.values[i] ?? null; return x !== null && y !== null ? [x * y] : []; });
  const lsum = lit({ unscaled: sums.length ? r.pick(sums) : 0n, scale: top });
  const lproduct = lit({ unscaled: products.length ? r.pick(products) : 0n, scale: a.s + c.s });
  const list = (ls: BothLit[], f: (l: BothLit) => string) => ls.map(f).join(', ');
  return [
    {
      name: 'group by k: sum, avg, min, max, count, countDistinct of wide columns',
      df: (d) => d.groupBy('k').agg(sum('a'), avg('a'), min('a'), max('a'), count('a'), countDistinct('a'), sum('b'), min('w'), max('w'), countDistinct('w')).orderBy('k'),
      sql: 'SELECT k, sum(a), avg(a), min(a), max(a), count(a), count(DISTINCT a), sum(b), min(w), max(w), count(DISTINCT w) FROM t GROUP BY k ORDER BY k NULLS FIRST',
    },
    {
      name: 'whole table: sum, avg, min, max, count, countDistinct',
      df: (d) => d.agg(sum('b'), avg('b'), min('b'), max('a'), count(), countDistinct('b'), min('w')),
      sql: 'SELECT sum(b), avg(b), min(b), max(a), count(*), count(DISTINCT b), min(w) FROM t',
    },
    {
      name: 'group by the wide column a, descending: count, sum(b), max(c)',
      df: (d) => d.groupBy('a').agg(count(), sum('b'), max('c')).orderBy(desc('a')),
      sql: 'SELECT a, count(*), sum(b), max(c) FROM t GROUP BY a ORDER BY a DESC NULLS LAST',
    },
    {
      name: 'group by the full-range column w: count, sum(a), min(b)',
      df: (d) => d.groupBy('w').agg(count(), sum('a'), min('b')).orderBy('w'),
      sql: 'SELECT w, count(*), sum(a), min(b) FROM t GROUP BY w ORDER BY w NULLS FIRST',
    },
    {
      name: `filter a > ${l1.text} and a <= ${l2.text} and w <> ${l3.text}`,
      df: (d) => d.filter(col('a').gt(l1.v).and(col('a').le(l2.v)).and(col('w').ne(l3.v))).agg(count(), sum('a'), sum('b'), min('w')),
      sql: `SELECT count(*), sum(a), sum(b), min(w) FROM t WHERE a > ${l1.sql} AND a <= ${l2.sql} AND w <> ${l3.sql}`,
    },
    {
      name: `filter (a = ${lv.text} or a < ${l4.text}) and (w >= ${lw.text} or b > ${lb.text})`,
      df: (d) => d.filter(col('a').eq(lv.v).or(col('a').lt(l4.v)).and(col('w').ge(lw.v).or(col('b').gt(lb.v)))).groupBy('k').agg(count(), min('a'), max('w'), sum('b')).orderBy('k'),
      sql: `SELECT k, count(*), min(a), max(w), sum(b) FROM t WHERE (a = ${lv.sql} OR a < ${l4.sql}) AND (w >= ${lw.sql} OR b > ${lb.sql}) GROUP BY k ORDER BY k NULLS FIRST`,
    },
    {
      name: `comparisons as values, grouped on their outcomes: a > ${l1.text}, a <= ${l4.text}, a < b, w <> ${l3.text}`,
      df: (d) => d.select(col('a').gt(l1.v).as('p'), col('a').le(l4.v).as('q'), col('a').lt(col('b')).as('u'), col('w').ne(l3.v).as('v'))
        .groupBy('p', 'q', 'u', 'v').agg(count()).orderBy('p', 'q', 'u', 'v'),
      sql: `SELECT p, q, u, v, count(*) FROM (SELECT a > ${l1.sql} AS p, a <= ${l4.sql} AS q, a < b AS u, w <> ${l3.sql} AS v FROM t) ` +
        'GROUP BY p, q, u, v ORDER BY p NULLS FIRST, q NULLS FIRST, u NULLS FIRST, v NULLS FIRST',
    },
    {
      name: 'compare across scales: a < b',
      df: (d) => d.filter(col('a').lt(col('b'))).groupBy('k').agg(count(), sum('a'), max('b')).orderBy('k'),
      sql: 'SELECT k, count(*), sum(a), max(b) FROM t WHERE a < b GROUP BY k ORDER BY k NULLS FIRST',
    },
    {
      name: `compare across scales: a = b or (a > b and w <= ${lw.text})`,
      df: (d) => d.filter(col('a').eq(col('b')).or(col('a').gt(col('b')).and(col('w').le(lw.v)))).agg(count(), sum('b'), min('a')),
      sql: `SELECT count(*), sum(b), min(a) FROM t WHERE a = b OR (a > b AND w <= ${lw.sql})`,
    },
    {
      name: 'arithmetic in sums: a + b, a - b, a * c, b - a, a * 2.5, a * -0.75',
      df: (d) => d.groupBy('k').agg(sum(col('a').add(col('b'))), sum(col('a').sub(col('b'))), sum(col('a').mul(col('c'))), min(col('a').add(col('b'))),
        max(col('b').sub(col('a'))), sum(col('a').mul(2.5)), sum(col('a').mul('-0.75'))).orderBy('k'),
      sql: "SELECT k, sum(a + b), sum(a - b), sum(a * c), min(a + b), max(b - a), sum(a * 2.5), sum(a * CAST('-0.75' AS DECIMAL(2, 2))) FROM t GROUP BY k ORDER BY k NULLS FIRST",
    },
    {
      name: `arithmetic in a filter: a + b > ${lsum.text} or (a - b < 0 and k = 1) or a * c <= ${lproduct.text}`,
      df: (d) => d.filter(col('a').add(col('b')).gt(lsum.v).or(col('a').sub(col('b')).lt(0).and(col('k').eq(1))).or(col('a').mul(col('c')).le(lproduct.v)))
        .agg(count(), sum('a'), sum(col('b').sub(col('a')))),
      sql: `SELECT count(*), sum(a), sum(b - a) FROM t WHERE a + b > ${lsum.sql} OR (a - b < CAST(0 AS DECIMAL(1, 0)) AND k = 1) OR a * c <= ${lproduct.sql}`,
    },
    {
      name: `isIn: a in (${list(inA, (l) => l.text)}) or w in (${list(inW, (l) => l.text)})`,
      df: (d) => d.filter(col('a').isIn(inA.map((l) => l.v)).or(col('w').isIn(inW.map((l) => l.v)))).groupBy('k').agg(count(), min('a'), max('w')).orderBy('k'),
      sql: `SELECT k, count(*), min(a), max(w) FROM t WHERE a IN (${list(inA, (l) => l.sql)}) OR w IN (${list(inW, (l) => l.sql)}) GROUP BY k ORDER BY k NULLS FIRST`,
    },
    {
      name: 'order by a wide sum, descending',
      df: (d) => d.groupBy('k').agg(sum('a').as('s'), max('w').as('m')).orderBy(desc('s'), 'k'),
      sql: 'SELECT k, sum(a) AS s, max(w) AS m FROM t GROUP BY k ORDER BY s DESC NULLS LAST, k NULLS FIRST',
    },
    {
      name: 'order by a + b, descending, then w',
      df: (d) => d.select(col('a').add(col('b')).as('e'), 'w', 'k').orderBy(desc('e'), 'w', 'k'),
      sql: 'SELECT a + b AS e, w, k FROM t ORDER BY e DESC NULLS LAST, w NULLS FIRST, k NULLS FIRST',
    },
    {
      name: 'distinct a * c, ordered',
      df: (d) => d.select(col('a').mul(col('c')).as('e'), 'k').distinct().orderBy('e', 'k'),
      sql: 'SELECT DISTINCT a * c AS e, k FROM t ORDER BY e NULLS FIRST, k NULLS FIRST',
    },
  ];
}

// ---------------------------------------------------------------- comparison

type Cell = string | number | bigint | null;

/** Our result as rows of cells: decimals as their text, other values as they are. */
function ourRows(t: arrow.Table): Cell[][] {
  const vectors = t.schema.fields.map((f) => t.getChild(f.name)!);
  const texts = vectors.map(decimalCells);
  return Array.from({ length: t.numRows }, (_, i) => vectors.map((v, c) => (texts[c] ? texts[c]![i]! : (v.get(i) as Cell))));
}

function sameCell(ours: Cell, want: unknown): boolean {
  if (ours === null || want === null) return ours === want;
  if (typeof want === 'number') {
    const x = Number(ours);
    return Math.abs(x - want) <= 4 * Number.EPSILON * Math.abs(want);
  }
  if (typeof want === 'bigint') return BigInt(ours as bigint) === want;
  return String(ours) === String(want);
}

function expectSameRows(got: Cell[][], want: SqlResult, where: string): void {
  expect(got.length, where).toBe(want.rows.length);
  got.forEach((row, i) => row.forEach((cell, c) => {
    if (!sameCell(cell, want.rows[i]![c])) expect.fail(`${where}\n row ${i} column ${c}: ${String(cell)}, DuckDB ${String(want.rows[i]![c])}`);
  }));
}

const EXECUTORS = ['cpu', 'gpu'] as const;
type Executor = (typeof EXECUTORS)[number];

interface Engines { db: DuckDb; sessions: Record<Executor, Session> }

/** DuckDB and a session on each executor, for the tests of the describe block that calls it. */
function useEngines(): Engines {
  const e = { sessions: {} } as Engines;
  beforeAll(async () => {
    e.db = await DuckDb.create();
    e.sessions.cpu = await Session.create({ cores: 2, shufflePartitions: 2 });
    e.sessions.gpu = await Session.create({ cores: 2, shufflePartitions: 2, executor: 'gpu' });
  });
  afterAll(async () => {
    e.db?.close();
    for (const s of Object.values(e.sessions)) await s.close();
  });
  return e;
}

/**
 * Loads table `seed` into DuckDB, runs each query there and on both executors (the table in 1 to 3
 * partitions), and compares the rows cell by cell; `onRun` sees each executor's run (its session, and
 * its last job before it). Returns the number of (query, executor) cases.
 */
async function compareWithDuckDb(e: Engines, seed: number, t: DecTable, qs: Query[], onRun?: (ex: Executor, s: Session, before: Session['lastJob']) => void): Promise<number> {
  await load(e.db, t);
  let cases = 0;
  for (const q of qs) {
    const want = await e.db.query(q.sql);
    for (const ex of EXECUTORS) {
      const s = e.sessions[ex];
      const before = s.lastJob;
      const got = ourRows(await q.df(s.fromArrow(t.arrow, { partitions: 1 + (seed % 3) })).collect());
      onRun?.(ex, s, before);
      expectSameRows(got, want, `seed ${seed} (${t.rows} rows; ${t.cols.map((c) => `${c.name} decimal(${c.p}, ${c.s})`).join(', ')}), ${ex}: ${q.name}`);
      cases++;
    }
  }
  return cases;
}

/** The error a promise rejects with (null if it resolves). */
const failure = (p: Promise<unknown>): Promise<unknown> => p.then(() => null, (x: unknown) => x);

describe('decimals vs DuckDB', () => {
  const e = useEngines();

  it('random decimal tables × queries, on the CPU and the GPU executor', async () => {
    let cases = 0, gpuMapTasks = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const t = randomTable(seed);
      cases += await compareWithDuckDb(e, seed, t, queries(new Rng(seed * 7919), t), (ex, s, before) => {
        if (ex === 'gpu' && s.lastJob !== before) gpuMapTasks += (s.lastJob?.stages ?? []).flatMap((st) => st.tasks).filter((task) => gpuDetails(task)).length;
      });
    }
    expect(cases).toBe(SEEDS * 9 * 2);
    // Decimal columns are 64-bit words to the GPU kernels: most of these map tasks run there.
    expect(gpuMapTasks).toBeGreaterThan(40);
  }, 120_000);
});

describe('128-bit decimals against DuckDB', () => {
  const e = useEngines();

  it('random decimal(19..38, s) tables × queries, exact beyond Int64, on the CPU and the GPU executor', async () => {
    let cases = 0, queryCount = 0;
    for (let i = 1; i <= WIDE_SEEDS; i++) {
      const t = wideTable(i), seed = WIDE_SEED_OFFSET + i;
      const qs = wideQueries(new Rng(seed * 7919), t);
      queryCount += qs.length;
      cases += await compareWithDuckDb(e, seed, t, qs);
    }
    expect(cases).toBe(queryCount * 2);
    expect(queryCount).toBe(WIDE_SEEDS * 15);
  }, Math.max(120_000, WIDE_SEEDS * 2_000));

  it('a sum beyond 38 digits fails with ArithmeticOverflowError, on both executors', async () => {
    const r = new Rng(WIDE_SEED_OFFSET);
    const w = (s: number, values: (bigint | null)[]): DecColumn => ({ name: 'w', p: 38, s, values });
    const cases: [string, DecColumn][] = [
      // 1.8·10^39, beyond DuckDB's HUGEINT too ('Overflow in HUGEINT addition').
      ['20 × 9·10^37', w(0, Array.from({ length: 20 }, () => 9n * pow10(37)))],
      // 10^38 and −10^38: 39 digits (DuckDB 1.5 returns them as DECIMAL(38, s), without an error); partial sums within 38.
      ['(10^38 − 1) + 1', w(2, [MAX38, null, 1n])],
      ['−1 − (10^38 − 1)', w(5, [-1n, null, -MAX38])],
    ];
    for (const [what, col38] of cases) {
      const t = tableOf(r, [col38], col38.values.map(() => 0), wideGarbage);
      if (what.startsWith('20')) {
        await load(e.db, t);
        expect(String(await failure(e.db.query('SELECT sum(w) FROM t')))).toMatch(/Overflow/);
      }
      for (const ex of EXECUTORS) {
        for (const partitions of [1, 2]) {
          for (const df of [(d: DataFrame) => d.agg(sum('w')), (d: DataFrame) => d.groupBy('k').agg(count(), sum('w'))]) {
            const err = await failure(df(e.sessions[ex].fromArrow(t.arrow, { partitions })).collect());
            expect(err, `${ex}, ${partitions} partitions: ${what}: ${String(err)}`).toBeInstanceOf(ArithmeticOverflowError);
          }
        }
      }
    }
  });

  it('a product (and a sum of two columns) beyond 38 digits fails with ArithmeticOverflowError naming the expression, on both executors', async () => {
    const r = new Rng(WIDE_SEED_OFFSET + 1);
    // Row 1: 10^37 · 100 = 10^39 (DuckDB: 'Overflow in multiplication of DECIMAL(38)'); row 3: (10^38 − 1) + 1.
    const t = tableOf(r, [
      { name: 'a', p: 38, s: 0, values: [5n, pow10(37), null, MAX38] },
      { name: 'b', p: 38, s: 0, values: [1n, null, 3n, 1n] },
      { name: 'c', p: 3, s: 0, values: [7n, 100n, 999n, null] },
    ], [0, 1, 0, 1], wideGarbage);
    await load(e.db, t);
    expect(String(await failure(e.db.query('SELECT sum(a * c) FROM t')))).toMatch(/Overflow in multiplication/);
    const failing: [RegExp, (d: DataFrame) => DataFrame][] = [
      [/\(a \* c\)/, (d) => d.agg(sum(col('a').mul(col('c'))))],
      [/\(a \* c\)/, (d) => d.filter(col('a').mul(col('c')).gt(0)).agg(count())],
      [/\(a \* c\)/, (d) => d.groupBy('k').agg(max(col('a').mul(col('c'))))],
      [/\(a \+ b\)/, (d) => d.select(col('a').add(col('b')).as('e'))],
    ];
    // Rows whose results fit are exact (rows 1 and 3 filtered out before the arithmetic).
    const fits: Query = {
      name: 'the same expressions within 38 digits',
      df: (d) => d.filter(col('a').lt(pow10(36))).agg(sum(col('a').mul(col('c'))), sum(col('a').add(col('b'))), count()),
      sql: `SELECT sum(a * c), sum(a + b), count(*) FROM t WHERE a < CAST('${pow10(36)}' AS DECIMAL(37, 0))`,
    };
    const want = await e.db.query(fits.sql);
    for (const ex of EXECUTORS) {
      for (const [re, df] of failing) {
        const err = await failure(df(e.sessions[ex].fromArrow(t.arrow, { partitions: 2 })).collect());
        expect(err, `${ex}: ${String(err)}`).toBeInstanceOf(ArithmeticOverflowError);
        expect(String(err)).toMatch(re);
      }
      expectSameRows(ourRows(await fits.df(e.sessions[ex].fromArrow(t.arrow, { partitions: 2 })).collect()), want, `${ex}: ${fits.name}`);
    }
  });
});
