/**
 * The host half of a GPU map task, without a GPU: slot words as a slot array that keeps only some
 * words (keptWords) → partial states (decodeStates), and → one shuffle block per reduce partition
 * (decodeGpuWords), against states decoded from the full layout and the partition ids by hand.
 */
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { count, sum, min } from '../../../src/index.ts';
import type { AggSpec } from '../../../src/aggregate/registry.ts';
import type { ArgFacts } from '../../../src/aggregate/gpu-accumulators.ts';
import { argForms } from '../../../src/aggregate/gpu-argument.ts';
import { gpuAccLayout, keptWords } from '../../../src/executor/gpu/gpu-acc-layout.ts';
import { decodeGpuWords, type GpuWords } from '../../../src/executor/gpu/gpu-decode.ts';
import { decodeStates, inexactFloatSum } from '../../../src/executor/gpu/gpu-states.ts';
import type { GpuPlan } from '../../../src/executor/gpu/gpu-plan.ts';
import { Rng } from '../../support/random.ts';
import { blocksOf, planner, specOf } from './gpu-harness.ts';

const col = (name: string, id: 'int32' | 'float64') => ({ kind: 'col', name, dtype: { id } }) as unknown as AggSpec['arg'];
const agg = (state: AggSpec['state'], arg: AggSpec['arg']) => ({ state, arg }) as AggSpec;
const identity = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

describe('decodeStates', () => {
  // rows | isum n s0 s1 s2 | fsum n flags p0..p3 n0..n3 | min64 n hi lo | count n
  const aggs = [agg('isum', col('a', 'int32')), agg('fsum', col('x', 'float64')), agg('min', col('x', 'float64')), agg('count', col('a', 'int32'))];
  const layout = gpuAccLayout(aggs, ['i', 'f', 'f', 'i']);
  const facts = aggs.map((): ArgFacts => ({ nullable: false, finite: true, nonNegative: true }));
  const kept = keptWords(layout, facts, false);
  const shifts = [0, 40, 0, 0];

  it('reads a slot array that keeps some words as the full layout with the dropped words at 0, each slot to its destination', () => {
    const rng = new Rng(3);
    const slotsN = 50;
    const full = new Uint32Array(slotsN * layout.width);
    const keptOnly = new Uint32Array(slotsN * kept.length);
    for (let s = 0; s < slotsN; s++) {
      kept.forEach((w, i) => {
        // Rows at least 1; other words below 2^16, so that no integer sum leaves its exact range.
        const v = w === 0 ? rng.int(1, 1000) : rng.int(0, 2 ** 16 - 1);
        full[s * layout.width + w] = v;
        keptOnly[s * kept.length + i] = v;
      });
    }
    const slots = Int32Array.of(0, 7, 3, 49, 12, 30);
    const dest = Int32Array.of(5, 0, 3, 1, 4, 2);
    const want = decodeStates(aggs, layout, layout.init.map((_, w) => w), full, slots, shifts, identity(slots.length));
    const got = decodeStates(aggs, layout, kept, keptOnly, slots, shifts, dest);
    got.forEach((st, a) => st.forEach((f, k) => slots.forEach((_, i) => expect(f[dest[i]], `agg ${a} field ${k} slot ${slots[i]}`).toBe(want[a][k][i]))));
  });

  it('gives the states\' values: a 96-bit integer sum, a fixed-point float sum, a min key, null counts', () => {
    const w = new Uint32Array(layout.width);
    w[0] = 3; // rows
    w[1] = 1; w[2] = 0xfffffffe; w[3] = 0xffffffff; w[4] = 0xffffffff; // isum: 1 null, sum -2
    w[8] = 2 ** 8; // fsum p1: 2^(32 + 8) · 2^-40 = 1
    w[12] = 2 ** 7; // n1: -0.5
    w[16] = 0x80000000; w[17] = 0; // min key of 0 (fkey: a non-negative value has its sign bit set)
    w[18] = 2; // count(a): 2 nulls
    const [isum, fsum, mn, cnt] = decodeStates(aggs, layout, layout.init.map((_, i) => i), w, Int32Array.of(0), shifts, Int32Array.of(0));
    expect([isum[0][0] * 2 ** 32 + isum[1][0], isum[2][0]]).toEqual([-2, 2]);
    expect([fsum[0][0] + fsum[1][0], fsum[2][0]]).toEqual([0.5, 3]);
    expect(mn[0][0]).toBe(0);
    expect(cnt[0][0]).toBe(1);
  });

  it('refuses a slot array that drops a word starting elsewhere than 0 (a min key)', () => {
    expect(() => decodeStates(aggs, layout, kept.filter((w) => w !== 16), new Uint32Array(64), Int32Array.of(0), shifts, Int32Array.of(0))).toThrow(/slot word 16/);
  });

  it('holds each group of an inexact float sum to 1e-13 of its Σ|x|: a row loses up to a grid unit', () => {
    const all = layout.init.map((_, i) => i);
    const slot = (rows: number, p: number[], n: number[] = [], flags = 0) => {
      const w = new Uint32Array(layout.width);
      w[0] = rows; w[6] = flags;
      p.forEach((x, k) => { w[7 + k] = x; });
      n.forEach((x, k) => { w[11 + k] = x; });
      return w;
    };
    const check = (w: Uint32Array, exact = false) => inexactFloatSum(aggs, layout, all, w, Int32Array.of(0), aggs.map(() => exact));
    // 10 rows, Σ|x| of 2^40 grid units: an error bound of 10 units passes 1e-13 · 2^40 ≈ 0.11.
    expect(check(slot(10, [0, 2 ** 8]))).toMatch(/a group's values lie too far below the task's largest/);
    // 2^80 units in each half: 10 units are far within.
    expect(check(slot(10, [0, 0, 2 ** 16], [0, 0, 2 ** 16]))).toBeNull();
    // Exact sums (every value on the grid) and NaN / ±Inf need no check.
    expect(check(slot(10, [0, 2 ** 8]), true)).toBeNull();
    expect(check(slot(10, [], [], 1))).toBeNull();
  });
});

describe('decodeGpuWords', () => {
  it('splits the used slots into one block per reduce partition by the device\'s partition ids, views of one shared buffer', async () => {
    const s = await planner();
    const t = new arrow.Table({ k: arrow.vectorFromArray([10, 11, 12, 13], new arrow.Int32()), v: arrow.vectorFromArray([1, 2, 3, 4], new arrow.Int32()) });
    const spec = specOf(s.fromArrow(t).groupBy('k').agg(count(), sum('v'), min('v')), 3);
    const layout = gpuAccLayout(spec.aggs, argForms(spec.aggs));
    const kept = keptWords(layout, spec.aggs.map(() => ({ nullable: false, finite: true, nonNegative: false })), false);
    // rows | (count(*) owns no words) | isum n s0 s1 s2 | min32 n key: kept rows s0 s1 s2 key.
    expect(kept).toEqual([0, 2, 3, 4, 6]);
    const slots = 4;
    const plan: GpuPlan = { mode: 'dense', keyNullable: [false], mins: [10], strides: [1], nullCodes: [4], slots, privatized: 'none', regionWorkgroups: 0, tableWidth: 0 };
    const accWords = (slots + 1) * kept.length + 1;
    const words = new Uint32Array(accWords + slots);
    // Slots 0, 2, 3 hold a group (key 10, 12, 13): rows r, sum 100·r, min key of r.
    for (const [g, r] of [[0, 1], [2, 2], [3, 5]]) words.set([r, 100 * r, 0, 0, (r ^ 0x80000000) >>> 0], g * kept.length);
    words.set([2, 0, 1, 2], accWords); // partition ids of slots 0..3
    const w: GpuWords = { spec, plan, layout, kept, shifts: spec.aggs.map(() => 0), exactSums: spec.aggs.map(() => true), words, accWords, tabWords: 0, pids: true, names: [], inputRows: 8 };
    const d = decodeGpuWords(w);
    if (!('result' in d)) throw new Error(d.fallback);
    const blocks = blocksOf(d.result);
    // Partition 1: slot 2; partition 2: slots 0 and 3, in slot order.
    expect(blocks.map((b) => [...(b.keys[0].values as Int32Array)])).toEqual([[], [12], [10, 13]]);
    expect(blocks.map((b) => [...b.states[0][0]])).toEqual([[], [2], [1, 5]]); // count(*)
    expect(blocks.map((b) => [...b.states[1][1]])).toEqual([[], [200], [100, 500]]); // sum lo word
    expect(blocks.map((b) => [...b.states[2][0]])).toEqual([[], [2], [1, 5]]); // min
    expect(d.result.outputRows).toBe(3);
    for (const b of blocks) for (const st of b.states) for (const f of st) expect(f.buffer).toBeInstanceOf(SharedArrayBuffer);
  });
});
