/** Slot layouts on the host: which words a task's slot arrays keep (keptWords). No GPU needed. */
import { describe, expect, it } from 'vitest';
import type { AggSpec } from '../../../src/aggregate/registry.ts';
import type { ArgFacts } from '../../../src/aggregate/gpu-accumulators.ts';
import { gpuAccLayout, keptWords } from '../../../src/executor/gpu/gpu-acc-layout.ts';

const col = (name: string, id: 'int32' | 'int64' | 'float64') => ({ kind: 'col', name, dtype: { id } }) as unknown as AggSpec['arg'];
const agg = (state: AggSpec['state'], arg: AggSpec['arg']) => ({ state, arg }) as AggSpec;
const facts = (over: Partial<ArgFacts> = {}): ArgFacts => ({ nullable: false, finite: true, nonNegative: false, ...over });

describe('keptWords', () => {
  // rows | isum(i32) n s0 s1 s2 | isum(i64) n s0 s1 s2 | fsum(col) n flags p0..3 n0..3 | fsum(expr) same | count n | min64 n hi lo
  const aggs = [agg('isum', col('a', 'int32')), agg('isum', col('b', 'int64')), agg('fsum', col('x', 'float64')),
    agg('fsum', col('y', 'float64')), agg('count', col('a', 'int32')), agg('min', col('x', 'float64'))];
  const layout = gpuAccLayout(aggs, ['i', 'w', 'f', 'd', 'i', 'f']);

  it('keeps every word a row can write, and only those', () => {
    expect(layout.width).toBe(1 + 4 + 4 + 10 + 10 + 1 + 3);
    const none = aggs.map(() => facts());
    // Shared arrays: both integer sums keep three words; a column's finite float sum no flags; a
    // double-float sum both halves (its sign is known only per row) and no flags; count(a) nothing.
    expect(keptWords(layout, none, false)).toEqual([0, 2, 3, 4, 6, 7, 8, 11, 12, 13, 14, 15, 16, 17, 18, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32]);
    // Words of an invocation's own: the 32-bit sum keeps 64 bits.
    expect(keptWords(layout, none, true)).toEqual([0, 2, 3, 6, 7, 8, 11, 12, 13, 14, 15, 16, 17, 18, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32]);
  });

  it('keeps null counts, flags and the negative half where the data needs them', () => {
    const all = keptWords(layout, aggs.map(() => facts({ nullable: true, finite: false })), false);
    expect(all).toEqual(Array.from({ length: layout.width }, (_, w) => w).filter((w) => w !== 20)); // no flags for double-float
    const positive = keptWords(layout, aggs.map(() => facts({ nonNegative: true })), false);
    expect(positive).not.toContain(15); // the column's negative half
    expect(positive).toContain(25); // the expression's
  });
});
