/**
 * A gpuframe session as an engine of the benchmark: `cpu` = the CPU executor on --threads cores,
 * `cpu1` = the CPU executor on one core (one worker thread) over the same input and shuffle
 * partitions, `gpu` = the GPU executor, `gpu-cached` = the GPU executor over cached inputs,
 * `gpu-device` / `gpu-host` = the GPU executor with gpuMerge: 'device' / 'host' (`gpu` has 'auto'),
 * `cluster` = a local cluster (local-cluster.ts): --threads executor processes of one core each.
 */
import type { ENGINE_NAMES } from './bench-command.ts';
import { arrowRows } from './compare-rows.ts';
import { EngineUnavailable, type Engine, type EngineInputs } from './engine.ts';
import { LocalCluster } from './local-cluster.ts';
import type { Api, DataFrame, TableName } from './queries.ts';
import type { JobMetricsLike } from './report.ts';

export type GpuframeEngine = Exclude<(typeof ENGINE_NAMES)[number], 'duckdb'>;

/** A frame of each table the inputs hold (the selected queries' tables). */
async function framesOf(inp: EngineInputs, frame: (t: TableName) => Promise<DataFrame>): Promise<Partial<Record<TableName, DataFrame>>> {
  const names = Object.keys(inp.files ?? inp.arrow!) as TableName[];
  return Object.fromEntries(await Promise.all(names.map(async (t) => [t, await frame(t)] as const)));
}

export async function createGpuframe(name: GpuframeEngine, inp: EngineInputs): Promise<Engine> {
  let api: Api;
  try {
    api = await import('../src/index.ts');
  } catch (e) {
    throw new EngineUnavailable(`cannot load src/index.ts: ${(e as Error).message.split('\n')[0]}`);
  }
  if (name === 'cluster') return createClusterEngine(api, inp);
  const onGpu = name.startsWith('gpu');
  const executor = onGpu ? 'gpu' : 'cpu';
  const cores = name === 'cpu1' ? 1 : inp.opts.threads;
  // 'gpu' is passed through as is: an engine build without it refuses it in Session.create (reported as skipped).
  const cacheBytes = name === 'gpu-cached' && inp.opts.gpuCacheBytes !== undefined ? { gpuCacheBytes: inp.opts.gpuCacheBytes } : {};
  const merge = name === 'gpu-host' ? { gpuMerge: 'host' } : name === 'gpu-device' ? { gpuMerge: 'device' } : {};
  const opts = { executor, cores, shufflePartitions: inp.opts.shufflePartitions, ...cacheBytes, ...merge } as Parameters<Api['Session']['create']>[0];
  let session: Awaited<ReturnType<Api['Session']['create']>>;
  try {
    session = await api.Session.create({ ...opts, ...(inp.progress ? { onProgress: inp.progress.listener } : {}) });
  } catch (e) {
    throw new EngineUnavailable(`Session.create(${JSON.stringify(opts)}) failed: ${(e as Error).message.split('\n')[0]}`);
  }
  const parts = onGpu ? inp.opts.gpuPartitions : inp.opts.partitions;
  const frame = async (t: TableName) => {
    if (inp.files) {
      if (name === 'gpu-cached') {
        await session.close();
        throw new EngineUnavailable('cache() keeps in-memory inputs on the device; --source parquet reads the files in every run');
      }
      return session.readParquet(inp.files[t]!);
    }
    const df = session.fromArrow(inp.arrow![t]!, parts === undefined ? {} : { partitions: parts });
    if (name !== 'gpu-cached') return df;
    if (typeof (df as { cache?: unknown }).cache !== 'function') throw new EngineUnavailable('this build has no DataFrame.cache()');
    return df.cache();
  };
  const frames = await framesOf(inp, frame);
  // The input partitions (map tasks) the session chose.
  const scanned = Object.values(frames)[0]!.physicalPlan().inputs.length;
  // Read structurally: the options' shape may grow (other executors) without this file changing.
  const resolved = (session as { options?: { executors?: unknown; cores?: unknown } }).options;
  const nExecutors = typeof resolved?.executors === 'number' ? resolved.executors : 1;
  const nCores = typeof resolved?.cores === 'number' ? resolved.cores : cores;
  return {
    name,
    description:
      `gpuframe executor=${executor}${name === 'gpu-cached' ? ' over cached inputs (DataFrame.cache(); uploaded in the warm-up run)' : ''}` +
      `${'gpuMerge' in merge ? ` merging partial states on the ${merge.gpuMerge} (gpuMerge: '${merge.gpuMerge}')` : ''}, cores=${nCores}${name === 'cpu1' ? ' (one worker thread)' : ''}` +
      `${nExecutors !== 1 ? `, executors=${nExecutors}` : ''}, ${inp.files ? `readParquet, scan tasks=${scanned}` : `input partitions=${scanned}`}, shufflePartitions=${inp.opts.shufflePartitions}`,
    slots: executor === 'cpu' ? nExecutors * nCores : undefined,
    async run(q) {
      const table = await q.frame(api, frames[q.table]!).collect();
      const metrics = session.lastJob as JobMetricsLike | undefined;
      return {
        metrics,
        async result() {
          return arrowRows(table);
        },
      };
    },
    async close() {
      await session.close();
    },
  };
}

/**
 * gpuframe on a cluster of this machine: a nats-server and --threads executor processes of one core
 * each. In-memory inputs are stored in the object store by the warm-up run, as the processes
 * keep them; every timed run queues its tasks and moves its shuffle through NATS.
 */
async function createClusterEngine(api: Api, inp: EngineInputs): Promise<Engine> {
  let cluster: LocalCluster;
  try {
    cluster = await LocalCluster.start(inp.opts.threads, 1);
  } catch (e) {
    throw new EngineUnavailable(`cannot start a local cluster: ${(e as Error).message.split('\n')[0]}`);
  }
  const opts = { cluster: { nats: cluster.url }, shufflePartitions: inp.opts.shufflePartitions, ...(inp.progress ? { onProgress: inp.progress.listener } : {}) };
  let session: Awaited<ReturnType<Api['Session']['create']>>;
  try {
    session = await api.Session.create(opts as Parameters<Api['Session']['create']>[0]);
  } catch (e) {
    await cluster.stop();
    throw new EngineUnavailable(`Session.create({ cluster }) failed: ${(e as Error).message.split('\n')[0]}`);
  }
  const frame = async (t: TableName) => (inp.files ? session.readParquet(inp.files[t]!) : session.fromArrow(inp.arrow![t]!, { partitions: inp.opts.partitions }));
  const frames = await framesOf(inp, frame);
  return {
    name: 'cluster',
    description: `gpuframe on a local cluster: nats-server ${cluster.url} and ${inp.opts.threads} executor process(es) × 1 core (gpuframe executor --nats), ` +
      `${inp.files ? 'readParquet' : `input partitions=${inp.opts.partitions} (stored once, in the warm-up run)`}, shufflePartitions=${inp.opts.shufflePartitions}`,
    slots: inp.opts.threads,
    async run(q) {
      const table = await q.frame(api, frames[q.table]!).collect();
      return { metrics: session.lastJob as JobMetricsLike | undefined, result: async () => arrowRows(table) };
    },
    async close() {
      await session.close();
      await cluster.stop();
    },
  };
}
