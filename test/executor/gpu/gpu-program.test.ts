/**
 * The one function that encodes any GPU program: on a recording stand-in device (no GPU needed),
 * what it writes, binds and dispatches, and that the pipeline is built once per shader key; then a
 * small program on the real device, its 2-D grid covering every invocation once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { USAGE } from '../../../src/executor/gpu/buffer-pool.ts';
import { encodeProgram, workgroupGrid, type GpuProgram } from '../../../src/executor/gpu/gpu-program.ts';
import { openBareDevice } from './gpu-harness.ts';

/** A device and compute pass that record what is asked of them. */
function recorder() {
  const log: unknown[][] = [];
  let sources = 0;
  const device = {
    createShaderModule: ({ code }: { code: string }) => { sources++; return { code }; },
    createComputePipeline: () => ({ getBindGroupLayout: (i: number) => `layout ${i}` }),
    createBindGroup: ({ layout, entries }: GPUBindGroupDescriptor) => { log.push(['bind group', layout, entries]); return {}; },
    queue: { writeBuffer: (buffer: unknown, offset: number, words: Uint32Array) => log.push(['write', buffer, offset, [...words]]) },
  } as unknown as GPUDevice;
  const pass = {
    setPipeline: () => log.push(['pipeline']),
    setBindGroup: (i: number) => log.push(['set bind group', i]),
    dispatchWorkgroups: (x: number, y: number) => log.push(['dispatch', x, y]),
  } as unknown as GPUComputePassEncoder;
  return { log, device, pass, sources: () => sources };
}

describe('encodeProgram', () => {
  it('writes the uniforms, binds them at 0 and the storage buffers at theirs (sized where asked), and dispatches the grid', () => {
    const { log, device, pass, sources } = recorder();
    const uniforms = { name: 'uniforms' } as unknown as GPUBuffer, input = { name: 'input' } as unknown as GPUBuffer;
    let generated = 0;
    const program: GpuProgram = {
      shaderKey: 'test key', source: () => { generated++; return 'wgsl'; },
      uniforms: { buffer: uniforms, words: Uint32Array.of(7, 8, 0, 0) },
      bindings: [{ binding: 1, buffer: input, size: 64 }, { binding: 3, buffer: input }],
      grid: [3, 2],
    };
    encodeProgram(device, pass, program);
    expect(log).toEqual([
      ['write', uniforms, 0, [7, 8, 0, 0]],
      ['pipeline'],
      ['bind group', 'layout 0', [
        { binding: 0, resource: { buffer: uniforms } },
        { binding: 1, resource: { buffer: input, size: 64 } },
        { binding: 3, resource: { buffer: input } },
      ]],
      ['set bind group', 0],
      ['dispatch', 3, 2],
    ]);
    // The same key again: the cached pipeline, its source not generated again.
    encodeProgram(device, pass, { ...program, uniforms: undefined, bindings: [] });
    expect([generated, sources()]).toEqual([1, 1]);
    expect(log.at(-3)).toEqual(['bind group', 'layout 0', []]);
  });

  it('lays out a grid of at least the workgroups asked, at most 65535 wide', () => {
    expect(workgroupGrid(0)).toEqual([1, 1]);
    expect(workgroupGrid(1)).toEqual([1, 1]);
    expect(workgroupGrid(65535)).toEqual([65535, 1]);
    expect(workgroupGrid(65536)).toEqual([65535, 2]);
    expect(workgroupGrid(200_000)).toEqual([65535, 4]);
  });
});

const bare = await openBareDevice();
afterAll(() => bare.dev?.device.destroy());

describe.skipIf(!bare.dev)(`encodeProgram on the device${bare.dev ? '' : ` (${bare.reason})`}`, () => {
  it('runs a program whose 2-D grid covers every invocation exactly once', async () => {
    const device = bare.dev!.device;
    const count = 300_000, size = 4;
    const SOURCE = [
      'struct Params { v: array<vec4<u32>, 1> }',
      '@group(0) @binding(0) var<uniform> P: Params;',
      '@group(0) @binding(1) var<storage, read_write> out: array<u32>;',
      `@compute @workgroup_size(${size})`,
      'fn main(@builtin(global_invocation_id) gid: vec3<u32>) {',
      `  let s = gid.x + gid.y * P.v[0].y * ${size}u;`,
      '  if (s >= P.v[0].z) { return; }',
      '  out[s] = out[s] + P.v[0].x + s;',
      '}',
    ].join('\n');
    const grid = workgroupGrid(Math.ceil(count / size));
    expect(grid[1]).toBeGreaterThan(1);
    const uniforms = device.createBuffer({ size: 16, usage: USAGE.UNIFORM | USAGE.COPY_DST });
    const out = device.createBuffer({ size: count * 4, usage: USAGE.STORAGE | USAGE.COPY_SRC });
    const read = device.createBuffer({ size: count * 4, usage: USAGE.MAP_READ | USAGE.COPY_DST });
    try {
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      encodeProgram(device, pass, {
        shaderKey: 'gpu-program test', source: () => SOURCE, uniforms: { buffer: uniforms, words: Uint32Array.of(1000, grid[0], count, 0) },
        bindings: [{ binding: 1, buffer: out }], grid,
      });
      pass.end();
      encoder.copyBufferToBuffer(out, 0, read, 0, count * 4);
      device.queue.submit([encoder.finish()]);
      await read.mapAsync(1);
      const words = new Uint32Array(read.getMappedRange().slice(0));
      read.unmap();
      expect(words.every((w, s) => w === 1000 + s)).toBe(true);
    } finally {
      uniforms.destroy();
      out.destroy();
      read.destroy();
    }
  });
});
