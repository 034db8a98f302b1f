import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { ArithmeticOverflowError, avg, col, count, max, min, sum } from '../../src/index.ts';
import { collectRows, tableOf, withSession } from '../support/tables.ts';
import { Rng } from '../support/random.ts';

function randomTable(seed: number, n: number): arrow.Table {
  const r = new Rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r.next() * xs.length)];
  return tableOf({
    k: [new arrow.Int32(), Array.from({ length: n }, () => (r.next() < 0.05 ? null : Math.floor(r.next() * 13) - 6))],
    s: [new arrow.Utf8(), Array.from({ length: n }, () => pick(['a', 'b', 'c', null]))],
    i: [new arrow.Int32(), Array.from({ length: n }, () => (r.next() < 0.2 ? null : pick([-2147483648, 2147483647, 0, -1, 1, Math.floor(r.next() * 2e9) - 1e9])))],
    w: [new arrow.Int64(), Array.from({ length: n }, () => (r.next() < 0.2 ? null : pick([-(2n ** 50n), 2n ** 50n + 12345n, 1n, -1n, BigInt(Math.floor(r.next() * 1e15))])))],
    f: [new arrow.Float64(), Array.from({ length: n }, () => (r.next() < 0.2 ? null : pick([NaN, -0, 1e300, -1e300, 1e-300, (r.next() - 0.5) * 1e6])))],
  });
}

const query = (df: ReturnType<import('../../src/index.ts').Session['fromArrow']>) =>
  df.groupBy('k', 's').agg(count(), count('f'), sum('i'), avg('i'), min('i'), max('i'), sum('w'), min('w'), max('w'), sum('f'), avg('f'), min('f'), max('f'))
    .orderBy('k', 's');

describe('partial / merge laws', () => {
  it('merging the states of any split of the input equals aggregating it whole', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const t = randomTable(seed, 3000);
      const whole = await withSession((s) => collectRows(query(s.fromArrow(t, { partitions: 1 }))), { shufflePartitions: 1 });
      for (const [partitions, shuffle] of [[2, 3], [7, 1], [16, 8]]) {
        const split = await withSession((s) => collectRows(query(s.fromArrow(t, { partitions }))), { shufflePartitions: shuffle });
        expect(split.length).toBe(whole.length);
        split.forEach((row, j) => {
          for (const [name, v] of Object.entries(row)) {
            const w = whole[j][name];
            if (typeof v === 'number' && typeof w === 'number' && name.includes('(f)')) {
              // Compensated float sums: the order of additions changes the result by at most a few ulps.
              expect(Number.isNaN(v)).toBe(Number.isNaN(w));
              if (!Number.isNaN(v)) expect(Math.abs(v - w)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(w)));
            } else {
              expect(v, `${name} seed ${seed}`).toEqual(w);
            }
          }
        });
      }
    }
  });

  it('sums integers exactly in 64 bits and fails on overflow instead of wrapping', async () => {
    const big = tableOf({ w: [new arrow.Int64(), [2n ** 62n, 2n ** 62n - 1n, 2n ** 62n, -(2n ** 62n), -(2n ** 62n)]] });
    await withSession(async (s) => {
      expect(await collectRows(s.fromArrow(big, { partitions: 3 }).agg(sum('w')))).toEqual([{ 'sum(w)': 2n ** 62n - 1n }]);
      const over = tableOf({ w: [new arrow.Int64(), [2n ** 62n, 2n ** 62n]] });
      await expect(s.fromArrow(over).agg(sum('w')).collect()).rejects.toThrow(ArithmeticOverflowError);
      await expect(s.fromArrow(over).agg(sum('w')).collect()).rejects.toThrow('sum(w) = 9223372036854775808 overflows Int64');
      const under = tableOf({ w: [new arrow.Int64(), [-(2n ** 63n), -1n]] });
      await expect(s.fromArrow(under).agg(sum('w')).collect()).rejects.toThrow(ArithmeticOverflowError);
      // Two halves that overflow separately but not together.
      const cancel = tableOf({ w: [new arrow.Int64(), [2n ** 62n, 2n ** 62n, -(2n ** 62n), -(2n ** 62n), 5n]] });
      expect(await collectRows(s.fromArrow(cancel, { partitions: 2 }).agg(sum('w'), avg('w')))).toEqual([{ 'sum(w)': 5, 'avg(w)': 1 }]);
    });
  });

  it('sums millions of large int32 values exactly (renormalising between chunks)', async () => {
    const n = 3_000_000;
    const v = new Int32Array(n).fill(2147483647);
    v[0] = -2147483648;
    const t = arrow.tableFromArrays({ k: new Int32Array(n), v });
    await withSession(async (s) => {
      const [row] = await collectRows(s.fromArrow(t, { partitions: 1 }).groupBy('k').agg(sum('v'), sum(col('v').add(col('v')))));
      expect(BigInt(row['sum(v)'] as number)).toBe(BigInt(n - 1) * 2147483647n - 2147483648n);
      expect(BigInt(row['sum((v + v))'] as bigint)).toBe(2n * (BigInt(n - 1) * 2147483647n - 2147483648n));
    });
  });

  it('keeps float sums accurate under cancellation (compensated summation)', async () => {
    const values = [1e16, 1, -1e16, 1, 1e-3];
    const t = tableOf({ f: [new arrow.Float64(), values] });
    await withSession(async (s) => {
      const [row] = await collectRows(s.fromArrow(t, { partitions: 1 }).agg(sum('f')));
      expect(row['sum(f)']).toBe(2.001);
    });
  });
});
