/**
 * Host side of a GPU map task's readback: the slot array's words → the CPU's partial states (the
 * same fields with the same meaning as src/aggregate/registry.ts), each aggregate as its
 * accumulator row decodes it (src/aggregate/gpu-accumulators.ts), and the slots that hold groups.
 */
import { GPU_ACCUMULATORS } from '../../aggregate/gpu-accumulators.ts';
import { slotWord } from '../../aggregate/gpu-word-values.ts';
import { STATES, type AggSpec, type State } from '../../aggregate/registry.ts';
import type { GpuAccLayout } from './gpu-acc-layout.ts';
import type { GpuPlan } from './gpu-plan.ts';

/** Each layout word's index in a slot of an array that keeps the words `kept` (-1 where it drops it). */
function slotPositions(layout: GpuAccLayout, kept: readonly number[]): Int32Array {
  const pos = new Int32Array(layout.width).fill(-1);
  kept.forEach((w, i) => { pos[w] = i; });
  return pos;
}

/**
 * Why a float sum of these slots may miss its bound, or null: where the task's values do not all
 * lie on a sum's fixed-point grid (`exact`), each group is checked against its own Σ|x| (the
 * accumulator row's inexact check), and the task reruns on the CPU when one fails.
 */
export function inexactFloatSum(
  aggs: readonly AggSpec[], layout: GpuAccLayout, kept: readonly number[], acc: Uint32Array, slots: Int32Array, exact: readonly boolean[],
): string | null {
  const pos = slotPositions(layout, kept);
  for (const [j, f] of layout.aggs.entries()) {
    const check = GPU_ACCUMULATORS[f.kind].inexact;
    if (!check || exact[j]) continue;
    const why = check({ acc, stride: kept.length, slots, offset: (w) => pos[f.at + w]!, form: f.form });
    if (why) return `${aggs[j].display}: ${why}`;
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
  const stride = kept.length, n = slots.length;
  return aggs.map((a, j) => {
    const f = layout.aggs[j];
    const def = STATES[a.state];
    const row = GPU_ACCUMULATORS[f.kind];
    const state = def.init.map(() => alloc(n));
    const nonNull = state[state.length - 1];
    const offset = (w: number): number => pos[f.at + w]!;
    if (row.init.length > 0) {
      // The kernel counted nulls: non-null = rows - nulls.
      const nullsAt = offset(0);
      for (let i = 0; i < n; i++) { const b = slots[i] * stride; nonNull[dest[i]] = acc[b] - slotWord(acc, b, nullsAt); }
    }
    row.decode({ acc, stride, slots, dest, offset, form: f.form, state, nonNull, shift: shifts[j], init0: def.init[0] });
    return state;
  });
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
