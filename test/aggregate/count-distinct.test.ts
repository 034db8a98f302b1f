import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { col, count, countDistinct, gpuDetails, max, min, parseAggs, sum } from '../../src/index.ts';
import { Rng } from '../support/random.ts';
import { collectRows, tableOf, withSession } from '../support/tables.ts';

describe('countDistinct', () => {
  it('counts distinct non-null values exactly: NaN is one value, -0 equals 0, strings across dictionaries', async () => {
    const dict = (values: string[]) => arrow.vectorFromArray(values, new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()));
    const part = (k: number[], v: (number | null)[], s: string[]) =>
      new arrow.Table({ k: arrow.vectorFromArray(k, new arrow.Int32()), v: arrow.vectorFromArray(v, new arrow.Float64()), s: dict(s) }).batches;
    const t = [...part([1, 1, 1, 2], [NaN, NaN, -0, 0], ['a', 'b', 'a', 'x']), ...part([1, 2, 2, 3], [0, null, 1, null], ['b', 'c', 'x', 'a'])];
    const rows = await withSession((s) => collectRows(s.fromArrow(t, { partitions: 2 }).groupBy('k')
      .agg(countDistinct('v').as('dv'), countDistinct('s').as('ds'), count().as('n'), sum('k').as('sk')).orderBy('k')));
    expect(rows).toEqual([
      { k: 1, dv: 2, ds: 2, n: 4, sk: 4 },
      { k: 2, dv: 2, ds: 2, n: 3, sk: 6 },
      { k: 3, dv: 0, ds: 1, n: 1, sk: 3 },
    ]);
  });

  it('matches a reference count of distinct values through many reduce partitions and radix-partitioned groups', async () => {
    const r = new Rng(7);
    const n = 300_000;
    // Int64 keys far apart: no dense grouping, so the reduce groups by hash in radix partitions.
    const k = Array.from({ length: n }, () => r.int(0, 40_000) * 1e9);
    const v = Array.from({ length: n }, () => (r.next() < 0.05 ? null : r.int(0, 30)));
    const w = Array.from({ length: n }, () => r.int(0, 3));
    const want = new Map<number, { v: Set<number>; w: Set<number>; n: number }>();
    k.forEach((key, i) => {
      const g = want.get(key) ?? { v: new Set(), w: new Set(), n: 0 };
      if (v[i] !== null) g.v.add(v[i]!);
      g.w.add(w[i]!);
      g.n++;
      want.set(key, g);
    });
    const t = tableOf({ k: [new arrow.Int64(), k.map(BigInt)], v: [new arrow.Int32(), v], w: [new arrow.Int16(), w] });
    for (const shufflePartitions of [1, 7]) {
      const rows = await withSession((s) => collectRows(s.fromArrow(t, { partitions: 3 }).groupBy('k')
        .agg(countDistinct('v').as('dv'), countDistinct('w').as('dw'), count().as('n'), max('v').as('mv'))), { shufflePartitions });
      expect(rows.length).toBe(want.size);
      for (const row of rows) {
        const g = want.get(Number(row.k))!;
        expect([row.dv, row.dw, row.n], `group ${row.k}`).toEqual([g.v.size, g.w.size, g.n]);
        expect(row.mv).toBe(g.v.size ? Math.max(...g.v) : null);
      }
    }
  });

  it('of a global aggregate, of an expression, over no rows, and with the CLI spelling', async () => {
    const t = tableOf({ a: [new arrow.Int32(), [1, 2, 2, 3, null]], b: [new arrow.Utf8(), ['x', 'y', 'x', null, 'z']] });
    await withSession(async (s) => {
      const df = s.fromArrow(t, { partitions: 2 });
      expect(await collectRows(df.agg(countDistinct('a').as('a'), countDistinct(col('a').mul(0)).as('z'), countDistinct('b').as('b')))).toEqual([{ a: 3, z: 1, b: 3 }]);
      expect(await collectRows(df.filter(col('a').gt(9)).agg(countDistinct('a').as('a'), count().as('n')))).toEqual([{ a: 0, n: 0 }]);
      const [row] = await collectRows(df.agg(...parseAggs('count(DISTINCT a) AS x, count_distinct(b)')));
      expect(row).toEqual({ x: 3, 'count(DISTINCT b)': 3 });
    });
  });

  it('shows the distinct arguments as map-side keys in explain, and runs its map stage on the GPU', async () => {
    const t = tableOf({ k: [new arrow.Int32(), [1, 1, 2]], v: [new arrow.Int32(), [5, 6, 5]] });
    await withSession(async (s) => {
      const q = s.fromArrow(t).groupBy('k').agg(countDistinct('v'), sum('v'));
      expect(q.explain()).toContain('HashAggregate(keys=[k], functions=[count(DISTINCT v), sum(v)])\n+- Exchange hashpartitioning(k, ');
      expect(q.explain()).toContain('HashAggregate(keys=[k, v], functions=[partial_sum(v)])');
      expect(await collectRows(q.orderBy('k'))).toEqual([{ k: 1, 'count(DISTINCT v)': 2, 'sum(v)': 11 }, { k: 2, 'count(DISTINCT v)': 1, 'sum(v)': 5 }]);
      expect(s.lastJob!.stages[0].placement!.on).toBe('gpu');
      expect(s.lastJob!.stages[0].tasks.every((task) => gpuDetails(task) !== undefined)).toBe(true);
    }, { executor: 'gpu' });
  });

  it('on the GPU: partitions by the query keys only (each reduce sees all of a group), string keys and arguments, dense and hash slots', async () => {
    const r = new Rng(21);
    const n = 60_000;
    const t = tableOf({
      k: [new arrow.Int32(), Array.from({ length: n }, () => (r.bool(0.05) ? null : r.int(0, 40)))],
      big: [new arrow.Int64(), Array.from({ length: n }, () => BigInt(r.int(0, 3000)) * 1_000_000_007n)],
      s: [new arrow.Utf8(), Array.from({ length: n }, () => (r.bool(0.1) ? null : `s${r.int(0, 500)}`))],
      v: [new arrow.Int32(), Array.from({ length: n }, () => r.int(0, 900))],
    });
    const run = (executor: 'cpu' | 'gpu') => withSession(async (s) => {
      const rows = await collectRows(s.fromArrow(t, { partitions: 3 }).groupBy('k')
        .agg(countDistinct('v'), countDistinct('s'), countDistinct('big'), min('s'), max('s'), sum('v')).orderBy('k'));
      const bys = await collectRows(s.fromArrow(t, { partitions: 2 }).groupBy('s').agg(countDistinct('k'), count()).orderBy('s'));
      if (executor === 'gpu') expect(s.lastJob!.stages[0].tasks.filter((task) => gpuDetails(task)).length).toBeGreaterThan(0);
      return { rows, bys };
    }, { executor, shufflePartitions: 4 });
    const cpu = await run('cpu');
    expect(cpu.rows).toHaveLength(42);
    expect(await run('gpu')).toEqual(cpu);
  });
});
