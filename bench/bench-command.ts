/**
 * `gpuframe bench` (and `npm run bench`): the benchmark's command line. Parsing only; the run
 * itself (bench/run.ts) is loaded when the command runs, so `--help` stays instant.
 */
import os from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';

/** The engines: gpuframe's CPU executor on --threads cores and on one core, its GPU executor (uploading, and over cached inputs), a local cluster, DuckDB. */
export const ENGINE_NAMES = ['cpu', 'cpu1', 'gpu', 'gpu-cached', 'gpu-device', 'gpu-host', 'cluster', 'duckdb'] as const;

export interface BenchOptions {
  rows: number;
  /** Where the engines read the tables: generated in memory, or Parquet files of them under bench/data/. */
  source: 'memory' | 'parquet';
  /** Query ids; empty: all. */
  queries: string[];
  runs: number;
  executors: string[];
  threads: number;
  partitions: number;
  /** Input partitions of the gpu engine; undefined: its session's default (few, big map tasks). */
  gpuPartitions: number | undefined;
  /** Device memory for the gpu-cached engine's inputs; undefined: the session's default. */
  gpuCacheBytes: number | undefined;
  shufflePartitions: number;
  batchRows: number;
  seed: number;
  duckdbStrings: 'varchar' | 'enum';
  interleave: boolean;
  /** Draw a progress bar on stderr: true / false as asked, undefined = only when stderr is a terminal. */
  progress: boolean | undefined;
  outDir: string;
  /** Also write the HTML report (bar charts, job timelines) here. */
  html: string | undefined;
}

/** An integer option parser: `1e7` and `10000000` alike, at least `min`. */
function intAtLeast(min: number) {
  return (s: string): number => {
    const v = Number(s);
    if (!Number.isInteger(v) || v < min) throw new InvalidArgumentError(`an integer >= ${min} is expected, got '${s}'`);
    return v;
  };
}

const list = (s: string): string[] => [...new Set(s.split(',').map((x) => x.trim().toLowerCase()).filter((x) => x.length > 0))];

function engineList(s: string): string[] {
  const names = list(s);
  for (const e of names) {
    if (!(ENGINE_NAMES as readonly string[]).includes(e)) throw new InvalidArgumentError(`unknown engine '${e}' (${ENGINE_NAMES.join(', ')})`);
  }
  return names;
}

/** The `bench` command; `run` receives the parsed options. */
export function benchCommand(run: (opts: BenchOptions) => Promise<void>): Command {
  return new Command('bench')
    .description(
      'Generate the db-benchmark groupby table and a TPC-H lineitem-shaped table in memory, time each query on ' +
        'the CPU and GPU executors and on DuckDB (when @duckdb/node-api is installed) over the very same data, ' +
        "check every engine's answer against DuckDB's, and write the results as JSON (and HTML with --html).",
    )
    .option('--rows <n>', 'rows per table', intAtLeast(1), 10_000_000)
    .addOption(new Option('--source <source>', 'memory: the tables generated in memory (Arrow for gpuframe, loaded into DuckDB); parquet: written once to bench/data/*.parquet (snappy, 1M-row row groups) and read by every engine in every run (readParquet, DuckDB read_parquet)').choices(['memory', 'parquet']).default('memory'))
    .option('--query <ids>', 'queries to run, e.g. q1,q3 (default: all)', list, [])
    .option('--runs <n>', 'timed runs per query after one warm-up', intAtLeast(1), 5)
    .option(
      '--executors <engines>',
      'engines: cpu (CPU executor on --threads cores), cpu1 (the same on one core), gpu (GPU executor, uploading its input in every run), ' +
        "gpu-cached (over cache()d inputs), gpu-device and gpu-host (the GPU executor with gpuMerge: 'device' or 'host', where 'gpu' has 'auto'), " +
        'cluster (a nats-server and --threads executor processes of one core each on this machine, through NATS JetStream), ' +
        'duckdb (the reference) (default: all but gpu-device, gpu-host and cluster; without cpu1 when --threads is 1)',
      engineList,
    )
    .option('--threads <n>', 'cores for DuckDB and the gpuframe sessions (default: available parallelism)', intAtLeast(1))
    .option('--partitions <n>', 'input partitions of the CPU engines (default: 2 x threads)', intAtLeast(1))
    .option('--gpu-partitions <n>', "input partitions of the gpu engines (default: the session's own, one per 2^26 rows, at least 2)", intAtLeast(1))
    .option('--gpu-cache-bytes <n>', "device memory the gpu-cached engine may cache its inputs in (default: the session's)", intAtLeast(0))
    .option('--shuffle-partitions <n>', 'session shufflePartitions (default: --partitions)', intAtLeast(1))
    .option('--batch-rows <n>', 'rows per Arrow RecordBatch', intAtLeast(1), 1_000_000)
    .option('--seed <n>', 'PRNG seed of the data', intAtLeast(0), 42)
    .addOption(new Option('--duckdb-strings <type>', 'how DuckDB stores the dictionary columns').choices(['varchar', 'enum']).default('varchar'))
    .option('--interleave', "time the engines round-robin (run i of every engine, then run i+1) instead of one engine's runs after the other's", false)
    .option('--progress', 'draw a progress bar on stderr for jobs over ~1 s (default: only when stderr is a terminal)')
    .option('--no-progress', 'never draw the progress bar')
    .option('--out <dir>', 'where the JSON results go', 'bench/out')
    .option('--html <file>', 'also write an HTML report: bar charts of every query per engine, and job timelines')
    .action(async (o: Record<string, unknown>) => {
      const threads = (o.threads as number | undefined) ?? os.availableParallelism();
      const partitions = (o.partitions as number | undefined) ?? threads * 2;
      await run({
        rows: o.rows as number,
        source: o.source as 'memory' | 'parquet',
        queries: o.query as string[],
        runs: o.runs as number,
        executors: (o.executors as string[] | undefined) ?? ENGINE_NAMES.filter((e) => e !== 'gpu-device' && e !== 'gpu-host' && e !== 'cluster' && (threads > 1 || e !== 'cpu1')),
        threads,
        partitions,
        gpuPartitions: o.gpuPartitions as number | undefined,
        gpuCacheBytes: o.gpuCacheBytes as number | undefined,
        shufflePartitions: (o.shufflePartitions as number | undefined) ?? partitions,
        batchRows: o.batchRows as number,
        seed: o.seed as number,
        duckdbStrings: o.duckdbStrings as 'varchar' | 'enum',
        interleave: o.interleave as boolean,
        progress: o.progress as boolean | undefined,
        outDir: o.out as string,
        html: o.html as string | undefined,
      });
    });
}
