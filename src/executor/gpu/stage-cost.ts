/**
 * Where a map stage runs best, estimated before it runs: the GPU pays a fixed cost per task, the
 * upload of what is not cached on the device, the kernels and the host decode of the partial
 * groups it reads back; the CPU executor pays per row and per partial group, divided among its
 * threads. The constants come from the benchmark runs recorded in docs/performance.md ("Stage
 * placement"); they only need to be right within a factor, since a wrong pick is what the
 * measured ratios there bound.
 */
import type * as arrow from 'apache-arrow';
import { bindColumn, intValueRange } from '../../arrow/column-chunk.ts';
import { fieldOf } from '../../expr/resolve.ts';
import { isWide } from '../../types.ts';
import { type AggregationSpec, columnsOfSpec } from '../../plan/aggregation-spec.ts';

/** What a map stage reads, measured from its partitions without touching a value but the keys' ranges. */
export interface MapStageInput {
  readonly rows: number;
  readonly tasks: number;
  /** Bytes of the columns the stage reads. */
  readonly bytes: number;
  /** Of those, bytes kept on the device (a cache() input: uploaded once for all its jobs). */
  readonly cachedBytes: number;
  /** At most this many groups: the product of the keys' ranges (dictionary sizes, integer ranges), capped at the rows. */
  readonly groups: number;
}

export const COST = {
  /** Per GPU map task: planning, pipelines, submits and a readback round trip (ms). */
  gpuTaskMs: 3,
  /** Host-to-device writes, packing included (bytes/ms): ~2.6 GB/s measured on the H200 host. */
  uploadBytesPerMs: 2.6e6,
  /** Map kernels' input throughput on a hardware GPU (bytes/ms): the low end measured, 145 GB/s. */
  kernelBytesPerMs: 1.45e8,
  /** On the software adapter, which runs kernels on the CPU cores (bytes/ms per core). */
  softwareKernelBytesPerMsPerCore: 4e5,
  /** Host decode of one partial group read back from the device (ms, one thread). */
  decodeGroupMs: 6e-4,
  /** CPU executor: one row through filter and partial aggregation (ms, one thread). */
  cpuRowMs: 1.3e-5,
  /** CPU executor: one row whose group's accumulators lie beyond the core's cache (ms, one thread, added). */
  cpuMissRowMs: 3.5e-5,
  /** Partial groups whose accumulators still fit a core's cache. */
  cacheGroups: 32768,
  /** CPU executor: one partial group emitted and partitioned (ms, one thread). */
  cpuGroupMs: 2e-4,
} as const;

export function gpuMapMs(s: MapStageInput, adapter: { software: boolean; threads: number }, hostThreads: number): number {
  const kernels = adapter.software ? s.bytes / (COST.softwareKernelBytesPerMsPerCore * adapter.threads) : s.bytes / COST.kernelBytesPerMs;
  const partials = Math.min(s.groups * s.tasks, s.rows);
  return s.tasks * COST.gpuTaskMs + (s.bytes - s.cachedBytes) / COST.uploadBytesPerMs + kernels + partials * COST.decodeGroupMs / Math.max(1, Math.min(hostThreads, s.tasks));
}

export function cpuMapMs(s: MapStageInput, threads: number): number {
  const perRow = COST.cpuRowMs + (s.groups > COST.cacheGroups ? COST.cpuMissRowMs : 0);
  const partials = Math.min(s.groups * s.tasks, s.rows);
  return (s.rows * perRow + partials * COST.cpuGroupMs) / Math.max(1, Math.min(threads, s.tasks));
}

/** Bytes a column's data takes (values, offsets, validity). */
function dataBytes(d: arrow.Data): number {
  return (d.values?.byteLength ?? 0) + (d.valueOffsets?.byteLength ?? 0) + (d.nullCount > 0 ? Math.ceil(d.length / 8) : 0);
}

/** Distinct values a key column can hold in these batches (counting null), capped at `rows`. */
function keyRange(spec: AggregationSpec, column: string, batches: readonly arrow.RecordBatch[], rows: number): number {
  const dtype = fieldOf(spec.input, column).dtype;
  const kind = spec.keys.find((k) => k.column === column)!.kind;
  if (kind === 'bool') return 3;
  let distinct = 0;
  if (kind === 'str') {
    for (const b of batches) {
      const d = b.getChild(column)!.data[0];
      distinct = Math.max(distinct, d.dictionary ? d.dictionary.length : d.length);
    }
  } else if (kind === 'int') {
    let lo = Infinity, hi = -Infinity;
    for (const b of batches) {
      const c = bindColumn(b.getChild(column)!.data[0], dtype);
      if (c.length === 0) continue;
      const [a, z] = intValueRange(c);
      lo = Math.min(lo, a);
      hi = Math.max(hi, z);
    }
    distinct = hi >= lo ? hi - lo + 1 : 0;
  } else distinct = rows;
  return Math.min(rows, distinct + 1);
}

/** Measures a map stage's input; `cached`: the share of it kept on the device (DataFrame.cache()). */
export function measureMapStage(spec: AggregationSpec, partitions: readonly (readonly arrow.RecordBatch[])[], cached: number): MapStageInput {
  const names = columnsOfSpec(spec);
  const all = partitions.flat();
  let rows = 0, bytes = 0, cachedBytes = 0;
  for (const b of all) {
    rows += b.numRows;
    const n = names.reduce((a, name) => a + dataBytes(b.getChild(name)!.data[0]), 0);
    bytes += n;
    cachedBytes += n * cached;
  }
  let groups = 1;
  for (const k of spec.keys) groups = Math.min(rows, groups * keyRange(spec, k.column, all, rows));
  return { rows, tasks: partitions.length, bytes, cachedBytes, groups: Math.max(1, groups) };
}

/**
 * A map stage over files, from their footers: rows, and bytes at each read column's decoded width;
 * its groups are unknown before the data is read, so they count as many as the rows.
 */
export function measureFileStage(spec: AggregationSpec, files: { rows: number; tasks: number }): MapStageInput {
  const width = columnsOfSpec(spec).reduce((a, name) => {
    const t = spec.input.find((f) => f.name === name)!.dtype;
    return a + (isWide(t) || t.id === 'float64' ? 8 : 4);
  }, 0);
  return { rows: files.rows, tasks: files.tasks, bytes: files.rows * width, cachedBytes: 0, groups: spec.keys.length ? Math.max(1, files.rows) : 1 };
}
