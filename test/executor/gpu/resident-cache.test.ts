/**
 * Cached inputs (DataFrame.cache()): chunks kept on the device give the same answers as packing
 * every chunk anew, upload nothing but remap tables once resident, stay within their byte budget
 * (an input bigger than it keeps what fits, other inputs' chunks go first), and unpersist() frees them.
 */
import * as arrow from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { col, count, InvalidOptionError, max, Session, sum } from '../../../src/index.ts';
import { CpuExecutor } from '../../../src/executor/cpu/cpu-executor.ts';
import { GpuExecutor } from '../../../src/executor/gpu/gpu-executor.ts';
import type { MapResult } from '../../../src/executor/task.ts';
import type { AggregationSpec } from '../../../src/plan/aggregation-spec.ts';
import { generateTable, Rng } from '../../support/random.ts';
import { randomFrame } from '../../support/random-frame.ts';
import { expectAsReference, openGpu, planner, reduceAll, settle, specOf } from './gpu-harness.ts';
import { diffExact, diffFromReference, referenceOf, rowsOfModel, rowsOfTable } from './gpu-reference.ts';
import { gpuDetails } from '../../../src/executor/gpu/gpu-task-details.ts';

const probe = await openGpu();
const gpu = probe.gpu as GpuExecutor;
afterAll(async () => { await gpu?.close(); await (await planner()).close(); });

const cached = (spec: AggregationSpec, id = 1): AggregationSpec => ({ ...spec, cacheInput: id });

describe.skipIf(!probe.gpu)(`cached inputs on the device${probe.gpu ? '' : ` (${probe.reason})`}`, () => {
  it('give the answers of uncached tasks exactly, on random tables and specs, with chunks smaller than batches read in smaller pieces', async () => {
    const s = await planner();
    let resident = 0;
    for (let seed = 2000; seed < 2024; seed++) {
      const t = generateTable(seed, { float32: true });
      const rows = rowsOfModel(t);
      const rng = new Rng(seed * 3 + 1);
      // Half planned as for a GPU, half as for a CPU-like adapter (both kernel families read the chunks).
      const base = { privateWords: 256, adapterClass: seed % 2 ? 'hardware' : 'software' } as const;
      for (let q = 0; q < 3; q++) {
        const spec = specOf(randomFrame(s.fromArrow(t.table), t, rng), rng.int(1, 3));
        const batches = t.table.batches;
        gpu.mapOptions = base;
        const label = `seed ${seed}/${q}`;
        const ref = referenceOf(spec, rows);
        const run = (m: Promise<MapResult>) => settle(m.then((x) => reduceAll(gpu, spec, [x])));
        const plain = await run(gpu.runMap(spec, batches));
        // The uncached task as the exact reference (or its overflow, the exact sum named), then
        // every cached run as the uncached one: the same rows, floats bit for bit (bound 0), or
        // the same error with the same message.
        expectAsReference(plain, ref, 'gpu', label);
        for (const opts of [{ cacheChunkRows: 37, maxChunkRows: 16 }, { cacheChunkRows: 37, maxChunkRows: 16 }, {}]) {
          gpu.mapOptions = { ...base, ...opts };
          const m = gpu.runMap(cached(spec), batches);
          const got = await run(m);
          const what = `${label} ${JSON.stringify(opts)}`;
          if (plain.error) {
            expect(got.error?.name, what).toBe(plain.error.name);
            expect(got.error?.message, what).toBe(plain.error.message);
          } else {
            expect(got.error, what).toBeUndefined();
            expect(diffExact(got.rows!, plain.rows), what).toEqual([]);
          }
          if (gpuDetails(await m) && gpu.lastTimings!.inputBytes > 0) resident++;
        }
      }
      gpu.releaseCached(t.table.batches);
    }
    gpu.mapOptions = {};
    expect(resident).toBeGreaterThan(100);
    expect(gpu.cachedBytes).toBe(0);
  });

  it('upload each column once: a later task reading the same batches writes only the remap tables of its string columns', async () => {
    const s = await planner();
    const rng = new Rng(5);
    const n = 30_000;
    const t = new arrow.Table({
      k: arrow.makeVector(Int32Array.from({ length: n }, () => rng.int(0, 50))),
      v: arrow.makeVector(Float64Array.from({ length: n }, () => rng.next() * 100)),
      w: arrow.makeVector(Int32Array.from({ length: n }, () => rng.int(-1000, 1000))),
      s: arrow.vectorFromArray(Array.from({ length: n }, () => rng.pick(['a', 'b', 'c'])), new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())),
    });
    const df = s.fromArrow(t);
    const q1 = cached(specOf(df.filter(col('w').gt(0)).groupBy('k').agg(sum('v')), 2));
    const q2 = cached(specOf(df.groupBy('s').agg(max('w'), count()), 2));
    gpu.mapOptions = { cacheChunkRows: 4096 };
    try {
      const first = gpuDetails(await gpu.runMap(q1, t.batches))!;
      expect(first.uploadBytes).toBeGreaterThanOrEqual(first.inputBytes);
      const again = gpuDetails(await gpu.runMap(q1, t.batches))!;
      expect(again.uploadBytes).toBe(0);
      expect(again.inputBytes).toBe(first.inputBytes);
      // q2 reads w again (resident) and s for the first time.
      const other = gpuDetails(await gpu.runMap(q2, t.batches))!;
      expect(other.uploadBytes).toBeGreaterThanOrEqual(4 * n);
      expect(other.uploadBytes).toBeLessThan(4 * n + 4096);
      const other2 = gpuDetails(await gpu.runMap(q2, t.batches))!;
      // s's codes → ids table: one word per dictionary entry and chunk.
      expect(other2.uploadBytes).toBe(3 * 4 * Math.ceil(n / 4096));
    } finally {
      gpu.mapOptions = {};
      gpu.releaseCached(t.batches);
    }
  });

  it('stay within the budget: an input bigger than it keeps the chunks that fit, the same each job, and uploads only the rest; another input evicts them', async () => {
    const small = await GpuExecutor.create({ cpu: new CpuExecutor(), cacheBytes: 256 << 10 });
    try {
      const s = await planner();
      const rng = new Rng(9);
      const n = 60_000;
      const t = arrow.tableFromArrays({ k: Int32Array.from({ length: n }, () => rng.int(0, 9)), v: Float64Array.from({ length: n }, () => rng.next()) });
      const spec = specOf(s.fromArrow(t).groupBy('k').agg(sum('v'), count()), 2);
      const plain = await small.runMap(spec, t.batches);
      const want = await reduceAll(small, spec, [plain]);
      expect(diffFromReference(want, referenceOf(spec, rowsOfTable(t)), 'gpu')).toEqual([]);
      small.mapOptions = { cacheChunkRows: 4096 };
      const uploads: number[] = [];
      for (let r = 0; r < 3; r++) {
        const m = await small.runMap(cached(spec), t.batches);
        expect(diffExact(await reduceAll(small, spec, [m]), want)).toEqual([]);
        expect(small.cachedBytes).toBeGreaterThan(200 << 10);
        expect(small.cachedBytes).toBeLessThanOrEqual(256 << 10);
        uploads.push(gpuDetails(m)!.uploadBytes);
      }
      // 720 kB of input (k, v and validity bits) through a 256 KiB cache: the first run uploads it
      // all; later runs only what does not fit, the same each run (plain LRU re-uploaded it all).
      const all = gpuDetails(plain)!.uploadBytes;
      expect(uploads[0]).toBeGreaterThanOrEqual(all);
      expect(uploads[1]).toBeLessThanOrEqual(all - small.cachedBytes * 0.9);
      expect(uploads[1]).toBeGreaterThan(0);
      expect(uploads[2]).toBe(uploads[1]);
      // Another cached input takes the room back from the first one, and the first keeps its answers.
      const other = cached(spec, 2);
      const t2 = arrow.tableFromArrays({ k: Int32Array.from({ length: n }, () => rng.int(0, 9)), v: Float64Array.from({ length: n }, () => rng.next()) });
      expect(diffExact(await reduceAll(small, spec, [await small.runMap(other, t2.batches)]), await reduceAll(small, spec, [await small.runMap(spec, t2.batches)]))).toEqual([]);
      const again = await small.runMap(cached(spec), t.batches);
      expect(gpuDetails(again)!.uploadBytes).toBeGreaterThanOrEqual(all);
      expect(diffExact(await reduceAll(small, spec, [again]), want)).toEqual([]);
      expect(small.cachedBytes).toBeLessThanOrEqual(256 << 10);
    } finally {
      await small.close();
    }
  });
});

describe('DataFrame.cache()', () => {
  const t = arrow.tableFromArrays({ k: Int32Array.from({ length: 5000 }, (_, i) => i % 7), v: Float64Array.from({ length: 5000 }, (_, i) => i / 8) });
  const query = (df: ReturnType<Session['fromArrow']>) => df.filter(col('v').gt(3)).groupBy('k').agg(sum('v').as('s'), count().as('n')).orderBy('k');
  const rowsOf = async (df: ReturnType<Session['fromArrow']>) => (await query(df).collect()).toArray().map((r) => r.toJSON());
  /** Bytes the last job's map tasks wrote to the device. */
  const uploaded = (s: Session) => s.lastJob!.stages[0].tasks.reduce((a, x) => a + (gpuDetails(x)?.uploadBytes ?? 0), 0);
  const gpuOf = (s: Session) => (s as unknown as { executor: GpuExecutor }).executor;

  it('a CPU session answers the same; explain() names the cached scan', async () => {
    const s = await Session.create({ executor: 'cpu', workers: false });
    try {
      const df = s.fromArrow(t).cache();
      expect(query(df).explain()).toMatch(/InMemoryTableScan \(cached\) arrow/);
      expect(query(df.unpersist()).explain()).not.toMatch(/cached/);
      expect(await rowsOf(df)).toEqual(await rowsOf(s.fromArrow(t)));
    } finally {
      await s.close();
    }
  });

  it('rejects a gpuCacheBytes that is not a byte count, before opening any device', async () => {
    for (const bad of [-1, 1.5, '1GB', Number.NaN]) {
      await expect(Session.create({ executor: 'gpu', gpuCacheBytes: bad as never })).rejects.toThrow(InvalidOptionError);
    }
  });

  it.skipIf(!probe.gpu)('a GPU session keeps the input on the device across jobs; unpersist() frees it', async () => {
    const s = await Session.create({ executor: 'gpu', workers: false });
    try {
      const df = s.fromArrow(t).cache();
      // k and v: 12 bytes a row and a validity bit each.
      expect(query(df).explain()).toContain('InMemoryTableScan (cached 100% of 59.8 KiB) arrow');
      const want = await rowsOf(s.fromArrow(t));
      expect(await rowsOf(df)).toEqual(want);
      expect(uploaded(s)).toBeGreaterThan(0);
      expect(await rowsOf(df)).toEqual(want);
      expect(uploaded(s)).toBe(0);
      expect(gpuOf(s).cachedBytes).toBeGreaterThan(0);
      const plain = df.unpersist();
      expect(gpuOf(s).cachedBytes).toBe(0);
      expect(await rowsOf(plain)).toEqual(want);
      expect(gpuOf(s).cachedBytes).toBe(0);
    } finally {
      await s.close();
    }
  });

  it.skipIf(!probe.gpu)('an input bigger than gpuCacheBytes: cached as far as it fits, explained, the rest uploaded each job', async () => {
    const s = await Session.create({ executor: 'gpu', workers: false, gpuCacheBytes: Math.round(5000 * 12.25 * 0.4) });
    try {
      const df = s.fromArrow(t).cache();
      expect(query(df).explain()).toContain('InMemoryTableScan (cached 40% of 59.8 KiB) arrow');
      const want = await rowsOf(s.fromArrow(t));
      const all = uploaded(s);
      expect(await rowsOf(df)).toEqual(want);
      expect(uploaded(s)).toBeGreaterThanOrEqual(all);
      for (let r = 0; r < 2; r++) {
        expect(await rowsOf(df)).toEqual(want);
        expect(uploaded(s)).toBeGreaterThan(0.4 * all);
        expect(uploaded(s)).toBeLessThan(0.8 * all);
      }
      expect(gpuOf(s).cachedBytes).toBeLessThanOrEqual(Math.round(5000 * 12.25 * 0.4));
    } finally {
      await s.close();
    }
  });

  it.skipIf(!probe.gpu)('gpuCacheBytes: 0 keeps nothing: every job uploads its input', async () => {
    const s = await Session.create({ executor: 'gpu', workers: false, gpuCacheBytes: 0 });
    try {
      const df = s.fromArrow(t).cache();
      for (let r = 0; r < 2; r++) {
        await query(df).collect();
        expect(uploaded(s)).toBeGreaterThan(0);
      }
      expect(gpuOf(s).cachedBytes).toBe(0);
    } finally {
      await s.close();
    }
  });
});
