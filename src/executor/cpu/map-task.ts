/**
 * A map task on the CPU: bind the partition's columns, pick the grouping strategy from the
 * partition's key ranges, run the generated kernel over each batch, then emit the partial groups
 * (keys gathered from each group's first row) hash-partitioned into shuffle blocks.
 */
import type * as arrow from 'apache-arrow';
import { bindColumn, intValueRange, isValid, type ColumnChunk } from '../../arrow/column-chunk.ts';
import { growState, newState, normalizeIntSum, type State } from '../../aggregate/registry.ts';
import { emptyValues, type KeyColumn } from '../../shuffle/key-column.ts';
import { partitionGroups } from '../../shuffle/shuffle-block.ts';
import { fieldOf } from '../../expr/resolve.ts';
import { columnsOfSpec } from './columns.ts';
import { buildTable } from './hash-grouper.ts';
import { compileKernel, keyWords, type BoundColumn, type GroupMode, type KernelState } from './map-kernel.ts';
import type { AggregationSpec, MapResult } from '../task.ts';

/** Dense composite indexes up to this many slots; beyond, the hash table. */
const DENSE_LIMIT = 1 << 22;

/** Task-wide string ids, so that equal strings from different dictionaries compare and group equal. */
export class StringIds {
  readonly ids = new Map<string, number>();
  private readonly remaps = new Map<readonly string[], Int32Array>();
  id(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) this.ids.set(s, (id = this.ids.size));
    return id;
  }
  remap(dictionary: readonly string[]): Int32Array {
    let r = this.remaps.get(dictionary);
    if (!r) {
      r = Int32Array.from(dictionary, (s) => this.id(s));
      this.remaps.set(dictionary, r);
    }
    return r;
  }
}

interface Plan {
  mode: GroupMode;
  kmin: number[];
  kstride: number[];
  knull: number[];
  keyNullable: boolean[];
  slots: number;
}

function choosePlan(spec: AggregationSpec, chunks: Map<string, ColumnChunk>[], strings: StringIds, rows: number): Plan {
  const keyNullable = spec.keys.map((k) => chunks.some((c) => c.get(k.column)!.nullCount > 0));
  const plan: Plan = { mode: 'global', kmin: [], kstride: [], knull: [], keyNullable, slots: 1 };
  if (spec.keys.length === 0) return plan;
  let slots = 1;
  for (const [j, k] of spec.keys.entries()) {
    let lo = 0, range: number;
    if (k.kind === 'bool') range = 2;
    else if (k.kind === 'str') range = strings.ids.size;
    else if (k.kind === 'int') {
      let hi = -Infinity;
      lo = Infinity;
      for (const c of chunks) {
        const ch = c.get(k.column)!;
        if (ch.length === 0) continue;
        const [a, b] = intValueRange(ch);
        lo = Math.min(lo, a);
        hi = Math.max(hi, b);
      }
      range = hi >= lo ? hi - lo + 1 : 1;
      if (!Number.isFinite(lo)) lo = 0;
    } else return { ...plan, mode: 'hash' };
    plan.kmin.push(lo);
    plan.knull.push(range);
    plan.kstride.push(slots);
    slots *= range + (keyNullable[j] ? 1 : 0);
    if (slots > DENSE_LIMIT) return { ...plan, mode: 'hash' };
  }
  if (slots > 8 * rows + 4096) return { ...plan, mode: 'hash' };
  return { ...plan, mode: 'dense', slots };
}

export function runMapTask(spec: AggregationSpec, batches: readonly arrow.RecordBatch[]): MapResult {
  const names = columnsOfSpec(spec);
  const strings = new StringIds();
  const chunks = batches.map((b) => {
    const m = new Map<string, ColumnChunk>();
    for (const name of names) m.set(name, bindColumn(b.getChild(name)!.data[0], fieldOf(spec.input, name).dtype));
    return m;
  });
  const remaps = chunks.map((m) => {
    const r = new Map<string, Int32Array>();
    for (const [name, c] of m) if (c.dictionary) r.set(name, strings.remap(c.dictionary));
    return r;
  });
  const rows = batches.reduce((a, b) => a + b.numRows, 0);
  const plan = choosePlan(spec, chunks, strings, rows);
  const width = spec.keys.reduce((a, k, j) => a + keyWords(k, plan.keyNullable[j]), 0);

  const initialCap = plan.mode === 'global' ? 1 : 1024;
  const f64 = new Float64Array(1);
  const S: KernelState = {
    ng: plan.mode === 'global' ? 1 : 0,
    cap: initialCap,
    acc: spec.aggs.map((a) => newState(a.state, initialCap)),
    repB: new Int32Array(initialCap),
    repR: new Int32Array(initialCap),
    map: plan.mode === 'dense' ? new Int32Array(plan.slots).fill(-1) : new Int32Array(0),
    kmin: plan.kmin,
    kstride: plan.kstride,
    knull: plan.knull,
    table: plan.mode === 'hash' ? new Int32Array(initialCap * 2).fill(-1) : new Int32Array(0),
    mask: initialCap * 2 - 1,
    keys: new Int32Array(plan.mode === 'hash' ? initialCap * width : 0),
    lits: [],
    F: f64,
    FW: new Int32Array(f64.buffer),
    grow() {
      const cap = S.cap * 2;
      S.acc = S.acc.map((st, j) => growState(spec.aggs[j].state, st, cap));
      const grow32 = (a: Int32Array, n: number) => { const b = new Int32Array(n); b.set(a); return b; };
      S.repB = grow32(S.repB, cap);
      S.repR = grow32(S.repR, cap);
      if (plan.mode === 'hash') {
        S.keys = grow32(S.keys, cap * width);
        S.table = buildTable(S.keys, width, S.ng, cap * 2);
        S.mask = cap * 2 - 1;
      }
      S.cap = cap;
    },
    normalize() {
      spec.aggs.forEach((a, j) => { if (a.state === 'isum') normalizeIntSum(S.acc[j], S.ng); });
    },
  };

  batches.forEach((batch, b) => {
    const m = chunks[b];
    const nullable = names.filter((n) => m.get(n)!.nullCount > 0);
    const k = compileKernel({ filter: spec.filter, mode: plan.mode, keys: spec.keys, keyNullable: plan.keyNullable, aggs: spec.aggs, nullable });
    S.lits = k.literals.map((s) => strings.id(s));
    const bound: BoundColumn[] = k.columns.map((name) => {
      const c = m.get(name)!;
      return { values: c.values as ArrayLike<number>, validity: c.validity, offset: c.offset, words: c.words, remap: remaps[b].get(name) ?? null };
    });
    k.kernel(batch.numRows, bound, S, b);
  });
  S.normalize();

  const groups = S.ng;
  const keys = spec.keys.map((k): KeyColumn => {
    const values = emptyValues(k.dtype, groups) as unknown[];
    let valid: Uint8Array | null = null;
    for (let g = 0; g < groups; g++) {
      const c = chunks[S.repB[g]].get(k.column)!, r = S.repR[g];
      if (!isValid(c, r)) {
        (valid ??= new Uint8Array(groups).fill(1))[g] = 0;
        continue;
      }
      if (c.dictionary) values[g] = c.dictionary[c.values[r] as number];
      else if (k.kind === 'bool') values[g] = (c.values[(c.offset + r) >> 3] as number >> ((c.offset + r) & 7)) & 1;
      else values[g] = c.values[r];
    }
    return { dtype: k.dtype, values: values as KeyColumn['values'], valid };
  });
  const states: State[] = S.acc;
  return { blocks: partitionGroups(keys, states, groups, spec.partitions), inputRows: rows, outputRows: groups };
}
