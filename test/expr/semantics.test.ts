import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { col, count, lit, sum } from '../../src/index.ts';
import { collectRows, tableOf, withSession } from '../support/tables.ts';

/** ids of the rows a predicate keeps. */
async function kept(t: arrow.Table, pred: ReturnType<typeof col>): Promise<number[]> {
  return withSession(async (s) => (await collectRows(s.fromArrow(t, { partitions: 2 }).filter(pred))).map((r) => r.id as number));
}

const ids = (n: number) => [new arrow.Int32(), Array.from({ length: n }, (_, i) => i)] as [arrow.DataType, unknown[]];

describe('SQL three-valued logic', () => {
  // a and b take every combination of true, false, null.
  const tv = [true, false, null];
  const t = tableOf({
    id: ids(9),
    a: [new arrow.Bool(), tv.flatMap((x) => [x, x, x])],
    b: [new arrow.Bool(), [...tv, ...tv, ...tv]],
  });
  const truth = (f: (a: boolean | null, b: boolean | null) => boolean | null) =>
    Array.from({ length: 9 }, (_, i) => i).filter((i) => f(tv[Math.floor(i / 3)], tv[i % 3]) === true);
  const and = (a: boolean | null, b: boolean | null) => (a === false || b === false ? false : a === null || b === null ? null : true);
  const or = (a: boolean | null, b: boolean | null) => (a === true || b === true ? true : a === null || b === null ? null : false);
  const not = (a: boolean | null) => (a === null ? null : !a);

  it('and, or, not follow Kleene logic; only true keeps a row', async () => {
    expect(await kept(t, col('a').and(col('b')))).toEqual(truth(and));
    expect(await kept(t, col('a').or(col('b')))).toEqual(truth(or));
    expect(await kept(t, col('a').and(col('b')).not())).toEqual(truth((a, b) => not(and(a, b))));
    expect(await kept(t, col('a').or(col('b')).not())).toEqual(truth((a, b) => not(or(a, b))));
    expect(await kept(t, col('a').not().or(col('b').isNull()))).toEqual(truth((a, b) => or(not(a), b === null)));
  });

  it('isNull / isNotNull are never null', async () => {
    expect(await kept(t, col('a').isNull())).toEqual([6, 7, 8]);
    expect(await kept(t, col('b').isNotNull().and(col('a').isNotNull()))).toEqual([0, 1, 3, 4]);
  });
});

describe('comparisons', () => {
  const t = tableOf({
    id: ids(7),
    x: [new arrow.Float64(), [NaN, 1, -0, 0, Infinity, null, -Infinity]],
    i: [new arrow.Int64(), [-(2n ** 63n), 2n ** 63n - 1n, 9007199254740993n, 9007199254740992n, 0n, null, -1n]],
    s: [new arrow.Utf8(), ['a', 'b', null, 'a', '', 'c', 'b']],
  });

  it('NaN equals NaN and is greater than every number; -0 equals 0', async () => {
    expect(await kept(t, col('x').eq(NaN))).toEqual([0]);
    expect(await kept(t, col('x').gt(1e308))).toEqual([0, 4]);
    expect(await kept(t, col('x').ge(Infinity))).toEqual([0, 4]);
    expect(await kept(t, col('x').lt(NaN))).toEqual([1, 2, 3, 4, 6]);
    expect(await kept(t, col('x').eq(0))).toEqual([2, 3]);
    expect(await kept(t, col('x').ne(1))).toEqual([0, 2, 3, 4, 6]);
    expect(await kept(t, col('x').between(-1, 1))).toEqual([1, 2, 3]);
  });

  it('compares 64-bit integers exactly beyond 2^53', async () => {
    expect(await kept(t, col('i').gt(9007199254740992n))).toEqual([1, 2]);
    expect(await kept(t, col('i').eq(9007199254740993n))).toEqual([2]);
    expect(await kept(t, col('i').lt(-(2n ** 62n)))).toEqual([0]);
    expect(await kept(t, col('i').le(0))).toEqual([0, 4, 6]);
    expect(await kept(t, col('i').isIn([0n, -1, 2n ** 63n - 1n]))).toEqual([1, 4, 6]);
  });

  it('compares strings for equality and membership; x IN (.., null) is null unless x matches', async () => {
    expect(await kept(t, col('s').eq('a'))).toEqual([0, 3]);
    expect(await kept(t, col('s').ne('a'))).toEqual([1, 4, 5, 6]);
    expect(await kept(t, col('s').isIn(['b', 'c', 'zz']))).toEqual([1, 5, 6]);
    expect(await kept(t, col('s').isIn(['b', null]))).toEqual([1, 6]);
    expect(await kept(t, col('s').isIn(['b', null]).not())).toEqual([]);
    expect(await kept(t, col('s').eq(null))).toEqual([]);
  });

  it('compares dates and timestamps with Date and ISO literals', async () => {
    const day = 86400000;
    const d = tableOf({
      id: ids(4),
      d: [new arrow.DateDay(), [new Date(0), new Date(10 * day), new Date(20 * day), null]],
      ts: [new arrow.TimestampMicrosecond(), [0, 1000, 2000, 3000].map((ms) => ms)],
    });
    expect(await kept(d, col('d').le('1970-01-11'))).toEqual([0, 1]);
    expect(await kept(d, col('d').gt(new Date(10 * day)))).toEqual([2]);
    expect(await kept(d, col('ts').ge(new Date(2000)))).toEqual([2, 3]);
  });

  it('evaluates arithmetic; division by zero is null', async () => {
    const a = tableOf({ id: ids(4), p: [new arrow.Int32(), [10, 20, 30, null]], q: [new arrow.Int32(), [2, 0, 3, 1]] });
    expect(await kept(a, col('p').div(col('q')).gt(5))).toEqual([2]);
    expect(await kept(a, col('p').div(col('q')).isNull())).toEqual([1, 3]);
    expect(await kept(a, col('p').mul(2).sub(col('q')).add(lit(1)).eq(41))).toEqual([1]);
    await withSession(async (s) => {
      expect(await collectRows(s.fromArrow(a).agg(sum(col('p').mul(col('q'))), sum(col('p').div(col('q'))), count(col('p').div(col('q'))))))
        .toEqual([{ 'sum((p * q))': 110, 'sum((p / q))': 15, 'count((p / q))': 2 }]);
    });
  });
});
