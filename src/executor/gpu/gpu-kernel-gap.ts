/**
 * Whether a spec has GPU kernels at all, before any data is seen: every column read has a GPU
 * form and the map kernel's source can be generated. Data can still send one task to the CPU
 * (floats beyond the double-float range, uint64 values of 2^63 or more, decimals beyond 64 bits, a
 * full hash table); those
 * fallbacks are decided per task and recorded in its metrics.
 */
import { fieldOf } from '../../expr/resolve.ts';
import { typeName } from '../../types.ts';
import { type AggregationSpec, columnsOfSpec, outputNameOf } from '../../plan/aggregation-spec.ts';
import { gpuAccLayout, keptWords } from './gpu-acc-layout.ts';
import { argForms } from '../../aggregate/gpu-argument.ts';
import { mapShaderSource } from './map-shader.ts';
import { columnForm, GpuUnsupported } from '../../expr/to-wgsl.ts';

/** What in the spec has no GPU kernel (null when every part has one). */
export function gpuKernelGap(spec: AggregationSpec): string | null {
  if (spec.computed?.length) return `computed group keys (${spec.computed.map((c) => outputNameOf(c.name)).join(', ')}) have no GPU kernel yet`;
  const wideKey = spec.keys.find((k) => k.kind === 'dec');
  if (wideKey) return `a group key of more than 18 digits (${outputNameOf(wideKey.column)}, ${typeName(wideKey.dtype)}) has no GPU kernel yet`;
  try {
    const names = columnsOfSpec(spec);
    for (const n of names) columnForm(fieldOf(spec.input, n).dtype, n);
    const layout = gpuAccLayout(spec.aggs, argForms(spec.aggs));
    // The most general kernel the task could need: every column nullable, no data facts.
    const facts = spec.aggs.map(() => ({ nullable: true, finite: false, nonNegative: false }));
    mapShaderSource({
      mode: spec.keys.length ? 'hash' : 'global', privatized: 'none', slots: 0, pass: 0,
      filter: spec.filter, keys: spec.keys, keyNullable: spec.keys.map(() => true), aggs: spec.aggs,
      nullable: names, workgroupSize: 64, rowsPerInvocation: 1, sharedWords: keptWords(layout, facts, false),
    });
    return null;
  } catch (e) {
    if (e instanceof GpuUnsupported) return e.message;
    throw e;
  }
}
