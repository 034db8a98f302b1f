/**
 * `npm run bench` — the groupby benchmark.
 *
 * Generates the db-benchmark groupby table `x` and a TPC-H lineitem-like table
 * in memory (bench/datagen.ts), loads the very same data into an in-memory
 * DuckDB, then for every query (bench/queries.ts) and every engine runs one
 * warm-up and `--runs` timed runs, printing the median time, input Mrows/s and
 * the ratios to DuckDB and to the CPU executor, checks each engine's answer
 * against DuckDB's (same groups, integers exact, floats within 1e-9 relative),
 * prints the gpuframe executors' job metrics (per stage: executors, time in
 * executor threads; per job: overhead; GPU map-stage timing when the GPU executor
 * reports it), the core scaling of the CPU executor (cpu = --threads cores vs
 * cpu1 = one core on the same partitions) and writes everything as JSON to bench/out/.
 * A progress bar for jobs over ~1 s goes to stderr when it is a terminal (or with --progress).
 *
 *   gpuframe bench --help      (npm run bench -- --help in this repo); options in bench-command.ts
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';
import type { DuckDBConnection, DuckDBDateValue, DuckDBType } from '@duckdb/node-api';
import type { Table } from 'apache-arrow';
import { generate, toArrowTable, type BenchData, type GeneratedTable } from './datagen.ts';
import { ProgressBar, progressWanted } from '../src/cli/progress-bar.ts';
import { benchCommand, ENGINE_NAMES, type BenchOptions } from './bench-command.ts';
import { formatBenchHtml } from './bench-html.ts';
import type { JobMetrics } from '../src/index.ts';
import type { ReadBandwidth } from '../src/executor/gpu/read-bandwidth.ts';
import { selectQueries, type Api, type DataFrame, type QueryDef, type TableName } from './queries.ts';
import {
  fmtMs,
  fmtNum,
  fmtPct,
  formatJob,
  formatTable,
  gpuBreakdown,
  jobOverhead,
  jobToJson,
  median,
  medianIndex,
  mrowsPerSec,
  type GpuBreakdown,
  type JobMetricsLike,
} from './report.ts';

type Options = BenchOptions;
type GpuframeEngine = Exclude<(typeof ENGINE_NAMES)[number], 'duckdb'>;

// ---------------------------------------------------------------------------
// Results in a neutral form, for comparing engines

type Cell = number | bigint | string | boolean | null;

interface ResultSet {
  readonly columns: readonly string[];
  readonly rows: readonly Cell[][];
}

function toCell(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Date) return v.getTime();
  return String(v);
}

function arrowToResult(table: Table, columns: readonly string[]): ResultSet {
  const have = table.schema.fields.map((f) => f.name);
  const vectors = columns.map((c) => {
    const v = table.getChild(c);
    if (!v) throw new Error(`result has no column '${c}' (has: ${have.join(', ')})`);
    return v;
  });
  const rows: Cell[][] = [];
  for (let i = 0; i < table.numRows; i++) rows.push(vectors.map((v) => toCell(v.get(i))));
  return { columns, rows };
}

interface Mismatch {
  readonly ok: false;
  readonly reason: string;
  readonly details: string[];
}
type CheckResult = { readonly ok: true } | Mismatch;

const REL_TOL = 1e-9;

function sameCell(a: Cell, b: Cell): boolean {
  if (a === null || b === null) return a === b;
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    // integers: exact
    const toBig = (x: Cell): bigint | undefined =>
      typeof x === 'bigint' ? x : typeof x === 'number' && Number.isInteger(x) ? BigInt(x) : undefined;
    const ba = toBig(a);
    const bb = toBig(b);
    return ba !== undefined && ba === bb;
  }
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
    if (a === b) return true;
    return Math.abs(a - b) <= REL_TOL * Math.max(Math.abs(a), Math.abs(b));
  }
  return a === b;
}

function keyOf(row: readonly Cell[], nKeys: number): string {
  let s = '';
  for (let i = 0; i < nKeys; i++) {
    const v = row[i];
    s += (v === null || v === undefined ? '\u0000null' : String(v)) + '\u0001';
  }
  return s;
}

function showRow(row: readonly Cell[] | undefined): string {
  return row ? `(${row.map((v) => (typeof v === 'bigint' ? `${v}n` : JSON.stringify(v))).join(', ')})` : '(missing)';
}

/** Compare `got` against `want`: same key set, each cell equal. Keys are the first `nKeys` columns. */
function compareResults(got: ResultSet, want: ResultSet, nKeys: number): CheckResult {
  const details: string[] = [];
  const index = (r: ResultSet, name: string): Map<string, Cell[]> | string => {
    const m = new Map<string, Cell[]>();
    for (const row of r.rows) {
      const k = keyOf(row, nKeys);
      if (m.has(k)) return `${name} has duplicate group ${showRow(row.slice(0, nKeys))}`;
      m.set(k, row);
    }
    return m;
  };
  const g = index(got, 'engine');
  const w = index(want, 'reference');
  if (typeof g === 'string') return { ok: false, reason: g, details };
  if (typeof w === 'string') return { ok: false, reason: w, details };
  let missing = 0;
  let extra = 0;
  let diff = 0;
  for (const [k, wr] of w) {
    const gr = g.get(k);
    if (!gr) {
      if (missing++ < 3) details.push(`missing group ${showRow(wr.slice(0, nKeys))}; want ${showRow(wr)}`);
      continue;
    }
    for (let c = nKeys; c < want.columns.length; c++) {
      if (!sameCell(gr[c]!, wr[c]!)) {
        if (diff < 5) details.push(`group ${showRow(wr.slice(0, nKeys))} ${want.columns[c]}: got ${showRow([gr[c]!])} want ${showRow([wr[c]!])}`);
        diff++;
      }
    }
  }
  for (const [k, gr] of g) {
    if (!w.has(k) && extra++ < 3) details.push(`extra group ${showRow(gr)}`);
  }
  if (missing === 0 && extra === 0 && diff === 0) return { ok: true };
  return {
    ok: false,
    reason: `${got.rows.length} vs ${want.rows.length} groups; ${missing} missing, ${extra} extra, ${diff} cells differ`,
    details,
  };
}

// ---------------------------------------------------------------------------
// Engines

interface EngineRun {
  /** Converts the engine's answer (untimed) to the neutral form. */
  result(columns: readonly string[]): Promise<ResultSet>;
  readonly metrics?: JobMetricsLike;
}

interface Engine {
  readonly name: string;
  /** One line: version, threads, settings. */
  readonly description: string;
  /**
   * Task slots (executors × cores) of a CPU-executor session, for the overhead figure
   * (see jobOverhead in report.ts); undefined for engines it does not apply to.
   */
  readonly slots?: number;
  /** Runs the query to a fully materialized answer; this is what is timed. */
  run(q: QueryDef): Promise<EngineRun>;
  close(): Promise<void>;
}

class EngineUnavailable extends Error {}


interface Inputs {
  readonly data: BenchData;
  readonly arrow: Record<TableName, Table>;
  readonly opts: Options;
  /** Fed every gpuframe job's progress events (undefined: no bar). */
  readonly progress?: ProgressBar;
}

// --- DuckDB --------------------------------------------------------------

const CHUNK_ROWS = 2048;

/**
 * Creates `<name>` with the columns' SQL types (dictionary columns as VARCHAR or
 * ENUM strings, Date32 as DATE) and appends the generated typed arrays into it
 * through the appender, one data chunk of 2048 rows at a time.
 */
async function loadIntoDuckDB(duck: DuckDBModule, con: DuckDBConnection, t: GeneratedTable, strings: 'varchar' | 'enum'): Promise<void> {
  const { DATE, DOUBLE, DuckDBDataChunk, DuckDBDateValue, ENUM, INTEGER, VARCHAR } = duck;
  const types: DuckDBType[] = t.columns.map((c) => {
    switch (c.kind) {
      case 'int32':
        return INTEGER;
      case 'float64':
        return DOUBLE;
      case 'date32':
        return DATE;
      case 'dict':
        return strings === 'enum' ? ENUM(c.dictionary) : VARCHAR;
    }
  });
  await con.run(`CREATE OR REPLACE TABLE ${t.name} (${t.columns.map((c, i) => `${c.name} ${types[i]!.toString()}`).join(', ')})`);
  // What each column's vector gets per row: the number itself, the dictionary
  // string, or a DATE value (cached per distinct day, so no allocation per row).
  const dateCache = new Map<number, DuckDBDateValue>();
  const date = (days: number): DuckDBDateValue => {
    let d = dateCache.get(days);
    if (!d) dateCache.set(days, (d = new DuckDBDateValue(days)));
    return d;
  };
  const appender = await con.createAppender(t.name);
  const chunk = DuckDBDataChunk.create(types);
  for (let off = 0; off < t.rows; off += CHUNK_ROWS) {
    const n = Math.min(CHUNK_ROWS, t.rows - off);
    chunk.rowCount = n; // also drops the cached vectors
    for (let c = 0; c < t.columns.length; c++) {
      const col = t.columns[c]!;
      const values = col.values;
      const vec = chunk.getColumnVector(c) as unknown as { setItem(i: number, v: unknown): void; flush(): void };
      if (col.kind === 'dict') {
        const dict = col.dictionary;
        for (let i = 0; i < n; i++) vec.setItem(i, dict[values[off + i]!]);
      } else if (col.kind === 'date32') {
        for (let i = 0; i < n; i++) vec.setItem(i, date(values[off + i]!));
      } else {
        for (let i = 0; i < n; i++) vec.setItem(i, values[off + i]!);
      }
      vec.flush();
    }
    appender.appendDataChunk(chunk);
  }
  appender.closeSync();
  const check = await con.runAndReadAll(`SELECT count(*) FROM ${t.name}`);
  const n = Number(check.getRowsJS()[0]![0]);
  if (n !== t.rows) throw new Error(`DuckDB table ${t.name} has ${n} rows, expected ${t.rows}`);
}

type DuckDBModule = typeof import('@duckdb/node-api');

/** DuckDB is an optional peer dependency: without it the benchmark runs gpuframe's engines alone. */
async function importDuckDB(): Promise<DuckDBModule> {
  try {
    return await import('@duckdb/node-api');
  } catch (e) {
    throw new EngineUnavailable(`@duckdb/node-api is not installed (npm install @duckdb/node-api to compare with DuckDB): ${errMessage(e).split('\n')[0]}`);
  }
}

async function createDuckDB(inp: Inputs): Promise<Engine & { loadMs: number }> {
  const duck = await importDuckDB();
  const instance = await duck.DuckDBInstance.create(':memory:', { threads: String(inp.opts.threads) });
  const con = await instance.connect();
  const t0 = performance.now();
  await loadIntoDuckDB(duck, con, inp.data.x, inp.opts.duckdbStrings);
  await loadIntoDuckDB(duck, con, inp.data.lineitem, inp.opts.duckdbStrings);
  const loadMs = performance.now() - t0;
  const info = (await con.runAndReadAll(`SELECT version(), current_setting('threads'), current_setting('memory_limit')`)).getRowsJS()[0]!;
  return {
    name: 'duckdb',
    description: `DuckDB ${String(info[0])} in-memory, threads=${String(info[1])}, memory_limit=${String(info[2])}, strings as ${inp.opts.duckdbStrings.toUpperCase()}, load ${fmtMs(loadMs)} ms (untimed)`,
    loadMs,
    async run(q) {
      const res = await con.run(q.sql); // materialized: every chunk fetched
      return {
        async result(columns) {
          const names = res.columnNames();
          const idx = columns.map((c) => {
            const i = names.indexOf(c);
            if (i < 0) throw new Error(`DuckDB result has no column '${c}'`);
            return i;
          });
          const rows = (await res.getRowsJS()).map((r) => idx.map((i) => toCell(r[i])));
          return { columns, rows };
        },
      };
    },
    async close() {
      con.closeSync();
      instance.closeSync();
    },
  };
}

// --- gpuframe (cpu / gpu executors) --------------------------------------

/**
 * A gpuframe session as an engine: `cpu` = the CPU executor on --threads cores, `cpu1` = the
 * CPU executor on one core (one worker thread) over the same input and shuffle partitions,
 * `gpu` = the GPU executor, `gpu-cached` = the GPU executor over cached inputs.
 */
async function createGpuframe(name: GpuframeEngine, inp: Inputs): Promise<Engine> {
  let api: Api;
  try {
    api = await import('../src/index.ts');
  } catch (e) {
    throw new EngineUnavailable(`cannot load src/index.ts: ${(e as Error).message.split('\n')[0]}`);
  }
  const onGpu = name === 'gpu' || name === 'gpu-cached';
  const executor = onGpu ? 'gpu' : 'cpu';
  const cores = name === 'cpu1' ? 1 : inp.opts.threads;
  // 'gpu' is passed through as is: an engine build without it refuses it in Session.create (reported as skipped).
  const cacheBytes = name === 'gpu-cached' && inp.opts.gpuCacheBytes !== undefined ? { gpuCacheBytes: inp.opts.gpuCacheBytes } : {};
  const opts = { executor, cores, shufflePartitions: inp.opts.shufflePartitions, ...cacheBytes } as Parameters<Api['Session']['create']>[0];
  let session: Awaited<ReturnType<Api['Session']['create']>>;
  try {
    session = await api.Session.create({ ...opts, ...(inp.progress ? { onProgress: inp.progress.listener } : {}) });
  } catch (e) {
    throw new EngineUnavailable(`Session.create(${JSON.stringify(opts)}) failed: ${(e as Error).message.split('\n')[0]}`);
  }
  const parts = onGpu ? inp.opts.gpuPartitions : inp.opts.partitions;
  const frame = (t: TableName) => {
    const df = session.fromArrow(inp.arrow[t], parts === undefined ? {} : { partitions: parts });
    if (name !== 'gpu-cached') return df;
    if (typeof (df as { cache?: unknown }).cache !== 'function') throw new EngineUnavailable('this build has no DataFrame.cache()');
    return df.cache();
  };
  const frames: Record<TableName, DataFrame> = { x: frame('x'), lineitem: frame('lineitem') };
  // The input partitions the session chose.
  const scanned = frames.x.physicalPlan().source.partitions.length;
  // Read structurally: the options' shape may grow (other executors) without this file changing.
  const resolved = (session as { options?: { executors?: unknown; cores?: unknown } }).options;
  const nExecutors = typeof resolved?.executors === 'number' ? resolved.executors : 1;
  const nCores = typeof resolved?.cores === 'number' ? resolved.cores : cores;
  return {
    name,
    description:
      `gpuframe executor=${executor}${name === 'gpu-cached' ? ' over cached inputs (DataFrame.cache(); uploaded in the warm-up run)' : ''}, cores=${nCores}${name === 'cpu1' ? ' (one worker thread)' : ''}` +
      `${nExecutors !== 1 ? `, executors=${nExecutors}` : ''}, input partitions=${scanned}, shufflePartitions=${inp.opts.shufflePartitions}`,
    slots: executor === 'cpu' ? nExecutors * nCores : undefined,
    async run(q) {
      const table = await q.frame(api, frames[q.table]).collect();
      const metrics = session.lastJob as JobMetricsLike | undefined;
      return {
        metrics,
        async result(columns) {
          return arrowToResult(table, columns);
        },
      };
    },
    async close() {
      await session.close();
    },
  };
}

// ---------------------------------------------------------------------------
// Runner

interface Measurement {
  readonly query: string;
  readonly engine: string;
  readonly inputRows: number;
  readonly warmupMs?: number;
  readonly timesMs: number[];
  /** Process CPU time (all threads) / wall time, per timed run: the cores the run kept busy. */
  readonly coresBusy: number[];
  readonly medianCoresBusy?: number;
  /** CPU used by other processes on the machine during the timed runs, in cores (/proc/stat, 10 ms ticks; absent when the runs were too short to tell). */
  readonly otherProcessesCores?: number;
  readonly medianMs?: number;
  readonly mrowsPerSec?: number;
  readonly ratioToDuckdb?: number;
  /** Engine median / the `cpu` engine's median (absent for cpu itself or where cpu did not run). */
  readonly ratioToCpu?: number;
  /** Task slots of the engine's session (CPU executor only), the denominator of the overhead. */
  readonly slots?: number;
  /** Per timed run: 1 − Σ task executorRunMs / (slots × job ms), see jobOverhead in report.ts. */
  readonly overheadPerRun?: number[];
  readonly medianOverhead?: number;
  /** Median over the timed runs of Σ task executorRunMs: the task code's own time, all cores together. */
  readonly medianTaskRunMs?: number;
  /** GPU executor: map-stage upload / kernels / readback / merge sums of the median run. */
  readonly gpu?: GpuBreakdown;
  readonly resultRows?: number;
  check: string; // 'OK' | 'MISMATCH' | 'reference' | 'n/a' | 'ERROR'
  readonly error?: string;
  mismatch?: { reason: string; details: string[] };
  readonly metrics?: JobMetricsLike;
}

/**
 * Seconds of CPU time the whole machine has spent busy (all processes, all
 * cores), from /proc/stat; undefined where there is no /proc/stat.
 */
function machineBusySeconds(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...
    const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0);
    return busy / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** Other processes using fewer cores than this (during a measurement, or before the run) count as a quiet machine. */
const QUIET_CORES = 0.15;

/**
 * Cores other processes kept busy over the next `ms` milliseconds while this one sleeps
 * (machine busy time from /proc/stat less this process's own CPU time); undefined without /proc/stat.
 */
async function otherProcessesNow(ms: number): Promise<number | undefined> {
  const m0 = machineBusySeconds();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const m1 = machineBusySeconds();
  const wall = performance.now() - t0;
  const own = process.cpuUsage(c0);
  if (m0 === undefined || m1 === undefined) return undefined;
  return Math.max(0, ((m1 - m0) * 1000 - (own.user + own.system) / 1000) / wall);
}

/** The commit the engine was measured at, and whether src/ had uncommitted changes. */
function codeVersion(): string {
  try {
    const cwd = path.dirname(fileURLToPath(import.meta.url));
    const git = (...args: string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const head = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--', '../src').length > 0;
    return `${head}${dirty ? ' + uncommitted changes in src/' : ''}`;
  } catch {
    return 'unknown';
  }
}

function errMessage(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

/** Runs the benchmark with parsed options (bench-command.ts) and prints and writes its results. */
export async function runBench(opts: Options): Promise<void> {
  const queries: QueryDef[] = selectQueries(opts.queries);
  const cpus = os.cpus();
  const machine = {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    logicalCpus: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    code: codeVersion(),
  };
  const before = await otherProcessesNow(500);
  const quietAtStart = before === undefined ? undefined : before < QUIET_CORES;
  console.log(
    `machine: ${machine.cpu}, ${machine.cores} cores${machine.logicalCpus !== machine.cores ? ` (${machine.logicalCpus} logical CPUs)` : ''}, ` +
      `${machine.memoryGiB} GiB, node ${machine.node}, ${machine.platform}; code at ${machine.code}`,
  );
  console.log(
    `quiet:   ${
      before === undefined
        ? 'unknown (no /proc/stat)'
        : `${quietAtStart ? 'yes' : 'NO'}: other processes used ${fmtNum(before, 2)} cores over 0.5 s before the run` +
          `${quietAtStart ? '' : ' (timings will be unreliable)'}; load average ${os.loadavg().map((l) => fmtNum(l, 2)).join(' ')}`
    } (checked again for every measurement: column "others")`,
  );
  console.log(
    `config:  rows=${opts.rows.toLocaleString('en-US')} per table, runs=${opts.runs} (+1 warm-up, median reported), threads=${opts.threads}, ` +
      `partitions=${opts.partitions}, shufflePartitions=${opts.shufflePartitions}, batchRows=${opts.batchRows.toLocaleString('en-US')}, seed=${opts.seed}, ` +
      `timing ${opts.interleave ? 'interleaved across engines' : 'one engine after the other'}`,
  );

  const data = generate(opts.rows, opts.seed);
  const arrow: Record<TableName, Table> = {
    x: toArrowTable(data.x, opts.batchRows),
    lineitem: toArrowTable(data.lineitem, opts.batchRows),
  };
  console.log(`data:    x (${data.x.columns.map((c) => c.name).join(', ')}) and lineitem (${data.lineitem.columns.map((c) => c.name).join(', ')}), generated in ${fmtMs(data.generateMs)} ms, ${arrow.x.batches.length} batches each`);
  const progress = progressWanted(opts.progress) ? new ProgressBar() : undefined;
  const inp: Inputs = { data, arrow, opts, progress };

  const engines: Engine[] = [];
  const skipped: { name: string; reason: string }[] = [];
  for (const name of opts.executors) {
    try {
      const e = name === 'duckdb' ? await createDuckDB(inp) : await createGpuframe(name as GpuframeEngine, inp);
      engines.push(e);
      console.log(`engine:  ${e.name.padEnd(10)} ${e.description}`);
    } catch (e) {
      const reason = e instanceof EngineUnavailable ? e.message : errMessage(e);
      skipped.push({ name, reason });
      console.log(`engine:  ${name.padEnd(10)} SKIPPED: ${reason}`);
    }
  }
  const duck = engines.find((e) => e.name === 'duckdb');
  const readBw = engines.some((e) => e.name.startsWith('gpu')) ? await gpuReadBandwidth() : undefined;
  console.log('');

  const measurements: Measurement[] = [];
  for (const q of queries) {
    const inputRows = q.table === 'x' ? data.x.rows : data.lineitem.rows;
    console.log(`${q.id}: ${q.title}`);
    // DuckDB first, so it is the reference for the others.
    const ordered = duck ? [duck, ...engines.filter((e) => e !== duck)] : engines;
    const state = ordered.map((e) => ({
      e,
      warmupMs: undefined as number | undefined,
      times: [] as number[],
      busy: [] as number[],
      othersMs: 0,
      othersWallMs: 0,
      metrics: [] as (JobMetricsLike | undefined)[],
      answer: undefined as ResultSet | undefined,
      error: undefined as string | undefined,
    }));
    const fail = (st: (typeof state)[number], err: unknown): void => {
      st.error = errMessage(err);
      if (err instanceof Error && err.stack) console.error(`  ${st.e.name}: ${err.stack}`);
    };
    const label = (st: (typeof state)[number], what: string): void => {
      if (progress) progress.label = `${q.id} ${st.e.name} ${what}`;
    };
    const warmUp = async (st: (typeof state)[number]): Promise<void> => {
      label(st, 'warm-up');
      try {
        const t0 = performance.now();
        const warm = await st.e.run(q);
        st.warmupMs = performance.now() - t0;
        st.answer = await warm.result(q.columns);
      } catch (err) {
        fail(st, err);
      }
    };
    // One warm-up per engine (its answer is the one checked), then the timed runs:
    // engine after engine (default), or with --interleave round-robin across the
    // engines, so that drift in machine load hits all alike (but then each engine
    // also runs while the previous one's garbage is being collected).
    const timedRun = async (st: (typeof state)[number]): Promise<void> => {
      if (st.error !== undefined) return;
      label(st, `run ${st.times.length + 1}/${opts.runs}`);
      try {
        const m0 = machineBusySeconds();
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const r = await st.e.run(q);
        const wall = performance.now() - t0;
        const cpu = process.cpuUsage(c0);
        const m1 = machineBusySeconds();
        const ownMs = (cpu.user + cpu.system) / 1000;
        st.times.push(wall);
        st.busy.push(ownMs / wall);
        if (m0 !== undefined && m1 !== undefined) {
          st.othersMs += (m1 - m0) * 1000 - ownMs;
          st.othersWallMs += wall;
        }
        st.metrics.push(r.metrics);
      } catch (err) {
        fail(st, err);
      }
    };
    if (opts.interleave) {
      for (const st of state) await warmUp(st);
      for (let i = 0; i < opts.runs; i++) for (const st of state) await timedRun(st);
    } else {
      for (const st of state) {
        await warmUp(st);
        for (let i = 0; i < opts.runs; i++) await timedRun(st);
      }
    }
    // /proc/stat counts in 10 ms ticks: below ~0.3 s of timed runs the figure is noise.
    const othersCores = (st: (typeof state)[number]): number | undefined =>
      st.othersWallMs >= 300 ? Math.max(0, st.othersMs / st.othersWallMs) : undefined;
    const ref = duck ? state[0] : undefined;
    const duckMedian = ref && ref.error === undefined && ref.times.length > 0 ? median(ref.times) : undefined;
    const cpuSt = state.find((st) => st.e.name === 'cpu');
    const cpuMedian = cpuSt && cpuSt.error === undefined && cpuSt.times.length > 0 ? median(cpuSt.times) : undefined;
    for (const st of state) {
      const { e, times, answer, error } = st;
      const med = times.length > 0 ? median(times) : undefined;
      const medMetrics = times.length > 0 ? st.metrics[medianIndex(times)] : undefined;
      const perRun =
        e.slots !== undefined ? st.metrics.map((jm) => (jm ? jobOverhead(jm, e.slots!) : undefined)).filter((x) => x !== undefined) : [];
      const overheads = perRun.map((o) => o.overhead);
      const m: Measurement = {
        query: q.id,
        engine: e.name,
        inputRows,
        warmupMs: st.warmupMs,
        timesMs: times,
        coresBusy: st.busy,
        medianCoresBusy: st.busy.length > 0 ? median(st.busy) : undefined,
        otherProcessesCores: othersCores(st),
        medianMs: med,
        mrowsPerSec: med !== undefined ? mrowsPerSec(inputRows, med) : undefined,
        ratioToDuckdb: med !== undefined && duckMedian !== undefined && e !== duck ? med / duckMedian : undefined,
        ratioToCpu: med !== undefined && cpuMedian !== undefined && st !== cpuSt ? med / cpuMedian : undefined,
        slots: e.slots,
        overheadPerRun: overheads.length > 0 ? overheads : undefined,
        medianOverhead: overheads.length > 0 ? median(overheads) : undefined,
        medianTaskRunMs: perRun.length > 0 ? median(perRun.map((o) => o.runMs)) : undefined,
        gpu: medMetrics ? gpuBreakdown(medMetrics) : undefined,
        resultRows: answer?.rows.length,
        check: error !== undefined ? 'ERROR' : 'n/a',
        error,
        metrics: medMetrics,
      };
      if (error === undefined && answer) {
        if (st === ref) m.check = 'reference';
        else if (ref?.answer) {
          const c = compareResults(answer, ref.answer, q.keys.length);
          if (c.ok) m.check = 'OK';
          else {
            m.check = 'MISMATCH';
            m.mismatch = { reason: c.reason, details: c.details };
          }
        }
      }
      measurements.push(m);
      const timing =
        med !== undefined
          ? `median ${fmtMs(med)} ms (${times.map((t) => fmtMs(t)).join(', ')}), warm-up ${fmtMs(st.warmupMs)} ms, cores busy ${st.busy.map((b) => fmtNum(b, 2)).join(' ')}` +
            (overheads.length > 0 ? `, overhead ${overheads.map((o) => fmtPct(o, 0)).join(' ')}` : '') +
            (othersCores(st) !== undefined ? `, other processes ${fmtNum(othersCores(st)!, 2)} cores` : '')
          : '';
      console.log(`  ${e.name.padEnd(10)} ${m.check.padEnd(9)} ${timing}${error !== undefined ? `  ${error}` : ''}`);
      if (m.mismatch) {
        console.log(`         ${m.mismatch.reason}`);
        for (const d of m.mismatch.details) console.log(`         ${d}`);
      }
      if (m.metrics) console.log(formatJob(m.metrics, '         ', e.slots));
    }
  }

  // ---- summary table
  console.log('');
  const ratioHeader = 'x duckdb';
  const hasCpuRatio = measurements.some((m) => m.ratioToCpu !== undefined);
  const hasOverhead = measurements.some((m) => m.medianOverhead !== undefined);
  const columns: { header: string; align: 'left' | 'right'; cell(m: Measurement): string; skipped?: string; show?: boolean }[] = [
    { header: 'query', align: 'left', cell: (m) => m.query, skipped: '*' },
    { header: 'engine', align: 'left', cell: (m) => m.engine },
    { header: 'rows', align: 'right', cell: (m) => fmtCount10(m.inputRows) },
    { header: 'median ms', align: 'right', cell: (m) => (m.medianMs !== undefined ? fmtMs(m.medianMs) : '-') },
    { header: 'Mrows/s', align: 'right', cell: (m) => (m.mrowsPerSec !== undefined ? fmtNum(m.mrowsPerSec, 1) : '-') },
    {
      header: ratioHeader,
      align: 'right',
      cell: (m) => (m.ratioToDuckdb !== undefined ? fmtNum(m.ratioToDuckdb, 2) : m.engine === 'duckdb' && m.medianMs !== undefined ? '1.00' : '-'),
    },
    {
      header: 'x cpu',
      align: 'right',
      show: hasCpuRatio,
      cell: (m) => (m.ratioToCpu !== undefined ? fmtNum(m.ratioToCpu, 2) : m.engine === 'cpu' && m.medianMs !== undefined ? '1.00' : '-'),
    },
    { header: 'cores busy', align: 'right', cell: (m) => (m.medianCoresBusy !== undefined ? fmtNum(m.medianCoresBusy, 2) : '-') },
    { header: 'overhead', align: 'right', show: hasOverhead, cell: (m) => fmtPct(m.medianOverhead) },
    { header: 'others', align: 'right', cell: (m) => (m.otherProcessesCores !== undefined ? fmtNum(m.otherProcessesCores, 2) : '-') },
    { header: 'groups', align: 'right', cell: (m) => (m.resultRows !== undefined ? String(m.resultRows) : '-') },
    { header: 'check', align: 'left', cell: (m) => m.check, skipped: 'SKIPPED' },
  ];
  const shown = columns.filter((c) => c.show !== false);
  const rows = measurements.map((m) => shown.map((c) => c.cell(m)));
  for (const s of skipped) rows.push(shown.map((c) => (c.header === 'engine' ? s.name : (c.skipped ?? '-'))));
  console.log(
    formatTable(
      shown.map((c) => c.header),
      rows,
      shown.map((c) => c.align),
    ),
  );
  const legend = [
    `${ratioHeader} = engine median / DuckDB median; > 1 means slower than DuckDB. Mrows/s = input rows / median.`,
    ...(hasCpuRatio ? ['x cpu = engine median / median of `cpu` (the CPU executor on all cores); for cpu1 it is the core-scaling speedup below.'] : []),
    `cores busy = process CPU time / wall time of the run, median: how many of the ${opts.threads} cores the engine kept busy.`,
    ...(hasOverhead
      ? [
          'overhead = 1 - (sum over the job\'s tasks of the time each spent running inside its executor thread) / (task slots x job time), ' +
            'median over the runs, slots = cores x executors of the engine ' +
            `(${engines.filter((e) => e.slots !== undefined).map((e) => `${e.name}: ${e.slots}`).join(', ')}): the share of the job's core-time not spent running task code ` +
            '(driver-side scheduling, posting tasks and moving shuffle blocks / results between threads, Arrow assembly of the result on the driver, ' +
            'and cores left idle at stage barriers or by uneven tasks). Per run it splits into idle slots + dispatch/transfer (job detail above).',
        ]
      : []),
    'others = cores used meanwhile by other processes on the machine.',
  ];
  console.log(legend.map((l, i) => `${i === 0 ? '(' : ' '}${l}${i === legend.length - 1 ? ')' : ''}`).join('\n'));

  // ---- core scaling: cpu (all cores) against cpu1 (one core), same partitions
  const byEngine = (q: string, e: string): Measurement | undefined =>
    measurements.find((m) => m.query === q && m.engine === e && m.medianMs !== undefined && m.error === undefined);
  const cpuCores = engines.find((e) => e.name === 'cpu')?.slots ?? opts.threads;
  const speedupHeader = `${cpuCores}-core speedup`;
  const scaling = queries
    .map((q) => ({ q, one: byEngine(q.id, 'cpu1'), all: byEngine(q.id, 'cpu') }))
    .filter((x): x is { q: QueryDef; one: Measurement; all: Measurement } => x.one !== undefined && x.all !== undefined);
  if (scaling.length > 0) {
    console.log(`\ncore scaling of the CPU executor (cpu = ${cpuCores} cores vs cpu1 = 1 core, same ${opts.partitions} input / ${opts.shufflePartitions} shuffle partitions):`);
    console.log(
      formatTable(
        ['query', 'cpu1 ms', 'cpu ms', speedupHeader, 'per core', 'cpu1 overhead', 'cpu overhead', 'cpu1 task ms', 'cpu task ms', 'task slowdown'],
        scaling.map(({ q, one, all }) => {
          const sp = one.medianMs! / all.medianMs!;
          const slow = one.medianTaskRunMs !== undefined && all.medianTaskRunMs !== undefined ? all.medianTaskRunMs / one.medianTaskRunMs : undefined;
          return [
            q.id,
            fmtMs(one.medianMs),
            fmtMs(all.medianMs),
            fmtNum(sp, 2),
            fmtPct(sp / cpuCores, 0),
            fmtPct(one.medianOverhead),
            fmtPct(all.medianOverhead),
            fmtMs(one.medianTaskRunMs),
            fmtMs(all.medianTaskRunMs),
            slow !== undefined ? fmtNum(slow, 2) : '-',
          ];
        }),
        ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
      ),
    );
    console.log(
      `(${speedupHeader} = cpu1 median / cpu median = throughput of ${cpuCores} cores / throughput of 1; per core = speedup / ${cpuCores}, 100% is linear. ` +
        `task ms = sum over the job's tasks of their time inside executor threads (median over runs); task slowdown = cpu task ms / cpu1 task ms, ` +
        `> 1 when the same task code runs slower with ${cpuCores} threads at once (memory bandwidth, shared caches, GC, the driver thread competing for a core). ` +
        `speedup ~= ${cpuCores} x (1 - cpu overhead) / (1 - cpu1 overhead) / task slowdown.)`,
    );
    const q1 = scaling.find((x) => x.q.id === 'q1');
    if (q1) {
      const sp = q1.one.medianMs! / q1.all.medianMs!;
      const ov = q1.all.medianOverhead;
      const conf = opts.rows === 10_000_000 && cpuCores === 2 ? '' : ` (this run: ${fmtCount10(opts.rows)} rows, ${cpuCores} cores: not the target's setting)`;
      console.log(
        `target (q1, 1e7 rows, 2 cores): speedup >= 1.70: ${fmtNum(sp, 2)} ${sp >= 1.7 ? 'met' : 'NOT met'}; ` +
          `cpu overhead < 10%: ${fmtPct(ov)} ${ov === undefined ? 'unknown' : ov < 0.1 ? 'met' : 'NOT met'}${conf}`,
      );
    }
  }

  // ---- GPU executor: where the map stage's time went (when its tasks report it)
  const gpuRows = measurements.filter((m) => m.gpu !== undefined);
  if (gpuRows.length > 0) {
    console.log('\nGPU executor, map stage of the median run (sums over its tasks):');
    console.log(
      formatTable(
        ['query', 'engine', 'adapter', 'map tasks', 'upload ms', 'kernels ms', 'readback ms', 'merge ms', 'median ms', ratioHeader, 'x cpu', 'device ms', 'kernel GB/s', 'of read bw'],
        gpuRows.map((m) => {
          const g = m.gpu!;
          const gbs = g.deviceKernelMs !== undefined && g.deviceKernelMs > 0 ? g.inputBytes / g.deviceKernelMs / 1e6 : undefined;
          return [
            m.query,
            m.engine,
            g.adapter,
            String(g.tasks),
            fmtMs(g.uploadMs),
            fmtMs(g.kernelMs),
            fmtMs(g.readbackMs),
            fmtMs(g.mergeMs),
            fmtMs(m.medianMs),
            m.ratioToDuckdb !== undefined ? fmtNum(m.ratioToDuckdb, 2) : '-',
            m.ratioToCpu !== undefined ? fmtNum(m.ratioToCpu, 2) : '-',
            g.deviceKernelMs !== undefined ? fmtMs(g.deviceKernelMs) : '-',
            gbs !== undefined ? fmtNum(gbs, 1) : '-',
            gbs !== undefined && readBw?.timing === 'timestamps' ? fmtPct(gbs / readBw.gbPerS) : '-',
          ];
        }),
        ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
      ),
    );
    console.log(
      '(upload = input columns to the device, kernels = filter + partial aggregation on the device (host clock, first dispatch to queue done), ' +
        'readback = results to the host, merge = host-side merge into shuffle blocks; device ms = the GPU\'s own time in the compute passes ' +
        '(timestamp queries, input already on the device; - where the adapter has none), kernel GB/s = packed input bytes / device ms, ' +
        `of read bw = that / the read bandwidth of a plain WGSL read kernel on the same device${readBw ? ` (${fmtNum(readBw.gbPerS, 1)} GB/s, ${readBw.timing})` : ''}.)`,
    );
  }

  console.log('');
  for (const s of skipped) console.log(`skipped ${s.name}: ${s.reason}`);
  const loaded = measurements.filter((m) => (m.otherProcessesCores ?? 0) > QUIET_CORES);
  const judged = measurements.filter((m) => m.otherProcessesCores !== undefined);
  if (loaded.length > 0) {
    console.log(
      `WARNING: other processes used CPU during ${loaded.length} of ${measurements.length} measurements ` +
        `(up to ${fmtNum(Math.max(...loaded.map((m) => m.otherProcessesCores!)), 2)} cores: ${loaded.map((m) => `${m.query}/${m.engine}`).join(', ')}); ` +
        `those timings are unreliable, rerun on a quiet machine.`,
    );
  } else if (judged.length > 0) {
    console.log(
      `quiet machine: yes, other processes used under ${QUIET_CORES} cores during each of ${judged.length} measurements` +
        (judged.length < measurements.length ? ` (${measurements.length - judged.length} too short to tell)` : ''),
    );
  } else {
    console.log('quiet machine: unknown (runs too short to tell, or no /proc/stat)');
  }
  const bad = measurements.filter((m) => m.check === 'MISMATCH' || m.check === 'ERROR');
  if (bad.length > 0) {
    console.log(`\n${bad.length} problem(s): ${bad.map((m) => `${m.query}/${m.engine} ${m.check}`).join(', ')}`);
    process.exitCode = 1;
  }

  // ---- JSON
  mkdirSync(opts.outDir, { recursive: true });
  const stamp = new Date().toISOString().replaceAll(':', '-').replace(/\.\d+Z$/, 'Z');
  const file = path.join(opts.outDir, `bench-${opts.rows}-${stamp}.json`);
  const json = {
    timestamp: new Date().toISOString(),
    machine: {
      ...machine,
      otherProcessesCoresAtStart: before,
      quietAtStart,
      quietDuringRuns: measurements.some((m) => m.otherProcessesCores !== undefined)
        ? !measurements.some((m) => (m.otherProcessesCores ?? 0) > QUIET_CORES)
        : undefined,
    },
    options: opts,
    data: { rows: data.rows, seed: data.seed, generateMs: data.generateMs },
    gpuReadBandwidth: readBw,
    engines: engines.map((e) => ({ name: e.name, description: e.description })),
    skipped,
    queries: queries.map((q) => ({ id: q.id, title: q.title, table: q.table, sql: q.sql.replace(/\s+/g, ' ') })),
    results: measurements.map((m) => ({ ...m, metrics: m.metrics ? jobToJson(m.metrics, m.slots) : undefined })),
  };
  writeFileSync(file, JSON.stringify(json, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2));
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
  if (opts.html !== undefined) {
    writeFileSync(opts.html, formatBenchHtml({
      title: `gpuframe benchmark, ${fmtCount10(opts.rows)} rows`,
      machine: `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, node ${machine.node}, ${machine.platform}; code at ${machine.code}`,
      engines: [...engines.map((e) => e.name), ...skipped.map((e) => e.name)],
      queries: queries.map((q) => ({ id: q.id, title: q.title, results: measurements.filter((m) => m.query === q.id) })),
      jobs: measurements.flatMap((m) => (m.metrics ? [{ label: `${m.query} ${m.engine} (median run)`, job: m.metrics as JobMetrics }] : [])),
    }));
    console.log(`wrote ${path.relative(process.cwd(), opts.html)}`);
  }

  for (const e of engines) await e.close();
}

/**
 * The GPU's read bandwidth as a plain WGSL kernel sees it (src/executor/gpu/read-bandwidth.ts), on
 * a device of its own: the yardstick for the map kernels' GB/s. Undefined when it cannot run.
 */
async function gpuReadBandwidth(): Promise<ReadBandwidth | undefined> {
  try {
    const { openDevice } = await import('../src/executor/gpu/device.ts');
    const { measureReadBandwidth } = await import('../src/executor/gpu/read-bandwidth.ts');
    const gpu = await openDevice();
    try {
      const bw = await measureReadBandwidth(gpu);
      console.log(`gpu:     read bandwidth of a plain WGSL read kernel: ${fmtNum(bw.gbPerS, 1)} GB/s over ${fmtNum(bw.bytes / 2 ** 20, 0)} MiB (${bw.timing}) on ${gpu.adapterName}`);
      return bw;
    } finally {
      gpu.device.destroy();
    }
  } catch (e) {
    console.log(`gpu:     read bandwidth not measured: ${errMessage(e)}`);
    return undefined;
  }
}

function fmtCount10(n: number): string {
  // 10000000 -> '1e7', 1234567 -> '1234567'
  const exp = Math.log10(n);
  return Number.isInteger(exp) && exp >= 3 ? `1e${exp}` : String(n);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await benchCommand(runBench).parseAsync(process.argv);
}
