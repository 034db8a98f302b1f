/**
 * The device's read bandwidth as a plain WGSL kernel sees it: the yardstick the benchmark holds
 * the map kernels' throughput against. Every invocation xors vec4<u32> loads in a grid-stride loop;
 * a data-dependent store that never happens keeps the loads alive.
 */
import { USAGE as U } from './buffer-pool.ts';
import { MAX_BUFFER_BYTES } from './gpu-plan.ts';
import { withErrorScopes, type GpuDevice } from './device.ts';
import { passTimes } from './timestamps.ts';

export interface ReadBandwidth {
  /** Bytes read per second / 1e9, median over the repeats. */
  readonly gbPerS: number;
  readonly bytes: number;
  /** 'timestamps': the GPU's pass times; 'wall clock': host time around each submit (software adapters). */
  readonly timing: 'timestamps' | 'wall clock';
}

const WG = 128;
const SOURCE = /* wgsl */ `
@group(0) @binding(0) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> sink: array<u32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  var acc = vec4<u32>(0u);
  let stride = n.x * ${WG}u;
  for (var i = g.x; i < arrayLength(&src); i += stride) { acc ^= src[i]; }
  if (all(acc == vec4<u32>(0xdeadbeefu))) { sink[g.x & 255u] = acc.x; }
}`;

/** Reads `bytes` (capped by the device's binding limit) `repeats` times. */
export async function measureReadBandwidth(gpu: GpuDevice, bytes = 1 << 30, repeats = 7): Promise<ReadBandwidth> {
  const d = gpu.device;
  const cap = Math.min(d.limits.maxStorageBufferBindingSize, d.limits.maxBufferSize, gpu.software ? MAX_BUFFER_BYTES : Infinity);
  const size = Math.floor(Math.min(bytes, cap) / 16) * 16;
  return withErrorScopes(gpu, async () => {
    const src = d.createBuffer({ size, usage: U.STORAGE | U.COPY_DST });
    const sink = d.createBuffer({ size: 1024, usage: U.STORAGE });
    const query = gpu.timestamps ? d.createQuerySet({ type: 'timestamp', count: 2 * repeats }) : null;
    const resolved = query ? d.createBuffer({ size: 16 * repeats, usage: U.QUERY_RESOLVE | U.COPY_SRC }) : null;
    const readback = query ? d.createBuffer({ size: 16 * repeats, usage: U.MAP_READ | U.COPY_DST }) : null;
    try {
      const piece = new Uint32Array(Math.min(size, 16 << 20) / 4).map((_, i) => Math.imul(i, 0x9e3779b1) >>> 0);
      for (let at = 0; at < size; at += piece.byteLength) d.queue.writeBuffer(src, at, piece, 0, Math.min(piece.length, (size - at) / 4));
      const pipeline = d.createComputePipeline({ layout: 'auto', compute: { module: d.createShaderModule({ code: SOURCE }), entryPoint: 'main' } });
      const bind = d.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: src } }, { binding: 1, resource: { buffer: sink } }] });
      // Enough workgroups to fill any device, each invocation over at least 8 vec4s.
      const wgs = Math.max(1, Math.min(65535, Math.ceil(size / 16 / WG / 8)));
      const run = (i: number, enc: GPUCommandEncoder) => {
        const pass = enc.beginComputePass(query ? { timestampWrites: { querySet: query, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } } : undefined);
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bind);
        pass.dispatchWorkgroups(wgs);
        pass.end();
      };
      { // warm-up: compile, first touch
        const enc = d.createCommandEncoder();
        run(0, enc);
        d.queue.submit([enc.finish()]);
        await d.queue.onSubmittedWorkDone();
      }
      const times: number[] = [];
      if (query && resolved && readback) {
        const enc = d.createCommandEncoder();
        for (let i = 0; i < repeats; i++) run(i, enc);
        enc.resolveQuerySet(query, 0, 2 * repeats, resolved, 0);
        enc.copyBufferToBuffer(resolved, 0, readback, 0, 16 * repeats);
        d.queue.submit([enc.finish()]);
        await readback.mapAsync(1);
        times.push(...passTimes(new Uint32Array(readback.getMappedRange().slice(0))).map((ns) => ns / 1e9));
        readback.unmap();
      } else {
        for (let i = 0; i < repeats; i++) {
          const enc = d.createCommandEncoder();
          run(0, enc);
          const t0 = performance.now();
          d.queue.submit([enc.finish()]);
          await d.queue.onSubmittedWorkDone();
          times.push((performance.now() - t0) / 1e3);
        }
      }
      times.sort((a, b) => a - b);
      const med = times[times.length >> 1];
      return { gbPerS: size / Math.max(med, 1e-9) / 1e9, bytes: size, timing: query ? 'timestamps' : 'wall clock' };
    } finally {
      src.destroy();
      sink.destroy();
      query?.destroy();
      resolved?.destroy();
      readback?.destroy();
    }
  });
}
