/**
 * Where each aggregate's accumulator words sit in a group slot on the GPU. Every field is a u32
 * updated with atomics or, in words of an invocation's own, plain integer arithmetic, so results
 * never depend on the order rows arrive in:
 *
 *   slot word 0   rows of the group (a dense slot with rows is a group)
 *   count         [nulls]
 *   isum          [nulls, s0, s1, s2]           96-bit two's complement sum, carried word to word
 *                                                (an invocation's own words of 32-bit values: s0, s1
 *                                                only; the fold kernel extends them)
 *   fsum          [nulls, flags, p0..p3, n0..n3] fixed point Σ|x|·2^S of positive / negative values,
 *                                                flags: 1 NaN, 2 +Inf, 4 -Inf
 *   min/max 32    [nulls, key]                  order-preserving u32 key
 *   min/max 64    [nulls, keyHi, keyLo]         hi word in pass 0, lo word in pass 1 (an
 *                                                invocation's own words: the pair in one pass)
 *   (an aggregate equal in state and argument to an earlier one shares the earlier one's words)
 *
 * Null counts rather than non-null counts, so that columns without nulls cost nothing
 * (non-null = rows - nulls when states are emitted, as on the CPU).
 */
import type { AggSpec } from '../../aggregate/registry.ts';
import type { GVal } from './wgsl-expr.ts';

export type GpuAccKind = 'countRows' | 'count' | 'isum' | 'fsum' | 'min32' | 'max32' | 'min64' | 'max64';

export interface GpuAggField {
  readonly kind: GpuAccKind;
  /** Value form of the argument (see wgsl-expr.ts); 'none' for count(*). */
  readonly form: GVal['t'] | 'none';
  /** Word of the null count, then the value words. */
  readonly at: number;
  readonly words: number;
  /**
   * An aggregate with the same state over the same argument as an earlier one (sum(x) and avg(x)):
   * it owns no words and reads the earlier one's (the kernel accumulates them once).
   */
  readonly alias: boolean;
}

export interface GpuAccLayout {
  /** Words per group slot. */
  readonly width: number;
  readonly aggs: readonly GpuAggField[];
  /** Initial value of each word of a slot. */
  readonly init: readonly number[];
  /** Whether any min/max needs the second (low word) pass. */
  readonly twoPass: boolean;
}

const WORDS: Record<GpuAccKind, number> = { countRows: 0, count: 1, isum: 4, fsum: 10, min32: 2, max32: 2, min64: 3, max64: 3 };

export function accKind(a: AggSpec, form: GVal['t'] | 'none'): GpuAccKind {
  switch (a.state) {
    case 'countRows': case 'count': case 'isum': case 'fsum': return a.state;
    // Double-float values ('d') take the 64-bit path, whose generator says they have no kernel yet.
    case 'min': case 'wmin': return form === 'f' || form === 'w' || form === 'd' ? 'min64' : 'min32';
    case 'max': case 'wmax': return form === 'f' || form === 'w' || form === 'd' ? 'max64' : 'max32';
  }
}

export function gpuAccLayout(aggs: readonly AggSpec[], forms: readonly (GVal['t'] | 'none')[]): GpuAccLayout {
  let width = 1;
  const init = [0];
  const seen = new Map<string, GpuAggField>();
  const fields = aggs.map((a, j): GpuAggField => {
    const kind = accKind(a, forms[j]);
    const same = `${kind} ${JSON.stringify(a.arg, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`;
    const earlier = seen.get(same);
    if (earlier) return { ...earlier, alias: true };
    const f = { kind, form: forms[j], at: width, words: WORDS[kind], alias: false };
    seen.set(same, f);
    for (let w = 0; w < f.words; w++) init.push(w > 0 && (kind === 'min32' || kind === 'min64') ? 0xffffffff : 0);
    width += f.words;
    return f;
  });
  return { width, aggs: fields, init, twoPass: fields.some((f) => f.kind === 'min64' || f.kind === 'max64') };
}

/**
 * Words per slot in a region of `part` (software adapters): the kept words, padded to whole vec4s,
 * so that a row reads and writes its slot as vec4s. llvmpipe runs every buffer access as a loop
 * over the SIMD lanes; a vec4 takes one trip per lane where four words took four (measured on a
 * q4-shaped kernel: 30% faster than the same words one by one).
 */
export const regionStride = (kept: number): number => Math.ceil(kept / 4) * 4;

/** What a task's data says of one aggregate's argument (see keptWords). */
export interface ArgFacts {
  /** Some row's argument may be null (its null count word is written). */
  readonly nullable: boolean;
  /** A float column argument with no NaN or ±Inf in the task (no flags word; MapShaderKey.finite). */
  readonly finite: boolean;
  /** A float column argument with no negative value in the task (no negative half). */
  readonly nonNegative: boolean;
}

/**
 * The words of a slot that a task's slot arrays keep: only those a row of this task can write,
 * the rest being their initial value. `own`: the words of an invocation's own (software adapters'
 * private arrays and regions), where an integer sum of 32-bit values keeps 64 bits (map-shader.ts);
 * else the shared arrays (the task's slots, workgroup memory). Fewer words per slot are fewer bytes
 * of slot array to touch at random; measured on llvmpipe, a q4-shaped region kernel (an integer and
 * a float sum, 10k groups) ran in 2/3 of the time with 8-word slots instead of 15, and a q2-shaped
 * one with global atomics (100k groups) in 3/4 with 8-word slots instead of 15. Lists full-layout
 * word indices, in order; word 0 (rows) first.
 */
export function keptWords(layout: GpuAccLayout, facts: readonly ArgFacts[], own: boolean): number[] {
  const out = [0];
  const run = (at: number, n: number) => { for (let w = 0; w < n; w++) out.push(at + w); };
  layout.aggs.forEach((f, j) => {
    if (f.alias || f.kind === 'countRows') return;
    const x = facts[j]!;
    if (x.nullable) out.push(f.at);
    switch (f.kind) {
      case 'count': break;
      case 'isum': run(f.at + 1, own && f.form !== 'w' ? 2 : 3); break;
      case 'fsum': {
        const column = f.form === 'f';
        if (column && !x.finite) out.push(f.at + 1); // NaN / ±Inf flags (double-float values are finite)
        run(f.at + 2, column && x.nonNegative ? 4 : 8);
        break;
      }
      case 'min32': case 'max32': run(f.at + 1, 1); break;
      case 'min64': case 'max64': run(f.at + 1, 2); break;
    }
  });
  return out;
}

/** Initial values of a slot that keeps the words `kept`, padded with zeros to `stride` words. */
export const keptInit = (layout: GpuAccLayout, kept: readonly number[], stride = kept.length): number[] =>
  Array.from({ length: stride }, (_, i) => (i < kept.length ? layout.init[kept[i]!]! : 0));
