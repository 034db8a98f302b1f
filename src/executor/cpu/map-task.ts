/**
 * A map task on the CPU: bind the partition's columns, pick the grouping strategy from the
 * partition's key ranges (../grouping-plan.ts, as the GPU does), run the generated kernel over
 * each batch, then emit the partial groups (keys gathered from each group's first row)
 * ordered by reduce partition (hash of the keys) into one shuffle block.
 */
import { isValid, type ColumnChunk } from '../../arrow/column-chunk.ts';
import { denseKeys } from '../dense-slots.ts';
import { chooseGrouping, hashKeyWords } from '../grouping-plan.ts';
import type { BoundBatch } from '../../arrow/wire-batch.ts';
import { STATES, type State } from '../../aggregate/registry.ts';
import { emptyValues, type KeyColumn } from '../../shuffle/key-column.ts';
import { partitionGroups } from '../../shuffle/shuffle-block.ts';
import { type AggregationSpec, columnsOfSpec } from '../../plan/aggregation-spec.ts';
import { TaskState } from './task-state.ts';
import { accumulatorLayout, compileKernel, type BoundColumn } from './map-kernel.ts';
import { StringIds } from '../string-ids.ts';
import type { MapResult } from '../task.ts';

export function runMapTask(spec: AggregationSpec, batches: readonly BoundBatch[]): MapResult {
  const names = columnsOfSpec(spec);
  const strings = new StringIds();
  const chunks = batches.map((b) => b.columns);
  const remaps = chunks.map((columns) => {
    const remap = new Map<string, Int32Array>();
    for (const [name, c] of columns) if (c.dictionary) remap.set(name, strings.remap(c.dictionary));
    return remap;
  });
  const rows = batches.reduce((a, b) => a + b.rows, 0);
  const plan = chooseGrouping(spec, chunks, strings.ids.size, rows);
  const layout = accumulatorLayout(spec.aggs);
  const state = new TaskState(spec.aggs, layout, { ...plan, width: hashKeyWords(spec.keys, plan.keyNullable) });

  batches.forEach((batch, b) => {
    const columns = chunks[b];
    const nullable = names.filter((n) => columns.get(n)!.nullCount > 0);
    const kernel = compileKernel({ filter: spec.filter, mode: plan.mode, keys: spec.keys, keyNullable: plan.keyNullable, aggs: spec.aggs, nullable });
    state.lits = kernel.literals.map((s) => strings.id(s));
    const bound: BoundColumn[] = kernel.columns.map((name) => {
      const c = columns.get(name)!;
      return { values: c.values as ArrayLike<number>, validity: c.validity, offset: c.offset, words: c.words, remap: remaps[b].get(name) ?? null };
    });
    kernel.kernel(batch.rows, bound, state, b);
  });
  state.normalize();

  // Group rows: every slot with rows in dense mode; the one row of a global aggregate; hash groups in order.
  let rowsOf: Int32Array;
  if (plan.mode === 'dense') {
    const used: number[] = [];
    for (let g = 0; g < state.groups; g++) if (state.acc[g * layout.hot + layout.rows] > 0) used.push(g);
    rowsOf = Int32Array.from(used);
  } else {
    rowsOf = new Int32Array(state.groups).map((_, g) => g);
  }
  const groups = rowsOf.length;
  const keys = plan.mode === 'dense' ? denseKeys(spec.keys, plan, rowsOf, [...strings.ids.keys()]) : hashKeys(spec, chunks, state);
  const states: State[] = spec.aggs.map((a, j) => {
    const def = STATES[a.state];
    return def.init.map((_, f) => {
      const p = layout.place[j][f];
      const src = p.cold ? state.cold : state.acc, stride = p.cold ? layout.cold : layout.hot, at = p.at;
      const out = new Float64Array(groups);
      if (f === def.nonNull) {
        // The kernel counted nulls in the non-null field: non-null = rows - nulls.
        const acc = state.acc, hot = layout.hot, r = layout.rows;
        for (let i = 0; i < groups; i++) out[i] = acc[rowsOf[i] * hot + r] - src[rowsOf[i] * stride + at];
      } else {
        for (let i = 0; i < groups; i++) out[i] = src[rowsOf[i] * stride + at];
      }
      return out;
    });
  });
  return { shuffle: partitionGroups(keys, states, groups, spec.partitions), inputRows: rows, outputRows: groups };
}

/** Keys of hash groups, read from each group's first row. */
function hashKeys(spec: AggregationSpec, chunks: readonly ReadonlyMap<string, ColumnChunk>[], state: TaskState): KeyColumn[] {
  const groups = state.groups;
  return spec.keys.map((k): KeyColumn => {
    const values = emptyValues(k.dtype, groups) as unknown[];
    let valid: Uint8Array | null = null;
    for (let g = 0; g < groups; g++) {
      const c = chunks[state.firstBatch[g]].get(k.column)!, r = state.firstRow[g];
      if (!isValid(c, r)) {
        (valid ??= new Uint8Array(groups).fill(1))[g] = 0;
        continue;
      }
      if (c.dictionary) values[g] = c.dictionary[c.values[r] as number];
      else if (k.kind === 'bool') values[g] = ((c.values[(c.offset + r) >> 3] as number) >> ((c.offset + r) & 7)) & 1;
      else values[g] = c.values[r];
    }
    return { dtype: k.dtype, values: values as KeyColumn['values'], valid };
  });
}
