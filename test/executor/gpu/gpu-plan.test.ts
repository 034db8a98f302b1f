/** Copies of the workgroup slots (gpu-plan.ts workgroupCopies): bounded by workgroup memory, MAX_COPIES and the fold's cost. */
import { describe, expect, it } from 'vitest';
import { MAX_COPIES, workgroupCopies } from '../../../src/executor/gpu/gpu-plan.ts';
import { copyStride } from '../../../src/executor/gpu/gpu-acc-layout.ts';

describe('workgroupCopies', () => {
  it('copies are an odd number of words apart', () => {
    expect(copyStride(4, 10)).toBe(51);
    expect(copyStride(3, 8)).toBe(33);
  });

  it('few hot groups get the most copies that workgroup memory and MAX_COPIES allow', () => {
    expect(workgroupCopies(4, 8, 8192, 1024)).toBe(MAX_COPIES);
    // 6 slots × 40 words (+ trash): 281 words a copy; 8192 words hold 29 copies.
    expect(workgroupCopies(6, 40, 8192, 4096)).toBe(16);
    expect(workgroupCopies(6, 40, 4096, 4096)).toBe(8);
  });

  it('folding the copies stays within a quarter of the workgroup\'s rows', () => {
    // 100 slots: 100 × (c − 1) ≤ 512 at 2048 rows (c = 4), ≤ 128 at 512 rows (c = 2).
    expect(workgroupCopies(100, 12, 1 << 20, 2048)).toBe(4);
    expect(workgroupCopies(100, 12, 1 << 20, 512)).toBe(2);
    expect(workgroupCopies(1000, 2, 1 << 20, 1024)).toBe(1);
  });

  it('one copy when a second does not fit', () => {
    expect(workgroupCopies(100, 15, 2000, 1 << 20)).toBe(1);
  });
});
