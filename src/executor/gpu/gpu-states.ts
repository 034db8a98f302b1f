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

const TWO32 = 4294967296;
const f64 = new Float64Array(1);
const f64w = new Uint32Array(f64.buffer);

/** The float64 of a total-order key (see fkey in shaders/f64.wgsl). */
function keyToF64(hi: number, lo: number): number {
  if (hi === 0xffffffff && lo === 0xffffffff) return NaN;
  if (hi & 0x80000000) { f64w[1] = hi & 0x7fffffff; f64w[0] = lo; } else { f64w[1] = ~hi; f64w[0] = ~lo; }
  return f64[0];
}

/** Exact value Σ (p_i - n_i)·2^(32i) · 2^-S as a double-double (s, c). */
function fixedToF64(w: Uint32Array, at: number, S: number): [number, number] {
  let s = 0, c = 0;
  for (let i = 3; i >= 0; i--) {
    const t = (w[at + i] - w[at + 4 + i]) * 2 ** (32 * i);
    const u = s + t;
    const bb = u - s;
    c += (s - (u - bb)) + (t - bb);
    s = u;
  }
  const hi = s + c;
  const lo = c - (hi - s);
  const a = Math.trunc(S / 2), b = S - a;
  return [hi * 2 ** -a * 2 ** -b, lo * 2 ** -a * 2 ** -b];
}

function aggState(a: AggSpec, f: GpuAggField, acc: Uint32Array, W: number, slots: Int32Array, S: number): State {
  const n = slots.length;
  const def = STATES[a.state];
  const st = def.init.map(() => new Float64Array(n));
  const nn = st[st.length - 1];
  for (let i = 0; i < n; i++) {
    const b = slots[i] * W;
    const rows = acc[b];
    if (f.kind === 'countRows') { st[0][i] = rows; continue; }
    const nonNull = rows - acc[b + f.at];
    nn[i] = nonNull;
    const v = b + f.at + 1;
    switch (f.kind) {
      case 'count': break;
      case 'isum': {
        const hi = (acc[v + 2] | 0) * TWO32 + acc[v + 1];
        if (Math.abs(hi) > 2 ** 52) throw new ArithmeticOverflowError('integer sum exceeds the exact range of its accumulator (|sum| > 2^84)');
        st[0][i] = hi;
        st[1][i] = acc[v];
        break;
      }
      case 'fsum': {
        const flags = acc[v];
        if (flags) {
          st[0][i] = flags & 1 || (flags & 6) === 6 ? NaN : flags & 2 ? Infinity : -Infinity;
        } else {
          const [s, c] = fixedToF64(acc, v + 1, S);
          st[0][i] = s;
          st[1][i] = c;
        }
        break;
      }
      case 'min32': case 'max32': {
        if (nonNull === 0) { st[0][i] = def.init[0]; break; }
        st[0][i] = f.form === 'u' ? acc[v] : (acc[v] ^ 0x80000000) | 0;
        break;
      }
      case 'min64': case 'max64': {
        if (nonNull === 0) { st[0][i] = def.init[0]; break; }
        if (f.form === 'f') st[0][i] = keyToF64(acc[v], acc[v + 1]);
        else { st[0][i] = (acc[v] ^ 0x80000000) | 0; st[1][i] = acc[v + 1]; }
        break;
      }
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
  const out: number[] = [];
  for (let s = 0; s < plan.slots; s++) if (acc[s * width] > 0) out.push(s);
  return Int32Array.from(out);
}

/** Keys of hash slots, read from the table's key words. */
export function hashKeys(keys: readonly KeyInfo[], plan: GpuPlan, table: Uint32Array, slots: Int32Array, names: readonly string[]): KeyColumn[] {
  const n = slots.length;
  let at = 1;
  return keys.map((k) => {
    const values = emptyValues(k.dtype, n);
    const two = k.kind === 'wide' || k.kind === 'float';
    const flag = plan.keyNullable[keys.indexOf(k)] ? at + (two ? 2 : 1) : -1;
    let valid: Uint8Array | null = null;
    const pairs = two ? new Uint32Array((values as Float64Array).buffer) : null;
    for (let i = 0; i < n; i++) {
      const b = slots[i] * plan.tableWidth;
      if (flag >= 0 && table[b + flag] !== 0) {
        (valid ??= new Uint8Array(n).fill(1))[i] = 0;
        continue;
      }
      const w = table[b + at];
      if (pairs) { pairs[2 * i] = w; pairs[2 * i + 1] = table[b + at + 1]; }
      else if (k.kind === 'str') (values as string[])[i] = names[w];
      else (values as Int32Array)[i] = w;
    }
    at += (two ? 2 : 1) + (flag >= 0 ? 1 : 0);
    return { dtype: k.dtype, values, valid };
  });
}
