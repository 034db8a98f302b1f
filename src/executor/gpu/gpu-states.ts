/**
 * Host side of a GPU map task's readback: the slot array's words → the CPU's partial states (the
 * same fields with the same meaning as src/aggregate/registry.ts) and the groups' key columns.
 */
import { STATES, type AggSpec, type State } from '../../aggregate/registry.ts';
import { ArithmeticOverflowError } from '../../errors.ts';
import { emptyValues, type KeyColumn } from '../../shuffle/key-column.ts';
import type { KeyInfo } from '../cpu/map-kernel.ts';
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
 * Exact value Σ (p_k - n_k)·2^(32k) · 2^-S as a double-double, written to hiOut[i], loOut[i]
 * (sa·sb = 2^-S, split in two factors that stay normal). A typed-array loop: no per-group allocation.
 */
function fixedToF64(w: Uint32Array, at: number, sa: number, sb: number, hiOut: Float64Array, loOut: Float64Array, i: number): void {
  let s = 0, c = 0, t: number, u: number, bb: number;
  t = (w[at + 3] - w[at + 7]) * 79228162514264337593543950336; // 2^96
  u = s + t; bb = u - s; c += (s - (u - bb)) + (t - bb); s = u;
  t = (w[at + 2] - w[at + 6]) * 18446744073709551616; // 2^64
  u = s + t; bb = u - s; c += (s - (u - bb)) + (t - bb); s = u;
  t = (w[at + 1] - w[at + 5]) * 4294967296; // 2^32
  u = s + t; bb = u - s; c += (s - (u - bb)) + (t - bb); s = u;
  t = w[at] - w[at + 4];
  u = s + t; bb = u - s; c += (s - (u - bb)) + (t - bb); s = u;
  const hi = s + c;
  const lo = c - (hi - s);
  hiOut[i] = hi * sa * sb;
  loOut[i] = lo * sa * sb;
}

function aggState(a: AggSpec, f: GpuAggField, acc: Uint32Array, W: number, slots: Int32Array, S: number): State {
  const n = slots.length;
  const def = STATES[a.state];
  const st = def.init.map(() => new Float64Array(n));
  const nn = st[st.length - 1];
  const s0 = st[0], s1 = st[1];
  if (f.kind === 'countRows') {
    for (let i = 0; i < n; i++) s0[i] = acc[slots[i] * W];
    return st;
  }
  const fat = f.at;
  for (let i = 0; i < n; i++) { const b = slots[i] * W; nn[i] = acc[b] - acc[b + fat]; }
  const init0 = def.init[0];
  switch (f.kind) {
    case 'count': break;
    case 'isum':
      for (let i = 0; i < n; i++) {
        const v = slots[i] * W + fat + 1;
        const hi = (acc[v + 2] | 0) * TWO32 + acc[v + 1];
        if (Math.abs(hi) > 2 ** 52) throw new ArithmeticOverflowError('integer sum exceeds the exact range of its accumulator (|sum| > 2^84)');
        s0[i] = hi;
        s1[i] = acc[v];
      }
      break;
    case 'fsum': {
      const a = Math.trunc(S / 2), sa = 2 ** -a, sb = 2 ** -(S - a);
      for (let i = 0; i < n; i++) {
        const v = slots[i] * W + fat + 1;
        const flags = acc[v];
        if (flags) s0[i] = flags & 1 || (flags & 6) === 6 ? NaN : flags & 2 ? Infinity : -Infinity;
        else fixedToF64(acc, v + 1, sa, sb, s0, s1, i);
      }
      break;
    }
    case 'min32': case 'max32': {
      const u = f.form === 'u';
      for (let i = 0; i < n; i++) {
        if (nn[i] === 0) { s0[i] = init0; continue; }
        const x = acc[slots[i] * W + fat + 1];
        s0[i] = u ? x : (x ^ 0x80000000) | 0;
      }
      break;
    }
    case 'min64': case 'max64': {
      const fl = f.form === 'f';
      for (let i = 0; i < n; i++) {
        if (nn[i] === 0) { s0[i] = init0; continue; }
        const v = slots[i] * W + fat + 1;
        if (fl) s0[i] = keyToF64(acc[v], acc[v + 1]);
        else { s0[i] = (acc[v] ^ 0x80000000) | 0; s1[i] = acc[v + 1]; }
      }
      break;
    }
  }
  return st;
}

export function decodeStates(aggs: readonly AggSpec[], layout: GpuAccLayout, acc: Uint32Array, slots: Int32Array, shifts: readonly number[]): State[] {
  return aggs.map((a, j) => aggState(a, layout.aggs[j], acc, layout.width, slots, shifts[j]));
}

/** Slots that hold a group: every slot with rows (the one slot of a global aggregate always). */
export function usedSlots(plan: GpuPlan, acc: Uint32Array, width: number): Int32Array {
  if (plan.mode === 'global') return Int32Array.of(0);
  const out = new Int32Array(plan.slots);
  let n = 0;
  for (let s = 0, b = 0; s < plan.slots; s++, b += width) if (acc[b] > 0) out[n++] = s;
  return out.slice(0, n);
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
    const pairs = two ? new Uint32Array((values as Float64Array).buffer) : null;
    for (let i = 0; i < n; i++) {
      const b = slots[i] * plan.tableWidth;
      if (flag >= 0 && keyWordAt(table, b, flag, kw) !== 0) {
        (valid ??= new Uint8Array(n).fill(1))[i] = 0;
        continue;
      }
      const w = keyWordAt(table, b, at, kw);
      if (pairs) { pairs[2 * i] = w; pairs[2 * i + 1] = keyWordAt(table, b, at + 1, kw); }
      else if (k.kind === 'str') (values as string[])[i] = names[w];
      else (values as Int32Array)[i] = w;
    }
    at += (two ? 2 : 1) + (flag >= 0 ? 1 : 0);
    return { dtype: k.dtype, values, valid };
  });
}
