/**
 * approxCountDistinct's error over many seeds: each table holds n distinct values (ints, floats,
 * strings), each twice, in random order. Its relative standard error is 1.04 / √m (m = 2^p
 * registers): over the seeds the root-mean-square relative error must stay within 1.25 times that,
 * and no estimate beyond 4.5 times it (a 1-in-150,000 event for a normal error).
 */
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { approxCountDistinct, col, count, countDistinct, gpuDetails, InvalidOptionError, parseAggs, TypeMismatchError, lit } from '../../src/index.ts';
import { hllPrecision } from '../../src/aggregate/hyperloglog.ts';
import { toDecimal128Words } from '../../src/arrow/decimal.ts';
import { Rng } from '../support/random.ts';
import { collectRows, tableOf, withSession } from '../support/tables.ts';

/** n distinct values of each kind, each twice, shuffled. */
function distinctTable(seed: number, n: number): arrow.Table {
  const r = new Rng(seed);
  const ints = new Set<number>();
  while (ints.size < n) ints.add(r.int(-2e9, 2e9));
  const values = [...ints, ...ints];
  for (let i = values.length - 1; i > 0; i--) { const j = r.int(0, i); [values[i], values[j]] = [values[j]!, values[i]!]; }
  return tableOf({
    i: [new arrow.Int32(), values],
    f: [new arrow.Float64(), values.map((x) => x / 7)],
    s: [new arrow.Utf8(), values.map((x) => `v${x}`)],
  });
}

describe('approxCountDistinct', () => {
  for (const relativeError of [0.05, 0.02]) {
    const m = 2 ** hllPrecision(relativeError), se = 1.04 / Math.sqrt(m);
    it(`relativeError ${relativeError} (m = ${m}): within its standard error over 30 seeds, at 1e2 to 3e4 distinct values`, async () => {
      await withSession(async (s) => {
        for (const n of [100, 2000, 30000]) {
          const errors: number[] = [];
          for (let seed = 1; seed <= 30; seed++) {
            const opts = { relativeError };
            const [row] = await collectRows(s.fromArrow(distinctTable(seed * 1000 + n, n), { partitions: 3 })
              .agg(approxCountDistinct('i', opts).as('i'), approxCountDistinct('f', opts).as('f'), approxCountDistinct('s', opts).as('s')));
            for (const k of ['i', 'f', 's']) errors.push(((row![k] as number) - n) / n);
          }
          const rms = Math.sqrt(errors.reduce((a, e) => a + e * e, 0) / errors.length);
          expect(rms, `n = ${n}: rms relative error ${rms} against ${se}`).toBeLessThanOrEqual(1.25 * se);
          expect(Math.max(...errors.map(Math.abs)), `n = ${n}: worst relative error`).toBeLessThanOrEqual(4.5 * se);
        }
      });
    });
  }

  it('is exact or nearly so for a few values, 0 for none, and skips nulls', async () => {
    await withSession(async (s) => {
      for (const n of [0, 1, 2, 5, 10]) {
        const t = tableOf({ v: [new arrow.Int32(), [...Array.from({ length: n }, (_, i) => i * 1000), null, null]] });
        const [row] = await collectRows(s.fromArrow(t).agg(approxCountDistinct('v').as('a')));
        expect(Math.abs((row!.a as number) - n), `n = ${n}`).toBeLessThanOrEqual(n <= 2 ? 0 : 1);
      }
    });
  });

  it('gives the same estimate however the input is split, grouped or not, NaN one value and -0 equal to 0', async () => {
    const r = new Rng(3);
    const n = 20000;
    const t = tableOf({
      k: [new arrow.Int32(), Array.from({ length: n }, () => r.int(0, 3))],
      v: [new arrow.Float64(), Array.from({ length: n }, (_, i) => (i % 5 === 0 ? NaN : i % 7 === 0 ? -0 : r.int(0, 5000)))],
    });
    const answers = new Set<string>();
    for (const [partitions, shufflePartitions] of [[1, 1], [3, 2], [8, 5]]) {
      const [rows, exact] = await withSession(async (s) => {
        const df = s.fromArrow(t, { partitions });
        return [await collectRows(df.groupBy('k').agg(approxCountDistinct('v').as('a')).orderBy('k')), await collectRows(df.groupBy('k').agg(countDistinct('v').as('e')).orderBy('k'))];
      }, { shufflePartitions });
      answers.add(JSON.stringify(rows));
      rows.forEach((row, i) => expect(Math.abs((row.a as number) - (exact[i]!.e as number))).toBeLessThanOrEqual(4 * 0.046 * (exact[i]!.e as number)));
    }
    expect(answers.size).toBe(1);
  });

  it('is named as Spark names it, parses in the CLI language, and refuses bad options with typed errors', async () => {
    await withSession(async (s) => {
      const df = s.fromArrow(tableOf({ v: [new arrow.Int32(), [1, 2, 2]] }));
      expect(await collectRows(df.agg(approxCountDistinct('v'), ...parseAggs('approx_count_distinct(v) AS a'), count().as('n')))).toEqual([{ 'approx_count_distinct(v)': 2, a: 2, n: 3 }]);
      await expect(df.agg(approxCountDistinct(lit(null) as never)).collect()).rejects.toThrow(TypeMismatchError);
      // Beside countDistinct the sketches are kept per (keys, argument) group and merged by the reduce.
      expect(await collectRows(df.agg(approxCountDistinct('v').as('a'), countDistinct('v').as('d')))).toEqual([{ a: 2, d: 2 }]);
    });
    expect(() => approxCountDistinct('v', { relativeError: 0.001 })).toThrow(InvalidOptionError);
    expect(() => approxCountDistinct('v', { relativeError: 0.5 })).toThrow('approxCountDistinct: relativeError must be a number in [0.01, 0.39], got 0.5');
    expect(() => approxCountDistinct(col('v'), null as never)).toThrow(InvalidOptionError);
  });

  it('runs on the GPU with the same sketches as the CPU (equal estimates): ints, Int64, floats (NaN, -0), bools, dates, decimals; global, dense and hash slots', async () => {
    const r = new Rng(77);
    const n = 20_000;
    const t = tableOf({
      k: [new arrow.Int32(), Array.from({ length: n }, () => (r.bool(0.05) ? null : r.int(0, 30)))],
      i: [new arrow.Int32(), Array.from({ length: n }, () => (r.bool(0.1) ? null : r.int(-5000, 5000)))],
      u: [new arrow.Uint32(), Array.from({ length: n }, () => r.int(0, 4294967295))],
      w: [new arrow.Int64(), Array.from({ length: n }, () => BigInt(r.int(-1e6, 1e6)) * 3_000_000_019n)],
      f: [new arrow.Float64(), Array.from({ length: n }, () => r.pick([NaN, -0, 0, Infinity, -1.5, r.int(0, 3000) / 7]))],
      b: [new arrow.Bool(), Array.from({ length: n }, () => r.bool())],
      d: [new arrow.DateDay(), Array.from({ length: n }, () => new Date(Date.UTC(2020, 0, 1 + r.int(0, 900))))],
    }).assign(new arrow.Table({
      m: arrow.makeVector(arrow.makeData({ type: new arrow.Decimal(2, 12, 128), length: n, data: toDecimal128Words(Array.from({ length: n }, () => BigInt(r.int(-99999, 99999)) * 1009n)) })),
    }));
    const aggs = () => [approxCountDistinct('i').as('i'), approxCountDistinct('u', { relativeError: 0.02 }).as('u'), approxCountDistinct('w', { relativeError: 0.3 }).as('w'),
      approxCountDistinct('f').as('f'), approxCountDistinct('b').as('b'), approxCountDistinct('d').as('d'), approxCountDistinct('m').as('m'), count().as('n')];
    const run = (executor: 'cpu' | 'gpu') => withSession(async (s) => {
      const df = s.fromArrow(t, { partitions: 3 });
      const out = {
        global: await collectRows(df.agg(...aggs())),
        dense: await collectRows(df.groupBy('k').agg(...aggs()).orderBy('k')),
        hash: await collectRows(df.filter(col('i').gt(-4000)).groupBy('w').agg(approxCountDistinct('i').as('i'), count().as('n')).orderBy('w')),
      };
      if (executor === 'gpu') expect(s.lastJob!.stages[0].tasks.every((task) => gpuDetails(task) !== undefined)).toBe(true);
      return out;
    }, { executor });
    const cpu = await run('cpu');
    expect(cpu.dense).toHaveLength(32);
    expect(await run('gpu')).toEqual(cpu);
  });

  it("of strings runs on the GPU with the CPU's sketches: plain and dictionary columns, each string hashed once per task", async () => {
    const r = new Rng(78);
    const n = 12_000;
    const words = Array.from({ length: n }, () => (r.bool(0.05) ? null : `w${r.int(0, 4000)}-${'é'.repeat(r.int(0, 2))}`));
    const t = new arrow.Table({
      k: arrow.vectorFromArray(Array.from({ length: n }, () => r.int(0, 6)), new arrow.Int32()),
      s: arrow.vectorFromArray(words, new arrow.Utf8()),
      d: arrow.vectorFromArray(words, new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())),
    });
    const run = (executor: 'cpu' | 'gpu') => withSession(async (s) => {
      const rows = await collectRows(s.fromArrow(t, { partitions: 3 }).filter(col('s').like('w1%').not())
        .groupBy('k').agg(approxCountDistinct('s').as('s'), approxCountDistinct('d', { relativeError: 0.02 }).as('d')).orderBy('k'));
      if (executor === 'gpu') expect(s.lastJob!.stages[0].tasks.every((task) => gpuDetails(task) !== undefined)).toBe(true);
      return rows;
    }, { executor });
    const cpu = await run('cpu');
    expect(cpu).toHaveLength(7);
    expect(await run('gpu')).toEqual(cpu);
  });
});
