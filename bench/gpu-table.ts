/** Where the GPU executor's map stage spent the median run, per query (when its tasks report it). */
import type { ReadBandwidth } from '../src/executor/gpu/read-bandwidth.ts';
import type { Measurement } from './measurement.ts';
import { fmtMs, fmtNum, fmtPct, formatTable } from './report.ts';
import { RATIO_TO_DUCKDB } from './summary-table.ts';

/** The section's text; undefined when no measurement has a GPU breakdown. */
export function gpuTable(measurements: readonly Measurement[], readBw: ReadBandwidth | undefined): string | undefined {
  const gpuRows = measurements.filter((m) => m.gpu !== undefined);
  if (gpuRows.length === 0) return undefined;
  return [
    'GPU executor, map stage of the median run (sums over its tasks):',
    formatTable(
      ['query', 'engine', 'adapter', 'map tasks', 'upload ms', 'kernels ms', 'readback ms', 'merge ms', 'median ms', RATIO_TO_DUCKDB, 'x cpu', 'device ms', 'kernel GB/s', 'of read bw'],
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
    '(upload = input columns to the device, kernels = filter + partial aggregation on the device (host clock, first dispatch to queue done), ' +
      'readback = results to the host, merge = host-side merge into shuffle blocks; device ms = the GPU\'s own time in the compute passes ' +
      '(timestamp queries, input already on the device; - where the adapter has none), kernel GB/s = packed input bytes / device ms, ' +
      `of read bw = that / the read bandwidth of a plain WGSL read kernel on the same device${readBw ? ` (${fmtNum(readBw.gbPerS, 1)} GB/s, ${readBw.timing})` : ''}.)`,
  ].join('\n');
}
