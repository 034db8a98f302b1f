/**
 * The fold kernel of per-invocation privatized map kernels (software adapters): each map kernel
 * invocation leaves its whole slot array, plain words, in its own region of `part`; then one fold
 * invocation per slot adds every region's words into the task's slot array `acc`, with plain
 * integer arithmetic — carries word to word, 64-bit min/max compared as (hi, lo) pairs. So the map
 * kernel needs no atomic (on llvmpipe each is a per-lane locked loop) and no second pass for the
 * low words of 64-bit min/max; the result is exact, so it does not depend on how rows were split.
 */
import type { GpuAccLayout, GpuAggField } from './gpu-acc-layout.ts';
import { u32Lit } from './wgsl-expr.ts';

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

export const FOLD_PARAMS = ['regions', 'nx'];

/** Adds words x[at..at+n) into a[at..at+n), carrying from each word into the next. */
function addCarry(at: number, n: number): string[] {
  const out = ['{ var c = 0u;'];
  for (let w = 0; w < n; w++) {
    const i = at + w;
    out.push(`  { let t = x${i} + c; c = select(0u, 1u, t < c); let o = a[${i}]; a[${i}] = o + t; c = c + select(0u, 1u, o + t < o); }`);
  }
  out.push('}');
  return out;
}

function foldField(f: GpuAggField): string[] {
  if (f.alias || f.kind === 'countRows') return [];
  const out = [`a[${f.at}] = a[${f.at}] + x${f.at};`];
  const hi = f.at + 1, lo = f.at + 2;
  switch (f.kind) {
    case 'count': break;
    case 'isum': out.push(...addCarry(f.at + 1, 3)); break;
    case 'fsum': out.push(`a[${f.at + 1}] = a[${f.at + 1}] | x${f.at + 1};`, ...addCarry(f.at + 2, 4), ...addCarry(f.at + 6, 4)); break;
    case 'min32': out.push(`a[${hi}] = min(a[${hi}], x${hi});`); break;
    case 'max32': out.push(`a[${hi}] = max(a[${hi}], x${hi});`); break;
    case 'min64': case 'max64': {
      const better = f.kind === 'min64' ? `x${hi} < a[${hi}] || (x${hi} == a[${hi}] && x${lo} < a[${lo}])`
        : `x${hi} > a[${hi}] || (x${hi} == a[${hi}] && x${lo} > a[${lo}])`;
      out.push(`if (${better}) { a[${hi}] = x${hi}; a[${lo}] = x${lo}; }`);
      break;
    }
  }
  return out;
}

/** The fold kernel's WGSL; its params are FOLD_PARAMS. */
export function foldShaderSource(key: FoldShaderKey): { source: string } {
  const { layout, workgroupSize: WG } = key;
  const F = layout.width;
  const fields = layout.aggs.flatMap(foldField);
  // Words a region does not keep add nothing (0; no slot word it drops is a min/max key), except
  // an integer sum of 32-bit values, which keeps 64 bits per region (see map-shader.ts): its top
  // word is the sign extension of the one below.
  const kept = new Map(key.ownWords.map((w, i) => [w, i]));
  const implied = new Map<number, string>();
  for (const f of layout.aggs) {
    if (f.kind !== 'isum' || f.alias || (f.form !== 'i' && f.form !== 'u')) continue;
    implied.set(f.at + 3, f.form === 'i' ? `select(0u, 0xffffffffu, (x${f.at + 2} >> 31u) != 0u)` : '0u');
  }
  const read = (w: number) => implied.get(w) ?? (kept.has(w) ? `part[pb + ${kept.get(w)}u]` : '0u');
  const SW = key.sharedWords.length;
  return {
    source: [
      'struct Params { v: array<vec4<u32>, 1> }',
      '@group(0) @binding(0) var<uniform> P: Params;',
      '@group(0) @binding(1) var<storage, read> part: array<u32>;',
      '@group(0) @binding(2) var<storage, read_write> acc: array<u32>;',
      `@compute @workgroup_size(${WG})`,
      'fn main(@builtin(global_invocation_id) gid: vec3<u32>) {',
      '  let regions = P.v[0].x;',
      '  let nx = P.v[0].y;',
      `  let s = gid.x + gid.y * nx * ${WG}u;`,
      `  if (s >= ${key.slots}u) { return; }`,
      `  let gb = s * ${SW}u;`,
      // The slot as the full layout in `a`: the slot array's words, the dropped ones initial.
      `  var a = array<u32, ${F}>(${layout.init.map(u32Lit).join(', ')});`,
      ...key.sharedWords.map((w, i) => `  a[${w}] = acc[gb + ${i}u];`),
      '  for (var r = 0u; r < regions; r = r + 1u) {',
      `    let pb = r * ${key.regionWords}u + s * ${key.stride}u;`,
      '    if (part[pb] == 0u) { continue; }',
      ...Array.from({ length: F }, (_, w) => `    let x${w} = ${read(w)};`),
      '    a[0] = a[0] + x0;',
      ...fields.map((l) => `    ${l}`),
      '  }',
      ...key.sharedWords.map((w, i) => `  acc[gb + ${i}u] = a[${w}];`),
      '}',
      '',
    ].join('\n'),
  };
}
