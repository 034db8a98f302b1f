/**
 * `npm run bench` — the groupby benchmark.
 *
 * Generates the db-benchmark groupby table `x` and a TPC-H lineitem-like table
 * in memory (bench/datagen.ts), loads the very same data into an in-memory
 * DuckDB, then for every query (bench/queries.ts) and every engine runs one
 * warm-up and `--runs` timed runs (time-query.ts), printing the median time, input Mrows/s and
 * the ratios to DuckDB and to the CPU executor (measurement.ts, summary-table.ts), checks each
 * engine's answer against DuckDB's (answer-check.ts), prints the gpuframe executors' job metrics
 * (per stage: executors, time in executor threads; per job: overhead; GPU map-stage timing when
 * the GPU executor reports it: gpu-table.ts), the core scaling of the CPU executor (cpu =
 * --threads cores vs cpu1 = one core on the same partitions: core-scaling.ts) and writes
 * everything as JSON to bench/out/ (results-file.ts).
 * A progress bar for jobs over ~1 s goes to stderr when it is a terminal (or with --progress).
 *
 *   gpuframe bench --help      (npm run bench -- --help in this repo); options in bench-command.ts
 */
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Table } from 'apache-arrow';
import { ProgressBar, progressWanted } from '../src/cli/progress-bar.ts';
import { benchCommand, type BenchOptions } from './bench-command.ts';
import { coreScaling } from './core-scaling.ts';
import { decimalLineitem, generate, toArrowTable, type GeneratedTable } from './datagen.ts';
import { gpuReadBandwidth } from './gpu-read-bandwidth.ts';
import { gpuTable } from './gpu-table.ts';
import { describeMachine, machineLine } from './machine.ts';
import { otherProcessesNow, QUIET_CORES, quietVerdict } from './machine-load.ts';
import { measurementLines, toMeasurements, type Measurement } from './measurement.ts';
import { openEngines } from './open-engines.ts';
import type { EngineInputs } from './engine.ts';
import { benchParquetFiles, ROW_GROUP_ROWS } from './parquet-files.ts';
import { selectQueries, tablesOf, type TableName } from './queries.ts';
import { fmtMs, fmtNum } from './report.ts';
import { writeResults } from './results-file.ts';
import { summaryTable } from './summary-table.ts';
import { timeQuery } from './time-query.ts';

/** Runs the benchmark with parsed options (bench-command.ts) and prints and writes its results. */
export async function runBench(opts: BenchOptions): Promise<void> {
  const queries = selectQueries(opts.queries);
  const machine = describeMachine();
  const before = await otherProcessesNow(500);
  const quietAtStart = before === undefined ? undefined : before < QUIET_CORES;
  console.log(`machine: ${machineLine(machine)}`);
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

  let inputs: EngineInputs;
  if (opts.source === 'parquet') {
    const { files, writeMs } = await benchParquetFiles(opts.rows, opts.seed, tablesOf(queries));
    inputs = { files, opts };
    console.log(`data:    Parquet files ${Object.values(files).map((f) => path.relative(process.cwd(), f)).join(', ')} (snappy, ${ROW_GROUP_ROWS}-row row groups; ${writeMs === undefined ? 'reused' : `generated and written by DuckDB in ${fmtMs(writeMs)} ms`}): every engine reads them in every run`);
  } else {
    const data = generate(opts.rows, opts.seed);
    const generated = (t: TableName): GeneratedTable => (t === 'x' ? data.x : t === 'lineitem' ? data.lineitem : decimalLineitem(data.lineitem));
    const tables: Partial<Record<TableName, GeneratedTable>> = Object.fromEntries(tablesOf(queries).map((t) => [t, generated(t)]));
    const arrow = Object.fromEntries(Object.entries(tables).map(([t, g]) => [t, toArrowTable(g, opts.batchRows)])) as Partial<Record<TableName, Table>>;
    inputs = { data, tables, arrow, opts };
    const described = Object.values(tables).map((g) => `${g.name} (${g.columns.map((c) => c.name).join(', ')})`).join(', ');
    console.log(`data:    ${described}, generated in ${fmtMs(data.generateMs)} ms, ${Object.values(arrow)[0]!.batches.length} batches each`);
  }
  const progress = progressWanted(opts.progress) ? new ProgressBar() : undefined;

  const { engines, skipped } = await openEngines(opts.executors, { ...inputs, progress });
  const readBw = engines.some((e) => e.name.startsWith('gpu')) ? await gpuReadBandwidth() : undefined;
  console.log('');
  // DuckDB first, so it is the reference for the others.
  const duck = engines.filter((e) => e.name === 'duckdb');
  const ordered = [...duck, ...engines.filter((e) => e.name !== 'duckdb')];

  const measurements: Measurement[] = [];
  for (const q of queries) {
    console.log(`${q.id}: ${q.title}`);
    const timings = await timeQuery(q, ordered, opts, progress);
    for (const m of toMeasurements(q, opts.rows, timings)) {
      measurements.push(m);
      console.log(measurementLines(m).join('\n'));
    }
  }

  console.log(`\n${summaryTable(measurements, skipped, engines, opts.threads)}`);
  const scaling = coreScaling(measurements, queries, {
    cores: engines.find((e) => e.name === 'cpu')?.slots ?? opts.threads,
    rows: opts.rows,
    partitions: opts.partitions,
    shufflePartitions: opts.shufflePartitions,
  });
  if (scaling) console.log(`\n${scaling}`);
  const gpu = gpuTable(measurements, readBw);
  if (gpu) console.log(`\n${gpu}`);

  console.log('');
  for (const s of skipped) console.log(`skipped ${s.name}: ${s.reason}`);
  console.log(quietVerdict(measurements));
  const bad = measurements.filter((m) => m.check === 'MISMATCH' || m.check === 'ERROR');
  if (bad.length > 0) {
    console.log(`\n${bad.length} problem(s): ${bad.map((m) => `${m.query}/${m.engine} ${m.check}`).join(', ')}`);
    process.exitCode = 1;
  }

  writeResults({ opts, machine, othersAtStart: before, data: inputs.data ?? { files: inputs.files! }, readBw, engines, skipped, queries, measurements });
  for (const e of engines) await e.close();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await benchCommand(runBench).parseAsync(process.argv);
}
