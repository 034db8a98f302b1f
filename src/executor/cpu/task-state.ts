/**
 * The mutable state of one map task that its kernels read and write: accumulator rows (hot and
 * cold), the hash table of hash mode, and each group's first row. grow() and normalize() are
 * methods of one class so that every task's kernel calls the same function (a new closure per
 * task made V8 deoptimize the hot loop on "wrong call target").
 */
import { normalizeDecimalSumAt, normalizeSquaresAt, normalizeIntSum, STATES, type AggSpec } from '../../aggregate/registry.ts';
import { buildTable, tableCap } from './hash-grouper.ts';
import type { AccLayout } from './map-kernel.ts';
import type { GroupingPlan } from '../grouping-plan.ts';

function newRows(init: Float64Array, cap: number, old?: Float64Array): Float64Array {
  const acc = new Float64Array(cap * init.length);
  if (init.some((v) => v !== 0)) for (let g = 0; g < cap; g++) acc.set(init, g * init.length);
  if (old) acc.set(old);
  return acc;
}

function grow32(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

export interface SlotPlan extends GroupingPlan {
  /** Hash mode: 32-bit words per key. */
  readonly width: number;
}

export class TaskState {
  /** Groups so far (dense and global: every slot), and the rows the accumulators have room for. */
  groups: number;
  capacity: number;
  /** Accumulators written for every row (`hot` fields per group) and the others (`cold`). */
  acc: Float64Array;
  cold: Float64Array;
  /** Each group's first row (hash mode), its batch and row there: where its key is read from. */
  firstBatch: Int32Array;
  firstRow: Int32Array;
  readonly mins: readonly number[];
  readonly strides: readonly number[];
  readonly nullCodes: readonly number[];
  /** Hash mode: the open-addressing table of group ids, its mask, and each group's key words. */
  table: Int32Array;
  mask: number;
  keys: Int32Array;
  /** The kernel's string literals' task-wide ids. */
  lits: number[] = [];
  /** The kernel's string predicates' match tables, by task-wide string id. */
  matches: Uint8Array[] = [];
  /** approxCountDistinct of strings: each string id's two hash words (StringIds.hllWords). */
  hllStrings: Int32Array = new Int32Array(0);
  /** Where a float key's bits are read (its words, for the hash). */
  readonly f64Scratch = new Float64Array(1);
  readonly f64ScratchWords = new Int32Array(this.f64Scratch.buffer);
  private readonly initHot: Float64Array;
  private readonly initCold: Float64Array;

  constructor(private readonly aggs: readonly AggSpec[], readonly layout: AccLayout, private readonly plan: SlotPlan) {
    this.initHot = new Float64Array(layout.hot);
    this.initCold = new Float64Array(layout.cold);
    aggs.forEach((a, j) => STATES[a.state].init.forEach((v, f) => {
      const p = layout.place[j][f];
      (p.cold ? this.initCold : this.initHot)[p.at] = v;
    }));
    const hash = plan.mode === 'hash';
    const cap = plan.mode === 'global' ? 1 : plan.mode === 'dense' ? plan.slots : 1024;
    this.groups = hash ? 0 : cap;
    this.capacity = cap;
    this.acc = newRows(this.initHot, cap);
    this.cold = newRows(this.initCold, cap);
    this.firstBatch = new Int32Array(hash ? cap : 0);
    this.firstRow = new Int32Array(hash ? cap : 0);
    this.mins = plan.mins;
    this.strides = plan.strides;
    this.nullCodes = plan.nullCodes;
    this.table = hash ? new Int32Array(cap * 2).fill(-1) : new Int32Array(0);
    this.mask = cap * 2 - 1;
    this.keys = new Int32Array(hash ? cap * plan.width : 0);
  }

  /** Doubles the group capacity (hash mode) and rehashes. */
  grow(): void {
    this.resize(this.capacity * 2);
  }

  /**
   * From now on each row is a group of its own (kernel mode 'rows'): the table is no longer read
   * or kept, and room is made for `rows` more groups at once.
   */
  groupEachRow(rows: number): void {
    this.eachRow = true;
    if (this.groups + rows > this.capacity) this.resize(this.groups + rows);
  }

  private eachRow = false;

  private resize(cap: number): void {
    this.acc = newRows(this.initHot, cap, this.acc);
    this.cold = newRows(this.initCold, cap, this.cold);
    this.firstBatch = grow32(this.firstBatch, cap);
    this.firstRow = grow32(this.firstRow, cap);
    if (this.plan.mode === 'hash' && !this.eachRow) {
      this.keys = grow32(this.keys, cap * this.plan.width);
      const size = tableCap(cap);
      this.table = buildTable(this.keys, this.plan.width, this.groups, size);
      this.mask = size - 1;
    }
    this.capacity = cap;
  }

  /** Renormalises every integer and decimal sum's low words and every sum of squares (see registry.ts). */
  normalize(): void {
    const { hot, cold, place } = this.layout;
    // Each group's first `n` fields of aggregate j (hot or cold) as (arrays, positions).
    const eachGroup = (j: number, n: number, f: (arrays: Float64Array[], at: number[]) => void): void => {
      const fields = place[j].slice(0, n);
      const arrays = fields.map((p) => (p.cold ? this.cold : this.acc));
      const at = fields.map(() => 0);
      for (let g = 0; g < this.groups; g++) {
        fields.forEach((p, k) => { at[k] = g * (p.cold ? cold : hot) + p.at; });
        f(arrays, at);
      }
    };
    this.aggs.forEach((a, j) => {
      if (a.state === 'ivar') eachGroup(j, 6, normalizeSquaresAt);
      else if (a.state === 'dsum') eachGroup(j, 4, normalizeDecimalSumAt);
      else if (a.state === 'isum') {
        const [hi, lo] = place[j];
        normalizeIntSum(hi.cold ? this.cold : this.acc, hi.cold ? cold : hot, hi.at, lo.cold ? this.cold : this.acc, lo.cold ? cold : hot, lo.at, this.groups);
      }
    });
  }
}
