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
    case 'min': case 'wmin': return form === 'f' || form === 'w' ? 'min64' : 'min32';
    case 'max': case 'wmax': return form === 'f' || form === 'w' ? 'max64' : 'max32';
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
