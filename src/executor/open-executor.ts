/**
 * Opens the executor that runs a process's tasks: the CPU executor on worker threads (or the
 * calling thread), with the GPU executor over it where asked and an adapter exists. A session
 * opens one for itself; a cluster's executor process opens one for the tasks it pulls.
 */
import { GpuUnavailableError } from '../errors.ts';
import { CpuExecutor } from './cpu/cpu-executor.ts';
import type { LocalExecutor } from './task.ts';
import { WorkerPoolExecutor } from './worker/worker-pool.ts';

export interface LocalExecutorOptions {
  /** 'auto': the GPU when a hardware adapter exists, else the CPU. */
  readonly executor: 'cpu' | 'gpu' | 'auto';
  readonly executors: number;
  readonly cores: number;
  /** Tasks on worker threads (else on the calling thread). */
  readonly workers: boolean;
  readonly cacheBytes?: number;
  readonly fallback: 'cpu' | 'error';
  readonly merge: 'auto' | 'device' | 'host';
}

/**
 * The executor, and why 'auto' runs on the CPU (null when it runs on a GPU or was not asked to).
 * GpuUnavailableError where 'gpu' finds no adapter.
 */
export async function openLocalExecutor(o: LocalExecutorOptions): Promise<{ executor: LocalExecutor; gpuUnavailable: string | null }> {
  const cpu = o.workers ? WorkerPoolExecutor.acquire(o.executors, o.cores) : new CpuExecutor();
  if (o.executor === 'cpu') return { executor: cpu, gpuUnavailable: null };
  try {
    // Loaded on demand: a CPU executor never loads Dawn.
    const { GpuExecutor } = await import('./gpu/gpu-executor.ts');
    // The software adapter was measured slower than the CPU executor on every benchmark query
    // (docs/performance.md): only 'gpu' opens it.
    const executor = await GpuExecutor.create({
      cpu, cacheBytes: o.cacheBytes, fallback: o.fallback, merge: o.merge, placement: o.executor === 'auto' ? 'cost' : 'gpu', softwareAdapter: o.executor === 'gpu',
    });
    return { executor, gpuUnavailable: null };
  } catch (e) {
    if (o.executor === 'gpu' || !(e instanceof GpuUnavailableError)) {
      await cpu.close();
      throw e;
    }
    return { executor: cpu, gpuUnavailable: e.message };
  }
}
