import { describe, expect, it } from 'vitest';
import { coalescePartitions, MIN_TASK_RECORDS } from '../../src/driver/coalesce-partitions.ts';

describe('coalescing shuffle partitions', () => {
  it('runs contiguous small partitions as one task and leaves empty ones out', () => {
    expect(coalescePartitions([0, 3, 0, 0, 5, 0], 2, false)).toEqual([{ start: 0, end: 6, records: 8 }]);
    expect(coalescePartitions([0, 0, 0], 2, false)).toEqual([]);
    expect(coalescePartitions(new Float64Array(1_000_000), 4, false)).toEqual([]);
  });

  it("keeps a global aggregate's one partition even when empty", () => {
    expect(coalescePartitions([0], 2, true)).toEqual([{ start: 0, end: 1, records: 0 }]);
  });

  it('splits at max(MIN_TASK_RECORDS, total / 2 slots), a big partition on its own', () => {
    const big = 100 * MIN_TASK_RECORDS;
    // 8 partitions of big/8 over 2 slots: target big/4, two partitions a task.
    const even = coalescePartitions(Array(8).fill(big / 8), 2, false);
    expect(even.map((r) => [r.start, r.end])).toEqual([[0, 2], [2, 4], [4, 6], [6, 8]]);
    const skew = coalescePartitions([1, 1, big, 1, 1], 2, false);
    expect(skew.map((r) => [r.start, r.end])).toEqual([[0, 2], [2, 3], [3, 5]]);
    // Every partition is in exactly one run, in order.
    for (const runs of [even, skew]) for (let i = 1; i < runs.length; i++) expect(runs[i]!.start).toBe(runs[i - 1]!.end);
  });
});
