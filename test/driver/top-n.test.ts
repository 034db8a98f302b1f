/**
 * orderBy(...).limit(n) keeps each result task's first n rows as soon as it ends (top-N). Its
 * answer must be the first n rows of the whole sorted result, ties in the same order: the engine's
 * full sort is the reference here, as the differential suite checks it against DuckDB's ORDER BY.
 * Random tables over many tasks with few distinct keys (ties), nulls, NaN and extremes; scans and
 * aggregates, computed sort columns, a filter after the aggregate, and n of 0, 1, a few and more
 * than the rows; on the CPU executor (threads and in-process) and the GPU executor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as arrow from 'apache-arrow';
import { Session, asc, col, count, desc, max, sum, type DataFrame, type SortKey } from '../../src/index.ts';
import { topRows } from '../../src/arrow/sort-table.ts';
import { probe } from '../executor/gpu/gpu-harness.ts';
import { Rng } from '../support/random.ts';

/** n rows: a key of few values (ties), floats with nulls, NaN and ±Infinity, strings with nulls, int64 beyond 2^53. */
function table(rng: Rng, rows: number): arrow.Table {
  const pick = <T>(xs: readonly T[]) => xs[rng.int(0, xs.length - 1)]!;
  const keys = rng.int(1, 6);
  return new arrow.Table({
    k: arrow.vectorFromArray(Array.from({ length: rows }, () => (rng.bool(0.05) ? null : rng.int(0, keys))), new arrow.Int32()),
    f: arrow.vectorFromArray(Array.from({ length: rows }, () => (rng.bool(0.1) ? null : rng.bool(0.05) ? pick([NaN, Infinity, -Infinity, -0]) : rng.int(-50, 50) / 4)), new arrow.Float64()),
    s: arrow.vectorFromArray(Array.from({ length: rows }, () => (rng.bool(0.1) ? null : pick(['', 'a', 'b', 'ab', 'é', '😀']))), new arrow.Utf8()),
    big: arrow.vectorFromArray(Array.from({ length: rows }, () => (rng.bool(0.05) ? null : BigInt(rng.int(-3, 3)) * 2n ** 60n + BigInt(rng.int(0, 2)))), new arrow.Int64()),
    i: arrow.vectorFromArray(Int32Array.from({ length: rows }, (_, x) => x)),
  });
}

const rowsOf = (t: arrow.Table): string[] => t.toArray().map((r) => JSON.stringify(r.toJSON(), (_, v) => (typeof v === 'bigint' ? `${v}n` : Number.isNaN(v) ? 'NaN' : v)));

/** The query before its orderBy(...).limit(n): a scan, a scan with computed columns, or an aggregate with a filter after it. */
function shapes(rng: Rng): { name: string; frame: (df: DataFrame) => DataFrame; columns: string[] }[] {
  const skipped = rng.int(0, 3);
  return [
    { name: 'scan', frame: (df) => df.filter(col('k').ne(skipped)), columns: ['k', 'f', 's', 'big', 'i'] },
    { name: 'computed', frame: (df) => df.select(col('k'), col('f').mul(-1).as('g'), col('s'), col('i')), columns: ['k', 'g', 's', 'i'] },
    {
      name: 'aggregate',
      frame: (df) => df.groupBy('k', 's').agg(count().as('n'), max('big').as('mb'), sum('f').as('sf')).filter(col('n').gt(1)),
      columns: ['k', 's', 'n', 'mb', 'sf'],
    },
  ];
}

function sortKeys(rng: Rng, columns: readonly string[]): SortKey[] {
  const pool = [...columns];
  return Array.from({ length: rng.int(1, 3) }, () => {
    const c = pool.splice(rng.int(0, pool.length - 1), 1)[0]!;
    return rng.bool(0.5) ? desc(c) : asc(c);
  });
}

async function check(s: Session, seed: number): Promise<void> {
  const rng = new Rng(seed);
  const rows = rng.bool(0.1) ? rng.int(0, 2) : rng.int(50, 3000);
  const t = rng.bool(0.5) ? rebatched(rng, table(rng, rows)) : table(rng, rows);
  const partitions = rng.int(1, 9);
  for (const shape of shapes(rng)) {
    const keys = sortKeys(rng, shape.columns);
    const base = () => shape.frame(s.fromArrow(t, { partitions })).orderBy(...keys);
    const all = rowsOf(await base().collect());
    for (const n of [0, 1, rng.int(2, 40), all.length + rng.int(0, 3)]) {
      const what = `seed ${seed}, ${shape.name}, ${partitions} partitions, orderBy(${keys.map((k) => `${k.column}${k.descending ? ' desc' : ''}`).join(', ')}).limit(${n})`;
      expect(rowsOf(await base().limit(n).collect()), what).toEqual(all.slice(0, n));
    }
  }
}

describe('orderBy(...).limit(n): each task keeps its first n rows', () => {
  const sessions: Session[] = [];
  afterAll(async () => {
    for (const s of sessions) await s.close();
  });

  it('is the first n rows of the full sort, ties in order: the CPU executor on threads and in-process', async () => {
    const threads = await Session.create({ executor: 'cpu', cores: 2, shufflePartitions: 5 });
    const inProcess = await Session.create({ executor: 'cpu', workers: false, cores: 1, shufflePartitions: 3 });
    sessions.push(threads, inProcess);
    for (let seed = 1; seed <= 12; seed++) await check(seed % 2 ? threads : inProcess, 9100 + seed);
  }, 120_000);

  let gpu: { value: Session | null; reason: string };
  beforeAll(async () => {
    gpu = await probe(() => Session.create({ executor: 'gpu', shufflePartitions: 4 }));
    if (gpu.value) sessions.push(gpu.value);
  });

  it('is the same on the GPU executor', async (ctx) => {
    if (!gpu.value) return ctx.skip(gpu.reason);
    for (let seed = 1; seed <= 4; seed++) await check(gpu.value, 9200 + seed);
  }, 120_000);

  it('explain says each task keeps its first n; NaN is the greatest float, first under DESC', async () => {
    const s = await Session.create({ executor: 'cpu', workers: false, cores: 1 });
    sessions.push(s);
    const t = table(new Rng(9300), 5000);
    const df = s.fromArrow(t, { partitions: 4 }).orderBy(desc('f'), 'i').limit(7);
    expect(df.explain()).toMatch(/Limit 7 \(top-N: each task keeps its first 7\)\n\+- Sort \[f DESC NULLS LAST, i ASC NULLS FIRST\]/);
    const out = await df.collect();
    expect(out.numRows).toBe(7);
    // NaN is the greatest float, so it comes first under DESC.
    expect(Number.isNaN(out.getChild('f')!.get(0))).toBe(true);
  });
});

/** `t` cut into batches at random rows (each a slice of its one batch). */
function rebatched(rng: Rng, t: arrow.Table): arrow.Table {
  if (t.numRows === 0) return t;
  const cuts = [...new Set([0, ...Array.from({ length: rng.int(0, 6) }, () => rng.int(0, t.numRows)), t.numRows])].sort((a, b) => a - b);
  return new arrow.Table(cuts.slice(1).flatMap((end, i) => t.slice(cuts[i], end).batches));
}

describe('topRows', () => {
  it('chooses the same rows as a stable sort of them all, for every n, over one batch or several', () => {
    const rng = new Rng(9400);
    for (let round = 0; round < 40; round++) {
      const t = round % 2 ? rebatched(rng, table(rng, rng.int(0, 400))) : table(rng, rng.int(0, 400));
      const keys = sortKeys(rng, ['k', 'f', 's', 'big']);
      const sorted = Array.from({ length: t.numRows }, (_, i) => i);
      const all = rowsOf(t);
      // The reference: a plain stable sort of the rows by the keys, nulls first under ASC, NaN greatest.
      const value = (i: number, c: string) => t.getChild(c)!.get(i) as number | bigint | string | null;
      sorted.sort((a, b) => {
        for (const k of keys) {
          const x = value(a, k.column), y = value(b, k.column);
          let r: number;
          if (x === null || y === null) r = x === y ? 0 : x === null ? -1 : 1;
          else if (typeof x === 'number' && typeof y === 'number' && (Number.isNaN(x) || Number.isNaN(y))) r = Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : -1;
          else if (typeof x === 'string' && typeof y === 'string') r = x === y ? 0 : codePointLess(x, y) ? -1 : 1;
          else r = x < y ? -1 : x > y ? 1 : 0;
          if (r !== 0) return k.descending ? -r : r;
        }
        return a - b;
      });
      for (const n of [0, 1, 2, rng.int(3, 50), t.numRows - 1, t.numRows, t.numRows + 5].filter((x) => x >= 0)) {
        expect(rowsOf(topRows(t, keys, n)), `round ${round} (${t.batches.length} batches), n ${n}`).toEqual(sorted.slice(0, n).map((i) => all[i]));
      }
    }
  });
});

function codePointLess(a: string, b: string): boolean {
  const x = [...a], y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d < 0;
  }
  return x.length < y.length;
}
