/**
 * The map kernel: one WGSL program per MapShaderKey, fusing for each row
 *
 *   filter (3-valued) → group slot (global | dense composite index | open-addressing hash table)
 *     → accumulators (atomics: in workgroup memory when the slots fit, merged once per workgroup;
 *       else straight into the global slot array; or plain words of the invocation's own)
 *
 * Each workgroup takes a tile of workgroupSize × rowsPerInvocation consecutive rows (a 'region'
 * kernel: × the rpi param); invocation lid reads rows lid, lid + size, … so neighbours read
 * neighbouring words; 2-D dispatch beyond 65535 tiles. Pass 1 (only for min/max over 64-bit keys
 * in shared words) re-reads the rows and lowers the low key word where the row's high word equals
 * the group's final high word (privatized kernels compare against a plain workgroup copy of the
 * final words: on llvmpipe even an atomic load is a per-lane locked loop); kernels with plain
 * words of their own keep the exact pair in one pass. Equal expressions are bound once per row
 * (column reads, double-float terms), and an aggregate equal to an earlier one shares its words
 * (see gpu-acc-layout.ts).
 *
 * The source is a pure function of the key, so it can be snapshot-tested without a GPU.
 */
import type { AggSpec } from '../../aggregate/registry.ts';
import { argValue } from '../../aggregate/gpu-argument.ts';
import { addWordsFn, wordUpdate } from '../../aggregate/gpu-word-ops.ts';
import { CodegenContext } from '../../expr/codegen-context.ts';
import type { TExpr } from '../../expr/resolve.ts';
import type { StrMatchOp } from '../../expr/string-match.ts';
import { columnForm, gBool, isWordPair, u32Lit } from '../../expr/to-wgsl.ts';
import type { DType } from '../../types.ts';
import type { GroupMode, KeyInfo } from '../../plan/aggregation-spec.ts';
import { gpuAccLayout, keptInit, regionStride, type GpuAccLayout } from './gpu-acc-layout.ts';
import type { Privatization } from './gpu-plan.ts';
import type { GpuProgram } from './gpu-program.ts';
import { paramsArray } from './pipeline-cache.ts';
import { F64_WGSL, MURMUR3_WGSL } from './wgsl-library.ts';
import { accumulate, mergeSlots } from './accumulate-wgsl.ts';
import { denseSlotWgsl, hashSlotWgsl } from './group-slot-wgsl.ts';

export interface MapShaderKey {
  readonly mode: GroupMode;
  /**
   * Where rows accumulate before the global slot array: 'workgroup' memory (atomics, merged once
   * per workgroup), or plain words no other invocation touches, for CPU-like adapters, where every
   * atomic is a per-lane locked loop: each 'invocation''s private array, written out to its region
   * of `part` at its end, or, for slot arrays too big to be private, a 'region' of `part` itself
   * (a fixed number of invocations for the whole task); fold-program.ts then folds the regions. Or
   * 'none': global atomics, many slots.
   */
  readonly privatized: Privatization;
  /** Privatized: the slot count (sizes the arrays); otherwise 0. */
  readonly slots: number;
  readonly pass: 0 | 1;
  readonly filter: TExpr | null;
  readonly keys: readonly KeyInfo[];
  readonly keyNullable: readonly boolean[];
  readonly aggs: readonly AggSpec[];
  /** Columns with nulls somewhere in the task (one kernel serves all its batches). */
  readonly nullable: readonly string[];
  readonly workgroupSize: number;
  /** Per aggregate: a float sum over a column the task holds no NaN / ±Inf in (no flag check). */
  readonly finite?: readonly boolean[];
  /** Per aggregate: a float sum over a column the task holds no negative value in (one half). */
  readonly nonNegative?: readonly boolean[];
  /** The slot words the task's slot array and workgroup memory keep (gpu-acc-layout.ts keptWords; default all). */
  readonly sharedWords?: readonly number[];
  /** 'invocation' / 'region': the slot words kept in the invocation's own words (keptWords, own; default all). */
  readonly ownWords?: readonly number[];
  /** Rows per invocation ('region' kernels: 0, the rpi param says). */
  readonly rowsPerInvocation: number;
}

export interface MapShader {
  readonly source: string;
  /** Columns read, in binding order (their params are c{k} o{k} m{k} b{k} r{k}). */
  readonly columns: readonly { name: string; dtype: DType }[];
  readonly literals: readonly string[];
  /** String predicates: bit j of `mt[id]` (binding 5) is matcher j's answer for string id. */
  readonly matchers: readonly { op: StrMatchOp; pattern: string }[];
  /** Strings' sketch hash words follow the match words in `mt`, from param HS (CodegenContext.stringSketchWords). */
  readonly sketchWords: boolean;
  /** Names of the u32 params, in uniform order. */
  readonly params: readonly string[];
  readonly layout: GpuAccLayout;
  /** Whether it reads 64-bit columns through `inp2` (binding 4: the input buffer as vec2 words). */
  readonly wide: boolean;
}

const PARAM_FIXED = ['rows', 'zero', 'nx', 'mask', 'lim', 'status'];

/** The WGSL of a map kernel; throws GpuUnsupported when some part has no GPU form. */
export function mapShaderSource(key: MapShaderKey): MapShader {
  const ctx = new CodegenContext('wgsl', new Set(key.nullable));
  const body: string[] = [];
  // Privatized kernels send filtered-out rows to an extra "trash" slot instead of skipping them:
  // no divergent branch (SIMD lanes stay in step), and the trash slot is never merged. (With global
  // atomics one trash slot would be a contention point: those kernels skip the row.)
  const trash = key.mode !== 'hash' && key.filter !== null && key.privatized !== 'none' && key.pass === 0;
  if (key.filter) {
    const p = gBool(key.filter, ctx);
    const drop = `${p.n === 'false' ? '' : `${p.n} || `}!(${p.v})`;
    body.push(...ctx.stmts.splice(0), trash ? `let keep = !(${drop});` : `if (${drop}) { continue; }`);
  }
  const trashSlot = `${key.slots}u`;
  if (key.mode === 'global') body.push(trash ? `let g = select(${trashSlot}, 0u, keep);` : 'let g = 0u;');
  else if (key.mode === 'dense') {
    body.push(...denseSlotWgsl(key.keys, ctx));
    if (trash) body[body.length - 1] = `let g = select(${trashSlot}, code, keep);`;
  } else body.push(...hashSlotWgsl(key.keys, key.keyNullable, ctx));

  const values = key.aggs.map((a) => argValue(a, ctx));
  const layout = gpuAccLayout(key.aggs, values.map((x) => (x ? x.t : 'none')));
  const width = layout.width;
  // Where pass 0 accumulates (see MapShaderKey.privatized); pass 1 updates the global slots.
  const where = key.pass === 0 ? key.privatized : 'none';
  const array = { none: 'acc', workgroup: 'W', invocation: 'L', region: 'slot' }[where];
  const workgroupMemory = where === 'workgroup', own = where === 'invocation', region = where === 'region';
  // Pass 1 of a privatized kernel: the final high words are copied into (non-atomic) workgroup
  // memory once per workgroup, so a row reads them without an atomic.
  const highWordsCopied = key.privatized !== 'none' && key.pass === 1;
  // Slot arrays keep only the slot words a row of the task can write (keptWords).
  const all = Array.from({ length: width }, (_, w) => w);
  const shared = key.sharedWords ?? all;
  const kept = own || region ? key.ownWords ?? all : shared;
  const pos = new Map(kept.map((w, i) => [w, i]));
  const sharedWidth = shared.length;
  // A region's slot is read into `slot` as whole vec4s, updated there, and written back (regionStride).
  const slotWidth = region ? regionStride(kept.length) : kept.length;
  const word = (w: number): string => {
    const i = pos.get(w);
    if (i === undefined) throw new Error(`map kernel: slot word ${w} is written but not kept (kept words ${kept.join(',')})`);
    return region ? `${i}u` : `gb + ${i}u`;
  };
  const vec4s = Array.from({ length: slotWidth / 4 }, (_, v) => v);
  if (region) {
    body.push(`let gb = pb + g * ${slotWidth / 4}u;`, ...vec4s.map((v) => `let s${v} = part[gb + ${v}u];`),
      `slot = array<u32, ${slotWidth}>(${vec4s.flatMap((v) => ['x', 'y', 'z', 'w'].map((c) => `s${v}.${c}`)).join(', ')});`);
  } else body.push(`let gb = g * ${slotWidth}u;`);
  if (key.pass === 0) body.push(wordUpdate('Add', array, word(0), '1u'));
  const accs: string[] = [];
  layout.aggs.forEach((f, j) => accs.push(...accumulate(f, j, values[j], array, word, key.pass, highWordsCopied,
    { finite: key.finite?.[j] ?? false, nonNegative: key.nonNegative?.[j] ?? false })));
  body.push(...ctx.stmts.splice(0), ...accs);
  if (region) body.push(...vec4s.map((v) => `part[gb + ${v}u] = vec4<u32>(${[0, 1, 2, 3].map((c) => `slot[${4 * v + c}]`).join(', ')});`));

  const fsums = layout.aggs.flatMap((f, j) => (f.kind === 'fsum' && !f.alias ? [j] : []));
  const params = [
    ...PARAM_FIXED,
    ...ctx.columns.flatMap((_, k) => [`c${k}`, `o${k}`, `m${k}`, `b${k}`, `r${k}`]),
    ...key.keys.flatMap((_, j) => [`kmin${j}`, `kstride${j}`, `knull${j}`]),
    ...fsums.map((j) => `S${j}`),
    ...ctx.literals.map((_, j) => `L${j}`),
    ...(region ? ['rpi'] : []),
    ...(ctx.sketchWords ? ['HS'] : []),
  ];
  const param = (i: number) => `P.v[${i >> 2}].${'xyzw'[i & 3]}`;
  const lets = params.map((p, i) => (p.startsWith('S') ? `let ${p} = bitcast<i32>(${param(i)});` : `let ${p} = ${param(i)};`));

  const wide = ctx.columns.some((c) => isWordPair(columnForm(c.dtype, c.name)));
  const { workgroupSize, rowsPerInvocation } = key;
  const slotsWords = (key.slots + 1) * slotWidth; // + the trash slot
  const merge: string[] = [];
  // Invocation-private slots go out whole, plain words, to the invocation's region of `part`
  // (fold-program.ts folds the regions); workgroup slots merge into the global ones with atomics.
  if (own) merge.push(`for (var s = 0u; s < ${slotsWords}u; s = s + 1u) { part[pb + s] = L[s]; }`);
  else if (workgroupMemory) merge.push('workgroupBarrier();', ...mergeSlots(layout, pos, key.slots, workgroupSize));
  const source = [
    `struct Params { v: array<vec4<u32>, ${Math.max(1, Math.ceil(params.length / 4))}> }`,
    '@group(0) @binding(0) var<uniform> P: Params;',
    '@group(0) @binding(1) var<storage, read> inp: array<u32>;',
    own ? '@group(0) @binding(2) var<storage, read_write> part: array<u32>;'
      : region ? '@group(0) @binding(2) var<storage, read_write> part: array<vec4<u32>>;'
        : '@group(0) @binding(2) var<storage, read_write> acc: array<atomic<u32>>;',
    ...(key.mode === 'hash' ? ['@group(0) @binding(3) var<storage, read_write> tab: array<atomic<u32>>;'] : []),
    ...(wide ? ['@group(0) @binding(4) var<storage, read> inp2: array<vec2<u32>>;'] : []),
    ...(ctx.matchers.length || ctx.sketchWords ? ['@group(0) @binding(5) var<storage, read> mt: array<u32>;'] : []),
    ...(highWordsCopied ? [`var<workgroup> H: array<u32, ${key.slots * sharedWidth}>;`] : []),
    ...(workgroupMemory ? [`var<workgroup> W: array<atomic<u32>, ${slotsWords}>;`] : []),
    ...(workgroupMemory || own ? [`const WINIT = array<u32, ${slotWidth}>(${keptInit(layout, kept).map(u32Lit).join(', ')});`] : []),
    ...(own ? [`var<private> L: array<u32, ${slotsWords}>;`] : []),
    ...(region ? [`var<private> slot: array<u32, ${slotWidth}>;`] : []),
    'fn opq(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) ^ P.v[0].y); }',
    MURMUR3_WGSL,
    F64_WGSL,
    ...(own || region ? [] : [addWordsFn('acc', 3), addWordsFn('acc', 4)]),
    ...(workgroupMemory ? [addWordsFn(array, 3), addWordsFn(array, 4)] : []),
    ...(own || region ? [addWordsFn(array, 2), addWordsFn(array, 3), addWordsFn(array, 4)] : []),
    `@compute @workgroup_size(${workgroupSize})`,
    'fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {',
    ...lets.map((l) => `  ${l}`),
    '  _ = arrayLength(&inp);',
    '  let wg = wid.x + wid.y * nx;',
    ...(workgroupMemory ? [`  for (var s = lid; s < ${slotsWords}u; s = s + ${workgroupSize}u) { atomicStore(&W[s], WINIT[s % ${slotWidth}u]); }`, '  workgroupBarrier();'] : []),
    ...(highWordsCopied ? [`  for (var s = lid; s < ${key.slots * sharedWidth}u; s = s + ${workgroupSize}u) { H[s] = atomicLoad(&acc[s]); }`, '  workgroupBarrier();'] : []),
    // The barrier is not needed for correctness, but without one llvmpipe compiled a private-array
    // kernel many times slower, for a kernel barely faster (see docs/performance.md).
    ...(own ? [`  for (var s = 0u; s < ${slotsWords}u; s = s + 1u) { L[s] = WINIT[s % ${slotWidth}u]; }`, '  workgroupBarrier();'] : []),
    ...(own || region ? [`  let pb = (wg * ${workgroupSize}u + lid) * ${region ? slotsWords / 4 : slotsWords}u;`] : []),
    // A region kernel runs a fixed number of invocations, so its rows per invocation vary.
    `  let start = wg * ${region ? `${workgroupSize}u * rpi` : `${workgroupSize * rowsPerInvocation}u`};`,
    `  for (var r = 0u; r < ${region ? 'rpi' : `${rowsPerInvocation}u`}; r = r + 1u) {`,
    `    let i = start + r * ${workgroupSize}u + lid;`,
    '    if (i >= rows) { break; }',
    ...body.map((l) => `    ${l}`),
    '  }',
    ...merge.map((l) => `  ${l}`),
    '}',
    '',
  ].join('\n');
  return { source, columns: ctx.columns, literals: ctx.literals, matchers: ctx.matchers, sketchWords: ctx.sketchWords, params, layout, wide };
}

/** A map kernel of a task: its source and params, and the key its pipeline is cached by. */
export interface MapKernel { readonly shader: MapShader; readonly shaderKey: string }

/** The buffers one dispatch of a map kernel reads and writes. */
export interface MapBuffers {
  /** The chunk's packed input, of which only its first `inputWords` words are bound (pooled buffers are bigger). */
  readonly input: GPUBuffer;
  readonly inputWords: number;
  /** Where the kernel accumulates: the task's slot array, or (privatized per invocation) its regions. */
  readonly slots: GPUBuffer;
  /** The hash table (hash mode). */
  readonly table: GPUBuffer | null;
  /** The task's string match words, then its strings' sketch words (kernels with string predicates or sketches of strings). */
  readonly matches: GPUBuffer | null;
}

/** One dispatch of a map kernel over a chunk, its params' `values` written into `uniforms`. */
export function mapProgram(kernel: MapKernel, uniforms: GPUBuffer, values: ReadonlyMap<string, number>, buffers: MapBuffers, grid: readonly [number, number]): GpuProgram {
  const { shader } = kernel;
  return {
    shaderKey: kernel.shaderKey,
    source: () => shader.source,
    uniforms: { buffer: uniforms, words: paramsArray(shader.params, values) },
    bindings: [
      { binding: 1, buffer: buffers.input, size: buffers.inputWords * 4 },
      { binding: 2, buffer: buffers.slots },
      ...(buffers.table ? [{ binding: 3, buffer: buffers.table }] : []),
      // 64-bit columns read as vec2 words: the same input.
      ...(shader.wide ? [{ binding: 4, buffer: buffers.input, size: (buffers.inputWords >> 1) * 8 }] : []),
      ...(shader.matchers.length || shader.sketchWords ? [{ binding: 5, buffer: buffers.matches! }] : []),
    ],
    grid,
  };
}
