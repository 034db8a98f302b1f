/**
 * The CPU map kernel: one generated JS loop per plan shape that fuses, for each row of a batch,
 *
 *   filter (3-valued) → group slot (global | dense composite index | open-addressing hash) → accumulators
 *
 * with no per-row allocation or closure call. The source is a pure function of the KernelShape,
 * so kernels are cached by shape and can be inspected in tests.
 */
import { CodegenContext } from '../../expr/codegen-context.ts';
import { emitBool, emitExact, emitNum, emitStr, emitWide, emitWords128, kernelFunction, type Val } from '../../expr/to-js.ts';
import { isExactValued, type TExpr } from '../../expr/resolve.ts';
import { hllP, isHll, isumChunkRows, isumUpdate, ISUM_SPLIT_ABOVE, STATES, type AggSpec, type HllKind, type UpdateInput } from '../../aggregate/registry.ts';
import { hllUpdateSource, REGISTER_PLACE } from '../../aggregate/hyperloglog.ts';
import { hashSource, TABLE_SEED } from '../../shuffle/hash.ts';
import { isDecimal128, isFloat, isWide } from '../../types.ts';
import type { GroupMode, KeyInfo } from '../../plan/aggregation-spec.ts';
import type { TaskState } from './task-state.ts';

/**
 * How a kernel finds a row's group: the task's grouping plan, or 'rows' (each row its own group,
 * no table: a task whose partial aggregation does not reduce, see map-task.ts).
 */
export type KernelMode = GroupMode | 'rows';

export interface KernelShape {
  readonly filter: TExpr | null;
  readonly mode: KernelMode;
  readonly keys: readonly KeyInfo[];
  /** Hash mode: which keys are nullable anywhere in the task (they get a null-flag word). */
  readonly keyNullable: readonly boolean[];
  readonly aggs: readonly AggSpec[];
  /** Columns whose chunk in this batch has nulls. */
  readonly nullable: readonly string[];
}

/** A kernel over rows [from, rows) of batch `batch` reads its task's TaskState into locals and writes it back. */
export type Kernel = (rows: number, columns: readonly BoundColumn[], state: TaskState, batch: number, from: number) => void;

/** What a kernel reads of one column in one batch. */
export interface BoundColumn {
  values: ArrayLike<number>;
  validity: Uint8Array | null;
  offset: number;
  words: Int32Array | null;
  /** Utf8: string code → task-wide string id. */
  remap: Int32Array | null;
}

function keyValue(k: KeyInfo, ctx: CodegenContext): Val {
  if (k.kind === 'str') return emitStr({ kind: 'col', name: k.column, dtype: k.dtype }, ctx);
  return emitNum({ kind: 'col', name: k.column, dtype: k.dtype }, ctx);
}

function denseGroup(shape: KernelShape, ctx: CodegenContext): string[] {
  const out = ['let code = 0;'];
  shape.keys.forEach((k, j) => {
    const x = keyValue(k, ctx);
    const slot = k.kind === 'int' ? `(${x.v} - kmin${j})` : x.v;
    out.push(...ctx.stmts.splice(0), `code += (${x.n === 'false' ? slot : `${x.n} ? knull${j} : ${slot}`}) * kstride${j};`);
  });
  // The composite code is the group's accumulator row itself: no indirection.
  out.push('const g = code;');
  return out;
}

function hashGroup(shape: KernelShape, ctx: CodegenContext): string[] {
  const out: string[] = [];
  const words: string[] = [];
  shape.keys.forEach((k, j) => {
    const x = k.kind === 'wide'
      ? (() => { const w = emitWide({ kind: 'col', name: k.column, dtype: k.dtype }, ctx); return { vs: [`(${w.l} | 0)`, `(${w.h} | 0)`], n: w.n }; })()
      : k.kind === 'dec' ? (() => { const w = emitWords128({ kind: 'col', name: k.column, dtype: k.dtype }, ctx); return { vs: [...w.w], n: w.n }; })()
      : (() => {
          const v = keyValue(k, ctx);
          if (k.kind !== 'float') return { vs: [`(${v.v} | 0)`], n: v.n };
          ctx.stmts.push(`F[0] = ${v.v} !== ${v.v} ? NaN : ${v.v} + 0;`);
          return { vs: ['FW[0]', 'FW[1]'], n: v.n };
        })();
    out.push(...ctx.stmts.splice(0));
    for (const w of x.vs) {
      const name = `kw${words.length}`;
      out.push(`const ${name} = ${x.n === 'false' ? w : `${x.n} ? 0 : ${w}`};`);
      words.push(name);
    }
    if (shape.keyNullable[j]) {
      const name = `kw${words.length}`;
      out.push(`const ${name} = ${x.n === 'false' ? '0' : `${x.n} ? 1 : 0`};`);
      words.push(name);
    }
  });
  const keyWidth = words.length;
  out.push(hashSource(words, TABLE_SEED, 'h'));
  out.push(
    'let s = h & mask, g = 0;',
    'for (;;) {',
    '  g = table[s];',
    `  if (g < 0) { g = ng; table[s] = g; ${words.map((w, j) => `keys[g * ${keyWidth} + ${j}] = ${w};`).join(' ')} NEW break; }`,
    `  if (${words.map((w, j) => `keys[g * ${keyWidth} + ${j}] === ${w}`).join(' && ')}) break;`,
    '  s = (s + 1) & mask;',
    '}',
  );
  return out;
}

/**
 * approxCountDistinct's update: the value's two words (hyperloglog.ts), folded into the sketch
 * whose first field is `field0`; nulls are skipped.
 */
function hllUpdate(a: AggSpec, field0: string, ctx: CodegenContext): string {
  const e = a.arg!;
  let words: [string, string], n: string;
  if (e.dtype!.id === 'utf8') {
    const x = emitStr(e, ctx);
    [words, n] = [[`HS[2 * ${x.v}]`, `HS[2 * ${x.v} + 1]`], x.n];
  } else if (isFloat(e.dtype!)) {
    const x = emitNum(e, ctx);
    ctx.stmts.push(`F[0] = ${x.v} !== ${x.v} ? NaN : ${x.v} + 0;`);
    [words, n] = [[ctx.bind('FW[0] | 0'), ctx.bind('FW[1] | 0')], x.n];
  } else if (isExactValued(e)) {
    // Values within Int64 hash as a 64-bit column's do; wider ones fold their high words in.
    const x = emitWords128(e, ctx), [w0, w1, w2, w3] = x.w, narrow = ctx.bind(`${w2} === ${w3} && ${w3} === (${w1} >> 31)`);
    words = [ctx.bind(`${narrow} ? ${w0} : ${w0} ^ Math.imul(${w2}, 0x9e3779b1)`), ctx.bind(`${narrow} ? ${w1} : ${w1} ^ Math.imul(${w3}, 0x85ebca77)`)];
    n = x.n;
  } else {
    const x = emitWide(e, ctx);
    [words, n] = [[`(${x.l} | 0)`, `(${x.h} | 0)`], x.n];
  }
  const update = hllUpdateSource(hllP(a.state as HllKind), words[0], words[1], field0, hashSource);
  return [...ctx.stmts.splice(0), n === 'false' ? update : `if (!${n}) ${update}`].join('\n');
}

/** A kernel's locals for its columns (`C`), string literal ids (`S.lits`) and match tables (`S.matches`), in binding order. */
export const bindings = (ctx: CodegenContext): string[] => [
  ...ctx.columns.map((_, k) => `const v${k} = C[${k}].values, m${k} = C[${k}].validity, o${k} = C[${k}].offset, w${k} = C[${k}].words, r${k} = C[${k}].remap;`),
  ...ctx.literals.map((_, j) => `const L${j} = S.lits[${j}];`),
  ...ctx.matchers.map((_, j) => `const M${j} = S.matches[${j}];`),
];

/** JS source of the kernel for a shape, and the columns and string literals it binds, in order. */
export function kernelSource(shape: KernelShape): { source: string; columns: string[]; literals: string[]; matchers: Matcher[] } {
  const ctx = new CodegenContext('js', new Set(shape.nullable));
  const body: string[] = [];
  if (shape.filter) {
    const p = emitBool(shape.filter, ctx);
    body.push(...ctx.stmts.splice(0), `if (${p.n === 'false' ? '' : `${p.n} || `}!(${p.v})) continue;`);
  }
  if (shape.mode === 'global') body.push('const g = 0;');
  else if (shape.mode === 'rows') body.push('const g = ng; NEW');
  else body.push(...(shape.mode === 'dense' ? denseGroup(shape, ctx) : hashGroup(shape, ctx)));

  let chunk = Infinity, hll = false;
  const layout = accumulatorLayout(shape.aggs);
  body.push(`const gs = g * ${layout.hot}, gc = g * ${layout.cold};`, `A[gs + ${layout.rows}]++;`);
  const ref = (j: number, fi: number) => { const p = layout.place[j][fi]; return p.cold ? `B[gc + ${p.at}]` : `A[gs + ${p.at}]`; };
  shape.aggs.forEach((a, j) => {
    const def = STATES[a.state];
    if (a.state === 'countRows' || a.state === 'distinct') return; // the rows field (distinct: its key)
    // Kernels count nulls rather than non-null values (nothing to do for columns without nulls);
    // non-null = rows - nulls when the partial state is emitted.
    const f = def.init.map((_, fi) => (fi === def.nonNull ? '_nn' : ref(j, fi)));
    if (isHll(a.state)) {
      body.push(hllUpdate(a, ref(j, 0), ctx));
      hll = true;
      return;
    }
    const split = isumSplit(a);
    if (a.state === 'isum' || a.state === 'ivar' || a.state === 'dsum') chunk = Math.min(chunk, isumChunkRows(a.bound));
    const x: UpdateInput = def.input === 'none' ? { v: '', h: '', l: '', n: 'false' }
      : def.input === 'wide' || split || dsumOfWords64(a) ? { ...emitWide(a.arg!, ctx), v: '' }
        : dsumOfNarrow(a) ? (({ n, w, ...exact }) => ({ v: '', h: '', l: '', n, ...(w ? { w } : { exact }) }))(emitExact(a.arg!, ctx))
        : def.input === 'words' ? { ...emitWords128(a.arg!, ctx), v: '', h: '', l: '' }
          : { ...emitNum(a.arg!, ctx), h: '', l: '' };
    body.push(...ctx.stmts.splice(0), a.state === 'isum' ? isumUpdate(f, x, split) : def.update(f, x));
    if (def.nonNull >= 0 && x.n !== 'false') body.push(`if (${x.n}) ${ref(j, def.nonNull)}++;`);
  });

  const reload = 'cap = S.capacity; repB = S.firstBatch; repR = S.firstRow; A = S.acc; B = S.cold; table = S.table; mask = S.mask; keys = S.keys;';
  const onNew = `repB[g] = b; repR[g] = i; if (++ng === cap) { S.groups = ng; S.grow(); ${reload} }`;
  const loop = body.join('\n').replace(/NEW/g, onNew);

  const head = [
    ...bindings(ctx),
    `let ng = S.groups, cap = S.capacity, repB = S.firstBatch, repR = S.firstRow, A = S.acc, B = S.cold, _nn = 0;`,
    'const F = S.f64Scratch, FW = S.f64ScratchWords;',
    ...(hll ? [`const HLL_PLACE = [${REGISTER_PLACE.join(', ')}], HS = S.hllStrings;`] : []),
    'let table = S.table, mask = S.mask, keys = S.keys;',
    ...shape.keys.map((_, j) => `const kmin${j} = S.mins[${j}], kstride${j} = S.strides[${j}], knull${j} = S.nullCodes[${j}];`),
  ];
  const chunkRows = Number.isFinite(chunk) ? chunk : 0;
  const source = chunkRows
    ? [...head,
      `for (let c0 = from; c0 < n; c0 += ${chunkRows}) {`,
      `  const c1 = Math.min(n, c0 + ${chunkRows});`,
      '  for (let i = c0; i < c1; i++) {', loop, '  }',
      '  S.groups = ng; S.normalize();',
      '}', 'S.groups = ng;'].join('\n')
    : [...head, 'for (let i = from; i < n; i++) {', loop, '}', 'S.groups = ng;'].join('\n');
  return { source, columns: ctx.columns.map((c) => c.name), literals: ctx.literals, matchers: ctx.matchers };
}

/** A decimal sum of a 64-bit column: fed its (hi, lo) words, it leaves x3 and x2 to the renormalisation. */
const dsumOfWords64 = (a: AggSpec): boolean => a.state === 'dsum' && a.arg!.kind === 'col' && isWide(a.arg!.dtype!);
/** A decimal sum of anything but a 128-bit column: rows rarely write its x3 and x2 (cold fields): only values beyond 2^53, or sums of 128-bit columns' words. */
const dsumOfNarrow = (a: AggSpec): boolean => a.state === 'dsum' && !(a.arg!.kind === 'col' && isDecimal128(a.arg!.dtype));

/** Integer sums fed (hi, lo) words per row: 64-bit inputs and values too large to add to lo. */
export const isumSplit = (a: AggSpec): boolean => a.state === 'isum' && (isWide(a.input!) || a.bound > ISUM_SPLIT_ABOVE);

export interface AccLayout {
  /** Fields per group in the hot array (field `rows` counts the group's rows). */
  readonly hot: number;
  readonly cold: number;
  readonly rows: number;
  /** For each aggregate and state field: which array and where in the group's row. */
  readonly place: readonly (readonly { cold: boolean; at: number }[])[];
}

/**
 * Splits state fields into hot ones, written for every row, and cold ones (null counts, the high
 * word of a narrow integer sum), so that a group's hot row stays small: with many groups the
 * kernel is bound by the random accesses into it.
 */
export function accumulatorLayout(aggs: readonly AggSpec[]): AccLayout {
  // Hot field 0 counts the group's rows: a dense slot with rows is a group, and count() is it.
  let hot = 1, cold = 0;
  const place = aggs.map((a) => {
    const def = STATES[a.state];
    if (a.state === 'countRows' || a.state === 'distinct') return [{ cold: false, at: 0 }];
    return def.init.map((_, f) => {
      const isCold = f === def.nonNull || (a.state === 'isum' && f === 0 && !isumSplit(a)) || (dsumOfNarrow(a) && f < 2);
      return isCold ? { cold: true, at: cold++ } : { cold: false, at: hot++ };
    });
  });
  return { hot, cold, rows: 0, place };
}

type Matcher = CodegenContext['matchers'][number];
type Compiled = { kernel: Kernel; columns: string[]; literals: string[]; matchers: Matcher[] };
const cache = new Map<string, Compiled>();

/** A cache key of a generated kernel's inputs (typed expressions hold bigints and non-finite numbers). */
export const kernelKey = (shape: unknown): string =>
  JSON.stringify(shape, (_k, v) => (typeof v === 'bigint' ? `${v}n` : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));

/** The compiled kernel for a shape (cached). */
export function compileKernel(shape: KernelShape): Compiled {
  const key = kernelKey(shape);
  let hit = cache.get(key);
  if (!hit) {
    const { source, columns, literals, matchers } = kernelSource(shape);
    hit = { kernel: kernelFunction<Kernel>(['n', 'C', 'S', 'b', 'from'], source), columns, literals, matchers };
    cache.set(key, hit);
  }
  return hit;
}

export type FilterKernel = (rows: number, columns: readonly BoundColumn[], state: { lits: number[]; matches: Uint8Array[]; sel: Int32Array }) => number;
type CompiledFilter = { kernel: FilterKernel; columns: string[]; literals: string[]; matchers: Matcher[] };

const filterCache = new Map<string, CompiledFilter>();

/** A kernel writing the indexes of the rows that pass the filter into S.sel; returns their count. */
export function compileFilter(filter: TExpr, nullable: readonly string[]): CompiledFilter {
  const key = kernelKey({ filter, mode: 'global', keys: [], keyNullable: [], aggs: [], nullable });
  let hit = filterCache.get(key);
  if (!hit) {
    const ctx = new CodegenContext('js', new Set(nullable));
    const p = emitBool(filter, ctx);
    const loop = [...ctx.stmts, `if (${p.n === 'false' ? '' : `${p.n} || `}!(${p.v})) continue;`, 'sel[m++] = i;'];
    const source = [
      ...bindings(ctx),
      'const sel = S.sel; let m = 0;',
      'for (let i = 0; i < n; i++) {', ...loop, '}',
      'return m;',
    ].join('\n');
    hit = { kernel: kernelFunction<FilterKernel>(['n', 'C', 'S'], source), columns: ctx.columns.map((c) => c.name), literals: ctx.literals, matchers: ctx.matchers };
    filterCache.set(key, hit);
  }
  return hit;
}
