/**
 * Decimal columns against DuckDB: random tables of decimal(p, s) columns (every precision up to 18,
 * and decimal(38, s) holding 64-bit unscaled values), with nulls (garbage under the null slots),
 * extremes ±(10^p − 1), empty and one-row tables; queries of sum / avg / min / max / count, decimal
 * group keys, comparisons with literals (some between two of the column's values), arithmetic with
 * SQL's scale rules, comparisons across scales, isIn and orderBy. Exact results must be equal digit
 * for digit; avg (Float64) within 4 ulps. Each table runs on the CPU and on the GPU executor.
 */
import * as arrow from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { avg, col, count, desc, max, min, Session, sum, type DataFrame } from '../src/index.ts';
import { decimalCells, formatDecimal, toDecimal128Words } from '../src/arrow/decimal.ts';
import { gpuDetails } from '../src/executor/gpu/gpu-task-details.ts';
import { DuckDb } from './support/duckdb.ts';
import { Rng } from './support/random.ts';

interface DecColumn { name: string; p: number; s: number; values: (bigint | null)[] }
interface DecTable { rows: number; cols: DecColumn[]; k: (number | null)[]; arrow: arrow.Table }

/** Tables drawn (DEC_SEEDS=n for more). */
const SEEDS = Number(process.env.DEC_SEEDS ?? 24);

const pow10 = (n: number): bigint => 10n ** BigInt(n);

/** Values of decimal(p, s): few distinct (keys), uniform over the range, or extremes. */
function decimalColumn(r: Rng, name: string, p: number, s: number, rows: number, limit = pow10(p) - 1n): DecColumn {
  const profile = r.pick(['keys', 'uniform', 'extremes'] as const);
  const pool = Array.from({ length: r.int(1, 6) }, () => r.bigint(-limit, limit));
  const nullRate = r.pick([0, 0.1, 0.5]);
  const values = Array.from({ length: rows }, () => {
    if (r.bool(nullRate)) return null;
    if (profile === 'keys') return r.pick(pool);
    if (profile === 'extremes') return r.pick([limit, -limit, 0n, 1n, -1n, r.bigint(-limit, limit)]);
    return r.bigint(-limit, limit);
  });
  return { name, p, s, values };
}

function decimalVector(c: DecColumn, r: Rng): arrow.Vector {
  // Garbage under the null slots: the engine must never read them.
  const data = toDecimal128Words(c.values.map((v) => v ?? r.bigint(-(1n << 62n), 1n << 62n)));
  const bitmap = new Uint8Array(((c.values.length + 63) >> 6) << 3);
  c.values.forEach((v, i) => { if (v !== null) bitmap[i >> 3] |= 1 << (i & 7); });
  const nullCount = c.values.filter((v) => v === null).length;
  return arrow.makeVector(arrow.makeData({ type: new arrow.Decimal(c.s, c.p, 128), length: c.values.length, nullCount, nullBitmap: bitmap, data }));
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
  const vectors: Record<string, arrow.Vector> = { k: arrow.vectorFromArray(k, new arrow.Int32()) };
  for (const c of cols) vectors[c.name] = decimalVector(c, r);
  return { rows, cols, k, arrow: new arrow.Table(vectors) };
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

describe('decimals vs DuckDB', () => {
  let db: DuckDb;
  const sessions: Record<string, Session> = {};
  beforeAll(async () => {
    db = await DuckDb.create();
    sessions.cpu = await Session.create({ cores: 2, shufflePartitions: 2 });
    sessions.gpu = await Session.create({ cores: 2, shufflePartitions: 2, executor: 'gpu' });
  });
  afterAll(async () => {
    db?.close();
    for (const s of Object.values(sessions)) await s.close();
  });

  it('random decimal tables × queries, on the CPU and the GPU executor', async () => {
    let cases = 0, gpuMapTasks = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const t = randomTable(seed);
      await load(db, t);
      const r = new Rng(seed * 7919);
      for (const q of queries(r, t)) {
        const want = await db.query(q.sql);
        for (const ex of ['cpu', 'gpu'] as const) {
          const s = sessions[ex]!;
          const before = s.lastJob;
          const got = ourRows(await q.df(s.fromArrow(t.arrow, { partitions: 1 + (seed % 3) })).collect());
          if (ex === 'gpu' && s.lastJob !== before) gpuMapTasks += (s.lastJob?.stages ?? []).flatMap((st) => st.tasks).filter((task) => gpuDetails(task)).length;
          const where = `seed ${seed} (${t.rows} rows; ${t.cols.map((c) => `${c.name} decimal(${c.p}, ${c.s})`).join(', ')}), ${ex}: ${q.name}`;
          expect(got.length, where).toBe(want.rows.length);
          got.forEach((row, i) => row.forEach((cell, c) => {
            if (!sameCell(cell, want.rows[i]![c])) expect.fail(`${where}\n row ${i} column ${c}: ${String(cell)}, DuckDB ${String(want.rows[i]![c])}`);
          }));
          cases++;
        }
      }
    }
    expect(cases).toBe(SEEDS * 9 * 2);
    // Decimal columns are 64-bit words to the GPU kernels: most of these map tasks run there.
    expect(gpuMapTasks).toBeGreaterThan(40);
  }, 120_000);
});
