/**
 * Where each aggregate's accumulator words sit in a group slot on the GPU: slot word 0 counts the
 * group's rows (a dense slot with rows is a group), then each aggregate's words as its accumulator
 * row says (src/aggregate/gpu-accumulators.ts), one after the other. An aggregate equal in state
 * and argument to an earlier one shares the earlier one's words.
 */
import type { AggSpec } from '../../aggregate/registry.ts';
import { GPU_ACCUMULATORS, gpuAccKind, type ArgFacts, type ArgForm, type GpuAggField } from '../../aggregate/gpu-accumulators.ts';

export interface GpuAccLayout {
  /** Words per group slot. */
  readonly width: number;
  readonly aggs: readonly GpuAggField[];
  /** Initial value of each word of a slot. */
  readonly init: readonly number[];
  /** Whether any min/max needs the second (low word) pass. */
  readonly twoPass: boolean;
}

export function gpuAccLayout(aggs: readonly AggSpec[], forms: readonly ArgForm[]): GpuAccLayout {
  let width = 1;
  const init = [0];
  const seen = new Map<string, GpuAggField>();
  const fields = aggs.map((a, j): GpuAggField => {
    const kind = gpuAccKind(a, forms[j]);
    const same = `${kind} ${JSON.stringify(a.arg, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`;
    const earlier = seen.get(same);
    if (earlier) return { ...earlier, alias: true };
    const wordInit = GPU_ACCUMULATORS[kind].init;
    const f = { kind, form: forms[j], at: width, words: wordInit.length, alias: false };
    seen.set(same, f);
    init.push(...wordInit);
    width += f.words;
    return f;
  });
  return { width, aggs: fields, init, twoPass: fields.some((f) => GPU_ACCUMULATORS[f.kind].lowWordPass === true) };
}

/**
 * Words per slot in a region of `part` (software adapters): the kept words, padded to whole vec4s,
 * so that a row reads and writes its slot as vec4s: llvmpipe runs every buffer access as a loop
 * over the SIMD lanes, and a vec4 takes one trip per lane where four words took four (see
 * docs/performance.md).
 */
export const regionStride = (kept: number): number => Math.ceil(kept / 4) * 4;

/**
 * The words of a slot that a task's slot arrays keep: only those a row of this task can write,
 * the rest being their initial value. `own`: the words of an invocation's own (software adapters'
 * private arrays and regions), where an integer sum of 32-bit values keeps 64 bits; else the
 * shared arrays (the task's slots, workgroup memory). Fewer words per slot are fewer bytes of slot
 * array to touch at random (see docs/performance.md). Lists full-layout word indices, in order;
 * word 0 (rows) first.
 */
export function keptWords(layout: GpuAccLayout, facts: readonly ArgFacts[], own: boolean): number[] {
  const out = [0];
  layout.aggs.forEach((f, j) => {
    const row = GPU_ACCUMULATORS[f.kind];
    if (f.alias || row.init.length === 0) return;
    const x = facts[j]!;
    if (x.nullable) out.push(f.at);
    for (const w of row.keptValueWords(f.form, x, own)) out.push(f.at + w);
  });
  return out;
}

/** Initial values of a slot that keeps the words `kept`, padded with zeros to `stride` words. */
export const keptInit = (layout: GpuAccLayout, kept: readonly number[], stride = kept.length): number[] =>
  Array.from({ length: stride }, (_, i) => (i < kept.length ? layout.init[kept[i]!]! : 0));
