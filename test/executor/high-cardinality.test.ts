/**
 * A million groups and more on both executors, against an exact reference computed here (BigInt
 * sums): map tasks whose probe shows no reduction stop pre-aggregating (cpu/map-task.ts), reduce
 * tasks group in radix partitions (cpu/hash-grouper.ts), and the GPU's hash table overflows its
 * slots. Keys with nulls, int64 values at ±2^60 with nulls, floats with NaN.
 */
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { count, max, min, sum } from '../../src/index.ts';
import { Rng } from '../support/random.ts';
import { withSession } from '../support/tables.ts';

const ROWS = 1_300_000;

interface Data { k: (number | null)[]; v: (bigint | null)[]; f: number[] }

function data(seed: number): Data {
  const rng = new Rng(seed);
  const k: (number | null)[] = [], v: (bigint | null)[] = [], f: number[] = [];
  for (let i = 0; i < ROWS; i++) {
    const key = rng.next() < 0.002 ? null : rng.int(-2_500_000, 2_500_000);
    k.push(key);
    // Extremes only in keyed groups (a few rows each): the null group's thousands of rows would overflow.
    const r = key === null ? 1 : rng.next();
    v.push(r < 0.05 ? null : r < 0.1 ? 2n ** 60n - BigInt(rng.int(0, 9)) : r < 0.15 ? -(2n ** 60n) : BigInt(rng.int(-1000, 1000)));
    f.push(rng.next() < 0.01 ? NaN : rng.int(-1e6, 1e6) / 8);
  }
  return { k, v, f };
}

const tableOf = (d: Data): arrow.Table => new arrow.Table({
  k: arrow.vectorFromArray(d.k, new arrow.Int32()),
  v: arrow.vectorFromArray(d.v, new arrow.Int64()),
  f: arrow.vectorFromArray(d.f, new arrow.Float64()),
});

interface Group { n: number; sum: bigint | null; min: number; max: number }

/** count(), sum(v), min(f), max(f) by k (NaN is the greatest float, as in Spark and DuckDB). */
function reference(d: Data): Map<number | null, Group> {
  const out = new Map<number | null, Group>();
  for (let i = 0; i < ROWS; i++) {
    let g = out.get(d.k[i]!);
    if (!g) out.set(d.k[i]!, (g = { n: 0, sum: null, min: NaN, max: -Infinity }));
    g.n++;
    if (d.v[i] !== null) g.sum = (g.sum ?? 0n) + d.v[i]!;
    const x = d.f[i]!;
    if (Number.isNaN(g.min) || x < g.min) g.min = x;
    if (Number.isNaN(x) || x > g.max) g.max = Number.isNaN(g.max) ? g.max : x;
  }
  return out;
}

function expectMatches(result: arrow.Table, want: Map<number | null, Group>): void {
  expect(result.numRows).toBe(want.size);
  const k = result.getChild('k')!, n = result.getChild('count(1)')!, s = result.getChild('sum(v)')!;
  const lo = result.getChild('min(f)')!, hi = result.getChild('max(f)')!;
  const seen = new Set<number | null>();
  let bad = 0;
  for (let i = 0; i < result.numRows; i++) {
    const key = k.get(i) as number | null;
    const g = want.get(key);
    expect(seen.has(key), `group ${key} twice`).toBe(false);
    seen.add(key);
    const ok = g !== undefined && Number(n.get(i)) === g.n && (s.get(i) as bigint | null) === g.sum &&
      Object.is(lo.get(i), g.min) && Object.is(hi.get(i), g.max);
    if (!ok && bad++ < 3) expect({ key, n: n.get(i), sum: s.get(i), min: lo.get(i), max: hi.get(i) }).toEqual({ key, ...g });
  }
  expect(bad).toBe(0);
}

describe('a million groups and more', () => {
  const d = data(19);
  const t = tableOf(d);
  const want = reference(d);

  it('has the groups it means to test', () => {
    expect(want.size).toBeGreaterThan(1_000_000);
    expect(want.has(null)).toBe(true);
  });

  it('CPU executor: exact, and map tasks that probe no reduction pass their rows on as groups of one', async () => {
    await withSession(async (s) => {
      const r = await s.fromArrow(t, { partitions: 3 }).groupBy('k').agg(count(), sum('v'), min('f'), max('f')).collect();
      expectMatches(r, want);
      // Each map task (433k rows) found ~128k distinct keys in its first 131,072 rows and passed the
      // rest on as they came: 1.294M partial groups, where pre-aggregating every row makes ~1.24M.
      const partial = s.lastJob!.stages[0]!.outputRows;
      expect(partial).toBeGreaterThan(1_280_000);
      expect(partial).toBeLessThan(ROWS);
    }, { executor: 'cpu', cores: 2, shufflePartitions: 6 });
  }, 120_000);

  it('CPU executor: a task whose probe reduces keeps pre-aggregating (few keys later are still merged)', async () => {
    // The first 131,072 rows of each task repeat 1000 keys; after them, a million distinct keys.
    const n = 600_000;
    const k = Int32Array.from({ length: n }, (_, i) => (i % 300_000 < 131_072 ? i % 1000 : 1000 + i));
    const one = new arrow.Table({ k: arrow.makeVector(k), v: arrow.makeVector(new Int32Array(n).fill(1)) });
    await withSession(async (s) => {
      const r = await s.fromArrow(one, { partitions: 2 }).groupBy('k').agg(count(), sum('v')).collect();
      const groups = 1000 + (n - 2 * 131_072);
      expect(r.numRows).toBe(groups);
      expect(s.lastJob!.stages[0]!.outputRows).toBe(2 * 1000 + (n - 2 * 131_072));
      let rows = 0;
      const c = r.getChild('count(1)')!;
      for (let i = 0; i < r.numRows; i++) rows += Number(c.get(i));
      expect(rows).toBe(n);
    }, { executor: 'cpu', cores: 2 });
  }, 120_000);

  it('GPU executor: exact', async () => {
    await withSession(async (s) => {
      const r = await s.fromArrow(t, { partitions: 2 }).groupBy('k').agg(count(), sum('v'), min('f'), max('f')).collect();
      expectMatches(r, want);
    }, { executor: 'gpu', cores: 2, shufflePartitions: 5 });
  }, 120_000);
});
