/**
 * A GPU kernel as data, and the one function that encodes any of them (as tfjs-backend-webgpu's
 * runWebGPUProgram): the program names its shader key (the WGSL is a pure function of it, so the
 * pipeline is cached per device by it), its source, its uniform values (binding 0, where it has
 * params), its storage bindings and its workgroup grid.
 *
 *   program ─► pipeline (cached) ─► uniforms written ─► bind group ─► dispatch (x, y)
 */
import { pipelineFor } from './pipeline-cache.ts';

export interface GpuProgram {
  readonly shaderKey: string;
  /** The WGSL, generated only when the device has no pipeline for the key yet. */
  readonly source: () => string;
  /** The uniform buffer at binding 0 and the words written into it before the dispatch (none: no params). */
  readonly uniforms?: { readonly buffer: GPUBuffer; readonly words: Uint32Array };
  /** Storage bindings; `size` binds only the first bytes of a pooled (power-of-two sized) buffer. */
  readonly bindings: readonly { readonly binding: number; readonly buffer: GPUBuffer; readonly size?: number }[];
  /** Workgroups in x and y (see workgroupGrid). */
  readonly grid: readonly [number, number];
}

/** Most workgroups in one dimension of a dispatch (WebGPU's default limit). */
const MAX_WORKGROUPS_PER_DIMENSION = 65535;

/** A 2-D grid of at least `workgroups` workgroups: x as wide as a dimension allows, y the rows of them. */
export function workgroupGrid(workgroups: number): [number, number] {
  const x = Math.max(1, Math.min(workgroups, MAX_WORKGROUPS_PER_DIMENSION));
  return [x, Math.max(1, Math.ceil(workgroups / x))];
}

/**
 * Encodes `program` into `pass`. Its uniforms are written through the queue, so two dispatches
 * of one submit must not share a uniform buffer.
 */
export function encodeProgram(device: GPUDevice, pass: GPUComputePassEncoder, program: GpuProgram): void {
  const { uniforms } = program;
  const pipeline = pipelineFor(device, program.shaderKey, program.source);
  if (uniforms) device.queue.writeBuffer(uniforms.buffer, 0, uniforms.words);
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      ...(uniforms ? [{ binding: 0, resource: { buffer: uniforms.buffer } }] : []),
      ...program.bindings.map(({ binding, buffer, size }) => ({ binding, resource: size === undefined ? { buffer } : { buffer, size } })),
    ],
  }));
  pass.dispatchWorkgroups(program.grid[0], program.grid[1]);
}
