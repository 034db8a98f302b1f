/**
 * The session: configuration (executor, cores, shuffle partitions, task retries), the entry point
 * for data (fromArrow) and the driver that runs each action as a job.
 */
import * as arrow from 'apache-arrow';
import { setMaxListeners } from 'node:events';
import { availableParallelism, totalmem } from 'node:os';
import { DataFrame } from './dataframe.ts';
import { InvalidOptionError, JobCancelledError } from './errors.ts';
import type { Executor } from './executor/task.ts';
import { runJob, stageWork } from './driver/dag-scheduler.ts';
import type { JobMetrics } from './driver/metrics.ts';
import type { FaultInjector } from './driver/run-stage.ts';
import type { ProgressListener } from './driver/progress.ts';
import { openLocalExecutor } from './executor/open-executor.ts';
import type { ClusterOptions } from './cluster/cluster-executor.ts';
import type { PhysicalPlan } from './plan/physical-plan.ts';
import type { StageNote } from './plan/explain.ts';
import { fileSchema, inputSchema } from './arrow/input-schema.ts';
import { expandPaths } from './io/expand-paths.ts';
import type { FileFormat, FileUnit } from './io/file-source.ts';
import type { Source } from './plan/logical-plan.ts';
import { checkActionOptions, checkKeys, describeValue, intAtLeast, intInRange, optionalFunction } from './option-checks.ts';

export interface SessionOptions {
  /**
   * Which executor runs the map tasks: 'cpu' (default), 'gpu' (WGSL kernels through WebGPU;
   * GpuUnavailableError without an adapter) or 'auto' (the GPU when an adapter exists, else the CPU).
   */
  executor?: 'cpu' | 'gpu' | 'auto';
  /**
   * Executor processes (worker-thread groups); default 1. executors × cores is at most
   * maxExecutorThreads() (4 per CPU core of the machine, and 64 MiB of its memory each).
   */
  executors?: number;
  /** Cores per executor, each a worker thread running one task at a time (default: the machine's available parallelism). */
  cores?: number;
  /** Run tasks on worker threads (default) or on the calling thread. */
  workers?: boolean;
  /** Reduce partitions of each shuffle (default: 2 × cores; at most 2^20). */
  shufflePartitions?: number;
  /** Attempts per task before the job fails (default 4, like spark.task.maxFailures; at most 100). */
  maxTaskAttempts?: number;
  /** Metrics of this many finished jobs are kept in `session.jobs`, the oldest dropped first (default 1000, as Spark's UI). */
  retainedJobs?: number;
  /** For tests: called before each task attempt to make it fail (see FaultInjector). */
  faultInjector?: FaultInjector;
  /** Called with the progress of every job: job and stage start/end, each task's end with its metrics. */
  onProgress?: ProgressListener;
  /**
   * Device memory the GPU executor may keep cached inputs in (DataFrame.cache()), in bytes
   * (default: 4 GiB on a GPU, 1 GiB on the software adapter; 0: cache() keeps nothing).
   */
  gpuCacheBytes?: number;
  /**
   * What a GPU map task with no kernel for its spec or data does: 'cpu' (default) runs it on the
   * CPU executor and records why in its metrics; 'error' fails the job with GpuFallbackError, for
   * users who must not silently leave the GPU.
   */
  gpuFallback?: 'cpu' | 'error';
  /**
   * Where a grouped aggregation's partial states from GPU map tasks are merged: 'device' into one
   * table on the GPU, whose final groups alone come back to the host; 'host' reads each task's
   * partial groups back and merges them in the CPU's reduce tasks; 'auto' (default) the device on a
   * hardware GPU and the host on a software adapter, whose "device" is this machine's CPU running
   * the merge kernels slower than the host merges (docs/performance.md).
   */
  gpuMerge?: 'auto' | 'device' | 'host';
  /**
   * File scans (readParquet, readArrow): scan tasks in flight per core (default 1). A CPU executor
   * thread reads, decodes and aggregates one task at a time whatever this is; on the GPU executor
   * each in-flight task holds its decoded units while it waits for the device. More holds more
   * memory, and was slower on 2 cores (docs/performance.md).
   */
  readahead?: number;
  /**
   * Runs every job's tasks on executor processes of a cluster, through NATS JetStream, instead of
   * this process's threads: `{ nats: 'nats://host:4222' }` and the waits of ClusterOptions. Each
   * process (`gpuframe executor --nats URL`) chooses its own executor and cores, so `executor`,
   * `executors`, `cores`, `workers` and the GPU options are not taken with it. docs/scaling.md.
   */
  cluster?: ClusterOptions;
}

/** Options of readParquet and readArrow. */
export interface ReadOptions {
  /** Files of a directory with one of these extensions are read (default: the format's usual ones). */
  extensions?: readonly string[];
}

/** Every key of SessionOptions (a misspelt option is an error, not a silent default). */
const SESSION_OPTIONS = ['executor', 'executors', 'cores', 'workers', 'shufflePartitions', 'maxTaskAttempts', 'retainedJobs', 'faultInjector', 'onProgress', 'gpuCacheBytes', 'gpuFallback', 'gpuMerge', 'readahead', 'cluster'] as const;
// Compile-time check that the list above names every option.
const allSessionOptions: Record<Exclude<keyof SessionOptions, (typeof SESSION_OPTIONS)[number]>, never> = {};
void allSessionOptions;

export interface ActionOptions {
  /** Cancels the job: running tasks are stopped and their executor threads replaced. */
  signal?: AbortSignal;
}

export interface ResolvedOptions {
  /** The executor that runs the map tasks ('auto' resolved). */
  readonly executor: 'cpu' | 'gpu';
  readonly executors: number;
  readonly cores: number;
  readonly workers: boolean;
  readonly shufflePartitions: number;
  readonly maxTaskAttempts: number;
  readonly retainedJobs: number;
  readonly readahead: number;
  /**
   * Why 'auto' runs on the CPU (null when it runs on a GPU): the GpuUnavailableError's message, or
   * that the only adapter is a software one, which only executor: 'gpu' uses.
   */
  readonly gpuUnavailable: string | null;
  /** The cluster's NATS server where tasks run on executor processes (null: on this process). */
  readonly cluster: string | null;
}

/**
 * Rows per input partition of a GPU session by default. A GPU wants few, big map tasks: each task
 * is an upload, a readback and a decode of all its groups, and tasks take the device one at a
 * time. Two at least, so that one task's decode overlaps the next one's kernels. Fewer tasks were
 * faster on llvmpipe and on an H200, most for q2's 1M groups (see docs/performance.md).
 */
const GPU_PARTITION_ROWS = 1 << 26;

/** Reduce partitions of a shuffle at most. */
const MAX_SHUFFLE_PARTITIONS = 1 << 20;

/**
 * Executor threads a session may start: 4 per CPU core (more only queue for the cores) and no more
 * than 64 MiB of the machine's memory each (an idle thread's heap and code take ~40 MiB).
 */
export function maxExecutorThreads(): number {
  return Math.max(1, Math.min(4 * availableParallelism(), Math.floor(totalmem() / 2 ** 26)));
}

export class Session {
  readonly options: ResolvedOptions;
  /** Metrics of the last `retainedJobs` jobs this session ran, oldest first. */
  readonly jobs: JobMetrics[] = [];
  private closed = false;
  /** Aborted by close(): cancels the jobs still running, which close() then waits for. */
  private readonly closing = new AbortController();
  private readonly running = new Set<Promise<unknown>>();
  private jobCount = 0;

  private constructor(
    options: ResolvedOptions,
    private readonly executor: Executor,
    private readonly faults?: FaultInjector,
    private readonly onProgress?: ProgressListener,
  ) {
    this.options = options;
  }

  static async create(options: SessionOptions = {}): Promise<Session> {
    // Every option is checked before any thread or device is started.
    checkKeys('Session.create', options, SESSION_OPTIONS);
    if (options.cluster !== undefined) return Session.createOnCluster(options);
    const executor = options.executor ?? 'cpu';
    if (!['cpu', 'gpu', 'auto'].includes(executor)) throw new InvalidOptionError(`executor must be 'cpu', 'gpu' or 'auto', got ${describeValue(executor)}`);
    const maxThreads = maxExecutorThreads();
    const threadsWhy = `4 threads per CPU core of this machine's ${availableParallelism()} and 64 MiB of its memory each`;
    const cores = intInRange('cores', options.cores, 1, maxThreads, Math.min(maxThreads, availableParallelism()), threadsWhy);
    const executors = intInRange('executors', options.executors, 1, maxThreads, 1, threadsWhy);
    if (executors * cores > maxThreads) throw new InvalidOptionError(`executors × cores must be at most ${maxThreads} (${threadsWhy}), got ${executors} × ${cores} = ${executors * cores}`);
    const workers = options.workers ?? true;
    if (typeof workers !== 'boolean') throw new InvalidOptionError(`workers must be true or false, got ${describeValue(workers)}`);
    const shufflePartitions = intInRange('shufflePartitions', options.shufflePartitions, 1, MAX_SHUFFLE_PARTITIONS, 2 * executors * cores, 'a shuffle block per map task and partition');
    const { maxTaskAttempts, retainedJobs, readahead, faults, onProgress } = driverOptions(options);
    const cacheBytes = options.gpuCacheBytes === undefined ? undefined : intAtLeast('gpuCacheBytes', options.gpuCacheBytes, 0, 0);
    const fallback = options.gpuFallback ?? 'cpu';
    if (fallback !== 'cpu' && fallback !== 'error') throw new InvalidOptionError(`gpuFallback must be 'cpu' or 'error', got ${describeValue(fallback)}`);
    const merge = options.gpuMerge ?? 'auto';
    if (merge !== 'auto' && merge !== 'device' && merge !== 'host') throw new InvalidOptionError(`gpuMerge must be 'auto', 'device' or 'host', got ${describeValue(merge)}`);
    const { executor: runner, gpuUnavailable } = await openLocalExecutor({ executor, executors, cores, workers, cacheBytes, fallback, merge });
    const resolved: ResolvedOptions = {
      executor: runner.kind === 'gpu' ? 'gpu' : 'cpu',
      executors,
      cores,
      workers,
      shufflePartitions,
      maxTaskAttempts,
      retainedJobs,
      readahead,
      gpuUnavailable,
      cluster: null,
    };
    return new Session(resolved, runner, faults, onProgress);
  }

  /** A session whose tasks run on a cluster's executor processes (SessionOptions.cluster). */
  private static async createOnCluster(options: SessionOptions): Promise<Session> {
    const cluster = options.cluster as unknown;
    const local = (['executor', 'executors', 'cores', 'workers', 'gpuCacheBytes', 'gpuFallback', 'gpuMerge'] as const).filter((k) => options[k] !== undefined);
    if (local.length) throw new InvalidOptionError(`${local.join(', ')} cannot be given with cluster: each executor process chooses its own (gpuframe executor --executor … --cores …)`);
    if (typeof cluster !== 'object' || cluster === null) throw new InvalidOptionError(`cluster must be an object such as { nats: 'nats://host:4222' }, got ${describeValue(cluster)}`);
    checkKeys('cluster', cluster, ['nats', 'executorWaitMs', 'serverWaitMs', 'ackWaitMs', 'maxDeliveries', 'connectTimeoutMs', 'staleSessionMs']);
    const c = cluster as ClusterOptions;
    if (typeof c.nats !== 'string' || !c.nats.split(',').every((u) => /^(nats|tls):\/\/[^\s/]+$/.test(u.trim()))) {
      throw new InvalidOptionError(`cluster.nats must be a NATS server URL such as 'nats://host:4222' (several separated by commas), got ${describeValue(c.nats)}`);
    }
    const waits = {
      executorWaitMs: intInRange('cluster.executorWaitMs', c.executorWaitMs, 0, 2 ** 31 - 1, 30_000, 'a timer'),
      serverWaitMs: intInRange('cluster.serverWaitMs', c.serverWaitMs, 0, 2 ** 31 - 1, 30_000, 'a timer'),
      ackWaitMs: intInRange('cluster.ackWaitMs', c.ackWaitMs, 100, 2 ** 31 - 1, 30_000, 'a timer'),
      maxDeliveries: intInRange('cluster.maxDeliveries', c.maxDeliveries, 1, 100, 3, 'deliveries of a task to processes that die'),
      connectTimeoutMs: intInRange('cluster.connectTimeoutMs', c.connectTimeoutMs, 1, 2 ** 31 - 1, 5000, 'a timer'),
      // Several heartbeats at least: a live driver is never taken for dead.
      staleSessionMs: intInRange('cluster.staleSessionMs', c.staleSessionMs, 5000, 2 ** 31 - 1, 60_000, 'five of its 1 s heartbeats at least'),
    };
    const { maxTaskAttempts, retainedJobs, readahead, faults, onProgress } = driverOptions(options);
    // Loaded on demand: a session on this process never loads the NATS client.
    const { ClusterExecutor } = await import('./cluster/cluster-executor.ts');
    const exec = await ClusterExecutor.open({ nats: c.nats, ...waits });
    const members = await exec.executors();
    const cores = Math.max(1, members.reduce((a, m) => a + m.cores, 0));
    const shufflePartitions = intInRange('shufflePartitions', options.shufflePartitions, 1, MAX_SHUFFLE_PARTITIONS, 2 * cores, 'a shuffle block per map task and partition');
    const resolved: ResolvedOptions = {
      executor: members.length > 0 && members.every((m) => m.kind === 'gpu') ? 'gpu' : 'cpu',
      executors: Math.max(1, members.length), cores: Math.ceil(cores / Math.max(1, members.length)), workers: true,
      shufflePartitions, maxTaskAttempts, retainedJobs, readahead, gpuUnavailable: null, cluster: c.nats,
    };
    return new Session(resolved, exec, faults, onProgress);
  }

  /** The executor as explain() names it, and why 'auto' runs on the CPU where it does. */
  get executorName(): string {
    const name = this.executor.describe();
    return this.options.gpuUnavailable ? `${name}; 'auto' runs on the CPU: ${this.options.gpuUnavailable}` : name;
  }

  /** Where the executor runs each stage of a plan and why, as explain() prints it. */
  placeStages(plan: PhysicalPlan): StageNote[] {
    return stageWork(plan).map((w) => this.executor.placeStage?.(w) ?? { reason: this.executor.describe() });
  }

  /** Metrics of the last finished job. */
  get lastJob(): JobMetrics | undefined { return this.jobs[this.jobs.length - 1]; }

  /**
   * A DataFrame over an Arrow table or record batches, split into `partitions` contiguous row
   * ranges (default: executors × cores on the CPU executor; on the GPU, one per 2^26 rows and at
   * least two). Zero-copy: partitions are slices of the input batches.
   */
  fromArrow(input: arrow.Table | readonly arrow.RecordBatch[], options: { partitions?: number } = {}): DataFrame {
    this.checkOpen();
    if (!(input instanceof arrow.Table) && !(Array.isArray(input) && input.every((b) => b instanceof arrow.RecordBatch))) {
      throw new InvalidOptionError(`fromArrow takes an apache-arrow Table or an array of RecordBatch, got ${describeValue(input)}`);
    }
    checkKeys('fromArrow', options, ['partitions']);
    const batches = input instanceof arrow.Table ? input.batches : [...input];
    const arrowSchema = input instanceof arrow.Table ? input.schema : batches[0]?.schema;
    if (!arrowSchema) throw new InvalidOptionError('fromArrow of an empty RecordBatch array has no schema; pass an empty Table instead');
    const rows = batches.reduce((a, b) => a + b.numRows, 0);
    const n = intAtLeast('partitions', options.partitions, 1,
      this.options.executor === 'gpu' ? Math.max(2, Math.ceil(rows / GPU_PARTITION_ROWS)) : this.options.executors * this.options.cores);
    const source: Source = { schema: inputSchema(arrowSchema, batches), arrowSchema, partitions: split(batches, rows, n), rows };
    return new DataFrame(this, { kind: 'scan', source });
  }

  /**
   * A lazy DataFrame over Parquet files: a path, a directory (its .parquet files) or a glob, or an
   * array of them, all of one schema. Only footers are read here; each job reads only the columns
   * it needs, skips row groups whose min/max statistics rule its filter out, and decodes one task
   * per row group (small ones together) on the executor threads, `readahead` per core at a time.
   */
  async readParquet(paths: string | readonly string[], options: ReadOptions = {}): Promise<DataFrame> {
    // Loaded on demand, as the decoders: a session over Arrow tables loads none of them.
    const { parquetFooter } = await import('./io/parquet-footer.ts');
    return this.readFiles('readParquet', 'parquet', paths, options, ['.parquet', '.parq'], parquetFooter);
  }

  /**
   * A lazy DataFrame over Arrow IPC files (file format / Feather v2, or stream format; bodies
   * uncompressed or LZ4 / ZSTD compressed), as readParquet: one task per record batch.
   */
  async readArrow(paths: string | readonly string[], options: ReadOptions = {}): Promise<DataFrame> {
    const { arrowFooter } = await import('./io/arrow-footer.ts');
    return this.readFiles('readArrow', 'arrow', paths, options, ['.arrow', '.arrows', '.feather', '.ipc'], arrowFooter);
  }

  private async readFiles(
    what: string, format: FileFormat, paths: unknown, options: ReadOptions, extensions: readonly string[],
    footer: (path: string) => Promise<{ schema: arrow.Schema; units: FileUnit[] }>,
  ): Promise<DataFrame> {
    this.checkOpen();
    checkKeys(what, options, ['extensions']);
    const ext = options.extensions ?? extensions;
    if (!Array.isArray(ext) || !ext.every((e) => typeof e === 'string' && e.startsWith('.'))) {
      throw new InvalidOptionError(`${what}: extensions must be an array of '.ext' strings, got ${describeValue(options.extensions)}`);
    }
    const files = expandPaths(what, paths, ext);
    const footers = await Promise.all(files.map(footer));
    const arrowSchema = footers[0]!.schema;
    const schema = fileSchema(files, footers.map((f) => f.schema));
    const units = footers.flatMap((f) => f.units);
    const source: Source = {
      schema, arrowSchema, partitions: [], rows: units.reduce((a, u) => a + u.rows, 0),
      files: { format, paths: files, units, readahead: this.options.readahead },
    };
    return new DataFrame(this, { kind: 'scan', source });
  }

  /** Frees the device memory a cached source's batches take (used by DataFrame.unpersist). */
  releaseCached(source: Source): void {
    this.executor.releaseCached?.(source.partitions.flat());
  }

  /** Runs a planned job (used by DataFrame actions). */
  async runJob(plan: PhysicalPlan, action: string, options: ActionOptions = {}): Promise<{ table: arrow.Table }> {
    this.checkOpen();
    checkActionOptions(options);
    const signal = options.signal ? AbortSignal.any([options.signal, this.closing.signal]) : this.closing.signal;
    // Every queued or running task of the job listens to it: as many as the job has tasks in flight.
    setMaxListeners(0, signal);
    const job = runJob(plan, this.executor, {
      jobId: ++this.jobCount,
      action,
      cores: this.options.executors * this.options.cores,
      maxTaskAttempts: this.options.maxTaskAttempts,
      faults: this.faults,
      signal,
      onProgress: this.onProgress,
    });
    this.running.add(job);
    try {
      const { table, metrics } = await job;
      this.jobs.push(metrics);
      if (this.jobs.length > this.options.retainedJobs) this.jobs.splice(0, this.jobs.length - this.options.retainedJobs);
      return { table };
    } finally {
      this.running.delete(job);
    }
  }

  /**
   * Stops the executor threads and frees the device. Jobs still running are cancelled (they reject
   * with JobCancelledError saying the session was closed) and waited for first, so no task is
   * left on a closed executor.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort(new JobCancelledError('the session was closed'));
    await Promise.allSettled(this.running);
    await this.executor.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new InvalidOptionError('the session is closed');
  }
}

/** The options of the driver itself, the same wherever its tasks run. */
function driverOptions(options: SessionOptions) {
  return {
    maxTaskAttempts: intInRange('maxTaskAttempts', options.maxTaskAttempts, 1, 100, 4, 'a task failing that often will not pass'),
    retainedJobs: intAtLeast('retainedJobs', options.retainedJobs, 0, 1000),
    readahead: intInRange('readahead', options.readahead, 1, 64, 1, 'decoded row groups held per core'),
    faults: optionalFunction('faultInjector', options.faultInjector),
    onProgress: optionalFunction('onProgress', options.onProgress),
  };
}

/** Splits batches into n contiguous row ranges of near-equal size, as zero-copy slices. */
function split(batches: readonly arrow.RecordBatch[], rows: number, n: number): arrow.RecordBatch[][] {
  if (rows === 0) return [[]];
  const parts = Math.min(n, rows);
  const out: arrow.RecordBatch[][] = Array.from({ length: parts }, () => []);
  let p = 0, filled = 0;
  const target = (k: number) => Math.round(((k + 1) * rows) / parts);
  let done = 0;
  for (const b of batches) {
    let at = 0;
    while (at < b.numRows) {
      const take = Math.min(b.numRows - at, target(p) - done - filled);
      if (take > 0) {
        out[p].push(at === 0 && take === b.numRows ? b : b.slice(at, at + take));
        at += take;
        filled += take;
      }
      if (done + filled === target(p) && p < parts - 1) {
        done += filled;
        filled = 0;
        p++;
      }
    }
  }
  return out;
}
