/**
 * The device's read bandwidth as a plain WGSL kernel sees it: the yardstick the benchmark holds
 * the map kernels' throughput against. Every invocation xors vec4<u32> loads in a grid-stride loop;
 * a data-dependent store that never happens keeps the loads alive.
 */
import { USAGE } from './buffer-pool.ts';
import { encodeProgram, type GpuProgram } from './gpu-program.ts';
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

const WORKGROUP_SIZE = 128;
const SOURCE = /* wgsl */ `
@group(0) @binding(0) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> sink: array<u32>;
@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  var acc = vec4<u32>(0u);
  let stride = n.x * ${WORKGROUP_SIZE}u;
  for (var i = g.x; i < arrayLength(&src); i += stride) { acc ^= src[i]; }
  if (all(acc == vec4<u32>(0xdeadbeefu))) { sink[g.x & 255u] = acc.x; }
}`;

/** Reads `bytes` (capped by the device's binding limit) `repeats` times. */
export async function measureReadBandwidth(gpu: GpuDevice, bytes = 1 << 30, repeats = 7): Promise<ReadBandwidth> {
  const device = gpu.device;
  const cap = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize, gpu.software ? MAX_BUFFER_BYTES : Infinity);
  const size = Math.floor(Math.min(bytes, cap) / 16) * 16;
  return withErrorScopes(gpu, async () => {
    const src = device.createBuffer({ size, usage: USAGE.STORAGE | USAGE.COPY_DST });
    const sink = device.createBuffer({ size: 1024, usage: USAGE.STORAGE });
    const query = gpu.timestamps ? device.createQuerySet({ type: 'timestamp', count: 2 * repeats }) : null;
    const resolved = query ? device.createBuffer({ size: 16 * repeats, usage: USAGE.QUERY_RESOLVE | USAGE.COPY_SRC }) : null;
    const readback = query ? device.createBuffer({ size: 16 * repeats, usage: USAGE.MAP_READ | USAGE.COPY_DST }) : null;
    try {
      const piece = new Uint32Array(Math.min(size, 16 << 20) / 4).map((_, i) => Math.imul(i, 0x9e3779b1) >>> 0);
      for (let at = 0; at < size; at += piece.byteLength) device.queue.writeBuffer(src, at, piece, 0, Math.min(piece.length, (size - at) / 4));
      // Enough workgroups to fill any device, each invocation over at least 8 vec4s.
      const workgroups = Math.max(1, Math.min(65535, Math.ceil(size / 16 / WORKGROUP_SIZE / 8)));
      const program: GpuProgram = {
        shaderKey: 'read-bandwidth', source: () => SOURCE,
        bindings: [{ binding: 0, buffer: src }, { binding: 1, buffer: sink }], grid: [workgroups, 1],
      };
      const run = (i: number, encoder: GPUCommandEncoder) => {
        const pass = encoder.beginComputePass(query ? { timestampWrites: { querySet: query, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } } : undefined);
        encodeProgram(device, pass, program);
        pass.end();
      };
      { // warm-up: compile, first touch
        const encoder = device.createCommandEncoder();
        run(0, encoder);
        device.queue.submit([encoder.finish()]);
        await device.queue.onSubmittedWorkDone();
      }
      const times: number[] = [];
      if (query && resolved && readback) {
        const encoder = device.createCommandEncoder();
        for (let i = 0; i < repeats; i++) run(i, encoder);
        encoder.resolveQuerySet(query, 0, 2 * repeats, resolved, 0);
        encoder.copyBufferToBuffer(resolved, 0, readback, 0, 16 * repeats);
        device.queue.submit([encoder.finish()]);
        await readback.mapAsync(1);
        times.push(...passTimes(new Uint32Array(readback.getMappedRange().slice(0))).map((ns) => ns / 1e9));
        readback.unmap();
      } else {
        for (let i = 0; i < repeats; i++) {
          const encoder = device.createCommandEncoder();
          run(0, encoder);
          const t0 = performance.now();
          device.queue.submit([encoder.finish()]);
          await device.queue.onSubmittedWorkDone();
          times.push((performance.now() - t0) / 1e3);
        }
      }
      times.sort((a, b) => a - b);
      const median = times[times.length >> 1];
      return { gbPerS: size / Math.max(median, 1e-9) / 1e9, bytes: size, timing: query ? 'timestamps' : 'wall clock' };
    } finally {
      src.destroy();
      sink.destroy();
      query?.destroy();
      resolved?.destroy();
      readback?.destroy();
    }
  });
}
