import * as arrow from 'apache-arrow';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { col, count, desc, DuplicateColumnError, InvalidOptionError, lit, sum, TypeMismatchError, UnknownColumnError } from '../../src/index.ts';
import { writeParquet } from '../support/parquet-files.ts';
import { collectRows, tableOf, withSession } from '../support/tables.ts';

const t = tableOf({
  k: [new arrow.Int32(), [1, 2, 3, 4, 5, 6, null]],
  v: [new arrow.Float64(), [1.5, 2.5, NaN, -0, 0, 2.5, 7]],
  s: [new arrow.Utf8(), ['a', 'b', 'a', null, 'b', 'a', 'c']],
});

describe('select, withColumn, drop', () => {
  it('select takes names and expressions, named by as() or as Spark prints them', async () => {
    const rows = await withSession((s) => collectRows(s.fromArrow(t, { partitions: 3 }).select('s', col('k').mul(2).as('k2'), col('k').gt(3), lit('x').as('c'))));
    expect(rows).toEqual([
      { s: 'a', k2: 2, '(k > 3)': false, c: 'x' }, { s: 'b', k2: 4, '(k > 3)': false, c: 'x' }, { s: 'a', k2: 6, '(k > 3)': false, c: 'x' },
      { s: null, k2: 8, '(k > 3)': true, c: 'x' }, { s: 'b', k2: 10, '(k > 3)': true, c: 'x' }, { s: 'a', k2: 12, '(k > 3)': true, c: 'x' },
      { s: 'c', k2: null, '(k > 3)': null, c: 'x' },
    ]);
  });

  it('withColumn adds a column at the end or replaces one in place; filters see the new values; drop removes', async () => {
    await withSession(async (s) => {
      const df = s.fromArrow(t).withColumn('k', col('k').add(10)).withColumn('w', col('v').mul(2)).filter(col('k').gt(13));
      expect((await df.collect()).schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['k:Int64', 'v:Float64', 's:Utf8', 'w:Float64']);
      expect(await collectRows(df.drop('v', 's'))).toEqual([{ k: 14, w: -0 }, { k: 15, w: 0 }, { k: 16, w: 5 }]);
      expect(await df.count()).toBe(3);
    });
  });

  it('group by a computed column and aggregate computed columns', async () => {
    const rows = await withSession((s) => collectRows(s.fromArrow(t, { partitions: 2 })
      .withColumn('big', col('k').ge(4)).withColumn('v2', col('v').mul(2))
      .groupBy('big').agg(count().as('n'), sum('v2').as('v2')).orderBy('big')));
    expect(rows).toEqual([{ big: null, n: 1, v2: 14 }, { big: false, n: 3, v2: NaN }, { big: true, n: 3, v2: 5 }]);
  });

  it('group by a renamed column, on both executors', async () => {
    for (const executor of ['cpu', 'gpu'] as const) {
      const rows = await withSession(async (s) => {
        const r = await collectRows(s.fromArrow(t).select(col('s').as('name'), 'k').groupBy('name').agg(sum('k').as('k')).orderBy('name'));
        if (executor === 'gpu') expect(s.lastJob!.stages[0].placement!.reason).toMatch(/computed group keys \(name\) have no GPU kernel yet/);
        return r;
      }, { executor });
      expect(rows).toEqual([{ name: null, k: 4 }, { name: 'a', k: 10 }, { name: 'b', k: 7 }, { name: 'c', k: null }]);
    }
  });

  it('after an aggregate: computed from its output on the driver, and filtered (HAVING) through it', async () => {
    const rows = await withSession((s) => collectRows(s.fromArrow(t).groupBy('s').agg(sum('k').as('sk'), count().as('n'))
      .withColumn('mean', col('sk').div(col('n'))).filter(col('mean').gt(3)).select('s', 'mean').orderBy('s')));
    expect(rows).toEqual([{ s: null, mean: 4 }, { s: 'a', mean: 10 / 3 }, { s: 'b', mean: 3.5 }]);
  });

  it('explain shows the projection, the computed keys and the limit', async () => {
    await withSession(async (s) => {
      const text = s.fromArrow(t).withColumn('big', col('k').ge(4)).groupBy('big').agg(count()).withColumn('x', col('count(1)').mul(2)).orderBy('big').limit(1).explain();
      expect(text).toContain('Limit 1 (top-N: each task keeps its first 1)\n+- Sort [big ASC NULLS FIRST]\n   +- Project [big, count(1), (count(1) * 2) AS x]');
      expect(text).toContain('HashAggregate(keys=[(k >= 4) AS big], functions=[count(1)])');
      expect(text).toContain('Exchange hashpartitioning(big, ');
    });
  });

  it('reads only the columns a projection needs from a Parquet file, and computes keys there too', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'gpuframe-projection-')), 'p.parquet');
    writeParquet(t, file);
    await withSession(async (s) => {
      const df = await s.readParquet(file);
      expect(df.select(col('k').add(1).as('k1')).explain()).toMatch(/Scan parquet .* \[k\] /);
      expect(await collectRows(df.select(col('k').add(1).as('k1')).filter(col('k1').gt(5)))).toEqual([{ k1: 6 }, { k1: 7 }]);
      expect(await collectRows(df.withColumn('odd', col('k').sub(col('k').div(2).mul(0)).gt(3)).groupBy('odd').agg(count().as('n')).orderBy('odd')))
        .toEqual([{ odd: null, n: 1 }, { odd: false, n: 3 }, { odd: true, n: 3 }]);
    });
  });

  it('refuses unknown columns, duplicate names, null-literal columns and bad arguments with typed errors', async () => {
    await withSession(async (s) => {
      const df = s.fromArrow(t);
      await expect(df.select('nope').collect()).rejects.toThrow(UnknownColumnError);
      await expect(df.select(col('k').as('v2')).filter(col('v').gt(1)).collect()).rejects.toThrow("unknown column 'v'; available columns: v2");
      await expect(df.select('k', col('v').as('k')).collect()).rejects.toThrow(DuplicateColumnError);
      await expect(df.withColumn('n', lit(null)).collect()).rejects.toThrow(TypeMismatchError);
      await expect(df.drop('nope').collect()).rejects.toThrow(UnknownColumnError);
      expect(() => df.select()).toThrow(InvalidOptionError);
      expect(() => df.select(5 as unknown as string)).toThrow(InvalidOptionError);
      expect(() => df.withColumn('', 1)).toThrow(InvalidOptionError);
    });
  });
});

describe('distinct and limit', () => {
  it('distinct rows: nulls equal nulls, NaN equals NaN, -0 equals 0', async () => {
    const d = tableOf({
      a: [new arrow.Float64(), [NaN, NaN, -0, 0, null, null, 1, 1]],
      b: [new arrow.Utf8(), ['x', 'x', 'y', 'y', null, null, 'z', 'w']],
    });
    await withSession(async (s) => {
      const df = s.fromArrow(d, { partitions: 3 }).distinct().orderBy('a', 'b');
      // -0 and 0 are one group, shown as its first row's value.
      expect((await collectRows(df)).map((r) => ({ ...r, a: r.a === 0 ? 0 : r.a }))).toEqual([{ a: null, b: null }, { a: 0, b: 'y' }, { a: 1, b: 'w' }, { a: 1, b: 'z' }, { a: NaN, b: 'x' }]);
      expect(await s.fromArrow(d).distinct().count()).toBe(5);
      expect(await s.fromArrow(d).select('b').distinct().count()).toBe(5);
      expect(await s.fromArrow(d).select('a').distinct().count()).toBe(4);
    });
  });

  it('limit keeps the first rows; after orderBy the first in that order; before it, the sorted first rows', async () => {
    await withSession(async (s) => {
      const df = s.fromArrow(t, { partitions: 3 });
      expect(await collectRows(df.limit(2).select('k'))).toEqual([{ k: 1 }, { k: 2 }]);
      expect(await collectRows(df.orderBy(desc('k')).limit(2).select('k'))).toEqual([{ k: 6 }, { k: 5 }]);
      expect(await collectRows(df.limit(3).orderBy(desc('k')).select('k'))).toEqual([{ k: 3 }, { k: 2 }, { k: 1 }]);
      expect(await collectRows(df.limit(5).limit(2).select('k'))).toEqual([{ k: 1 }, { k: 2 }]);
      expect(await collectRows(df.groupBy('s').agg(count().as('n')).orderBy(desc('n'), 's').limit(1))).toEqual([{ s: 'a', n: 3 }]);
      expect((await df.limit(0).collect()).numRows).toBe(0);
      expect(await df.limit(4).count()).toBe(4);
      expect(() => df.limit(-1)).toThrow(InvalidOptionError);
      expect(() => df.limit(undefined as unknown as number)).toThrow(InvalidOptionError);
      await expect(df.limit(2).filter(col('k').gt(1)).collect()).rejects.toThrow(/filter after limit\(\)/);
      await expect(df.limit(5).orderBy('k').limit(2).collect()).rejects.toThrow(/limit\(\) after orderBy\(\) after limit\(\)/);
      await expect(df.limit(2).groupBy('s').agg(count()).collect()).rejects.toThrow(/an aggregate after limit\(\)/);
    });
  });

  it('limit over a scan stops starting tasks once its first partitions hold n rows: the same rows as the whole scan', async () => {
    const n = 20_000, parts = 20;
    const big = tableOf({ i: [new arrow.Int32(), Array.from({ length: n }, (_, i) => i)] });
    // One task at a time (one core: one slot, no queue beyond it), so which tasks run is certain.
    await withSession(async (s) => {
      const df = s.fromArrow(big, { partitions: parts });
      const all = await collectRows(df.filter(col('i').ge(2500)));
      const ran = () => ({ tasks: s.lastJob!.stages[0]!.tasks.length, skipped: s.lastJob!.stages[0]!.skippedTasks ?? 0 });
      // Partition 2 (rows 2000..2999) is the first with matching rows; 10 rows are in it.
      expect(await collectRows(df.filter(col('i').ge(2500)).limit(10))).toEqual(all.slice(0, 10));
      expect(ran()).toEqual({ tasks: 3, skipped: 17 });
      // Rows from several partitions (500 + 1000 + 1000 match), and a limit before orderBy: the sorted first rows.
      expect(await collectRows(df.filter(col('i').ge(2500)).limit(1700))).toEqual(all.slice(0, 1700));
      expect(ran()).toEqual({ tasks: 5, skipped: 15 });
      expect(await collectRows(df.limit(3).orderBy(desc('i')))).toEqual([{ i: 2 }, { i: 1 }, { i: 0 }]);
      expect(ran()).toEqual({ tasks: 1, skipped: 19 });
      expect(await collectRows(df.limit(0))).toEqual([]);
      expect(ran()).toEqual({ tasks: 0, skipped: parts });
      // A limit after orderBy needs every row, as does one beyond the rows there are.
      expect(await collectRows(df.orderBy(desc('i')).limit(2))).toEqual([{ i: n - 1 }, { i: n - 2 }]);
      expect(ran()).toEqual({ tasks: parts, skipped: 0 });
      expect((await df.filter(col('i').ge(2500)).limit(n).collect()).numRows).toBe(all.length);
      expect(ran()).toEqual({ tasks: parts, skipped: 0 });
    }, { cores: 1 });
  });
});
