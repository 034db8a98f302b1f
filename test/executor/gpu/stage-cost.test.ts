import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { count, sum } from '../../../src/index.ts';
import { cpuMapMs, gpuMapMs, measureMapStage, type MapStageInput } from '../../../src/executor/gpu/stage-cost.ts';
import { planner, specOf } from './gpu-harness.ts';

const HARDWARE = { software: false, threads: 16 };
const SOFTWARE = { software: true, threads: 2 };

describe('map stage cost estimate', () => {
  it('measures rows, bytes read, cached bytes and the bound on groups from the keys', async () => {
    const n = 1000;
    const t = new arrow.Table({
      k: arrow.makeVector(Int32Array.from({ length: n }, (_, i) => 100 + (i % 50))),
      s: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => `s${i % 7}`), new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())),
      b: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => i % 2 === 0), new arrow.Bool()),
      v: arrow.makeVector(Float64Array.from({ length: n }, (_, i) => i)),
      unused: arrow.makeVector(new Float64Array(n)),
    });
    const s = await planner();
    const two = [t.batches.map((b) => b.slice(0, 500)), t.batches.map((b) => b.slice(500))];
    const byInt = measureMapStage(specOf(s.fromArrow(t).groupBy('k').agg(sum('v')), 2), two, 0);
    // k (int32) and v (float64) only: the unused column is not read.
    expect(byInt).toEqual({ rows: n, tasks: 2, bytes: n * (4 + 8), cachedBytes: 0, groups: 51 });
    expect(measureMapStage(specOf(s.fromArrow(t).groupBy('k').agg(sum('v')), 2), two, 1).cachedBytes).toBe(n * 12);
    // A cache holding 40% of the input: 40% of the bytes count as on the device.
    expect(measureMapStage(specOf(s.fromArrow(t).groupBy('k').agg(sum('v')), 2), two, 0.4).cachedBytes).toBeCloseTo(n * 12 * 0.4, 6);
    // Dictionary keys: its size (+ null); bool: 3; their product.
    expect(measureMapStage(specOf(s.fromArrow(t).groupBy('s', 'b').agg(count()), 2), two, 0).groups).toBe(8 * 3);
    // A float key has no bound but the rows; no key: one group.
    expect(measureMapStage(specOf(s.fromArrow(t).groupBy('v').agg(count()), 2), two, 0).groups).toBe(n);
    expect(measureMapStage(specOf(s.fromArrow(t).agg(count()), 1), two, 0).groups).toBe(1);
  });

  it('prefers a hardware GPU for big inputs, cached ones most, and the CPU for small ones or a software adapter', () => {
    const stage = (rows: number, cached: boolean, groups = 100, tasks = 2): MapStageInput => ({ rows, tasks, bytes: rows * 8, cachedBytes: cached ? rows * 8 : 0, groups });
    // 1e8 rows already on the device: the GPU by far.
    expect(gpuMapMs(stage(1e8, true), HARDWARE, 16) * 5).toBeLessThan(cpuMapMs(stage(1e8, true, 100, 16), 16));
    // A few rows: the GPU's fixed cost per task loses.
    expect(gpuMapMs(stage(6, false), HARDWARE, 16)).toBeGreaterThan(cpuMapMs(stage(6, false), 16));
    // The software adapter runs kernels on the same cores, slower than the CPU executor's loops.
    expect(gpuMapMs(stage(1e7, true), SOFTWARE, 2)).toBeGreaterThan(cpuMapMs(stage(1e7, true), 2));
    // Uploading costs: the same stage is cheaper on the GPU once cached.
    expect(gpuMapMs(stage(1e7, true), HARDWARE, 16)).toBeLessThan(gpuMapMs(stage(1e7, false), HARDWARE, 16));
    // Many partial groups cost both sides; beyond the cache the CPU pays per row too.
    expect(cpuMapMs(stage(1e7, false, 1e6), 2)).toBeGreaterThan(cpuMapMs(stage(1e7, false, 100), 2));
    expect(gpuMapMs(stage(1e7, false, 1e6), HARDWARE, 16)).toBeGreaterThan(gpuMapMs(stage(1e7, false, 100), HARDWARE, 16));
  });
});
