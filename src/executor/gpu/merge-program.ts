/**
 * The kernels that merge partial states on the device (stage-table.ts):
 *
 *   count kernel: how many slots of a task's slot array hold a group (one word, for the host to
 *                 size the stage table before the merge)
 *   merge kernel: each group slot of a source (a task's dense or hash slots, or an older stage
 *                 table being grown) → its key words, with string ids made stage-wide → the stage
 *                 hash table's slot for them (claimed on first sight, counted) → the source slot's
 *                 words folded into the stage slot's with plain integer arithmetic, as the fold
 *                 kernel does (exact: the result does not depend on the order tasks merge in)
 *
 * A source holds each key in one slot, so no two invocations of a merge fold into the same stage
 * slot: only the claim needs an atomic. The stage table keeps every key's null flag word and the
 * full slot layout, whatever its tasks' data.
 */
import type { KeyInfo } from '../../plan/aggregation-spec.ts';
import { foldSlotWgsl } from './fold-program.ts';
import type { GpuAccLayout } from './gpu-acc-layout.ts';
import type { GpuPlan } from './gpu-plan.ts';
import { workgroupGrid, type GpuProgram } from './gpu-program.ts';
import { hashProbeWgsl } from './group-slot-wgsl.ts';
import { keyWordWgsl, lowWordWgsl, storedWordWgsl } from './hash-table-slot.ts';
import { u32Lit } from '../../expr/to-wgsl.ts';
import { TABLE_SEED } from '../../shuffle/hash.ts';
import { keyString, paramsArray } from './pipeline-cache.ts';
import { setDenseKeyParams } from './partition-program.ts';
import { MURMUR3_WGSL } from './wgsl-library.ts';

const WORKGROUP = 64;

/** Words of the stage control buffer: groups claimed, a missed insert, the last count, the last lookup's keys not found. */
export const CONTROL_WORDS = 4;
export const CONTROL = { claims: 0, missed: 1, counted: 2, fresh: 3 } as const;

export interface MergeShaderKey {
  /** How the source finds a slot's key: from its number (dense) or its hash table. */
  readonly source: 'dense' | 'hash';
  readonly keys: readonly KeyInfo[];
  /** Per key: the source marks null (a dense null code, a hash null flag word). */
  readonly sourceNullable: readonly boolean[];
  /** Source string keys hold ids of their own (a task's), mapped through `strmap`. */
  readonly mapStrings: boolean;
  readonly layout: GpuAccLayout;
  /** The layout words a source slot keeps, in order (its stride is their count). */
  readonly kept: readonly number[];
  /**
   * Look up instead of merge: count the source's keys the table does not hold yet into
   * ctl[fresh], changing nothing else (the table's room for a task whose keys may repeat).
   */
  readonly lookup?: boolean;
}

const MERGE_PARAMS_FIXED = ['first', 'end', 'nx', 'mask', 'lim'];

/** Words of a stage table slot's key: per key its value's (two for a 64-bit one) and its null flag. */
export const stageKeyWords = (keys: readonly KeyInfo[]): number => keys.reduce((a, k) => a + (k.kind === 'wide' || k.kind === 'float' ? 3 : 2), 0);

export function mergeShaderSource(key: MergeShaderKey): { source: string; params: string[] } {
  const params = [...MERGE_PARAMS_FIXED, ...key.keys.flatMap((_, j) => [`kmin${j}`, `kstride${j}`, `ksize${j}`, `knull${j}`])];
  const { layout, kept } = key;
  const body: string[] = [];
  const words: string[] = [];
  const sourceKeyWords = key.keys.reduce((a, k, j) => a + (k.kind === 'wide' || k.kind === 'float' ? 2 : 1) + (key.sourceNullable[j] ? 1 : 0), 0);
  const tabWord = (i: number) => keyWordWgsl(`srctab[qb + ${i}u]`, `srctab[qb + ${sourceKeyWords}u]`, i);
  const str = (w: string) => (key.mapStrings ? `strmap[${w}]` : w);
  let at = 0;
  key.keys.forEach((k, j) => {
    const n = k.kind === 'wide' || k.kind === 'float' ? 2 : 1;
    const names = Array.from({ length: n }, (_, i) => `kw${words.length + i}`);
    const flag = `kw${words.length + n}`;
    words.push(...names, flag);
    let isNull: string, values: string[];
    if (key.source === 'dense') {
      body.push(`let code${j} = (q / kstride${j}) % ksize${j};`);
      isNull = key.sourceNullable[j] ? `code${j} == knull${j}` : 'false';
      values = [k.kind === 'int' ? `(kmin${j} + code${j})` : k.kind === 'str' ? str(`code${j}`) : `code${j}`];
    } else {
      isNull = key.sourceNullable[j] ? `${tabWord(at + n)} != 0u` : 'false';
      values = names.map((_, i) => (k.kind === 'str' ? str(tabWord(at + i)) : tabWord(at + i)));
      at += n + (key.sourceNullable[j] ? 1 : 0);
    }
    body.push(`let null${j} = ${isNull};`);
    names.forEach((name, i) => body.push(`let ${name} = select(${values[i]}, 0u, null${j});`));
    body.push(`let ${flag} = select(0u, 1u, null${j});`);
  });
  const stride = kept.length;
  const position = new Map(kept.map((w, i) => [w, i]));
  const param = (i: number) => `P.v[${i >> 2}].${'xyzw'[i & 3]}`;
  const source = [
    `struct Params { v: array<vec4<u32>, ${Math.ceil(params.length / 4)}> }`,
    '@group(0) @binding(0) var<uniform> P: Params;',
    '@group(0) @binding(1) var<storage, read> src: array<u32>;',
    '@group(0) @binding(2) var<storage, read> srctab: array<u32>;',
    '@group(0) @binding(3) var<storage, read> strmap: array<u32>;',
    '@group(0) @binding(4) var<storage, read_write> tab: array<atomic<u32>>;',
    '@group(0) @binding(5) var<storage, read_write> dst: array<u32>;',
    '@group(0) @binding(6) var<storage, read_write> ctl: array<atomic<u32>>;',
    MURMUR3_WGSL,
    `@compute @workgroup_size(${WORKGROUP})`,
    'fn main(@builtin(global_invocation_id) gid: vec3<u32>) {',
    ...params.map((p, i) => `  let ${p} = ${param(i)};`),
    `  let q = first + gid.x + gid.y * nx * ${WORKGROUP}u;`,
    '  _ = arrayLength(&srctab);',
    '  _ = arrayLength(&strmap);',
    ...(key.lookup ? ['  _ = arrayLength(&dst);'] : []),
    '  if (q >= end) { return; }',
    `  let sb = q * ${stride}u;`,
    '  if (src[sb] == 0u) { return; }',
    ...(key.source === 'hash' ? [`  let qb = q * ${sourceKeyWords + 1}u;`] : []),
    ...body.map((l) => `  ${l}`),
    ...(key.lookup ? lookupWgsl(words) : [
      ...hashProbeWgsl(words, { miss: `atomicOr(&ctl[${CONTROL.missed}], 1u); return;`, claim: `atomicAdd(&ctl[${CONTROL.claims}], 1u);` }),
      `let gb = g * ${layout.width}u;`,
      `var a = array<u32, ${layout.width}>(${Array.from({ length: layout.width }, (_, w) => `dst[gb + ${w}u]`).join(', ')});`,
      ...Array.from({ length: layout.width }, (_, w) => `let x${w} = ${position.has(w) ? `src[sb + ${position.get(w)}u]` : '0u'};`),
      ...foldSlotWgsl(layout),
      ...Array.from({ length: layout.width }, (_, w) => `dst[gb + ${w}u] = a[${w}];`),
    ]).map((l) => `  ${l}`),
    '}',
    '',
  ].join('\n');
  return { source, params };
}

/**
 * WGSL looking the key words up in the table, which no invocation writes meanwhile: probes from
 * the key's hash until its slot or an empty one (not there: counted into ctl[fresh]).
 */
function lookupWgsl(words: readonly string[]): string[] {
  const stored = [...words.map(storedWordWgsl), lowWordWgsl(words)];
  return [
    `var hh = ${u32Lit(TABLE_SEED)};`,
    ...words.map((w) => `hh = mm_mix(hh, ${w});`),
    `hh = mm_finish(hh, ${words.length}u);`,
    'var s = hh & mask;',
    'var steps = 0u;',
    'var found = false;',
    'loop {',
    '  if (found || steps >= lim) { break; }',
    `  let tb = s * ${stored.length}u;`,
    '  if (atomicLoad(&tab[tb]) == 0u) { break; }',
    `  found = ${stored.map((e, i) => `atomicLoad(&tab[tb + ${i}u]) == (${e})`).join(' && ')};`,
    '  s = (s + 1u) & mask;',
    '  steps = steps + 1u;',
    '}',
    `if (!found) { atomicAdd(&ctl[${CONTROL.fresh}], 1u); }`,
  ];
}

/** Buffers of one merge: the source's slot words, its hash table and string map (where it has them), the stage's table, slots and control words. */
export interface MergeBuffers {
  readonly src: GPUBuffer;
  readonly srctab: GPUBuffer;
  readonly strmap: GPUBuffer;
  readonly tab: GPUBuffer;
  readonly dst: GPUBuffer;
  readonly ctl: GPUBuffer;
  readonly uniforms: GPUBuffer;
}

/** The merge of a source's slots [first, end) into a stage table of `capacity` slots. */
export function mergeProgram(
  key: MergeShaderKey, plan: Pick<GpuPlan, 'mins' | 'strides' | 'nullCodes' | 'keyNullable'>, slots: { readonly first: number; readonly end: number },
  capacity: number, b: MergeBuffers,
): GpuProgram {
  const { source, params } = mergeShaderSource(key);
  const grid = workgroupGrid(Math.ceil((slots.end - slots.first) / WORKGROUP));
  const values = new Map<string, number>([['first', slots.first], ['end', slots.end], ['nx', grid[0]], ['mask', capacity - 1], ['lim', 2 * capacity + 64]]);
  if (key.source === 'dense') setDenseKeyParams(values, plan);
  return {
    shaderKey: `merge ${keyString(key)}`,
    source: () => source,
    uniforms: { buffer: b.uniforms, words: paramsArray(params, values) },
    bindings: [
      { binding: 1, buffer: b.src }, { binding: 2, buffer: b.srctab }, { binding: 3, buffer: b.strmap },
      { binding: 4, buffer: b.tab }, { binding: 5, buffer: b.dst }, { binding: 6, buffer: b.ctl },
    ],
    grid,
  };
}

/** The count kernel's WGSL: slots with rows, summed per workgroup, into ctl[counted]. */
function countShaderSource(stride: number): string {
  return [
    '@group(0) @binding(0) var<uniform> P: vec4<u32>;',
    '@group(0) @binding(1) var<storage, read> src: array<u32>;',
    '@group(0) @binding(2) var<storage, read_write> ctl: array<atomic<u32>>;',
    'var<workgroup> n: atomic<u32>;',
    `@compute @workgroup_size(${WORKGROUP})`,
    'fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) li: u32) {',
    `  let q = gid.x + gid.y * P.y * ${WORKGROUP}u;`,
    `  if (q < P.x && src[q * ${stride}u] != 0u) { atomicAdd(&n, 1u); }`,
    '  workgroupBarrier();',
    `  if (li == 0u) { let c = atomicLoad(&n); if (c != 0u) { atomicAdd(&ctl[${CONTROL.counted}], c); } }`,
    '}',
    '',
  ].join('\n');
}

/** Counts the group slots of `slots` slots of `stride` words in `src` into the control word `counted` (which must start at 0). */
export function countProgram(stride: number, slots: number, b: { readonly src: GPUBuffer; readonly ctl: GPUBuffer; readonly uniforms: GPUBuffer }): GpuProgram {
  const grid = workgroupGrid(Math.ceil(slots / WORKGROUP));
  return {
    shaderKey: `count ${stride}`,
    source: () => countShaderSource(stride),
    uniforms: { buffer: b.uniforms, words: Uint32Array.of(slots, grid[0], 0, 0) },
    bindings: [{ binding: 1, buffer: b.src }, { binding: 2, buffer: b.ctl }],
    grid,
  };
}

/** Fills words [first, end) of `dst` with a slot's initial words `pattern` repeated (a new stage table's slots). */
export function fillProgram(words: { readonly first: number; readonly end: number }, width: number, b: { readonly pattern: GPUBuffer; readonly dst: GPUBuffer; readonly uniforms: GPUBuffer }): GpuProgram {
  const grid = workgroupGrid(Math.ceil((words.end - words.first) / WORKGROUP));
  return {
    shaderKey: 'fill',
    source: () => [
      '@group(0) @binding(0) var<uniform> P: vec4<u32>;',
      '@group(0) @binding(1) var<storage, read> pattern: array<u32>;',
      '@group(0) @binding(2) var<storage, read_write> dst: array<u32>;',
      `@compute @workgroup_size(${WORKGROUP})`,
      'fn main(@builtin(global_invocation_id) gid: vec3<u32>) {',
      `  let i = P.x + gid.x + gid.y * P.z * ${WORKGROUP}u;`,
      '  if (i >= P.y) { return; }',
      '  dst[i] = pattern[i % P.w];',
      '}',
      '',
    ].join('\n'),
    uniforms: { buffer: b.uniforms, words: Uint32Array.of(words.first, words.end, grid[0], width) },
    bindings: [{ binding: 1, buffer: b.pattern }, { binding: 2, buffer: b.dst }],
    grid,
  };
}
