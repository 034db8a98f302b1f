/**
 * Host side of a GPU map task's readback: the slot array's words → the CPU's partial states (the
 * same fields with the same meaning as src/aggregate/registry.ts) and the groups' key columns.
 */
import { STATES, type AggSpec, type State } from '../../aggregate/registry.ts';
import { ArithmeticOverflowError } from '../../errors.ts';
import { emptyValues, type KeyColumn } from '../../shuffle/key-column.ts';
import type { KeyInfo } from '../../plan/aggregation-spec.ts';
import type { GpuAccLayout, GpuAggField } from './gpu-acc-layout.ts';
import type { GpuPlan } from './gpu-plan.ts';
import { keyWordAt } from './hash-table-slot.ts';

const TWO32 = 4294967296;
const f64 = new Float64Array(1);
const f64w = new Uint32Array(f64.buffer);

/** The float64 of a total-order key (see fkey in shaders/f64.wgsl). */
function keyToF64(hi: number, lo: number): number {
  if (hi === 0xffffffff && lo === 0xffffffff) return NaN;
  if (hi & 0x80000000) { f64w[1] = hi & 0x7fffffff; f64w[0] = lo; } else { f64w[1] = ~hi; f64w[0] = ~lo; }
  return f64[0];
}

/**
 * Exact value Σ d_k·2^(32k) · 2^-S (d_k = p_k - n_k) as a double-double, written to hiOut[i],
 * loOut[i] (sa·sb = 2^-S, split in two factors that stay normal). No per-group allocation.
 */
function fixedToF64(d0: number, d1: number, d2: number, d3: number, sa: number, sb: number, hiOut: Float64Array, loOut: Float64Array, i: number): void {
  let s = 0, c = 0, t: number, u: number, bb: number;
  t = d3 * 79228162514264337593543950336; // 2^96
  u = s + t; bb = u - s; c += (s - (u - bb)) + (t - bb); s = u;
  t = d2 * 18446744073709551616; // 2^64
  u = s + t; bb = u - s; c += (s - (u - bb)) + (t - bb); s = u;
  t = d1 * 4294967296; // 2^32
  u = s + t; bb = u - s; c += (s - (u - bb)) + (t - bb); s = u;
  t = d0;
  u = s + t; bb = u - s; c += (s - (u - bb)) + (t - bb); s = u;
  const hi = s + c;
  const lo = c - (hi - s);
  hiOut[i] = hi * sa * sb;
  loOut[i] = lo * sa * sb;
}

/**
 * The slot array a task read back (slot s at s × stride words; pos: each layout word's index in a
 * slot, -1 where the slot array drops it, always a word that starts at 0), the slots to decode, and
 * where each one's states go.
 */
interface Decode {
  readonly acc: Uint32Array;
  readonly stride: number;
  readonly pos: Int32Array;
  readonly slots: Int32Array;
  readonly dest: Int32Array;
  readonly alloc: (n: number) => Float64Array;
}

/** Each layout word's index in a slot of an array that keeps the words `kept` (-1 where it drops it). */
function slotPositions(layout: GpuAccLayout, kept: readonly number[]): Int32Array {
  const pos = new Int32Array(layout.width).fill(-1);
  kept.forEach((w, i) => { pos[w] = i; });
  return pos;
}

/** The word at offset o of the slot at word b (0 where the slot array drops it, o < 0). */
const word = (acc: Uint32Array, b: number, o: number): number => (o < 0 ? 0 : acc[b + o]!);

function aggState(a: AggSpec, f: GpuAggField, d: Decode, S: number): State {
  const { acc, stride, pos, slots, dest } = d;
  const n = slots.length;
  const def = STATES[a.state];
  const st = def.init.map(() => d.alloc(n));
  const nn = st[st.length - 1];
  const s0 = st[0], s1 = st[1];
  if (f.kind === 'countRows') {
    for (let i = 0; i < n; i++) s0[dest[i]] = acc[slots[i] * stride];
    return st;
  }
  const o = (w: number): number => pos[f.at + w]!;
  const on = o(0);
  for (let i = 0; i < n; i++) { const b = slots[i] * stride; nn[dest[i]] = acc[b] - word(acc, b, on); }
  const init0 = def.init[0];
  switch (f.kind) {
    case 'count': break;
    case 'isum': {
      const o1 = o(1), o2 = o(2), o3 = o(3);
      for (let i = 0; i < n; i++) {
        const b = slots[i] * stride, j = dest[i];
        const hi = (word(acc, b, o3) | 0) * TWO32 + word(acc, b, o2);
        if (Math.abs(hi) > 2 ** 52) throw new ArithmeticOverflowError('integer sum exceeds the exact range of its accumulator (|sum| > 2^84)');
        s0[j] = hi;
        s1[j] = word(acc, b, o1);
      }
      break;
    }
    case 'fsum': {
      const sh = Math.trunc(S / 2), sa = 2 ** -sh, sb = 2 ** -(S - sh);
      const of = o(1), p0 = o(2), p1 = o(3), p2 = o(4), p3 = o(5), m0 = o(6), m1 = o(7), m2 = o(8), m3 = o(9);
      for (let i = 0; i < n; i++) {
        const b = slots[i] * stride, j = dest[i];
        const flags = word(acc, b, of);
        if (flags) s0[j] = flags & 1 || (flags & 6) === 6 ? NaN : flags & 2 ? Infinity : -Infinity;
        else fixedToF64(word(acc, b, p0) - word(acc, b, m0), word(acc, b, p1) - word(acc, b, m1), word(acc, b, p2) - word(acc, b, m2), word(acc, b, p3) - word(acc, b, m3), sa, sb, s0, s1, j);
      }
      break;
    }
    case 'min32': case 'max32': {
      const u = f.form === 'u', o1 = o(1);
      for (let i = 0; i < n; i++) {
        const j = dest[i];
        if (nn[j] === 0) { s0[j] = init0; continue; }
        const x = acc[slots[i] * stride + o1];
        s0[j] = u ? x : (x ^ 0x80000000) | 0;
      }
      break;
    }
    case 'min64': case 'max64': {
      const fl = f.form === 'f', o1 = o(1), o2 = o(2);
      for (let i = 0; i < n; i++) {
        const j = dest[i];
        if (nn[j] === 0) { s0[j] = init0; continue; }
        const b = slots[i] * stride;
        const hi = acc[b + o1], lo = acc[b + o2];
        if (fl) s0[j] = keyToF64(hi, lo);
        else { s0[j] = (hi ^ 0x80000000) | 0; s1[j] = lo; }
      }
      break;
    }
  }
  return st;
}

/**
 * Why a float sum of these slots may miss its bound, or null. A float sum adds each row's value
 * truncated to the task's fixed-point grid (float-sum-scale.ts), losing less than one grid unit a
 * row (two for a double-float argument, its hi and lo parts); where the task's values do not all
 * lie on the grid (`exact`), a group's error is held to 1e-13 · its Σ|x| (which is at least the
 * grid units its halves hold): a group of values far below the task's largest fails, and the task
 * reruns on the CPU.
 */
export function inexactFloatSum(
  aggs: readonly AggSpec[], layout: GpuAccLayout, kept: readonly number[], acc: Uint32Array, slots: Int32Array, exact: readonly boolean[],
): string | null {
  const stride = kept.length;
  const pos = slotPositions(layout, kept);
  for (const [j, f] of layout.aggs.entries()) {
    if (f.kind !== 'fsum' || exact[j]) continue;
    const o = (w: number): number => pos[f.at + w]!;
    const on = o(0), of = o(1), halves = [2, 3, 4, 5, 6, 7, 8, 9].map(o);
    const perRow = f.form === 'd' ? 2 : 1;
    for (let i = 0; i < slots.length; i++) {
      const b = slots[i] * stride;
      if (word(acc, b, of) !== 0) continue; // NaN / ±Inf: no grid involved
      let units = 0;
      for (let k = 0; k < 8; k++) units += word(acc, b, halves[k]) * 2 ** (32 * (k & 3));
      if ((acc[b] - word(acc, b, on)) * perRow > 1e-13 * units) {
        return `${aggs[j].display}: a group's values lie too far below the task's largest for the GPU's fixed-point float sum`;
      }
    }
  }
  return null;
}

/**
 * The partial states of `slots` of a slot array that keeps the layout's words `kept` (slot s at
 * s × kept.length words): slot i's states at index dest[i] of arrays from `alloc`.
 */
export function decodeStates(
  aggs: readonly AggSpec[], layout: GpuAccLayout, kept: readonly number[], acc: Uint32Array, slots: Int32Array, shifts: readonly number[],
  dest: Int32Array, alloc: (n: number) => Float64Array = (n) => new Float64Array(n),
): State[] {
  const pos = slotPositions(layout, kept);
  // Slot arrays drop only words that start at 0 (min/max keys start elsewhere and are always kept).
  layout.init.forEach((x, w) => { if (x !== 0 && pos[w] < 0) throw new Error(`decode: slot word ${w} (initial value ${x}) is not kept`); });
  const d: Decode = { acc, stride: kept.length, pos, slots, dest, alloc };
  return aggs.map((a, j) => aggState(a, layout.aggs[j], d, shifts[j]));
}

/** Slots that hold a group: every slot with rows (the one slot of a global aggregate always). */
export function usedSlots(plan: GpuPlan, acc: Uint32Array, width: number): Int32Array {
  if (plan.mode === 'global') return Int32Array.of(0);
  const slots = plan.slots;
  const out = new Int32Array(slots);
  let n = 0;
  for (let s = 0, b = 0; s < slots; s++, b += width) if (acc[b] > 0) out[n++] = s;
  return out.subarray(0, n);
}

/** Keys of hash slots, read from the table's key words. */
export function hashKeys(keys: readonly KeyInfo[], plan: GpuPlan, table: Uint32Array, slots: Int32Array, names: readonly string[]): KeyColumn[] {
  const n = slots.length;
  const kw = plan.tableWidth - 1;
  let at = 0;
  return keys.map((k) => {
    const values = emptyValues(k.dtype, n);
    const two = k.kind === 'wide' || k.kind === 'float';
    const flag = plan.keyNullable[keys.indexOf(k)] ? at + (two ? 2 : 1) : -1;
    let valid: Uint8Array | null = null;
    // Key words are (lo, hi) pairs of 64-bit values; a float32 key's are its float64's (exact).
    const single = values instanceof Float32Array;
    const pairs = two && !single ? new Uint32Array((values as Float64Array).buffer) : null;
    for (let i = 0; i < n; i++) {
      const b = slots[i] * plan.tableWidth;
      if (flag >= 0 && keyWordAt(table, b, flag, kw) !== 0) {
        (valid ??= new Uint8Array(n).fill(1))[i] = 0;
        continue;
      }
      const w = keyWordAt(table, b, at, kw);
      if (pairs) { pairs[2 * i] = w; pairs[2 * i + 1] = keyWordAt(table, b, at + 1, kw); }
      else if (single) { f64w[0] = w; f64w[1] = keyWordAt(table, b, at + 1, kw); (values as Float32Array)[i] = f64[0]; }
      else if (k.kind === 'str') (values as string[])[i] = names[w];
      else (values as Int32Array)[i] = w;
    }
    at += (two ? 2 : 1) + (flag >= 0 ? 1 : 0);
    return { dtype: k.dtype, values, valid };
  });
}
