/**
 * Runs the partition kernel (partition-shader.ts) in a compute pass: each slot's reduce partition
 * into `pid`, one word a slot, from the keys the map kernel left in the slot array or hash table.
 */
import { USAGE } from './buffer-pool.ts';
import { hashString } from '../../shuffle/hash.ts';
import type { StringIds } from '../string-ids.ts';
import type { AggregationSpec } from '../../plan/aggregation-spec.ts';
import type { GpuPlan } from './gpu-plan.ts';
import { partitionShaderSource, type PartitionShaderKey } from './partition-shader.ts';
import { keyString, paramsArray, pipelineFor } from './pipeline-cache.ts';

export interface PartitionBuffers {
  /** The slot array (`width` words a slot), the hash table (hash mode), the output. */
  readonly acc: GPUBuffer;
  readonly tab: GPUBuffer | null;
  readonly pid: GPUBuffer;
}

/**
 * Encodes the partition kernel into `pass`; `take` lends the pass's own buffers (string hashes,
 * parameters) until the task's work is done.
 */
export function encodePartitionIds(
  device: GPUDevice, pass: GPUComputePassEncoder, take: (bytes: number, usage: number) => GPUBuffer,
  spec: AggregationSpec, plan: GpuPlan, width: number, strings: StringIds, bufs: PartitionBuffers,
): void {
  const pkey: PartitionShaderKey = { mode: plan.mode as 'dense' | 'hash', keys: spec.keys, keyNullable: plan.keyNullable, width, workgroupSize: 64 };
  const { source, params } = partitionShaderSource(pkey);
  const pipeline = pipelineFor(device, keyString(pkey), () => source);
  // A string key hashes by its task-wide id: the MurmurHash3 of each id's string.
  const strh = take(Math.max(16, strings.ids.size * 4), USAGE.STORAGE | USAGE.COPY_DST);
  if (strings.ids.size) device.queue.writeBuffer(strh, 0, Int32Array.from(strings.ids.keys(), hashString));
  const wgs = Math.ceil(plan.slots / 64);
  const nx = Math.min(wgs, 65535), ny = Math.ceil(wgs / nx);
  const values = new Map<string, number>([['slots', plan.slots], ['parts', spec.partitions], ['nx', nx]]);
  plan.kmin.forEach((v, j) => {
    values.set(`kmin${j}`, v);
    values.set(`kstride${j}`, plan.kstride[j]);
    values.set(`ksize${j}`, plan.knull[j] + (plan.keyNullable[j] ? 1 : 0));
    values.set(`knull${j}`, plan.knull[j]);
  });
  const uniforms = take(1024, USAGE.UNIFORM | USAGE.COPY_DST);
  device.queue.writeBuffer(uniforms, 0, paramsArray(params, values));
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: uniforms } },
      { binding: 1, resource: { buffer: strh } },
      { binding: 2, resource: { buffer: bufs.acc } },
      ...(bufs.tab ? [{ binding: 3, resource: { buffer: bufs.tab } }] : []),
      { binding: bufs.tab ? 4 : 3, resource: { buffer: bufs.pid } },
    ],
  }));
  pass.dispatchWorkgroups(nx, ny);
}
