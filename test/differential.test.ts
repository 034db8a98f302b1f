/**
 * Differential tests: random Arrow tables × random queries, each answered by
 * the engine and by DuckDB (same data, same query as SQL), compared as
 * multisets of rows, and in order where the query has an ORDER BY.
 *
 * Every case is named `<tableSeed>/<queryIndex>`; the table, the query, the
 * session options and the executor are all derived from those two numbers, so
 * a failure replays with
 *   DIFF_CASE=<tableSeed>/<queryIndex> npx vitest run test/differential.test.ts
 * (DIFF_CASE=<tableSeed> runs all queries of one table; big-table cases are
 * named `big<i>/<q>`).
 *
 * What runs:
 * - fixed seeds 1000..1299 (DIFF_TABLES=<n> changes how many), 4 queries each;
 *   one seed in 6 (seed % 6 == 0) runs on `executor: 'gpu'`, compared with the
 *   GPU's documented float-sum error (SUM_ERROR.gpu); half of those merge partial
 *   states on the device (gpuMerge: 'device'), half on the host. Where no WebGPU adapter
 *   exists (Session.create throws GpuUnavailableError) those seeds are reported
 *   as skipped with the reason; under GPUFRAME_REQUIRE_GPU=1 (.ci/run) that fails.
 * - a rotating block of seeds that changes every run (printed in the test
 *   title; DIFF_SEED=<n> fixes it), so the suite keeps exploring;
 * - big tables: 1e5..1e6 rows, 100k+ groups;
 * - named edge cases.
 * Long runs: DIFF_FUZZ=<tables> (with DIFF_SEED=<first seed>, random otherwise)
 * runs only that many random tables (4 queries each); `npm run test:fuzz --
 * --cases N` (test/fuzz.ts) sets it.
 *
 * DIFF_SHRINK=1 together with DIFF_CASE=<seed>/<query> also prints a shrunk
 * replay (fewest rows that still fail). DIFF_NO_DICT_NULLS=1 stops the
 * generator from putting null entries inside dictionaries (triage only).
 * DIFF_VERBOSE=1 prints what each block covered.
 *
 * Comparison rules (float bounds, order) are documented in support/compare.ts;
 * what the query generator avoids on purpose is documented in support/sql.ts.
 */
import { randomInt } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CODECS, writeParquet } from './support/parquet-files.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as A from 'apache-arrow';
import {
  Dictionary,
  Field,
  Float64,
  Int32,
  RecordBatch,
  Schema,
  Struct,
  Table as ArrowTable,
  Utf8,
  makeData,
  makeVector,
  vectorFromArray,
} from 'apache-arrow';
import {
  ArithmeticOverflowError,
  GpuUnavailableError,
  Session,
  avg,
  col,
  count,
  desc,
  lit,
  max,
  min,
  sum,
  stddev,
  stddevPop,
  variance,
  varPop,
  countDistinct,
  approxCountDistinct,
} from '../src/index.ts';
import { DuckDb, type SqlResult } from './support/duckdb.ts';
import { LocalCluster } from '../bench/local-cluster.ts';
import { deriveSeed, describeTable, generateTable, generatorFlags, rebuildArrow, Rng, type ColKind, type TableModel } from './support/random.ts';
import {
  genQuery,
  jsLitValue,
  outputColumns,
  overflowSql,
  toCode,
  toSql,
  type Agg,
  type Expr,
  type OrderKey,
  type Pred,
  type Query,
} from './support/sql.ts';
import { arrowRows, compareOrder, compareResults, showCell, type Path } from './support/compare.ts';
import { gpuDetails } from '../src/executor/gpu/gpu-task-details.ts';

// ---------------------------------------------------------------- query → DataFrame calls

type Column = ReturnType<typeof col>;
type Operand = Parameters<Column['eq']>[0];
type AggArg = Parameters<typeof sum>[0];
type AggExpr = ReturnType<typeof sum>;

function operand(e: Expr): Operand {
  if (e.op === 'lit' && !e.wrap) return jsLitValue(e.lit);
  return column(e);
}

function column(e: Expr): Column {
  switch (e.op) {
    case 'col': return col(e.name);
    case 'lit': return lit(jsLitValue(e.lit) as Parameters<typeof lit>[0]);
    case 'arith': return column(e.l)[e.fn](operand(e.r));
  }
}

function predicate(p: Pred): Column {
  switch (p.op) {
    case 'cmp': return column(p.l)[p.fn](operand(p.r));
    case 'isNull': return column(p.e).isNull();
    case 'isNotNull': return column(p.e).isNotNull();
    case 'in': return column(p.e).isIn(p.list.map(jsLitValue));
    case 'between': return column(p.e).between(operand(p.lo), operand(p.hi));
    case 'and': return predicate(p.l).and(predicate(p.r));
    case 'or': return predicate(p.l).or(predicate(p.r));
    case 'not': return predicate(p.p).not();
    case 'boolCol': return col(p.name);
    case 'boolLit': return lit(p.v);
    case 'strMatch': return column(p.e)[p.fn](p.pattern);
  }
}

function aggregate(a: Agg): AggExpr {
  const arg: AggArg | undefined = !a.arg ? undefined : a.via ?? (a.byName && a.arg.op === 'col' ? a.arg.name : column(a.arg));
  const fns = { sum, avg, min, max, stddev, stddevPop, variance, varPop, countDistinct, approxCountDistinct: (x: AggArg) => approxCountDistinct(x) };
  const x = a.fn === 'count' ? (arg === undefined ? count() : count(arg)) : fns[a.fn](arg!);
  return x.as(a.alias);
}

function sortKey(k: OrderKey): string | ReturnType<typeof desc> {
  switch (k.style) {
    case 'name': return k.name;
    case 'desc()': return desc(k.name);
    case 'col': return k.desc ? col(k.name).desc() : col(k.name).asc();
  }
}

type Outcome = { kind: 'table'; table: A.Table } | { kind: 'count'; n: number } | { kind: 'error'; error: unknown };

async function runEngine(session: Session, t: TableModel, q: Query, partitions: number, parquet?: string): Promise<Outcome> {
  try {
    let df = parquet ? await session.readParquet(parquet) : session.fromArrow(t.input, { partitions });
    for (const d of q.derived ?? []) df = df.withColumn(d.name, column(d.expr));
    if (q.filter) df = df.filter(predicate(q.filter));
    if (q.mode === 'count') return { kind: 'count', n: await df.count() };
    if (q.mode === 'distinct') df = df.select(...q.keys).distinct();
    if (q.mode === 'agg') {
      const aggs = q.aggs.map(aggregate);
      df = q.keys.length ? df.groupBy(...q.keys).agg(...aggs) : df.agg(...aggs);
      if (q.having) df = df.filter(predicate(q.having));
    }
    if (q.orderBy) df = df.orderBy(...q.orderBy.map(sortKey));
    return { kind: 'table', table: await df.collect() };
  } catch (error) {
    return { kind: 'error', error };
  }
}

function isOverflow(e: unknown): boolean {
  for (let x = e, depth = 0; x && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    if (x instanceof ArithmeticOverflowError) return true;
  }
  return false;
}

function describeError(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    return `${e.name}: ${e.message}${cause instanceof Error ? ` [cause ${cause.name}: ${cause.message}]` : ''}\n      ${(e.stack ?? '').split('\n').slice(1, 4).join('\n      ')}`;
  }
  return String(e);
}

/**
 * Integer sums: DuckDB sums exactly in HUGEINT. The engine must raise ArithmeticOverflowError
 * exactly when some group's exact sum (before HAVING) leaves Int64, and must not raise otherwise
 * (a partial sum beyond Int64 on the way is no excuse: README, sums are exact).
 */
async function overflowExpectation(db: DuckDb, q: Query): Promise<'none' | 'required'> {
  const sql = overflowSql(q);
  if (!sql) return 'none';
  const r = await db.query(sql);
  return (r.rows[0]![0] as bigint) > 0n ? 'required' : 'none';
}

export interface CaseReport {
  id: string;
  problems: string[];
  rows: number;
  overflow: 'none' | 'required';
  path: Path;
  /** map tasks of this case's job that ran on the GPU (the rest fell back to the CPU, by design) */
  gpuTasks: number;
}

export interface CaseOptions {
  partitions: number;
  shufflePartitions: number;
  executor: Path;
  /** Read the table from this Parquet file (readParquet) instead of from memory. */
  parquet?: string;
  /** GPU cases: where partial states merge (half the tables each way; the software adapter's default is the host). */
  gpuMerge?: 'device' | 'host';
  /** Run on the test cluster's executor processes (a real nats-server and 2 processes of 1 core) instead of this process. */
  cluster?: boolean;
}

/** runs one query on one table; the DuckDB table `t` must already hold `t`'s data */
async function runCase(db: DuckDb, t: TableModel, q: Query, id: string, opts: CaseOptions): Promise<CaseReport> {
  const sql = toSql(q);
  const expected = await db.query(sql);
  const session = await sessionFor(opts.executor, opts.shufflePartitions, opts.gpuMerge, opts.cluster);
  const before = session.lastJob;
  // A cluster case that takes long says what the executor processes were doing (a hang fails at the test's timeout).
  const watchdog = opts.cluster ? setTimeout(() => console.warn(`case ${id} has run on the test cluster for 20 s; its executors' last lines:\n${clusterTail()}`), 20_000) : undefined;
  const outcome = await runEngine(session, t, q, opts.partitions, opts.parquet).finally(() => clearTimeout(watchdog));
  const job = session.lastJob !== before ? session.lastJob : undefined;
  const gpuTasks = (job?.stages ?? []).flatMap((s) => s.tasks).filter((task) => gpuDetails(task)).length;
  const overflow = await overflowExpectation(db, q);
  const problems: string[] = [];
  if (outcome.kind === 'error') {
    if (!(overflow === 'required' && isOverflow(outcome.error))) {
      problems.push(`engine threw ${describeError(outcome.error)}${isOverflow(outcome.error) ? '\n  (no group\'s exact sum leaves Int64: DuckDB HUGEINT sums fit)' : ''}`);
    }
  } else if (overflow === 'required') {
    problems.push('expected ArithmeticOverflowError (a group sum exceeds int64; DuckDB HUGEINT result: ' +
      expected.rows.map((r) => r.map(showCell).join(',')).slice(0, 3).join(' / ') + '), got a result');
  } else if (outcome.kind === 'count') {
    const n = expected.rows[0]![0] as bigint;
    if (BigInt(outcome.n) !== n || typeof outcome.n !== 'number') problems.push(`count(): expected ${n}, got ${String(outcome.n)}`);
  } else {
    const out = outputColumns(q, t);
    const got = arrowRows(outcome.table);
    const cmp = compareResults(out, expected, got, { checkTypes: true, path: opts.executor });
    problems.push(...cmp.problems);
    if (q.orderBy && !cmp.problems.length) problems.push(...compareOrder(out, q.orderBy, expected, got, opts.executor));
  }
  const base = { id, rows: expected.rows.length, overflow, path: opts.executor, gpuTasks };
  if (problems.length === 0) return { ...base, problems };
  const header = [
    `case ${id} (executor=${opts.executor}${opts.gpuMerge ? `, gpuMerge=${opts.gpuMerge}` : ''}${opts.cluster ? ', on the test cluster' : ''}, partitions=${opts.partitions}, shufflePartitions=${opts.shufflePartitions}${opts.parquet ? `, from ${opts.parquet}` : ''})`,
    describeTable(t).replace(/^/gm, '  '),
    `  code: ${toCode(q)}`,
    `  sql:  ${sql}`,
  ];
  return { ...base, problems: [header.join('\n') + '\n  ' + problems.join('\n  ')] };
}

// ---------------------------------------------------------------- sessions (CPU, and GPU where an adapter exists)

const FIRST_TABLE_SEED = 1000;
const TABLES = Number(process.env.DIFF_TABLES ?? 300);
const QUERIES_PER_TABLE = 4;
const GROUPS = 8;
/** the seeds that run on the GPU executor: one in GPU_SHARE */
const GPU_SHARE = 6;
const ROTATING_TABLES = 12;
const PARQUET_TABLE_SEED = 5000;
const PARQUET_TABLES = Number(process.env.DIFF_PARQUET_TABLES ?? 48);
const CLUSTER_TABLE_SEED = 7000;
const CLUSTER_TABLES = 40;
const ONLY = process.env.DIFF_CASE; // "<tableSeed>" or "<tableSeed>/<query>" or "big<i>[/<query>]"
const FUZZ = process.env.DIFF_FUZZ ? Number(process.env.DIFF_FUZZ) : 0;
/** this run's rotating seeds start here (DIFF_SEED fixes it); far from the fixed seeds */
const ROTATING_SEED = process.env.DIFF_SEED ? Number(process.env.DIFF_SEED) : randomInt(1_000_000, 2 ** 31 - 1);
// triage: DIFF_NO_DICT_NULLS=1 turns null entries inside dictionaries into plain nulls
if (process.env.DIFF_NO_DICT_NULLS) generatorFlags.dictNullEntries = false;

const executorOf = (tableSeed: number): Path => (tableSeed % GPU_SHARE === 0 ? 'gpu' : 'cpu');

let db: DuckDb;
const sessions = new Map<string, Session>();
/** The cluster the cluster seeds run on: started by the first of them. */
let testCluster: Promise<LocalCluster> | null = null;
let startedCluster: LocalCluster | null = null;
const clusterTail = (): string =>
  ['e1', 'e2'].map((e) => `${e}:\n${(startedCluster?.log(e) ?? []).slice(-30).map((l) => `  ${l}`).join('\n')}`).join('\n');
async function sessionFor(executor: Path, shufflePartitions: number, gpuMerge: 'device' | 'host' = 'host', cluster = false): Promise<Session> {
  const key = `${executor}/${shufflePartitions}/${executor === 'gpu' ? gpuMerge : ''}/${cluster ? 'cluster' : ''}`;
  let s = sessions.get(key);
  if (!s) {
    if (cluster) {
      const c = startedCluster = await (testCluster ??= LocalCluster.start(2, 1));
      s = await Session.create({ cluster: { nats: c.url }, shufflePartitions });
    } else {
      s = await Session.create({ executor, cores: 2, shufflePartitions, ...(executor === 'gpu' ? { gpuMerge } : {}) });
    }
    sessions.set(key, s);
  }
  return s;
}

/**
 * Whether the GPU executor can run here: only a missing adapter (GpuUnavailableError) makes its
 * seeds skip, with the reason; under GPUFRAME_REQUIRE_GPU=1 that fails the file instead.
 */
const GPU = await (async (): Promise<{ ok: boolean; reason: string }> => {
  try {
    await sessionFor('gpu', 4);
    return { ok: true, reason: '' };
  } catch (e) {
    if (!(e instanceof GpuUnavailableError)) throw e;
    if (process.env.GPUFRAME_REQUIRE_GPU === '1') throw new Error(`GPUFRAME_REQUIRE_GPU=1, but the GPU executor is unavailable: ${e.message}`, { cause: e });
    console.warn(`differential: GPU seeds SKIPPED: ${e.message}`);
    return { ok: false, reason: e.message };
  }
})();

beforeAll(async () => {
  db = await DuckDb.create();
});

afterAll(async () => {
  for (const s of sessions.values()) await s.close();
  await (await testCluster)?.stop();
  db?.close();
});

function caseOptions(tableSeed: number, qi: number): { rng: Rng } & CaseOptions {
  const rng = new Rng(deriveSeed(tableSeed, 'query', qi));
  const partitions = rng.weighted<number>([[8, rng.int(1, 5)], [2, rng.int(6, 12)]]);
  const shufflePartitions = rng.weighted<number>([[8, rng.int(1, 9)], [2, rng.int(10, 16)]]);
  const executor = executorOf(tableSeed);
  // GPU sessions each hold devices: a few shuffle widths only
  if (executor !== 'gpu') return { rng, partitions, shufflePartitions, executor };
  return { rng, partitions, shufflePartitions: [1, 4, 11][shufflePartitions % 3]!, executor, gpuMerge: (tableSeed / GPU_SHARE) % 2 === 0 ? 'device' : 'host' };
}

/**
 * `parquet`: the engine reads the table from a Parquet file written by arrow-rs (several row
 * groups, a codec per seed, statistics on or off), so pushdown and the decoder meet every type.
 */
async function runTable(tableSeed: number, onlyQuery: number | null, parquet = false, cluster = false): Promise<CaseReport[]> {
  const t = generateTable(tableSeed, { float32: true, extended: true });
  await db.load('t', t.columns, t.rows);
  const file = parquet ? parquetOf(t, tableSeed) : undefined;
  const reports: CaseReport[] = [];
  for (let qi = 0; qi < QUERIES_PER_TABLE; qi++) {
    if (onlyQuery !== null && qi !== onlyQuery) continue;
    const { rng, ...opts } = caseOptions(tableSeed, qi);
    const q = genQuery(rng, t);
    // The cluster's processes run the CPU executor: its seeds are all CPU cases.
    const where = cluster ? { executor: 'cpu' as const, gpuMerge: undefined, cluster } : {};
    reports.push(await runCase(db, t, q, `${tableSeed}/${qi}`, { ...opts, parquet: file, ...where }));
  }
  return reports;
}

const parquetDir = mkdtempSync(path.join(tmpdir(), 'gpuframe-diff-'));
function parquetOf(t: TableModel, seed: number): string {
  const rng = new Rng(deriveSeed(seed, 'parquet'));
  const file = path.join(parquetDir, `t${seed}.parquet`);
  writeParquet(t.table, file, { codec: CODECS[seed % CODECS.length], rowGroupRows: Math.max(1, Math.ceil(t.rows / rng.int(1, 8))), statistics: rng.bool(0.85) });
  return file;
}

/** fails with every differing case spelled out (raw text: the code/SQL replays stay copy-pastable) */
function assertAllMatch(reports: CaseReport[]): void {
  const failures = reports.filter((r) => r.problems.length).map((f) => f.problems.join('\n'));
  if (failures.length) expect.fail(`${failures.length} of ${reports.length} cases differ from DuckDB:\n\n${failures.join('\n\n')}\n`);
}

/** runs tables seed by seed (skipping GPU seeds where there is no GPU) and asserts they all match */
async function runSeeds(seeds: number[], label: string, parquet = false, cluster = false): Promise<void> {
  const reports: CaseReport[] = [];
  const skipped = cluster ? [] : seeds.filter((s) => executorOf(s) === 'gpu' && !GPU.ok);
  for (const s of seeds) if (!skipped.includes(s)) reports.push(...(await runTable(s, null, parquet, cluster)));
  if (skipped.length) console.warn(`${label}: ${skipped.length} GPU seeds skipped (${GPU.reason})`);
  if (process.env.DIFF_VERBOSE) {
    const n = (f: (r: CaseReport) => boolean) => reports.filter(f).length;
    console.log(`${label}: ${reports.length} cases, ${n((r) => r.path === 'gpu')} on the GPU executor (${n((r) => r.gpuTasks > 0)} with GPU map tasks), ${n((r) => r.overflow === 'required')} with int64 overflow`);
  }
  assertAllMatch(reports);
  // the GPU share must exercise GPU kernels, not only the executor's CPU fallback
  const gpuCases = reports.filter((r) => r.path === 'gpu' && r.rows > 0);
  if (gpuCases.length >= 40) expect(gpuCases.filter((r) => r.gpuTasks > 0).length, `${label}: GPU cases whose map tasks ran on the GPU`).toBeGreaterThan(gpuCases.length / 4);
}

const seedRange = (lo: number, n: number) => Array.from({ length: n }, (_, i) => lo + i);

/**
 * Shrinks a failing case (DIFF_SHRINK=1 with DIFF_CASE=<seed>/<query>): drops rows while the
 * case still fails, then tries 1 partition. The shrunk input is made of slices of the original
 * Arrow table (one batch per run of kept rows), so dictionaries, null slots and offsets keep
 * their original physical encoding.
 */
async function shrinkCase(tableSeed: number, qi: number): Promise<string> {
  const t = generateTable(tableSeed, { float32: true, extended: true });
  const { rng, ...first } = caseOptions(tableSeed, qi);
  const q = genQuery(rng, t);
  let opts: CaseOptions = first;
  const subset = (idx: number[]): TableModel => {
    const batches: A.RecordBatch[] = [];
    for (let k = 0; k < idx.length; ) {
      let e = k + 1;
      while (e < idx.length && idx[e] === idx[e - 1]! + 1) e++;
      batches.push(...t.table.slice(idx[k]!, idx[e - 1]! + 1).batches.filter((b) => b.numRows > 0));
      k = e;
    }
    const table = new ArrowTable(t.table.schema, batches);
    const runs = batches.map((b) => b.numRows).join(',');
    return { ...t, rows: idx.length, table, input: table, layout: `slices of the original table, batches [${runs}]`, columns: t.columns.map((c) => ({ ...c, values: idx.map((i) => c.values[i]!) })) };
  };
  const attempt = async (idx: number[], o = opts): Promise<CaseReport> => {
    const sub = subset(idx);
    await db.load('t', sub.columns, sub.rows);
    return runCase(db, sub, q, `${tableSeed}/${qi} shrunk`, o);
  };
  let idx = [...Array(t.rows).keys()];
  let last = await attempt(idx);
  if (!last.problems.length) return `case ${tableSeed}/${qi}: passes when rebatched (batch-layout-dependent: ${t.layout})`;
  for (let chunk = Math.max(1, idx.length >> 1); ; chunk = chunk >> 1) {
    for (let i = 0; i < idx.length; ) {
      const cand = idx.slice(0, i).concat(idx.slice(i + chunk));
      const r = await attempt(cand);
      if (r.problems.length) [idx, last] = [cand, r];
      else i += chunk;
    }
    if (chunk <= 1) break;
  }
  for (const o of [{ ...opts, partitions: 1, shufflePartitions: 1 }, { ...opts, partitions: 1 }]) {
    const r = await attempt(idx, o);
    if (r.problems.length) {
      [opts, last] = [o, r];
      break;
    }
  }
  return `shrunk to ${idx.length} rows (original rows ${idx.join(', ')}):\n${last.problems.join('\n')}`;
}

// ---------------------------------------------------------------- big tables (1e5..1e6 rows, 100k+ groups)

interface BigSpec {
  rows: number;
  kinds: ColKind[];
  /** distinct values per column (undefined: the generator's own) */
  cardinality: (number | undefined)[];
  /** the group keys of the two queries: the first runs unfiltered and must give 100k+ groups */
  keys: [string[], string[]];
}

const BIG: BigSpec[] = [
  { rows: 1_000_000, kinds: ['int32', 'dict', 'int64', 'float64', 'ts_us', 'uint64', 'int8'], cardinality: [220_000, 25, undefined, undefined, 40], keys: [['i32_0'], ['d_1', 'tsus_4']] },
  { rows: 300_000, kinds: ['int64', 'float64', 'int16', 'bool', 'float32', 'date64'], cardinality: [160_000, 30_000], keys: [['i64_0'], ['f64_1', 'b_3']] },
  { rows: 130_000, kinds: ['utf8', 'int32', 'float64', 'uint32', 'ts_ms'], cardinality: [100_000, 16], keys: [['s_0', 'i32_1'], ['s_0']] },
];

function bigTable(i: number): TableModel {
  const b = BIG[i]!;
  return generateTable(9000 + i, {
    rows: b.rows,
    kinds: b.kinds,
    cardinality: b.cardinality,
    nullRates: b.kinds.map((_, j) => (j === 0 ? 0.002 : 0.05 * (j % 3))),
    profiles: b.kinds.map((k) => (k === 'int64' || k === 'uint64' ? 'wide' : undefined)),
    dists: b.kinds.map((k) => (k === 'float64' ? 'positive' : undefined)),
  });
}

function bigQuery(t: TableModel, i: number, qi: number, attempt = 0): { q: Query; opts: CaseOptions } {
  const rng = new Rng(deriveSeed(9000 + i, 'big-query', qi, attempt));
  let q = genQuery(rng, t, { keys: BIG[i]!.keys[qi as 0 | 1] });
  // the first query: every row, every group
  if (qi === 0) q = { ...q, filter: null, having: null };
  // and always the float sums and averages of db-benchmark's queries (positive values: a sum
  // without compensation drifts past its bound in groups of ~1000 rows)
  const floats = t.columns.filter((c) => c.kind === 'float64');
  q.aggs.push(...floats.flatMap((c, j): Agg[] => [
    { fn: 'sum', arg: { op: 'col', name: c.name, kind: c.kind }, byName: true, alias: `sum_f${j}` },
    { fn: 'avg', arg: { op: 'col', name: c.name, kind: c.kind }, byName: false, alias: `avg_f${j}` },
  ]));
  return { q, opts: { partitions: rng.int(2, 6), shufflePartitions: rng.int(3, 12), executor: 'cpu' } };
}

async function runBig(i: number, onlyQuery: number | null): Promise<CaseReport[]> {
  const t = bigTable(i);
  await db.load('t', t.columns, t.rows);
  const reports: CaseReport[] = [];
  for (const qi of [0, 1]) {
    if (onlyQuery !== null && qi !== onlyQuery) continue;
    // the filtered query: the first of a few draws that leaves some groups (deterministic)
    let drawn = bigQuery(t, i, qi);
    for (let attempt = 1; attempt < 8; attempt++) {
      const left = await db.query(`SELECT count(*) FROM (${toSql(drawn.q)}) AS r`);
      if ((left.rows[0]![0] as bigint) > 0n) break;
      drawn = bigQuery(t, i, qi, attempt);
    }
    const { q, opts } = drawn;
    const r = await runCase(db, t, q, `big${i}/${qi}`, opts);
    if (qi === 0 && r.overflow === 'none' && r.rows < 100_000) r.problems.push(`case big${i}/0: only ${r.rows} groups; the big cases must have 100k+`);
    reports.push(r);
  }
  return reports;
}

// ---------------------------------------------------------------- the suite

describe('differential vs DuckDB: random tables × random queries', () => {
  if (ONLY) {
    const [ts, qs] = ONLY.split('/');
    const onlyQuery = qs === undefined ? null : Number(qs);
    const big = ts!.startsWith('big') ? Number(ts!.slice(3)) : null;
    const gpuSkip = big === null && executorOf(Number(ts)) === 'gpu' && !GPU.ok;
    it.skipIf(gpuSkip)(`replay ${ONLY}${gpuSkip ? ` (GPU seed SKIPPED: ${GPU.reason})` : ''}`, async () => {
      const reports = big !== null ? await runBig(big, onlyQuery) : await runTable(Number(ts), onlyQuery, !!process.env.DIFF_PARQUET, !!process.env.DIFF_CLUSTER);
      for (const r of reports) console.log(r.problems.length ? r.problems.join('\n') : `case ${r.id}: ok (${r.rows} rows, ${r.path})`);
      if (process.env.DIFF_SHRINK && big === null && onlyQuery !== null && reports.some((r) => r.problems.length)) {
        console.log(await shrinkCase(Number(ts), onlyQuery));
      }
      assertAllMatch(reports);
    });
    return;
  }
  if (FUZZ) {
    const first = ROTATING_SEED;
    console.log(`differential fuzz: ${FUZZ} tables × ${QUERIES_PER_TABLE} queries from seed ${first} (replay one: DIFF_CASE=<seed>[/<query>])`);
    const CHUNK = 25;
    for (let lo = first; lo < first + FUZZ; lo += CHUNK) {
      const n = Math.min(CHUNK, first + FUZZ - lo);
      it(`fuzz seeds ${lo}..${lo + n - 1} × ${QUERIES_PER_TABLE} queries`, () => runSeeds(seedRange(lo, n), `fuzz ${lo}`), 600_000);
    }
    return;
  }
  // fixed seeds: CPU seeds in GROUPS blocks, the GPU share in blocks of its own
  const fixed = seedRange(FIRST_TABLE_SEED, TABLES);
  const cpuSeeds = fixed.filter((s) => executorOf(s) === 'cpu');
  const gpuSeeds = fixed.filter((s) => executorOf(s) === 'gpu');
  const perGroup = Math.ceil(cpuSeeds.length / GROUPS);
  for (let g = 0; g * perGroup < cpuSeeds.length; g++) {
    const seeds = cpuSeeds.slice(g * perGroup, (g + 1) * perGroup);
    it(`table seeds ${seeds[0]}..${seeds[seeds.length - 1]} (not ≡ 0 mod ${GPU_SHARE}) × ${QUERIES_PER_TABLE} queries`, () => runSeeds(seeds, `seeds ${seeds[0]}..`));
  }
  for (let g = 0; g * 25 < gpuSeeds.length; g++) {
    const seeds = gpuSeeds.slice(g * 25, (g + 1) * 25);
    const title = `gpu executor: table seeds ${seeds[0]}..${seeds[seeds.length - 1]} ≡ 0 mod ${GPU_SHARE} × ${QUERIES_PER_TABLE} queries`;
    it.skipIf(!GPU.ok)(GPU.ok ? title : `${title} (SKIPPED: ${GPU.reason})`, () => runSeeds(seeds, title));
  }
  it(`rotating seeds ${ROTATING_SEED}..${ROTATING_SEED + ROTATING_TABLES - 1} × ${QUERIES_PER_TABLE} queries (new each run; replay: DIFF_CASE=<seed>[/<query>])`, () =>
    runSeeds(seedRange(ROTATING_SEED, ROTATING_TABLES), `rotating seeds from ${ROTATING_SEED}`));
  // From Parquet files (readParquet): one in GPU_SHARE of these runs on the GPU executor too.
  const parquetSeeds = seedRange(PARQUET_TABLE_SEED, PARQUET_TABLES);
  it(`from Parquet files: table seeds ${parquetSeeds[0]}..${parquetSeeds[parquetSeeds.length - 1]} × ${QUERIES_PER_TABLE} queries (replay: DIFF_PARQUET=1 DIFF_CASE=<seed>)`, () =>
    runSeeds(parquetSeeds.filter((s) => GPU.ok || executorOf(s) === 'cpu'), 'parquet seeds', true));
  // Through a cluster (a real nats-server, 2 executor processes): from memory, and from Parquet files the processes read.
  const clusterSeeds = seedRange(CLUSTER_TABLE_SEED, CLUSTER_TABLES);
  const half = CLUSTER_TABLES / 2;
  it(`through a cluster of 2 executor processes: table seeds ${clusterSeeds[0]}..${clusterSeeds[half - 1]} × ${QUERIES_PER_TABLE} queries (replay: DIFF_CLUSTER=1 DIFF_CASE=<seed>)`, () =>
    runSeeds(clusterSeeds.slice(0, half), 'cluster seeds', false, true), 300_000);
  it(`through a cluster, from Parquet files: table seeds ${clusterSeeds[half]}..${clusterSeeds[CLUSTER_TABLES - 1]} × ${QUERIES_PER_TABLE} queries (replay: DIFF_CLUSTER=1 DIFF_PARQUET=1 DIFF_CASE=<seed>)`, () =>
    runSeeds(clusterSeeds.slice(half), 'cluster parquet seeds', true, true), 300_000);
});

describe.skipIf(!!ONLY || !!FUZZ)('differential vs DuckDB: big tables (1e5..1e6 rows, 100k+ groups)', () => {
  BIG.forEach((b, i) => {
    it(`big${i}: ${b.rows} rows, group by ${b.keys[0].join(', ')} then ${b.keys[1].join(', ')}`, async () => assertAllMatch(await runBig(i, null)));
  });
});

// ---------------------------------------------------------------- deterministic cases

describe.skipIf(!!FUZZ)('differential vs DuckDB: named edge cases', () => {
  const CPU: CaseOptions = { partitions: 3, shufflePartitions: 4, executor: 'cpu' };
  const KINDS = ['dict', 'int8', 'int64', 'float64', 'uint32', 'date32', 'utf8', 'bool'] as const;
  const typedAggs: Agg[] = [
    { fn: 'count', arg: null, byName: false, alias: 'cnt' },
    { fn: 'count', arg: { op: 'col', name: 'f64_3', kind: 'float64' }, byName: true, alias: 'cnt_f' },
    { fn: 'sum', arg: { op: 'col', name: 'i8_1', kind: 'int8' }, byName: true, alias: 'sum_i8' },
    { fn: 'sum', arg: { op: 'col', name: 'u32_4', kind: 'uint32' }, byName: false, alias: 'sum_u32' },
    { fn: 'sum', arg: { op: 'col', name: 'f64_3', kind: 'float64' }, byName: true, alias: 'sum_f' },
    { fn: 'avg', arg: { op: 'col', name: 'i64_2', kind: 'int64' }, byName: true, alias: 'avg_i64' },
    { fn: 'min', arg: { op: 'col', name: 'i8_1', kind: 'int8' }, byName: true, alias: 'min_i8' },
    { fn: 'max', arg: { op: 'col', name: 'u32_4', kind: 'uint32' }, byName: true, alias: 'max_u32' },
    { fn: 'min', arg: { op: 'col', name: 'dt_5', kind: 'date32' }, byName: true, alias: 'min_dt' },
    { fn: 'max', arg: { op: 'col', name: 'f64_3', kind: 'float64' }, byName: false, alias: 'max_f' },
    { fn: 'max', arg: { op: 'col', name: 'i64_2', kind: 'int64' }, byName: false, alias: 'max_i64' },
  ];
  const EXPECTED_TYPES: Record<string, string> = {
    d_0: 'Utf8', s_6: 'Utf8', b_7: 'Bool', cnt: 'Int64', cnt_f: 'Int64', sum_i8: 'Int64', sum_u32: 'Int64', sum_f: 'Float64',
    avg_i64: 'Float64', min_i8: 'Int8', max_u32: 'Uint32', min_dt: 'Date32<DAY>', max_f: 'Float64', max_i64: 'Int64',
  };

  async function named(
    name: string,
    table: TableModel,
    q: Query,
    check: (t: A.Table, expected: SqlResult) => void,
  ): Promise<void> {
    await db.load('t', table.columns, table.rows);
    assertAllMatch([await runCase(db, table, q, name, CPU)]);
    const outcome = await runEngine(await sessionFor('cpu', 4), table, q, 3);
    if (outcome.kind !== 'table') throw new Error(`expected a table, got ${outcome.kind}`);
    check(outcome.table, await db.query(toSql(q)));
  }

  const checkTypes = (t: A.Table) => {
    for (const f of t.schema.fields) expect([f.name, f.type.toString()]).toEqual([f.name, EXPECTED_TYPES[f.name]]);
  };

  it('empty table: grouped aggregate is empty and correctly typed', async () => {
    const table = generateTable(1, { rows: 0, kinds: [...KINDS], simpleLayout: true });
    await named('empty/grouped', table, { mode: 'agg', filter: null, keys: ['d_0', 'b_7'], aggs: typedAggs, orderBy: null }, (t) => {
      expect(t.numRows).toBe(0);
      checkTypes(t);
    });
  });

  it('empty table: global aggregate is one row (count 0, the rest null)', async () => {
    const table = generateTable(2, { rows: 0, kinds: [...KINDS] });
    await named('empty/global', table, { mode: 'agg', filter: null, keys: [], aggs: typedAggs, orderBy: null }, (t) => {
      expect(t.numRows).toBe(1);
      checkTypes(t);
      const row = arrowRows(t).rows[0]!;
      expect(row[0]).toBe(0n);
      expect(row.slice(2)).toEqual(row.slice(2).map(() => null));
    });
  });

  it('empty table: collect and count', async () => {
    const table = generateTable(3, { rows: 0, kinds: [...KINDS] });
    await named('empty/collect', table, { mode: 'collect', filter: null, keys: [], aggs: [], orderBy: null }, (t) => {
      expect(t.numRows).toBe(0);
      expect(t.schema.fields.map((f) => f.name)).toEqual(table.columns.map((c) => c.name));
    });
    assertAllMatch([await runCase(db, table, { mode: 'count', filter: null, keys: [], aggs: [], orderBy: null }, 'empty/count', { partitions: 2, shufflePartitions: 3, executor: 'cpu' })]);
  });

  it('one row: grouped and global', async () => {
    const table = generateTable(4, { rows: 1, kinds: [...KINDS], nullRates: [0, 0, 0, 0, 0, 0, 0, 0], simpleLayout: true });
    await named('one/grouped', table, { mode: 'agg', filter: null, keys: ['d_0'], aggs: typedAggs, orderBy: null }, (t, e) => {
      expect(t.numRows).toBe(1);
      expect(e.rows.length).toBe(1);
      checkTypes(t);
    });
    await named('one/global', table, { mode: 'agg', filter: null, keys: [], aggs: typedAggs, orderBy: null }, (t) => {
      expect(t.numRows).toBe(1);
      checkTypes(t);
    });
  });

  it('all-null value columns: count(x) = 0, sum/avg/min/max null', async () => {
    const table = generateTable(5, { rows: 500, kinds: [...KINDS], nullRates: [0, 1, 1, 1, 1, 1, 0, 0] });
    await named('allnull/grouped', table, { mode: 'agg', filter: null, keys: ['d_0'], aggs: typedAggs, orderBy: null }, (t) => {
      expect(t.numRows).toBeGreaterThan(0);
      checkTypes(t);
      for (const row of arrowRows(t).rows) {
        expect(row[2]).toBe(0n); // cnt_f
        expect(row.slice(3)).toEqual(row.slice(3).map(() => null));
      }
    });
  });

  it('all-null key column: one null group', async () => {
    const table = generateTable(6, { rows: 300, kinds: [...KINDS], nullRates: [1, 0, 0, 0, 0, 0, 0, 0], simpleLayout: true });
    await named('nullkey', table, { mode: 'agg', filter: null, keys: ['d_0'], aggs: typedAggs, orderBy: null }, (t) => {
      expect(t.numRows).toBe(1);
      checkTypes(t);
      expect(arrowRows(t).rows[0]!.slice(0, 2)).toEqual([null, 300n]);
    });
  });

  it('dictionary whose values hold a null entry: valid slots pointing at it are null', async () => {
    // d: ["x", null, "", "x", null(validity), ""]: indices [0, 2, 1, 0, garbage, 1] into ["x", null, ""]
    const dict = makeVector(vectorFromArray(['x', null, ''], new Utf8()).data[0]!);
    const type = new Dictionary(new Utf8(), new Int32());
    const d = makeData({ type, length: 6, nullCount: 1, nullBitmap: new Uint8Array([0b101111]), data: new Int32Array([0, 1, 2, 0, 2, 2]), dictionary: dict });
    const v = makeData({ type: new Int32(), length: 6, nullCount: 0, data: new Int32Array([1, 2, 3, 4, 5, 6]) });
    const schema = new Schema([new Field('d_0', type, true), new Field('i32_1', new Int32(), true)]);
    const arrowTable = new ArrowTable(schema, [new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 6, children: [d, v] }))]);
    const table = generateTable(9, { rows: 6, kinds: ['dict', 'int32'], simpleLayout: true });
    table.columns[0]!.values = ['x', null, '', 'x', null, ''];
    table.columns[1]!.values = [1n, 2n, 3n, 4n, 5n, 6n];
    const model: TableModel = { ...table, table: arrowTable, input: arrowTable, layout: 'hand-built: dictionary ["x", null, ""]' };
    const aggs: Agg[] = [
      { fn: 'count', arg: null, byName: false, alias: 'n' },
      { fn: 'sum', arg: { op: 'col', name: 'i32_1', kind: 'int32' }, byName: true, alias: 's' },
      { fn: 'count', arg: { op: 'col', name: 'd_0', kind: 'dict' }, byName: true, alias: 'nd' },
    ];
    // expected groups: x → (2, 5), null → (2, 7), "" → (2, 9)
    await named('dictnull/grouped', model, { mode: 'agg', filter: null, keys: ['d_0'], aggs, orderBy: null }, () => {});
    const isEmpty: Pred = { op: 'cmp', fn: 'eq', l: { op: 'col', name: 'd_0', kind: 'dict' }, r: { op: 'lit', lit: { t: 'str', v: '' }, wrap: false } };
    await named('dictnull/filter', model, { mode: 'agg', filter: isEmpty, keys: [], aggs, orderBy: null }, () => {});
  });

  it('float64 keys: 0 and -0 are one group, NaNs (any payload) are one group', async () => {
    const vals = [0, -0, NaN, NaN, null, 1, -0, 0.5, NaN, 1];
    const f = new Float64Array(vals.map((v) => v ?? 0));
    new Uint32Array(f.buffer)[2 * 3 + 1] = 0xfff80000; // row 3: NaN with the sign bit set
    new Uint32Array(f.buffer)[2 * 8] = 12345; //           row 8: NaN with a payload
    new Uint32Array(f.buffer)[2 * 8 + 1] = 0x7ff80001;
    const fd = makeData({ type: new Float64(), length: 10, nullCount: 1, nullBitmap: new Uint8Array([0b11101111, 0b11]), data: f });
    const v = makeData({ type: new Int32(), length: 10, nullCount: 0, data: Int32Array.from(vals.keys(), (i) => i + 1) });
    const schema = new Schema([new Field('f64_0', new Float64(), true), new Field('i32_1', new Int32(), true)]);
    const arrowTable = new ArrowTable(schema, [new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 10, children: [fd, v] }))]);
    const table = generateTable(10, { rows: 10, kinds: ['float64', 'int32'], simpleLayout: true });
    table.columns[0]!.values = vals;
    table.columns[1]!.values = vals.map((_, i) => BigInt(i + 1));
    const model: TableModel = { ...table, table: arrowTable, input: arrowTable, layout: 'hand-built: 0/-0/NaN payloads' };
    const i32: Expr = { op: 'col', name: 'i32_1', kind: 'int32' };
    const f64: Expr = { op: 'col', name: 'f64_0', kind: 'float64' };
    const aggs: Agg[] = [
      { fn: 'count', arg: null, byName: false, alias: 'n' },
      { fn: 'sum', arg: i32, byName: true, alias: 's' },
      { fn: 'min', arg: f64, byName: true, alias: 'mn' },
      { fn: 'max', arg: f64, byName: true, alias: 'mx' },
    ];
    // groups: 0 → rows 1,2,7 (n 3); NaN → rows 3,4,9 (n 3); null → row 5; 1 → rows 6,10; 0.5 → row 8
    await named('floatkeys/grouped', model, { mode: 'agg', filter: null, keys: ['f64_0'], aggs, orderBy: null }, (t) => expect(t.numRows).toBe(5));
    await named('floatkeys/global', model, { mode: 'agg', filter: null, keys: [], aggs, orderBy: null }, () => {});
    const eqNaN: Pred = { op: 'cmp', fn: 'eq', l: f64, r: { op: 'lit', lit: { t: 'float', v: NaN }, wrap: false } };
    await named('floatkeys/eqNaN', model, { mode: 'collect', filter: eqNaN, keys: [], aggs: [], orderBy: null }, (t) => expect(t.numRows).toBe(3));
  });

  it('filter dropping every row: empty and correctly typed', async () => {
    const table = generateTable(7, { rows: 3000, kinds: [...KINDS] });
    const filter: Pred = { op: 'cmp', fn: 'gt', l: { op: 'col', name: 'i8_1', kind: 'int8' }, r: { op: 'lit', lit: { t: 'int', v: 1000n, js: 'number' }, wrap: false } };
    await named('dropall/grouped', table, { mode: 'agg', filter, keys: ['d_0', 's_6'], aggs: typedAggs, orderBy: null }, (t) => {
      expect(t.numRows).toBe(0);
      checkTypes(t);
    });
    await named('dropall/global', table, { mode: 'agg', filter, keys: [], aggs: typedAggs, orderBy: null }, (t) => {
      expect(t.numRows).toBe(1);
      checkTypes(t);
    });
    await named('dropall/collect', table, { mode: 'collect', filter, keys: [], aggs: [], orderBy: null }, (t) => {
      expect(t.numRows).toBe(0);
    });
  });

  it('int64 extremes: exact min/max, exact sums beyond 2^53, overflow raises', async () => {
    const table = generateTable(8, { rows: 40, kinds: ['int8', 'int64'], nullRates: [0, 0], simpleLayout: true });
    const big = [2n ** 62n, 2n ** 62n, 2n ** 62n, -(2n ** 63n), 2n ** 63n - 1n, 1n];
    table.columns[1]!.values = table.columns[1]!.values.map((_, i) => (i < 6 ? big[i]! : BigInt(i) * (2n ** 53n + 1n)));
    table.columns[0]!.values = table.columns[0]!.values.map((_, i) => BigInt(i % 3));
    const fixed = rebuildArrow(table);
    const i64: Expr = { op: 'col', name: 'i64_1', kind: 'int64' };
    // group 1 holds 2^62 and 2^63-1 → its sum exceeds int64 → must raise ArithmeticOverflowError
    const aggs: Agg[] = [
      { fn: 'min', arg: i64, byName: true, alias: 'mn' },
      { fn: 'max', arg: i64, byName: true, alias: 'mx' },
      { fn: 'count', arg: i64, byName: true, alias: 'n' },
    ];
    await named('extremes/minmax', fixed, { mode: 'agg', filter: null, keys: ['i8_0'], aggs, orderBy: null }, () => {});
    const r = await runCase(db, fixed, { mode: 'agg', filter: null, keys: ['i8_0'], aggs: [{ fn: 'sum', arg: i64, byName: true, alias: 's' }], orderBy: null }, 'extremes/sum-overflow', { partitions: 2, shufflePartitions: 2, executor: 'cpu' });
    expect(r.overflow).toBe('required');
    assertAllMatch([r]);
    // rows 6.. only: exact sums of multiples of 2^53+1 (beyond double precision), no overflow
    const filter: Pred = { op: 'cmp', fn: 'ge', l: { op: 'col', name: 'i64_1', kind: 'int64' }, r: { op: 'lit', lit: { t: 'int', v: 6n * (2n ** 53n + 1n), js: 'bigint' }, wrap: false } };
    const filter2: Pred = { op: 'and', l: filter, r: { op: 'cmp', fn: 'lt', l: i64, r: { op: 'lit', lit: { t: 'int', v: 2n ** 62n, js: 'bigint' }, wrap: true } } };
    const r2 = await runCase(db, fixed, { mode: 'agg', filter: filter2, keys: ['i8_0'], aggs: [{ fn: 'sum', arg: i64, byName: true, alias: 's' }, { fn: 'avg', arg: i64, byName: false, alias: 'a' }], orderBy: null }, 'extremes/sum-exact', { partitions: 3, shufflePartitions: 2, executor: 'cpu' });
    expect(r2.overflow).toBe('none');
    assertAllMatch([r2]);
  });
  it('int64 sums whose partial sums leave Int64 but whose total fits: exact, no error', async () => {
    const table = generateTable(11, { rows: 8, kinds: ['int8', 'int64'], nullRates: [0, 0], simpleLayout: true });
    const big = 2n ** 62n;
    table.columns[0]!.values = [0n, 0n, 0n, 0n, 0n, 0n, 0n, 1n];
    // group 0: 2^62·3 on the way (beyond Int64), 5 in the end; group 1: exactly Int64's max
    table.columns[1]!.values = [big, big, big, -big, -big, -big, 5n, 2n ** 63n - 1n];
    const fixed = rebuildArrow(table);
    const i64: Expr = { op: 'col', name: 'i64_1', kind: 'int64' };
    const q: Query = { mode: 'agg', filter: null, keys: ['i8_0'], aggs: [{ fn: 'sum', arg: i64, byName: true, alias: 's' }, { fn: 'avg', arg: i64, byName: true, alias: 'a' }], orderBy: null };
    await db.load('t', fixed.columns, fixed.rows);
    for (const partitions of [1, 2, 3, 4]) {
      const r = await runCase(db, fixed, q, `cancelling/p${partitions}`, { partitions, shufflePartitions: 2, executor: 'cpu' });
      expect(r.overflow).toBe('none');
      assertAllMatch([r]);
    }
    // the global sum is 2^63 + 4: it must raise
    const g = await runCase(db, fixed, { ...q, keys: [] }, 'cancelling/global', { partitions: 2, shufflePartitions: 1, executor: 'cpu' });
    expect(g.overflow).toBe('required');
    assertAllMatch([g]);
  });

  it('uint64 sums: exact Int64, or ArithmeticOverflowError when the exact sum exceeds it', async () => {
    const table = generateTable(12, { rows: 6, kinds: ['int8', 'uint64'], nullRates: [0, 0], simpleLayout: true });
    table.columns[0]!.values = [0n, 0n, 1n, 1n, 2n, 2n];
    table.columns[1]!.values = [2n ** 63n - 2n, 1n, 2n ** 63n, 5n, 2n ** 64n - 1n, 0n];
    const fixed = rebuildArrow(table);
    const u64: Expr = { op: 'col', name: 'u64_1', kind: 'uint64' };
    const aggs: Agg[] = [
      { fn: 'sum', arg: u64, byName: true, alias: 's' },
      { fn: 'min', arg: u64, byName: true, alias: 'mn' },
      { fn: 'max', arg: u64, byName: true, alias: 'mx' },
    ];
    await db.load('t', fixed.columns, fixed.rows);
    const fits: Pred = { op: 'cmp', fn: 'lt', l: u64, r: { op: 'lit', lit: { t: 'int', v: 2n ** 63n, js: 'bigint' }, wrap: false } };
    const ok = await runCase(db, fixed, { mode: 'agg', filter: fits, keys: ['i8_0'], aggs, orderBy: [{ name: 'i8_0', desc: true, style: 'desc()' }] }, 'uint64/fits', CPU);
    expect(ok.overflow).toBe('none');
    const over = await runCase(db, fixed, { mode: 'agg', filter: null, keys: ['i8_0'], aggs, orderBy: null }, 'uint64/overflow', CPU);
    expect(over.overflow).toBe('required');
    assertAllMatch([ok, over]);
  });

  it('ORDER BY several keys: ASC NULLS FIRST, DESC NULLS LAST, NaN greatest, -0 = 0, strings and booleans', async () => {
    const table = generateTable(13, { rows: 24, kinds: ['utf8', 'bool', 'float64', 'int32'], nullRates: [0, 0, 0, 0], simpleLayout: true });
    const strs = [null, '', 'a', 'b', 'é', 'B'];
    const bools = [null, true, false];
    const floats = [null, NaN, -0, 0, -Infinity, 1.5, Infinity, -2];
    table.columns[0]!.values = table.columns[0]!.values.map((_, i) => strs[i % strs.length]!);
    table.columns[1]!.values = table.columns[1]!.values.map((_, i) => bools[(i >> 1) % bools.length]!);
    table.columns[2]!.values = table.columns[2]!.values.map((_, i) => floats[(i * 5) % floats.length]!);
    table.columns[3]!.values = table.columns[3]!.values.map((_, i) => BigInt((i * 7) % 5));
    const fixed = rebuildArrow(table);
    const i32: Expr = { op: 'col', name: 'i32_3', kind: 'int32' };
    const aggs: Agg[] = [{ fn: 'count', arg: null, byName: false, alias: 'n' }, { fn: 'sum', arg: i32, byName: true, alias: 's' }];
    const keys = ['s_0', 'b_1', 'f64_2'];
    const orders: OrderKey[][] = [
      [{ name: 'b_1', desc: true, style: 'desc()' }, { name: 's_0', desc: false, style: 'name' }, { name: 'f64_2', desc: true, style: 'col' }],
      [{ name: 'f64_2', desc: false, style: 'col' }, { name: 's_0', desc: true, style: 'col' }, { name: 'b_1', desc: false, style: 'col' }],
      [{ name: 's', desc: true, style: 'desc()' }, { name: 'n', desc: false, style: 'name' }],
    ];
    await db.load('t', fixed.columns, fixed.rows);
    for (const [i, orderBy] of orders.entries()) {
      const q: Query = { mode: 'agg', filter: null, keys, aggs, orderBy };
      const r = await runCase(db, fixed, q, `order/${i}`, CPU);
      expect(r.rows).toBeGreaterThan(10);
      assertAllMatch([r]);
    }
    // over collected rows, and after a HAVING
    const having: Pred = { op: 'cmp', fn: 'ge', l: { op: 'col', name: 'n', kind: 'int64' }, r: { op: 'lit', lit: { t: 'int', v: 1n, js: 'number' }, wrap: false } };
    assertAllMatch([
      await runCase(db, fixed, { mode: 'collect', filter: null, keys: [], aggs: [], orderBy: orders[1]! }, 'order/collect', CPU),
      await runCase(db, fixed, { mode: 'agg', filter: null, keys, aggs, having, orderBy: orders[0]! }, 'order/having', CPU),
    ]);
  });

  it('the order check fails a wrong order: DESC with nulls first, a swapped pair', async () => {
    const table = generateTable(14, { rows: 40, kinds: ['int16', 'int32'], nullRates: [0.2, 0], simpleLayout: true });
    await db.load('t', table.columns, table.rows);
    const q: Query = { mode: 'agg', filter: null, keys: ['i16_0'], aggs: [{ fn: 'count', arg: null, byName: false, alias: 'n' }], orderBy: [{ name: 'i16_0', desc: true, style: 'desc()' }] };
    const expected = await db.query(toSql(q));
    const out = outputColumns(q, table);
    const rows = expected.rows.map((r) => r.slice(0, 2));
    const asGot = (rs: typeof rows) => ({ names: ['i16_0', 'n'], types: ['Int16', 'Int64'], rows: rs });
    expect(rows.some((r) => r[0] === null) && rows.length > 3).toBe(true);
    expect(compareOrder(out, q.orderBy!, expected, asGot(rows), 'cpu')).toEqual([]);
    const nullsFirst = [...rows.filter((r) => r[0] === null), ...rows.filter((r) => r[0] !== null)];
    expect(compareOrder(out, q.orderBy!, expected, asGot(nullsFirst), 'cpu')[0]).toMatch(/order .*row #0/);
    const swapped = [rows[1]!, rows[0]!, ...rows.slice(2)];
    expect(compareOrder(out, q.orderBy!, expected, asGot(swapped), 'cpu')).toHaveLength(1);
  });

  it('Date64 and Timestamp columns (s, ms, us, ns; with a zone): keys, count, min/max, filters with Date and ISO literals', async () => {
    const kinds: ColKind[] = ['ts_ns', 'ts_s', 'date64', 'ts_us', 'ts_ms', 'int8'];
    const table = generateTable(15, { rows: 12, kinds, nullRates: [0, 0, 0, 0, 0, 0], simpleLayout: true });
    const base = 1_600_000_000n;
    table.columns[0]!.values = table.columns[0]!.values.map((_, i) => base * 1_000_000_000n + BigInt(i % 4)); // 1 ns apart
    table.columns[1]!.values = table.columns[1]!.values.map((_, i) => base + BigInt(i % 3) - 1n);
    table.columns[2]!.values = table.columns[2]!.values.map((_, i) => BigInt(18_000 + (i % 5)) * 86_400_000n);
    table.columns[3]!.values = table.columns[3]!.values.map((_, i) => (i % 2 ? -1n : base * 1_000_000n + BigInt(i)));
    table.columns[4]!.values = table.columns[4]!.values.map((_, i) => (i === 3 ? null : base * 1000n + BigInt(i)));
    table.columns[5]!.values = table.columns[5]!.values.map((_, i) => BigInt(i % 2));
    table.columns[1]!.tz = 'UTC';
    const fixed = rebuildArrow(table);
    const c = (k: number): Expr => ({ op: 'col', name: fixed.columns[k]!.name, kind: fixed.columns[k]!.kind });
    const aggs: Agg[] = kinds.slice(0, 5).flatMap((_, k): Agg[] => [
      { fn: 'min', arg: c(k), byName: true, alias: `mn${k}` },
      { fn: 'max', arg: c(k), byName: false, alias: `mx${k}` },
    ]);
    aggs.push({ fn: 'count', arg: c(4), byName: true, alias: 'n4' });
    const ms = Number(base) * 1000;
    const filter: Pred = {
      op: 'and',
      l: { op: 'cmp', fn: 'ge', l: c(0), r: { op: 'lit', lit: { t: 'ts', ms, form: 'iso' }, wrap: false } },
      r: { op: 'between', e: c(2), lo: { op: 'lit', lit: { t: 'ts', ms: 18_001 * 86_400_000, form: 'day' }, wrap: false }, hi: { op: 'lit', lit: { t: 'ts', ms: 18_003 * 86_400_000, form: 'date' }, wrap: true } },
    };
    await db.load('t', fixed.columns, fixed.rows);
    for (const keys of [['i8_5'], ['tsns_0'], ['tss_1', 'dt64_2']]) {
      assertAllMatch([
        await runCase(db, fixed, { mode: 'agg', filter: null, keys, aggs, orderBy: null }, `temporal/${keys.join(',')}`, CPU),
        await runCase(db, fixed, { mode: 'agg', filter, keys, aggs, orderBy: null }, `temporal/filtered/${keys.join(',')}`, CPU),
      ]);
    }
    assertAllMatch([await runCase(db, fixed, { mode: 'collect', filter: { op: 'cmp', fn: 'lt', l: c(1), r: c(1) }, keys: [], aggs: [], orderBy: null }, 'temporal/colcol', CPU)]);
  });

  it.skipIf(!GPU.ok)(`GPU executor: float sums at the documented bound (NaN, ±Inf, cancellation, groups far below the task's largest)${GPU.ok ? '' : ` (SKIPPED: ${GPU.reason})`}`, async () => {
    const n = 4000;
    const table = generateTable(19, { rows: n, kinds: ['int8', 'float64', 'int32'], nullRates: [0, 0.05, 0], simpleLayout: true });
    const rng = new Rng(19);
    const group = (i: number) => i % 8;
    table.columns[0]!.values = table.columns[0]!.values.map((_, i) => BigInt(group(i)));
    table.columns[1]!.values = table.columns[1]!.values.map((v, i) => {
      if (v === null && ![8, 9, 10, 11, 18].includes(i)) return null;
      const x = rng.next();
      switch (group(i)) {
        case 0: return i === 8 ? Infinity : x * 100; //                  one +Inf
        case 1: return i === 9 ? -Infinity : -x * 100; //                one -Inf
        case 2: return i === 10 ? Infinity : i === 18 ? -Infinity : x; // both: NaN
        case 3: return i === 11 ? NaN : x; //                             NaN
        case 4: return (x - 0.3) * 2e15; //                               the task's largest
        case 5: return x * 1e-3; //                                       far below them
        case 6: return Math.round(x * 100e6) / 1e6; //                    positive, 6 decimals
        default: return [1e15, 1, -1e15, 0.1][(i >> 3) % 4]!; //           cancellation
      }
    });
    const fixed = rebuildArrow(table);
    const f64: Expr = { op: 'col', name: 'f64_1', kind: 'float64' };
    const half: Expr = { op: 'arith', fn: 'mul', l: f64, r: { op: 'lit', lit: { t: 'float', v: 0.5 }, wrap: false } };
    const aggs: Agg[] = [
      { fn: 'sum', arg: f64, byName: true, alias: 's' },
      { fn: 'avg', arg: f64, byName: true, alias: 'a' },
      { fn: 'count', arg: f64, byName: true, alias: 'n' },
    ];
    // (float arithmetic over a column holding NaN / ±Inf runs on the CPU, by design)
    const arith: Agg[] = [{ fn: 'sum', arg: half, byName: false, alias: 'sh' }, { fn: 'avg', arg: half, byName: false, alias: 'ah' }];
    await db.load('t', fixed.columns, fixed.rows);
    // group 5 lies too far below group 4 for the GPU's fixed-point grid: with it, the GPU must
    // give its tasks back to the CPU; without it, they stay on the GPU
    const not5: Pred = { op: 'cmp', fn: 'ne', l: { op: 'col', name: 'i8_0', kind: 'int8' }, r: { op: 'lit', lit: { t: 'int', v: 5n, js: 'number' }, wrap: false } };
    const reports: CaseReport[] = [];
    for (const filter of [null, not5]) {
      for (const [i, keys] of [['i8_0'], []].entries()) {
        for (const partitions of [1, 3]) {
          const q: Query = { mode: 'agg', filter, keys, aggs, orderBy: null };
          reports.push(await runCase(db, fixed, q, `gpu-floats/${filter ? 'not5' : 'all'}/${i}/p${partitions}`, { partitions, shufflePartitions: 4, executor: 'gpu' }));
        }
      }
    }
    // (the check is only as good as the GPU's share of it)
    expect(reports.slice(4).every((r) => r.gpuTasks > 0), 'the cases without group 5 run their map tasks on the GPU').toBe(true);
    reports.push(await runCase(db, fixed, { mode: 'agg', filter: null, keys: ['i8_0'], aggs: arith, orderBy: null }, 'gpu-floats/arith', { partitions: 2, shufflePartitions: 4, executor: 'gpu' }));
    assertAllMatch(reports);
  });

  // Engine bugs this suite found (all fixed), each as one named case.
  describe('engine bugs this suite found', () => {
    it('ns-sort (fixed): ORDER BY a timestamp[ns] key whose values are 1 ns apart (src/arrow/sort-table.ts)', async () => {
      const table = generateTable(16, { rows: 6, kinds: ['ts_ns', 'int8'], nullRates: [0, 0], simpleLayout: true });
      table.columns[0]!.values = [2n, 1n, 3n, 0n, 5n, 4n].map((d) => 1_600_000_000_000_000_000n + d);
      const fixed = rebuildArrow(table);
      await db.load('t', fixed.columns, fixed.rows);
      assertAllMatch([await runCase(db, fixed, { mode: 'collect', filter: null, keys: [], aggs: [], orderBy: [{ name: 'tsns_0', desc: false, style: 'name' }] }, 'known/ns-sort', CPU)]);
    });
    it('ts-literal-truncation (fixed): timestamp[s] compared with a Date holding milliseconds (src/expr/resolve.ts)', async () => {
      const table = generateTable(17, { rows: 5, kinds: ['ts_s', 'int8'], nullRates: [0, 0], simpleLayout: true });
      table.columns[0]!.values = [-2n, -1n, 0n, 1n, 2n];
      const fixed = rebuildArrow(table);
      await db.load('t', fixed.columns, fixed.rows);
      const tss: Expr = { op: 'col', name: 'tss_0', kind: 'ts_s' };
      const at = (ms: number): Expr => ({ op: 'lit', lit: { t: 'ts', ms, form: 'date' }, wrap: false });
      assertAllMatch([
        await runCase(db, fixed, { mode: 'collect', filter: { op: 'cmp', fn: 'ge', l: tss, r: at(1500) }, keys: [], aggs: [], orderBy: null }, 'known/ts-trunc-ge', CPU),
        await runCase(db, fixed, { mode: 'collect', filter: { op: 'cmp', fn: 'gt', l: tss, r: at(-1500) }, keys: [], aggs: [], orderBy: null }, 'known/ts-trunc-gt', CPU),
      ]);
    });
    it("utf16-sort (fixed): ORDER BY a string key holding '😀' and '！' (src/arrow/sort-table.ts)", async () => {
      const table = generateTable(18, { rows: 4, kinds: ['utf8', 'int8'], nullRates: [0, 0], simpleLayout: true });
      table.columns[0]!.values = ['！', '😀', 'a', 'ｚ'];
      const fixed = rebuildArrow(table);
      await db.load('t', fixed.columns, fixed.rows);
      assertAllMatch([await runCase(db, fixed, { mode: 'collect', filter: null, keys: [], aggs: [], orderBy: [{ name: 's_0', desc: false, style: 'name' }] }, 'known/utf16-sort', CPU)]);
    });
  });
});
