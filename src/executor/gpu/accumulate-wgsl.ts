/**
 * The map kernel's accumulator code in WGSL: each aggregate's update from a row's value and the
 * merge of workgroup slots into the global ones, around its accumulator row's value words
 * (src/aggregate/gpu-accumulators.ts): the null count word is handled here alike for every kind.
 */
import { GPU_ACCUMULATORS, type GpuAggField, type SumFacts } from '../../aggregate/gpu-accumulators.ts';
import { wordUpdate } from '../../aggregate/gpu-word-ops.ts';
import type { GVal } from '../../expr/to-wgsl.ts';
import type { GpuAccLayout } from './gpu-acc-layout.ts';

/**
 * WGSL updating aggregate j's words of array `array` from the row value x; `word` gives the index
 * expression of a slot word (its index in the full layout). `highWordsCopied`: see WordUpdate.
 */
export function accumulate(f: GpuAggField, j: number, x: GVal | null, array: string, word: (w: number) => string, pass: 0 | 1, highWordsCopied: boolean, sum: SumFacts): string[] {
  if (f.alias) return [];
  const row = GPU_ACCUMULATORS[f.kind];
  const at = (w: number) => word(f.at + w);
  const n = x ? x.n : 'false';
  const nulls = pass === 0 && row.init.length > 0 && n !== 'false' ? [`if (${n}) { ${wordUpdate('Add', array, at(0), '1u')} }`] : [];
  if (!row.update) return nulls;
  const body = row.update({ value: x!, array, word: at, pass, highWordsCopied, sum, shift: `S${j}` });
  if (pass === 1 && !row.lowWordPass) return [];
  return [...nulls, n === 'false' ? `{ ${body.join('\n')} }` : `if (!${n}) {\n${body.join('\n')}\n}`];
}

/**
 * Merge of one aggregate's words of a slot from workgroup memory (W at wb) into the global slots
 * (acc at gb); both keep the words `pos` maps (to their index in the slot), the rest stay initial.
 */
function mergeAggregate(f: GpuAggField, pos: ReadonlyMap<number, number>): string[] {
  const row = GPU_ACCUMULATORS[f.kind];
  if (f.alias) return [];
  const has = (w: number) => pos.has(f.at + w);
  const workgroup = (w: number) => `atomicLoad(&W[wb + ${pos.get(f.at + w)}u])`;
  const global = (w: number) => `gb + ${pos.get(f.at + w)}u`;
  const nulls = row.init.length > 0 && has(0) ? [`{ let x = ${workgroup(0)}; if (x != 0u) { atomicAdd(&acc[${global(0)}], x); } }`] : [];
  return [...nulls, ...row.mergeWorkgroup({ has, workgroup, global })];
}

/** Every workgroup slot with rows, merged into the global slots, the workgroup's invocations striding over the slots. */
export function mergeSlots(layout: GpuAccLayout, pos: ReadonlyMap<number, number>, slots: number, workgroupSize: number): string[] {
  return [
    `for (var s = lid; s < ${slots}u; s = s + ${workgroupSize}u) {`,
    `  let wb = s * ${pos.size}u;`,
    '  let gb = wb;',
    '  let nrows = atomicLoad(&W[wb]);',
    '  if (nrows == 0u) { continue; }',
    '  atomicAdd(&acc[gb], nrows);',
    ...layout.aggs.flatMap((f) => mergeAggregate(f, pos)).map((l) => `  ${l}`),
    '}',
  ];
}
