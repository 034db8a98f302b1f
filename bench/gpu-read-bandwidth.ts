/**
 * The GPU's read bandwidth as a plain WGSL kernel sees it (src/executor/gpu/read-bandwidth.ts), on
 * a device of its own: the yardstick for the map kernels' GB/s. Undefined when it cannot run.
 */
import type { ReadBandwidth } from '../src/executor/gpu/read-bandwidth.ts';
import { errMessage, fmtNum } from './report.ts';

export async function gpuReadBandwidth(): Promise<ReadBandwidth | undefined> {
  try {
    const { openDevice } = await import('../src/executor/gpu/device.ts');
    const { measureReadBandwidth } = await import('../src/executor/gpu/read-bandwidth.ts');
    const gpu = await openDevice({ software: true });
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
