/**
 * `npx tsx bench/wide-decimals.ts [rows]`: the CPU executor's 64- and 128-bit decimal paths beside
 * DuckDB, on tables of the same shape and types (each engine its own random data: the speed of the
 * paths is what is compared, not the answers, which the differential tests check). Medians of 3
 * runs after a warm-up, in ms, as a Markdown table (docs/performance.md).
 */
import * as arrow from 'apache-arrow';
import { DuckDBInstance } from '@duckdb/node-api';
import { col, count, max, min, Session, sum } from '../src/index.ts';
import { toDecimal128Words } from '../src/arrow/decimal.ts';

const ROWS = Number(process.argv[2] ?? 1e7);
const GROUPS = 100;

/** A small xorshift generator: the same table every run. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) / 4294967296; };
}

function table(): arrow.Table {
  const r = random(7);
  const k = new Int32Array(ROWS), wide: bigint[] = new Array(ROWS), wide2: bigint[] = new Array(ROWS), narrow: bigint[] = new Array(ROWS);
  for (let i = 0; i < ROWS; i++) {
    k[i] = Math.floor(r() * GROUPS);
    // ~2^96 unscaled: beyond Int64, as decimal(38, 10) holds values above ~9.2e8.
    const x = (BigInt(Math.floor(r() * 2 ** 32)) << 64n) | (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32));
    wide[i] = r() < 0.5 ? -x : x;
    wide2[i] = wide[i]! / 3n + BigInt(i);
    narrow[i] = BigInt(Math.floor((r() - 0.5) * 2e12));
  }
  const dec = (values: bigint[], p: number, s: number) =>
    arrow.makeVector(arrow.makeData({ type: new arrow.Decimal(s, p, 128), length: ROWS, data: toDecimal128Words(values) }));
  return new arrow.Table({ k: arrow.makeVector(k), w: dec(wide, 38, 10), w2: dec(wide2, 38, 10), n38: dec(narrow, 38, 2), n18: dec(narrow, 18, 2) });
}

async function median(f: () => Promise<unknown>): Promise<number> {
  await f();
  const ms: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await f();
    ms.push(performance.now() - t0);
  }
  return ms.sort((a, b) => a - b)[1]!;
}

const LITERAL = '1234567890.0123456789';
const QUERIES = [
  { what: 'sum, min, max by k of decimal(18, 2)', sql: 'SELECT k, sum(n18), min(n18), max(n18) FROM t GROUP BY k' },
  { what: 'sum, min, max by k of decimal(38, 2), values within 2^53', sql: 'SELECT k, sum(n38), min(n38), max(n38) FROM t GROUP BY k' },
  { what: 'sum, min, max by k of decimal(38, 10), values ~2^96', sql: 'SELECT k, sum(w), min(w), max(w) FROM t GROUP BY k' },
  { what: 'count where decimal(38, 10) > a literal beyond Int64', sql: `SELECT count(*) FROM t WHERE w > ${LITERAL}` },
  { what: 'sum of decimal(38, 10) + decimal(38, 10)', sql: 'SELECT sum(w + w2) FROM t' },
  { what: 'sum of decimal(38, 10) + decimal(38, 2) (rescaled)', sql: 'SELECT sum(w + n38) FROM t' },
];

const t = table();
const session = await Session.create({ executor: 'cpu' });
const df = () => session.fromArrow(t);
const frames = [
  () => df().groupBy('k').agg(sum('n18'), min('n18'), max('n18')),
  () => df().groupBy('k').agg(sum('n38'), min('n38'), max('n38')),
  () => df().groupBy('k').agg(sum('w'), min('w'), max('w')),
  () => df().filter(col('w').gt(LITERAL)).agg(count()),
  () => df().agg(sum(col('w').add(col('w2')))),
  () => df().agg(sum(col('w').add(col('n38')))),
];
const ours: number[] = [];
for (const frame of frames) ours.push(await median(() => frame().collect()));
await session.close();

const duck = await (await DuckDBInstance.create(':memory:')).connect();
await duck.run(`CREATE TABLE t AS SELECT (random() * ${GROUPS})::INT AS k, ((random() - 0.5) * 2e18)::DECIMAL(38, 10) AS w, ((random() - 0.5) * 2e18)::DECIMAL(38, 10) AS w2, ` +
  `((random() - 0.5) * 2e10)::DECIMAL(38, 2) AS n38, ((random() - 0.5) * 2e10)::DECIMAL(18, 2) AS n18 FROM range(${ROWS})`);
const theirs: number[] = [];
for (const q of QUERIES) theirs.push(await median(() => duck.runAndReadAll(q.sql)));

console.log(`${ROWS} rows, ${GROUPS} groups; medians of 3 in ms\n`);
console.log('| query | gpuframe cpu | DuckDB | cpu × DuckDB |\n|---|--:|--:|--:|');
QUERIES.forEach((q, i) => console.log(`| ${q.what} | ${ours[i]!.toFixed(1)} | ${theirs[i]!.toFixed(1)} | ${(ours[i]! / theirs[i]!).toFixed(2)} |`));
