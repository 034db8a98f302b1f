/**
 * Differential tests: GPU map tasks + the CPU reduce against the CPU executor, on random tables
 * (test/support/random.ts: nulls, NaN/±Inf/-0, int64 extremes, float32 columns, several batches,
 * dictionaries, slices, empty and single-row tables) and random specs (0–2 keys, filters, every aggregate).
 * Integer results must be equal; float results within 1e-12 · n · max|x| (the fixed-point sum
 * bound, see float-sum-scale.ts). Replay one case with GPU_CASE=<seed>.
 */
import type * as arrow from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import type { GpuExecutor } from '../../../src/executor/gpu/gpu-executor.ts';
import { CpuExecutor } from '../../../src/executor/cpu/cpu-executor.ts';
import { generateTable, isFloatKind, Rng, type TableModel } from '../../support/random.ts';
import { randomFrame } from '../../support/random-frame.ts';
import { bothWays, openGpu, planner, reduceAll, specOf } from './gpu-harness.ts';

const probe = await openGpu();
const gpu = probe.gpu as GpuExecutor;
const cpu = new CpuExecutor();
afterAll(async () => { await gpu?.close(); await (await planner()).close(); });

/** 1e-12 · rows · max|x| over the table's finite floats: the bound float results must meet. */
function floatTolerance(t: TableModel): number {
  let m = 0;
  for (const c of t.columns) if (isFloatKind(c.kind)) for (const v of c.values) if (typeof v === 'number' && Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  return 1e-12 * Math.max(1, t.rows) * m;
}

function close(a: unknown, b: unknown, tol: number): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
    return a === b || Math.abs(a - b) <= tol + 1e-12 * Math.max(Math.abs(a), Math.abs(b));
  }
  return a === b;
}

const TABLES = Number(process.env.GPU_TABLES ?? 300);
const only = process.env.GPU_CASE ? [Number(process.env.GPU_CASE)] : Array.from({ length: TABLES }, (_, i) => 1000 + i);

describe.skipIf(!probe.gpu)(`GPU map tasks vs the CPU executor on random data${probe.gpu ? '' : ` (${probe.reason})`}`, () => {
  const reasons = new Map<string, number>();
  const modes = new Map<string, number>();
  let onGpu = 0, total = 0;
  afterAll(() => {
    console.log(`random specs: ${onGpu}/${total} map tasks ran on the GPU; fallbacks:`, Object.fromEntries(reasons), 'kernel modes (last task of each spec):', Object.fromEntries(modes));
  });

  it.each(only)('table seed %i, 3 random specs', async (seed) => {
    const s = await planner();
    const t = generateTable(seed, { float32: true });
    const rng = new Rng(seed * 7 + 1);
    const tol = floatTolerance(t);
    // Half of the tables plan their kernels as for a GPU, half as for a CPU-like adapter, whichever
    // adapter runs them; small private arrays bound llvmpipe's compile time.
    gpu.mapOptions = { privateWords: 256, adapterClass: seed % 2 ? 'hardware' : 'software' };
    for (let q = 0; q < 3; q++) {
      const df = randomFrame(s.fromArrow(t.table), t, rng);
      const spec = specOf(df, rng.int(1, 4));
      const batches = t.table.batches;
      const cut = rng.int(0, batches.length);
      const tasks: arrow.RecordBatch[][] = batches.length > 1 ? [batches.slice(0, cut), batches.slice(cut)] : [batches];
      let r: Awaited<ReturnType<typeof bothWays>>;
      try {
        r = await bothWays(gpu, spec, tasks);
      } catch (e) {
        // Overflowing integer sums must fail the same way on both sides.
        let cpuErr: unknown = null;
        try { await reduceAll(cpu, spec, await Promise.all(tasks.map((b) => cpu.runMap(spec, b)))); } catch (c) { cpuErr = c; }
        expect((e as Error).name, `seed ${seed}/${q}: ${String(e)}`).toBe((cpuErr as Error | null)?.name);
        continue;
      }
      if (gpu.lastTimings && r.reasons.at(-1) === null) modes.set(gpu.lastTimings.mode, (modes.get(gpu.lastTimings.mode) ?? 0) + 1);
      for (const x of r.reasons) {
        total++;
        if (x === null) onGpu++;
        else {
          const why = x.replace(/'[^']*'/g, "'…'").replace(/\d+/g, 'N');
          reasons.set(why, (reasons.get(why) ?? 0) + 1);
        }
      }
      expect(r.gpu.size, `seed ${seed}/${q} group count`).toBe(r.cpu.size);
      for (const [k, cv] of r.cpu) {
        const gv = r.gpu.get(k);
        expect(gv, `seed ${seed}/${q} group ${k}`).toBeDefined();
        cv.forEach((x, j) => expect(close(gv![j], x, tol), `seed ${seed}/${q} group ${k} ${spec.aggs[j]?.display}: gpu ${String(gv![j])} cpu ${String(x)}`).toBe(true));
      }
    }
  });

  it('most random map tasks ran on the GPU', () => {
    if (process.env.GPU_CASE) return;
    expect(onGpu / total).toBeGreaterThan(0.5);
  });
});
