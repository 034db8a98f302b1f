/**
 * The fold kernel of per-invocation privatized map kernels (software adapters): each map kernel
 * invocation leaves its whole slot array, plain words, in its own region of `part`; then one fold
 * invocation per slot adds every region's words into the task's slot array `acc`, with plain
 * integer arithmetic — carries word to word, 64-bit min/max compared as (hi, lo) pairs (each
 * accumulator row's fold, src/aggregate/gpu-accumulators.ts). So the map kernel needs no atomic
 * (on llvmpipe each is a per-lane locked loop) and no second pass for the low words of 64-bit
 * min/max; the result is exact, so it does not depend on how rows were split.
 */
import { GPU_ACCUMULATORS } from '../../aggregate/gpu-accumulators.ts';
import { u32Lit } from '../../expr/to-wgsl.ts';
import type { GpuAccLayout } from './gpu-acc-layout.ts';
import { workgroupGrid, type GpuProgram } from './gpu-program.ts';
import { keyString, paramsArray } from './pipeline-cache.ts';

export interface FoldShaderKey {
  readonly layout: GpuAccLayout;
  /** Slots folded (the trash slot of a region is not). */
  readonly slots: number;
  /** The slot words a region keeps (gpu-acc-layout.ts keptWords, own); the others are their initial value. */
  readonly ownWords: readonly number[];
  /** The slot words the task's slot array keeps (keptWords, shared). */
  readonly sharedWords: readonly number[];
  /** Words per slot in a region (the kept words; in a region kernel's, padded to whole vec4s). */
  readonly stride: number;
  /** Words between one region of `part` and the next (slots + trash slot, times the stride). */
  readonly regionWords: number;
  readonly workgroupSize: number;
}

const FOLD_PARAMS = ['regions', 'nx'];

/** The fold kernel's WGSL; its params are FOLD_PARAMS. */
export function foldShaderSource(key: FoldShaderKey): { source: string } {
  const { layout, workgroupSize } = key;
  const width = layout.width;
  // Words a region does not keep add nothing (0; no slot word it drops is a min/max key), except
  // those its accumulator row implies (the top word of a region's 64-bit integer sum).
  const kept = new Map(key.ownWords.map((w, i) => [w, i]));
  const implied = new Map<number, string>();
  for (const f of layout.aggs) {
    const word = f.alias ? null : GPU_ACCUMULATORS[f.kind].regionImplied?.(f.form, f.at);
    if (word) implied.set(word[0], word[1]);
  }
  const read = (w: number) => implied.get(w) ?? (kept.has(w) ? `part[pb + ${kept.get(w)}u]` : '0u');
  const sharedWidth = key.sharedWords.length;
  return {
    source: [
      'struct Params { v: array<vec4<u32>, 1> }',
      '@group(0) @binding(0) var<uniform> P: Params;',
      '@group(0) @binding(1) var<storage, read> part: array<u32>;',
      '@group(0) @binding(2) var<storage, read_write> acc: array<u32>;',
      `@compute @workgroup_size(${workgroupSize})`,
      'fn main(@builtin(global_invocation_id) gid: vec3<u32>) {',
      '  let regions = P.v[0].x;',
      '  let nx = P.v[0].y;',
      `  let s = gid.x + gid.y * nx * ${workgroupSize}u;`,
      `  if (s >= ${key.slots}u) { return; }`,
      `  let gb = s * ${sharedWidth}u;`,
      // The slot as the full layout in `a`: the slot array's words, the dropped ones initial.
      `  var a = array<u32, ${width}>(${layout.init.map(u32Lit).join(', ')});`,
      ...key.sharedWords.map((w, i) => `  a[${w}] = acc[gb + ${i}u];`),
      '  for (var r = 0u; r < regions; r = r + 1u) {',
      `    let pb = r * ${key.regionWords}u + s * ${key.stride}u;`,
      '    if (part[pb] == 0u) { continue; }',
      ...Array.from({ length: width }, (_, w) => `    let x${w} = ${read(w)};`),
      ...foldSlotWgsl(layout).map((l) => `    ${l}`),
      '  }',
      ...key.sharedWords.map((w, i) => `  acc[gb + ${i}u] = a[${w}];`),
      '}',
      '',
    ].join('\n'),
  };
}

/**
 * WGSL adding one slot's words `x0` … (the full layout's) into the slot `a`: rows and null counts
 * added, each aggregate's value words as its accumulator row folds them (exact integer arithmetic).
 */
export function foldSlotWgsl(layout: GpuAccLayout): string[] {
  return ['a[0] = a[0] + x0;', ...layout.aggs.flatMap((f) => (f.alias || GPU_ACCUMULATORS[f.kind].init.length === 0 ? []
    : [`a[${f.at}] = a[${f.at}] + x${f.at};`, ...GPU_ACCUMULATORS[f.kind].fold(f.at)]))];
}

/** The fold of `regions` regions of `part` into the task's slot array `acc`. */
export function foldProgram(key: FoldShaderKey, regions: number, buffers: { readonly uniforms: GPUBuffer; readonly part: GPUBuffer; readonly acc: GPUBuffer }): GpuProgram {
  const grid = workgroupGrid(Math.ceil(key.slots / key.workgroupSize));
  return {
    shaderKey: `fold ${keyString(key)}`,
    source: () => foldShaderSource(key).source,
    uniforms: { buffer: buffers.uniforms, words: paramsArray(FOLD_PARAMS, new Map([['regions', regions], ['nx', grid[0]]])) },
    bindings: [{ binding: 1, buffer: buffers.part }, { binding: 2, buffer: buffers.acc }],
    grid,
  };
}
