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
import { STATES, type AggSpec } from '../../aggregate/registry.ts';
import type { TExpr } from '../../expr/resolve.ts';
import { TABLE_SEED } from '../../shuffle/hash.ts';
import { lowWordWgsl, MAX_TABLE_KEY_WORDS, storedWordWgsl } from './hash-table-slot.ts';
import type { DType } from '../../types.ts';
import type { GroupMode, KeyInfo } from '../../plan/aggregation-spec.ts';
import { gpuAccLayout, keptInit, regionStride, type GpuAccLayout } from './gpu-acc-layout.ts';
import { F64_WGSL, MURMUR3_WGSL } from './wgsl-library.ts';
import { accumulate, addFn, mergeSlots, op } from './accumulate-wgsl.ts';
import { columnForm, gBool, gNum, gStr, GpuUnsupported, isWordPair, u32Lit, type GVal, type WgslContext } from './wgsl-expr.ts';

export interface MapShaderKey {
  readonly mode: GroupMode;
  /**
   * Where rows accumulate before the global slot array: 'workgroup' memory (atomics, merged once
   * per workgroup), or plain words no other invocation touches, for CPU-like adapters, where every
   * atomic is a per-lane locked loop: each 'invocation''s private array, written out to its region
   * of `part` at its end, or, for slot arrays too big to be private, a 'region' of `part` itself
   * (a fixed number of invocations for the whole task); fold-shader.ts then folds the regions. Or
   * 'none': global atomics, many slots.
   */
  readonly privatized: 'none' | 'workgroup' | 'invocation' | 'region';
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
  /** Names of the u32 params, in uniform order. */
  readonly params: readonly string[];
  readonly layout: GpuAccLayout;
  /** Whether it reads 64-bit columns through `inp2` (binding 4: the input buffer as vec2 words). */
  readonly wide: boolean;
}

/** Key words of a hash table slot (hash-table-slot.ts adds one word of their low bits). */
export const keyWordCount = (keys: readonly KeyInfo[], nullable: readonly boolean[]): number =>
  keys.reduce((a, k, j) => a + (k.kind === 'wide' || k.kind === 'float' ? 2 : 1) + (nullable[j] ? 1 : 0), 0);

class Ctx implements WgslContext {
  readonly stmts: string[] = [];
  readonly columns: { name: string; dtype: DType }[] = [];
  readonly literals: string[] = [];
  readonly bound = new Map<string, string>();
  private n = 0;
  constructor(private readonly nullable: ReadonlySet<string>) {}
  tmp(): string { return `t${this.n++}`; }
  column(name: string, dtype: DType): { k: number; nullable: boolean } {
    let k = this.columns.findIndex((c) => c.name === name);
    if (k < 0) k = this.columns.push({ name, dtype }) - 1;
    return { k, nullable: this.nullable.has(name) };
  }
  stringLiteral(s: string): string {
    let j = this.literals.indexOf(s);
    if (j < 0) j = this.literals.push(s) - 1;
    return `L${j}`;
  }
}

/** The value form each aggregate's argument takes (needs no data: a function of the expressions). */
export function argForms(aggs: readonly AggSpec[]): (GVal['t'] | 'none')[] {
  return aggs.map((a) => {
    if (!a.arg) return 'none';
    const ctx = new Ctx(new Set());
    return a.state === 'count' && a.arg.dtype?.id === 'utf8' ? 'i' : gNum(a.arg, ctx).t;
  });
}

/**
 * Per aggregate: whether its argument can be null in a task whose columns `nullable` hold nulls,
 * as the map kernel sees it (then the kernel counts its nulls).
 */
export function argNullable(aggs: readonly AggSpec[], nullable: readonly string[]): boolean[] {
  return aggs.map((a) => {
    if (!a.arg || STATES[a.state].input === 'none') return false;
    const ctx = new Ctx(new Set(nullable));
    return (a.state === 'count' && a.arg.dtype?.id === 'utf8' ? gStr(a.arg, ctx) : gNum(a.arg, ctx)).n !== 'false';
  });
}

function keyVal(k: KeyInfo, ctx: Ctx): GVal {
  const e: TExpr = { kind: 'col', name: k.column, dtype: k.dtype };
  return k.kind === 'str' ? gStr(e, ctx) : gNum(e, ctx);
}

function denseSlot(key: MapShaderKey, ctx: Ctx): string[] {
  const out = ['var code = 0u;'];
  key.keys.forEach((k, j) => {
    const x = keyVal(k, ctx);
    const rel = x.t === 'i' ? `bitcast<u32>(${x.v} - bitcast<i32>(kmin${j}))` : x.t === 'u' ? `(${x.v} - kmin${j})` : null;
    if (!rel) throw new GpuUnsupported(`dense key of form ${x.t}`);
    out.push(...ctx.stmts.splice(0), `code = code + ${x.n === 'false' ? rel : `select(${rel}, knull${j}, ${x.n})`} * kstride${j};`);
  });
  out.push('let g = code;');
  return out;
}

function hashSlot(key: MapShaderKey, ctx: Ctx): string[] {
  const out: string[] = [];
  const words: string[] = [];
  key.keys.forEach((k, j) => {
    const x = keyVal(k, ctx);
    out.push(...ctx.stmts.splice(0));
    let vs: string[];
    if (x.t === 'i') vs = [`bitcast<u32>(${x.v})`];
    else if (x.t === 'u') vs = [x.v];
    else if (x.t === 'w') vs = [x.l, `bitcast<u32>(${x.h})`];
    else if (x.t === 'f') {
      // The CPU's canonical float key: -0 as 0, every NaN as the one NaN; words (lo, hi).
      const c = ctx.tmp();
      out.push(
        `var ${c} = vec2<u32>(${x.h}, ${x.l});`,
        `if ((${x.h} & 0x7ff00000u) == 0x7ff00000u && ((${x.h} & 0xfffffu) | ${x.l}) != 0u) { ${c} = vec2<u32>(0x7ff80000u, 0u); }`,
        `if ((${x.h} & 0x7fffffffu) == 0u && ${x.l} == 0u) { ${c} = vec2<u32>(0u, 0u); }`,
      );
      vs = [`${c}.y`, `${c}.x`];
    } else throw new GpuUnsupported(`hash key of form ${x.t}`);
    for (const w of vs) {
      const name = `kw${words.length}`;
      out.push(`let ${name} = ${x.n === 'false' ? w : `select(${w}, 0u, ${x.n})`};`);
      words.push(name);
    }
    if (key.keyNullable[j]) {
      const name = `kw${words.length}`;
      out.push(`let ${name} = ${x.n === 'false' ? '0u' : `select(0u, 1u, ${x.n})`};`);
      words.push(name);
    }
  });
  const k = words.length;
  if (k > MAX_TABLE_KEY_WORDS) throw new GpuUnsupported(`a hash key of ${k} words (at most ${MAX_TABLE_KEY_WORDS})`);
  const TW = k + 1;
  const stored = [...words.map(storedWordWgsl), lowWordWgsl(words)];
  const rest = stored.map((_, i) => i).slice(1);
  out.push(
    `var hh = ${u32Lit(TABLE_SEED)};`,
    ...words.map((w) => `hh = mm_mix(hh, ${w});`),
    `hh = mm_finish(hh, ${words.length}u);`,
    ...stored.map((e, i) => `let e${i} = ${e};`),
    'var s = hh & mask;',
    'var g = 0xffffffffu;',
    // Probe steps are bounded by lim; looks at a slot whose words are not visible yet by
    // SPIN_LIMIT. Either bound hit sets the status word and the task reruns on the CPU.
    // No branch leaves the loop from inside: the lane that claims a slot stores its words in the
    // same iteration as a lane of its SIMD group that waits for them (a store on a loop-exit path
    // may be deferred until every lane has left the loop, and the waiting lane never would).
    'var steps = 0u;',
    'var spins = 0u;',
    'loop {',
    `  if (g != 0xffffffffu || steps >= lim || spins >= ${SPIN_LIMIT}u) { break; }`,
    `  let tb = s * ${TW}u;`,
    '  let r = atomicCompareExchangeWeak(&tab[tb], 0u, e0);',
    '  var next = r.old_value != e0;',
    '  if (r.exchanged) {',
    ...rest.map((i) => `    atomicStore(&tab[tb + ${i}u], e${i});`),
    '    g = s;',
    '    next = false;',
    '  } else if (r.old_value == 0u) {',
    '    spins = spins + 1u;',
    '    next = false;',
    '  } else if (!next) {',
    ...rest.map((i) => `    let v${i} = atomicLoad(&tab[tb + ${i}u]);`),
    `    if (${rest.map((i) => `v${i} == 0u`).join(' || ')}) { spins = spins + 1u; }`,
    `    else if (${rest.map((i) => `v${i} == e${i}`).join(' && ')}) { g = s; }`,
    '    else { next = true; }',
    '  }',
    '  if (next) {',
    '    s = (s + 1u) & mask;',
    '    steps = steps + 1u;',
    '  }',
    '}',
    'if (g == 0xffffffffu) { atomicOr(&acc[status], 1u); continue; }',
  );
  return out;
}

const PARAM_FIXED = ['rows', 'zero', 'nx', 'mask', 'lim', 'status'];
/** Looks at a hash slot whose key words are not all visible yet, before giving up (CPU rerun). */
const SPIN_LIMIT = 1 << 16;

/** The WGSL of a map kernel; throws GpuUnsupported when some part has no GPU form. */
export function mapShaderSource(key: MapShaderKey): MapShader {
  const ctx = new Ctx(new Set(key.nullable));
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
    body.push(...denseSlot(key, ctx));
    if (trash) body[body.length - 1] = `let g = select(${trashSlot}, code, keep);`;
  } else body.push(...hashSlot(key, ctx));

  const vals = key.aggs.map((a) => {
    if (!a.arg) return null;
    if (STATES[a.state].input === 'none') return null;
    // count(x) only needs x's nullness: strings count as their id.
    return a.state === 'count' && a.arg.dtype?.id === 'utf8' ? gStr(a.arg, ctx) : gNum(a.arg, ctx);
  });
  const layout = gpuAccLayout(key.aggs, vals.map((x) => (x ? x.t : 'none')));
  const F = layout.width;
  // Where pass 0 accumulates (see MapShaderKey.privatized); pass 1 updates the global slots.
  const where = key.pass === 0 ? key.privatized : 'none';
  const arr = { none: 'acc', workgroup: 'W', invocation: 'L', region: 'slot' }[where];
  const wgMem = where === 'workgroup', own = where === 'invocation', region = where === 'region';
  // Pass 1 of a privatized kernel: the final high words are copied into (non-atomic) workgroup
  // memory once per workgroup, so a row reads them without an atomic.
  const priv1 = key.privatized !== 'none' && key.pass === 1;
  // Slot arrays keep only the slot words a row of the task can write (keptWords).
  const all = Array.from({ length: F }, (_, w) => w);
  const shared = key.sharedWords ?? all;
  const kept = own || region ? key.ownWords ?? all : shared;
  const pos = new Map(kept.map((w, i) => [w, i]));
  const SW = shared.length;
  // A region's slot is read into `slot` as whole vec4s, updated there, and written back (regionStride).
  const FW = region ? regionStride(kept.length) : kept.length;
  const word = (w: number): string => {
    const i = pos.get(w);
    if (i === undefined) throw new Error(`map kernel: slot word ${w} is written but not kept (kept words ${kept.join(',')})`);
    return region ? `${i}u` : `gb + ${i}u`;
  };
  const vec4s = Array.from({ length: FW / 4 }, (_, v) => v);
  if (region) {
    body.push(`let gb = pb + g * ${FW / 4}u;`, ...vec4s.map((v) => `let s${v} = part[gb + ${v}u];`),
      `slot = array<u32, ${FW}>(${vec4s.flatMap((v) => ['x', 'y', 'z', 'w'].map((c) => `s${v}.${c}`)).join(', ')});`);
  } else body.push(`let gb = g * ${FW}u;`);
  if (key.pass === 0) body.push(op('Add', arr, word(0), '1u'));
  const accs: string[] = [];
  layout.aggs.forEach((f, j) => accs.push(...accumulate(f, j, vals[j], arr, word, key.pass, priv1,
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
  ];
  const pref = (i: number) => `P.v[${i >> 2}].${'xyzw'[i & 3]}`;
  const lets = params.map((p, i) => (p.startsWith('S') ? `let ${p} = bitcast<i32>(${pref(i)});` : `let ${p} = ${pref(i)};`));

  const wide = ctx.columns.some((c) => isWordPair(columnForm(c.dtype, c.name)));
  const WG = key.workgroupSize, R = key.rowsPerInvocation;
  const slotsWords = (key.slots + 1) * FW; // + the trash slot
  const merge: string[] = [];
  // Invocation-private slots go out whole, plain words, to the invocation's region of `part`
  // (fold-shader.ts folds the regions); workgroup slots merge into the global ones with atomics.
  if (own) merge.push(`for (var s = 0u; s < ${slotsWords}u; s = s + 1u) { part[pb + s] = L[s]; }`);
  else if (wgMem) merge.push('workgroupBarrier();', ...mergeSlots(layout, pos, key.slots, WG));
  const source = [
    `struct Params { v: array<vec4<u32>, ${Math.max(1, Math.ceil(params.length / 4))}> }`,
    '@group(0) @binding(0) var<uniform> P: Params;',
    '@group(0) @binding(1) var<storage, read> inp: array<u32>;',
    own ? '@group(0) @binding(2) var<storage, read_write> part: array<u32>;'
      : region ? '@group(0) @binding(2) var<storage, read_write> part: array<vec4<u32>>;'
        : '@group(0) @binding(2) var<storage, read_write> acc: array<atomic<u32>>;',
    ...(key.mode === 'hash' ? ['@group(0) @binding(3) var<storage, read_write> tab: array<atomic<u32>>;'] : []),
    ...(wide ? ['@group(0) @binding(4) var<storage, read> inp2: array<vec2<u32>>;'] : []),
    ...(priv1 ? [`var<workgroup> H: array<u32, ${key.slots * SW}>;`] : []),
    ...(wgMem ? [`var<workgroup> W: array<atomic<u32>, ${slotsWords}>;`] : []),
    ...(wgMem || own ? [`const WINIT = array<u32, ${FW}>(${keptInit(layout, kept).map(u32Lit).join(', ')});`] : []),
    ...(own ? [`var<private> L: array<u32, ${slotsWords}>;`] : []),
    ...(region ? [`var<private> slot: array<u32, ${FW}>;`] : []),
    'fn opq(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) ^ P.v[0].y); }',
    MURMUR3_WGSL,
    F64_WGSL,
    ...(own || region ? [] : [addFn('acc', 3), addFn('acc', 4)]),
    ...(wgMem ? [addFn(arr, 3), addFn(arr, 4)] : []),
    ...(own || region ? [addFn(arr, 2), addFn(arr, 3), addFn(arr, 4)] : []),
    `@compute @workgroup_size(${WG})`,
    'fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {',
    ...lets.map((l) => `  ${l}`),
    '  _ = arrayLength(&inp);',
    '  let wg = wid.x + wid.y * nx;',
    ...(wgMem ? [`  for (var s = lid; s < ${slotsWords}u; s = s + ${WG}u) { atomicStore(&W[s], WINIT[s % ${FW}u]); }`, '  workgroupBarrier();'] : []),
    ...(priv1 ? [`  for (var s = lid; s < ${key.slots * SW}u; s = s + ${WG}u) { H[s] = atomicLoad(&acc[s]); }`, '  workgroupBarrier();'] : []),
    // The barrier is not needed for correctness, but without one llvmpipe took 15× longer to
    // compile a private-array kernel (measured: the q1 shape, 87 s instead of 6 s; the kernel then
    // ran ~20% faster, not worth minutes of compiling each new shape).
    ...(own ? [`  for (var s = 0u; s < ${slotsWords}u; s = s + 1u) { L[s] = WINIT[s % ${FW}u]; }`, '  workgroupBarrier();'] : []),
    ...(own || region ? [`  let pb = (wg * ${WG}u + lid) * ${region ? slotsWords / 4 : slotsWords}u;`] : []),
    // A region kernel runs a fixed number of invocations, so its rows per invocation vary.
    `  let start = wg * ${region ? `${WG}u * rpi` : `${WG * R}u`};`,
    `  for (var r = 0u; r < ${region ? 'rpi' : `${R}u`}; r = r + 1u) {`,
    `    let i = start + r * ${WG}u + lid;`,
    '    if (i >= rows) { break; }',
    ...body.map((l) => `    ${l}`),
    '  }',
    ...merge.map((l) => `  ${l}`),
    '}',
    '',
  ].join('\n');
  return { source, columns: ctx.columns, literals: ctx.literals, params, layout, wide };
}
