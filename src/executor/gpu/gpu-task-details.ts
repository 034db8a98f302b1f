/** The GPU executor's account of a map task it ran on the device (TaskMetrics.details of kind 'gpu'). */
import { bytes, ms } from '../../units.ts';
import type { TaskDetails } from '../task.ts';

type GpuSplit = Omit<GpuTaskDetails, 'kind' | 'phases' | 'notes'>;

export interface GpuTaskDetails extends TaskDetails {
  readonly kind: 'gpu';
  readonly adapter: string;
  /** Binding, packing and writing the input columns to the device. */
  readonly uploadMs: number;
  /** From the first dispatch until the queue finished every kernel. */
  readonly kernelMs: number;
  /** Copying the slot array back and mapping it. */
  readonly readbackMs: number;
  /** Decoding the words read back into shuffle blocks, on the thread `mergedOn`. */
  readonly mergeMs: number;
  /** The GPU's own time in the task's compute passes (timestamp queries), when the device has them. */
  readonly deviceKernelMs?: number;
  /** Bytes of packed input the kernels read. */
  readonly inputBytes: number;
  /** Bytes the task wrote to the device for them (next to nothing when a cached input is resident). */
  readonly uploadBytes: number;
  /** The thread that decoded the words read back into shuffle blocks ('driver' without executor threads). */
  readonly mergedOn?: string;
  /** The grouping strategy the kernels used (`dense/workgroup`, `hash`, …). */
  readonly mode: string;
}

/** A task's GPU details, when a GPU executor ran it on its device. */
export function gpuDetails(task: { readonly details?: TaskDetails }): GpuTaskDetails | undefined {
  return task.details?.kind === 'gpu' ? (task.details as GpuTaskDetails) : undefined;
}

/** The details of a task with this time split: its phases and notes follow from it. */
export function gpuTaskDetails(g: GpuSplit, lane: string): GpuTaskDetails {
  const away = g.mergedOn !== undefined && g.mergedOn !== lane ? { on: g.mergedOn } : {};
  return {
    kind: 'gpu', ...g,
    phases: [{ name: 'upload', ms: g.uploadMs }, { name: 'kernels', ms: g.kernelMs }, { name: 'readback', ms: g.readbackMs }, { name: 'decode', ms: g.mergeMs, ...away }],
    notes: [
      `GPU ${g.adapter}, ${g.mode}: upload ${ms(g.uploadMs)} (${bytes(g.uploadBytes)}), kernels ${ms(g.kernelMs)}${g.deviceKernelMs !== undefined ? ` (device ${ms(g.deviceKernelMs)})` : ''}, readback ${ms(g.readbackMs)}`,
      `decode ${ms(g.mergeMs)}${g.mergedOn ? ` on ${g.mergedOn}` : ''}`,
    ],
  };
}
