/**
 * A map task on the CPU: bind the partition's columns, pick the grouping strategy from the
 * partition's key ranges (../grouping-plan.ts, as the GPU does), run the generated kernel over
 * each batch, then emit the partial groups (keys gathered from each group's first row)
 * ordered by reduce partition (hash of the keys) into one shuffle block.
 */
import { isValid, type ColumnChunk } from '../../arrow/column-chunk.ts';
import { formatDecimal, fromWords } from '../../arrow/decimal.ts';
import { denseKeys } from '../dense-slots.ts';
import { chooseGrouping, hashKeyWords } from '../grouping-plan.ts';
import type { BoundBatch } from '../../arrow/wire-batch.ts';
import { isHll, STATES, type State } from '../../aggregate/registry.ts';
import { emptyValues, scatterKey, type KeyColumn } from '../../shuffle/key-column.ts';
import { partitionPositions } from '../../shuffle/shuffle-block.ts';
import { type AggregationSpec, columnsOfSpec, queryKeys } from '../../plan/aggregation-spec.ts';
import { TaskState } from './task-state.ts';
import { accumulatorLayout, compileKernel, type BoundColumn, type KernelMode } from './map-kernel.ts';
import { StringIds } from '../string-ids.ts';
import { withComputed } from './compute-columns.ts';
import type { MapResult } from '../task.ts';

/** Rows a hash task aggregates before it judges whether pre-aggregation reduces (DataFusion: 100,000). */
export const PROBE_ROWS = 1 << 17;
/** Groups per row of the probe from which a task stops pre-aggregating (DataFusion's default). */
const SKIP_RATIO = 0.8;

/**
 * `shared`: the task runs on an executor thread, whose output goes to the driver in shared memory;
 * its state columns (most of a high-cardinality output) are made there, not copied there after.
 */
export function runMapTask(spec: AggregationSpec, input: readonly BoundBatch[], shared = false): MapResult {
  const names = columnsOfSpec(spec);
  const batches = spec.computed ? input.map((b) => withComputed(spec.computed!, b)) : input;
  const strings = new StringIds();
  const chunks = batches.map((b) => b.columns);
  const remaps = chunks.map((columns) => {
    const remap = new Map<string, Int32Array>();
    for (const [name, c] of columns) if (c.dictionary) remap.set(name, strings.remap(c.dictionary));
    return remap;
  });
  const rows = batches.reduce((a, b) => a + b.rows, 0);
  const hllOfStrings = spec.aggs.some((a) => isHll(a.state) && a.input?.id === 'utf8');
  // A sketch per row would be hundreds of bytes a row: tasks with sketches always pre-aggregate.
  const sketches = spec.aggs.some((a) => isHll(a.state));
  const plan = chooseGrouping(spec, chunks, strings.ids.size, rows);
  const layout = accumulatorLayout(spec.aggs);
  const state = new TaskState(spec.aggs, layout, { ...plan, width: hashKeyWords(spec.keys, plan.keyNullable) });

  // Adaptive partial aggregation (as Spark's and DataFusion's): when the first PROBE_ROWS rows of a
  // hash task make nearly as many groups, pre-aggregating would not reduce what is shuffled, only
  // cost a table probe (a cache miss) a row: the rest of the task's rows go out as groups of one.
  let mode: KernelMode = plan.mode, seen = 0;
  const run = (b: number, from: number, to: number) => {
    const columns = chunks[b];
    const nullable = names.filter((n) => columns.get(n)!.nullCount > 0);
    const kernel = compileKernel({ filter: spec.filter, mode, keys: spec.keys, keyNullable: plan.keyNullable, aggs: spec.aggs, nullable });
    state.lits = kernel.literals.map((s) => strings.id(s));
    state.matches = kernel.matchers.map((m) => strings.matchTable(m.op, m.pattern));
    if (hllOfStrings) state.hllStrings = strings.hllWords();
    const bound: BoundColumn[] = kernel.columns.map((name) => {
      const c = columns.get(name)!;
      return { values: c.values as ArrayLike<number>, validity: c.validity, offset: c.offset, words: c.words, remap: remaps[b].get(name) ?? null };
    });
    kernel.kernel(to, bound, state, b, from);
    seen += to - from;
  };
  batches.forEach((batch, b) => {
    let from = 0;
    if (mode === 'hash' && seen < PROBE_ROWS && rows >= 2 * PROBE_ROWS && !sketches) {
      from = Math.min(batch.rows, PROBE_ROWS - seen);
      run(b, 0, from);
      if (seen === PROBE_ROWS && state.groups >= SKIP_RATIO * seen) {
        mode = 'rows';
        state.groupEachRow(rows - seen);
      }
    }
    if (from < batch.rows) run(b, from, batch.rows);
  });
  state.normalize();

  // Group rows: every slot with rows in dense mode; the one row of a global aggregate; hash groups in order.
  let rowsOf: Int32Array | null = null;
  if (plan.mode === 'dense') {
    rowsOf = usedSlots(state.acc, layout.hot, layout.rows, state.groups);
  }
  const groups = rowsOf ? rowsOf.length : state.groups;
  const keys = rowsOf ? denseKeys(spec.keys, plan, rowsOf, [...strings.ids.keys()]) : hashKeys(spec, chunks, state);
  // Each state field is written straight to its row in the partition-ordered block.
  // Partitioned by the query's keys only: every countDistinct argument of a group meets in one reduce task.
  const { pos, offsets } = partitionPositions(keys.slice(0, queryKeys(spec).length), groups, spec.partitions);
  const states: State[] = spec.aggs.map((a, j) => {
    const def = STATES[a.state];
    return def.init.map((_, f) => {
      const p = layout.place[j][f];
      const src = p.cold ? state.cold : state.acc, stride = p.cold ? layout.cold : layout.hot;
      const out = new Float64Array(shared ? new SharedArrayBuffer(groups * 8) : new ArrayBuffer(groups * 8));
      if (f === def.nonNull) {
        // The kernel counted nulls in the non-null field: non-null = rows - nulls.
        extractNonNull(out, state.acc, layout.hot, layout.rows, src, stride, p.at, rowsOf, pos, groups);
      } else {
        extractField(out, src, stride, p.at, rowsOf, pos, groups);
      }
      return out;
    });
  });
  const block = { rows: groups, keys: pos ? keys.map((k) => scatterKey(k, pos, groups)) : keys, states };
  return { shuffle: { block, offsets }, inputRows: rows, outputRows: groups };
}

/** The dense slots that counted rows, in slot order. */
function usedSlots(acc: Float64Array, hot: number, rowsAt: number, slots: number): Int32Array {
  let n = 0;
  for (let g = 0; g < slots; g++) if (acc[g * hot + rowsAt] > 0) n++;
  const out = new Int32Array(n);
  for (let g = 0, i = 0; g < slots; g++) if (acc[g * hot + rowsAt] > 0) out[i++] = g;
  return out;
}

/** out[pos[i]] (out[i] without pos) = field `at` of group rowsOf[i] (group i without rowsOf). */
function extractField(out: Float64Array, src: Float64Array, stride: number, at: number, rowsOf: Int32Array | null, pos: Int32Array | null, n: number): void {
  for (let i = 0; i < n; i++) out[pos ? pos[i] : i] = src[(rowsOf ? rowsOf[i] : i) * stride + at];
}

function extractNonNull(out: Float64Array, acc: Float64Array, hot: number, rowsAt: number, src: Float64Array, stride: number, at: number, rowsOf: Int32Array | null, pos: Int32Array | null, n: number): void {
  for (let i = 0; i < n; i++) {
    const g = rowsOf ? rowsOf[i] : i;
    out[pos ? pos[i] : i] = acc[g * hot + rowsAt] - src[g * stride + at];
  }
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
      else if (k.kind === 'dec') values[g] = formatDecimal(fromWords(c.words!.subarray(4 * r, 4 * r + 4)), k.dtype.scale!);
      else values[g] = c.values[r];
    }
    return { dtype: k.dtype, values: values as KeyColumn['values'], valid };
  });
}
