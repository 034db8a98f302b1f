/**
 * The GPU executor's per-task timing, summed over a job's map-stage tasks. The one place the
 * benchmark reads a task's GPU details (`gpuOf`): the executor reports them as an opaque, typed
 * field of the task metrics, which its own reader (gpuDetails) unwraps.
 */
import { gpuDetails, type GpuTaskDetails } from '../src/executor/gpu/gpu-task-details.ts';
import type { TaskDetails } from '../src/executor/task.ts';
import type { JobMetricsLike, TaskMetricsLike } from './report.ts';

export interface GpuBreakdown {
  /** Adapters named by the tasks (normally one). */
  readonly adapter: string;
  readonly tasks: number;
  readonly uploadMs: number;
  readonly kernelMs: number;
  readonly readbackMs: number;
  readonly mergeMs: number;
  /** The GPU's own time in the tasks' compute passes; undefined unless every task has one. */
  readonly deviceKernelMs: number | undefined;
  /** Packed input bytes the kernels read. */
  readonly inputBytes: number;
}

/** A task's GPU details (src/executor/gpu/gpu-task-details.ts), when a GPU executor ran it on its device. */
function gpuOf(t: TaskMetricsLike): GpuTaskDetails | undefined {
  return gpuDetails(t as { readonly details?: TaskDetails });
}

/** Sums of the map stage's tasks' GPU timings; undefined when no map task carries any. */
export function gpuBreakdown(job: JobMetricsLike): GpuBreakdown | undefined {
  const tasks = job.stages.filter((s) => /ShuffleMap/i.test(s.kind)).flatMap((s) => s.tasks ?? []);
  const gs = tasks.map(gpuOf).filter((g) => g !== undefined);
  if (gs.length === 0) return undefined;
  const total = (f: (g: GpuTaskDetails) => number): number => gs.reduce((a, g) => a + f(g), 0);
  const adapters = [...new Set(gs.map((g) => g.adapter).filter((a) => a.length > 0))];
  return {
    adapter: adapters.length > 0 ? adapters.join(' + ') : 'unknown',
    tasks: gs.length,
    uploadMs: total((g) => g.uploadMs),
    kernelMs: total((g) => g.kernelMs),
    readbackMs: total((g) => g.readbackMs),
    mergeMs: total((g) => g.mergeMs),
    deviceKernelMs: gs.every((g) => g.deviceKernelMs !== undefined) ? total((g) => g.deviceKernelMs!) : undefined,
    inputBytes: total((g) => g.inputBytes),
  };
}
