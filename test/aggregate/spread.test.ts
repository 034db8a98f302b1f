/**
 * stddev, stddevPop, variance, varPop against an exact reference: every double is an integer times
 * 2^-1074, so Σx and Σx² are exact BigInts at that scale and the variance is their exact ratio,
 * rounded once. Narrow integers must come within 2 ulps (the engine keeps exact sums); other
 * numbers within the documented bound 4·n·U·Σx² / d (d = n − 1 for the sample's, n for the
 * population's; U = 2^-53), a standard deviation within the square root of that.
 */
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { col, gpuDetails, parseAggs, Session, stddev, stddevPop, TypeMismatchError, variance, varPop } from '../../src/index.ts';
import { Rng } from '../support/random.ts';
import { collectRows, tableOf, withSession } from '../support/tables.ts';

const U = 2 ** -53;
const SCALE = 1074n;

/** x · 2^1074 exactly (x finite). */
function scaled(x: number): bigint {
  if (Number.isInteger(x)) return BigInt(x) << SCALE;
  const f = new Float64Array([x]), w = new BigUint64Array(f.buffer)[0]!;
  const exp = Number((w >> 52n) & 0x7ffn), frac = w & ((1n << 52n) - 1n);
  const m = exp === 0 ? frac : frac | (1n << 52n);
  const shift = BigInt((exp === 0 ? 1 : exp) - 1075) + SCALE;
  return (x < 0 ? -m : m) << shift;
}

/** The exact variance of finite values, rounded to a double: null where SQL's is null. */
function exactVariance(xs: readonly number[], sample: boolean): number | null {
  const n = BigInt(xs.length);
  if (n < (sample ? 2n : 1n)) return null;
  let s = 0n, q = 0n;
  for (const x of xs) { const v = scaled(x); s += v; q += v * v; }
  const num = n * q - s * s, den = (sample ? n * (n - 1n) : n * n) << (2n * SCALE);
  // num / den to 64 significant bits, then one rounding.
  const k = Math.max(0, 64 - (num.toString(2).length - den.toString(2).length));
  return num === 0n ? 0 : Number((num << BigInt(k)) / den) / 2 ** k;
}

type Fn = 'stddev' | 'stddevPop' | 'variance' | 'varPop';
const FNS = { stddev, stddevPop, variance, varPop };
const isSample = (fn: Fn) => fn === 'stddev' || fn === 'variance';
const isRoot = (fn: Fn) => fn === 'stddev' || fn === 'stddevPop';

/** The documented bound of a non-exact variance, or a standard deviation, of these values. */
function bound(fn: Fn, xs: readonly number[], exact: number): number {
  const n = xs.length, d = isSample(fn) ? n - 1 : n;
  const v = (4 * n * U * xs.reduce((a, x) => a + x * x, 0)) / d;
  return isRoot(fn) ? Math.sqrt(v) + 2 * U * exact : v;
}

/** Groups of random values: k picks the group, v the value (null sometimes). */
function groups(seed: number, rows: number, value: (r: Rng) => number, type: arrow.DataType): { t: arrow.Table; byGroup: Map<number, number[]> } {
  const r = new Rng(seed);
  const k: number[] = [], v: (number | null)[] = [];
  const byGroup = new Map<number, number[]>();
  for (let i = 0; i < rows; i++) {
    // Group 0 is big; groups 1..20 small; group 21 gets one row, group 22 only nulls.
    const g = i === 0 ? 21 : i === 1 ? 22 : r.next() < 0.5 ? 0 : 1 + Math.floor(r.next() * 20);
    const x = g === 22 || r.next() < 0.1 ? null : value(r);
    k.push(g);
    v.push(x);
    if (!byGroup.has(g)) byGroup.set(g, []);
    if (x !== null) byGroup.get(g)!.push(x);
  }
  return { t: tableOf({ k: [new arrow.Int32(), k], v: [type, v] }), byGroup };
}

async function check(t: arrow.Table, byGroup: Map<number, number[]>, exactSums: boolean, opts: { partitions: number; executor?: 'cpu' | 'gpu' }) {
  const fns = Object.keys(FNS) as Fn[];
  const rows = await withSession((s) => collectRows(s.fromArrow(t, { partitions: opts.partitions }).groupBy('k').agg(...fns.map((f) => FNS[f]('v').as(f))).orderBy('k')), { executor: opts.executor ?? 'cpu' });
  expect(rows.map((r) => r.k)).toEqual([...byGroup.keys()].sort((a, b) => a - b));
  for (const row of rows) {
    const xs = byGroup.get(row.k as number)!;
    for (const fn of fns) {
      const v = exactVariance(xs, isSample(fn));
      const want = v === null ? null : isRoot(fn) ? Math.sqrt(v) : v;
      const got = row[fn] as number | null;
      const what = `${fn} of group ${row.k} (${xs.length} values)`;
      if (want === null || got === null) { expect(got, what).toBe(want); continue; }
      const err = Math.abs(got - want);
      if (exactSums) expect(err, what).toBeLessThanOrEqual(2 * 2 * U * Math.abs(want));
      else expect(err, what).toBeLessThanOrEqual(bound(fn, xs, want));
    }
  }
}

describe('variance and standard deviation', () => {
  it('of 32-bit integers come from exact sums: within 2 ulps of the exact value, extremes included', async () => {
    for (const seed of [1, 2, 3]) {
      const { t, byGroup } = groups(seed, 4000, (r) => r.pick([-2147483648, 2147483647, 0, 1, -1, Math.floor(r.next() * 4e9) - 2e9 | 0]), new arrow.Int32());
      for (const partitions of [1, 3]) await check(t, byGroup, true, { partitions });
    }
    const { t, byGroup } = groups(4, 3000, (r) => r.pick([4294967295, 0, Math.floor(r.next() * 4294967296)]), new arrow.Uint32());
    await check(t, byGroup, true, { partitions: 2 });
  });

  it('stay exact past the accumulators\' renormalisation (2^21 rows of uint32 max in a task)', async () => {
    const n = (1 << 21) + 5000;
    const v = new Uint32Array(n).fill(4294967295);
    v[7] = 0; v[n - 1] = 12345;
    const t = new arrow.Table({ k: arrow.vectorFromArray(new Int32Array(n)), v: arrow.vectorFromArray(v) });
    const xs = Array.from(v);
    const rows = await withSession((s) => collectRows(s.fromArrow(t, { partitions: 1 }).groupBy('k').agg(variance('v').as('v'), varPop('v').as('p'))));
    const want = exactVariance(xs, true)!, wantPop = exactVariance(xs, false)!;
    expect(Math.abs((rows[0].v as number) - want)).toBeLessThanOrEqual(4 * U * want);
    expect(Math.abs((rows[0].p as number) - wantPop)).toBeLessThanOrEqual(4 * U * wantPop);
  });

  it('of doubles (Welford per row, Chan merges) are within the documented bound, in any split', async () => {
    for (const seed of [5, 6, 7]) {
      const { t, byGroup } = groups(seed, 5000, (r) => r.pick([(r.next() - 0.5) * 1e6, r.next() * 1e-3, 1e6 + r.next(), -3.25]), new arrow.Float64());
      for (const partitions of [1, 2, 7]) await check(t, byGroup, false, { partitions });
    }
  });

  it('of a constant column are 0, of NaN or infinite values NaN, of one value null (sample) or 0 (population)', async () => {
    const t = tableOf({ k: [new arrow.Int32(), [1, 1, 1, 2, 2, 3, 4, 4]], v: [new arrow.Float64(), [0.1, 0.1, 0.1, 1, NaN, 5, Infinity, 1]] });
    const rows = await withSession((s) => collectRows(s.fromArrow(t, { partitions: 3 }).groupBy('k').agg(variance('v').as('s'), varPop('v').as('p'), stddev('v').as('d')).orderBy('k')));
    expect(rows).toEqual([
      { k: 1, s: 0, p: 0, d: 0 },
      { k: 2, s: NaN, p: NaN, d: NaN },
      { k: 3, s: null, p: 0, d: null },
      { k: 4, s: NaN, p: NaN, d: NaN },
    ]);
  });

  it('of int64 values take the Welford path; of an empty input are null', async () => {
    const t = tableOf({ v: [new arrow.Int64(), [2n ** 60n, 2n ** 60n + 2n, 2n ** 60n + 4n]] });
    await withSession(async (s) => {
      const [row] = await collectRows(s.fromArrow(t).agg(variance('v').as('v')));
      // The doubles nearest these values differ by 0 or 256: the documented bound holds (it is loose here).
      expect(Math.abs((row.v as number) - 4)).toBeLessThanOrEqual(bound('variance', [2 ** 60, 2 ** 60, 2 ** 60], 4));
      const empty = s.fromArrow(tableOf({ v: [new arrow.Int32(), []] }));
      expect(await collectRows(empty.agg(stddev('v').as('a'), varPop('v').as('b')))).toEqual([{ a: null, b: null }]);
    });
  });

  it('are named as Spark names them, parse in the CLI language and refuse non-numbers', async () => {
    await withSession(async (s) => {
      const df = s.fromArrow(tableOf({ v: [new arrow.Int32(), [1, 2]], s: [new arrow.Utf8(), ['a', 'b']] }));
      const out = await df.agg(stddev('v'), stddevPop('v'), variance(col('v').mul(2)), varPop('v'), ...parseAggs('stddev_samp(v) AS a, var_samp(v) AS b, stddev_pop(v) AS c, var_pop(v) AS d')).collect();
      expect(out.schema.fields.map((f) => f.name)).toEqual(['stddev(v)', 'stddev_pop(v)', 'variance((v * 2))', 'var_pop(v)', 'a', 'b', 'c', 'd']);
      expect(out.toArray().map((r) => r.toJSON())).toEqual([{ 'stddev(v)': Math.SQRT1_2, 'stddev_pop(v)': 0.5, 'variance((v * 2))': 2, 'var_pop(v)': 0.25, a: Math.SQRT1_2, b: 0.5, c: 0.5, d: 0.25 }]);
      await expect(df.agg(stddev('s')).collect()).rejects.toThrow(TypeMismatchError);
      await expect(df.agg(variance('s')).collect()).rejects.toThrow('variance(s): variance needs a numeric argument, got utf8');
    });
  });

  it('of integers of up to 32 bits run on the GPU (exact limbs, extremes included); of floats on the CPU, with the reason', async () => {
    const gpuTasks = (s: Session) => s.lastJob!.stages[0].tasks.filter((task) => gpuDetails(task)).length;
    for (const [seed, type, value] of [
      [8, new arrow.Int32(), (r: Rng) => r.pick([-2147483648, 2147483647, 0, -1, Math.floor(r.next() * 4e9) - 2e9 | 0])],
      [9, new arrow.Uint32(), (r: Rng) => r.pick([4294967295, 0, Math.floor(r.next() * 4294967296)])],
      [10, new arrow.Int16(), (r: Rng) => Math.floor(r.next() * 65536) - 32768],
    ] as const) {
      const { t, byGroup } = groups(seed, 3000, value, type);
      await check(t, byGroup, true, { partitions: 2, executor: 'gpu' });
      await withSession(async (s) => {
        await s.fromArrow(t, { partitions: 2 }).groupBy('k').agg(stddev('v'), varPop(col('v'))).collect();
        expect(gpuTasks(s), String(type)).toBe(2);
      }, { executor: 'gpu' });
    }
    await withSession(async (s) => {
      const f = tableOf({ v: [new arrow.Float64(), [1.5, 2.5]] });
      await s.fromArrow(f).agg(stddev('v')).collect();
      expect(s.lastJob!.stages[0].placement!.reason).toMatch(/stddev\(v\): variance and standard deviation of floats and 64-bit integers have no GPU kernel yet/);
    }, { executor: 'gpu' });
  });
});
