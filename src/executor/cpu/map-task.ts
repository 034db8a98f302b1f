/**
 * A map task on the CPU: bind the partition's columns, pick the grouping strategy from the
 * partition's key ranges, run the generated kernel over each batch, then emit the partial groups
 * (keys gathered from each group's first row) hash-partitioned into shuffle blocks.
 */
import { isValid, type ColumnChunk } from '../../arrow/column-chunk.ts';
import { denseKeys, denseSlots, type DenseSlots } from '../dense-slots.ts';
import type { BoundBatch } from '../../arrow/wire-batch.ts';
import { STATES, type State } from '../../aggregate/registry.ts';
import { emptyValues, type KeyColumn } from '../../shuffle/key-column.ts';
import { partitionGroups } from '../../shuffle/shuffle-block.ts';
import { type AggregationSpec, columnsOfSpec, type GroupMode } from '../../plan/aggregation-spec.ts';
import { TaskState } from './task-state.ts';
import { accumulatorLayout, compileKernel, keyWords, type BoundColumn } from './map-kernel.ts';
import { StringIds } from '../string-ids.ts';
import type { MapResult } from '../task.ts';

/** Dense composite indexes (accumulator rows addressed by key) up to this many slots; beyond, the hash table. */
const DENSE_LIMIT = 1 << 20;


interface Plan extends DenseSlots {
  readonly mode: GroupMode;
  readonly keyNullable: readonly boolean[];
}

function choosePlan(spec: AggregationSpec, chunks: readonly ReadonlyMap<string, ColumnChunk>[], strings: StringIds, rows: number): Plan {
  const keyNullable = spec.keys.map((k) => chunks.some((c) => c.get(k.column)!.nullCount > 0));
  const plan: Plan = { mode: 'global', kmin: [], kstride: [], knull: [], keyNullable, slots: 1 };
  if (spec.keys.length === 0) return plan;
  const dense = denseSlots(spec.keys, keyNullable, chunks, strings.ids.size, DENSE_LIMIT);
  if (!dense || dense.slots > 8 * rows + 4096) return { ...plan, mode: 'hash' };
  return { ...plan, ...dense, mode: 'dense' };
}

export function runMapTask(spec: AggregationSpec, batches: readonly BoundBatch[]): MapResult {
  const names = columnsOfSpec(spec);
  const strings = new StringIds();
  const chunks = batches.map((b) => b.columns);
  const remaps = chunks.map((m) => {
    const r = new Map<string, Int32Array>();
    for (const [name, c] of m) if (c.dictionary) r.set(name, strings.remap(c.dictionary));
    return r;
  });
  const rows = batches.reduce((a, b) => a + b.rows, 0);
  const plan = choosePlan(spec, chunks, strings, rows);
  const width = spec.keys.reduce((a, k, j) => a + keyWords(k, plan.keyNullable[j]), 0);

  const layout = accumulatorLayout(spec.aggs);
  const S = new TaskState(spec.aggs, layout, { ...plan, width });

  batches.forEach((batch, b) => {
    const m = chunks[b];
    const nullable = names.filter((n) => m.get(n)!.nullCount > 0);
    const k = compileKernel({ filter: spec.filter, mode: plan.mode, keys: spec.keys, keyNullable: plan.keyNullable, aggs: spec.aggs, nullable });
    S.lits = k.literals.map((s) => strings.id(s));
    const bound: BoundColumn[] = k.columns.map((name) => {
      const c = m.get(name)!;
      return { values: c.values as ArrayLike<number>, validity: c.validity, offset: c.offset, words: c.words, remap: remaps[b].get(name) ?? null };
    });
    k.kernel(batch.rows, bound, S, b);
  });
  S.normalize();

  // Group rows: every slot with rows in dense mode; the one row of a global aggregate; hash groups in order.
  let rowsOf: Int32Array;
  if (plan.mode === 'dense') {
    const used: number[] = [];
    for (let g = 0; g < S.ng; g++) if (S.acc[g * layout.hot + layout.rows] > 0) used.push(g);
    rowsOf = Int32Array.from(used);
  } else {
    rowsOf = new Int32Array(S.ng).map((_, g) => g);
  }
  const groups = rowsOf.length;
  const keys = plan.mode === 'dense' ? denseKeys(spec.keys, plan, rowsOf, [...strings.ids.keys()]) : hashKeys(spec, chunks, S);
  const states: State[] = spec.aggs.map((a, j) => {
    const def = STATES[a.state];
    return def.init.map((_, f) => {
      const p = layout.place[j][f];
      const src = p.cold ? S.cold : S.acc, stride = p.cold ? layout.cold : layout.hot, at = p.at;
      const out = new Float64Array(groups);
      if (f === def.nonNull) {
        // The kernel counted nulls in the non-null field: non-null = rows - nulls.
        const acc = S.acc, hot = layout.hot, r = layout.rows;
        for (let i = 0; i < groups; i++) out[i] = acc[rowsOf[i] * hot + r] - src[rowsOf[i] * stride + at];
      } else {
        for (let i = 0; i < groups; i++) out[i] = src[rowsOf[i] * stride + at];
      }
      return out;
    });
  });
  return { blocks: partitionGroups(keys, states, groups, spec.partitions), inputRows: rows, outputRows: groups };
}

/** Keys of hash groups, read from each group's first row. */
function hashKeys(spec: AggregationSpec, chunks: readonly ReadonlyMap<string, ColumnChunk>[], S: TaskState): KeyColumn[] {
  const groups = S.ng;
  return spec.keys.map((k): KeyColumn => {
    const values = emptyValues(k.dtype, groups) as unknown[];
    let valid: Uint8Array | null = null;
    for (let g = 0; g < groups; g++) {
      const c = chunks[S.repB[g]].get(k.column)!, r = S.repR[g];
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
