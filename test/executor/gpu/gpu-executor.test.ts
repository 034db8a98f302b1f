import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { col, count, GpuFallbackError, max, Session, sum } from '../../../src/index.ts';
import { collectRows, marbles, withSession } from '../../support/tables.ts';
import { openGpu, planner, specOf } from './gpu-harness.ts';
import { GpuExecutor } from '../../../src/executor/gpu/gpu-executor.ts';
import { CpuExecutor } from '../../../src/executor/cpu/cpu-executor.ts';
import { INDEX, runScript } from '../../support/child-script.ts';
import { gpuDetails } from '../../../src/executor/gpu/gpu-task-details.ts';

const collectRowsOf = (t: arrow.Table) => t.toArray().map((r) => JSON.stringify(r.toJSON(), (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));

const probe = await openGpu();
await probe.gpu?.close();

describe.skipIf(!probe.gpu)(`sessions on the GPU executor${probe.gpu ? '' : ` (${probe.reason})`}`, () => {
  it('uploads columns that live in SharedArrayBuffers (Dawn refused them: "Invalid argument"), exactly', async () => {
    const shared = <T extends Int32Array | Float64Array | BigInt64Array>(a: T): T => {
      const out = new (a.constructor as new (b: SharedArrayBuffer) => T)(new SharedArrayBuffer(a.byteLength));
      out.set(a as never);
      return out;
    };
    const n = 50_000;
    const t = arrow.tableFromArrays({
      k: shared(Int32Array.from({ length: n }, (_, i) => i % 97)),
      v: shared(Float64Array.from({ length: n }, (_, i) => i / 4)),
      w: shared(BigInt64Array.from({ length: n }, (_, i) => BigInt(i % 1000) * 2n ** 40n)),
    });
    expect(t.getChild('k')!.data[0].values.buffer).toBeInstanceOf(SharedArrayBuffer);
    const q = (s: Session) => s.fromArrow(t, { partitions: 2 }).groupBy('k').agg(sum('v').as('s'), sum('w').as('sw'), count().as('n')).orderBy('k').collect();
    const onGpu = await withSession(async (s) => {
      const r = await q(s);
      expect(s.lastJob!.stages[0].tasks.every((task) => gpuDetails(task) !== undefined)).toBe(true);
      return collectRowsOf(r);
    }, { executor: 'gpu', gpuFallback: 'error' });
    const onCpu = await withSession(async (s) => collectRowsOf(await q(s)), { workers: false, cores: 1 });
    expect(onGpu).toEqual(onCpu);
  });

  it('runs the marble example with map tasks on the GPU and reduce tasks on CPU threads (on a software adapter: partial states merged on the host)', async () => {
    await withSession(async (s) => {
      const df = s.fromArrow(marbles(), { partitions: 2 }).filter(col('marbles').gt(0)).groupBy('bag').agg(sum('marbles').as('s'), count().as('n')).orderBy('bag');
      expect(df.explain()).toMatch(/Executor: gpu \(.+\) for map tasks; cpu \(1 × 2 CPU threads\) for reduce tasks/);
      expect(df.explain()).toMatch(/\n {2}runs on cpu \(1 × 2 CPU threads\): partial states merged on the host: on a software adapter the merge kernels run on this CPU, slower than the host merges \(gpuMerge: 'device' asks for them\)\n/);
      expect(await collectRows(df)).toEqual([
        { bag: 'Bag_A', s: 30, n: 2 },
        { bag: 'Bag_B', s: 10, n: 2 },
        { bag: 'Bag_C', s: 50, n: 2 },
      ]);
      const [map, result] = s.lastJob!.stages;
      expect(map.merge).toBeUndefined();
      for (const t of map.tasks) {
        expect(t.executorId).toMatch(/^gpu /);
        expect(gpuDetails(t)!.kernelMs).toBeGreaterThan(0);
        expect(t.fallbackReason).toBeUndefined();
        // The words read back are decoded on an executor thread, not the driver's.
        expect(gpuDetails(t)!.mergedOn).toMatch(/^executor-1\.[12]$/);
      }
      for (const t of result.tasks) expect(t.executorId).toMatch(/^executor-1\.[12]$/);
    }, { executor: 'gpu' });
  });

  it("gpuMerge: 'device' merges the map tasks' partial states on the device; only the final groups come back, decoded on executor threads", async () => {
    await withSession(async (s) => {
      const df = s.fromArrow(marbles(), { partitions: 2 }).filter(col('marbles').gt(0)).groupBy('bag').agg(sum('marbles').as('s'), count().as('n')).orderBy('bag');
      expect(df.explain()).toMatch(/\n {2}runs on gpu \(.+\): partial states merged on the device into one table, whose final groups alone come back; finalized on cpu \(1 × 2 CPU threads\)\n/);
      expect(await collectRows(df)).toEqual([{ bag: 'Bag_A', s: 30, n: 2 }, { bag: 'Bag_B', s: 10, n: 2 }, { bag: 'Bag_C', s: 50, n: 2 }]);
      const [map, result] = s.lastJob!.stages;
      for (const t of map.tasks) {
        // Its partial groups went into the stage's table on the device.
        expect(gpuDetails(t)!.mergedOn).toBe('device');
        expect(t.shuffleWriteRecords).toBe(0);
      }
      expect(map.merge).toMatchObject({ groups: 3, outputs: 1, decodedOn: [expect.stringMatching(/^executor-1\.[12]$/)] });
      expect(map.merge!.phases.map((p) => p.name)).toEqual(['merge', 'readback', 'decode']);
      expect(map.merge!.notes).toEqual([expect.stringMatching(/^3 groups from 2 map tasks in a table of 4096 slots on the device \(.+\)$/)]);
      expect(map.shuffleWriteRecords).toBe(3);
      for (const t of result.tasks) expect(t.executorId).toMatch(/^executor-1\.[12]$/);
    }, { executor: 'gpu', gpuMerge: 'device' });
  });

  it('without executor threads (workers: false) the driver thread decodes, with the same answer', async () => {
    for (const gpuMerge of ['host', 'device'] as const) {
      await withSession(async (s) => {
        const df = s.fromArrow(marbles(), { partitions: 2 }).groupBy('bag').agg(sum('marbles').as('s')).orderBy('bag');
        expect(await collectRows(df)).toEqual([{ bag: 'Bag_A', s: 30 }, { bag: 'Bag_B', s: 10 }, { bag: 'Bag_C', s: 50 }]);
        if (gpuMerge === 'device') expect(s.lastJob!.stages[0].merge!.decodedOn).toEqual(['driver']);
        else for (const t of s.lastJob!.stages[0].tasks) expect(gpuDetails(t)!.mergedOn).toBe('driver');
      }, { executor: 'gpu', workers: false, gpuMerge });
    }
  });

  it('splits its input into few, big map tasks by default: one per 2^26 rows, at least two', async () => {
    const big = new arrow.Table({ x: arrow.makeVector(new Int8Array(2 * 2 ** 26 + 1)) });
    await withSession(async (s) => {
      expect(s.fromArrow(marbles()).groupBy('bag').agg(count()).explain()).toMatch(/Scan arrow \[2 partitions, 6 rows\]/);
      expect(s.fromArrow(big).agg(count()).explain()).toMatch(/Scan arrow \[3 partitions/);
      expect(s.fromArrow(big, { partitions: 5 }).agg(count()).explain()).toMatch(/Scan arrow \[5 partitions/);
    }, { executor: 'gpu', cores: 4 });
    await withSession(async (s) => {
      expect(s.fromArrow(big).agg(count()).explain()).toMatch(/Scan arrow \[4 partitions/);
    }, { executor: 'cpu', cores: 4 });
  });

  it("failed GPU attempts are retried", async () => {
    await withSession(async (s) => {
      expect(s.options.executor).toBe('gpu');
      expect(await collectRows(s.fromArrow(marbles(), { partitions: 2 }).agg(sum('marbles')))).toEqual([{ 'sum(marbles)': 90 }]);
      expect(s.lastJob!.stages[0].failedAttempts).toBe(1);
    }, { executor: 'gpu', faultInjector: (stage, partition, attempt) => (stage === 1 && partition === 0 && attempt === 1 ? 'throw' : undefined) });
  });

  it('a map stage with no GPU kernel is placed on the executor threads, and explain() says why', async () => {
    await withSession(async (s) => {
      // Division has no GPU kernel: the whole stage runs on the CPU executor.
      const df = s.fromArrow(marbles(), { partitions: 2 }).groupBy('bag').agg(sum(col('marbles').div(2)).as('h')).orderBy('bag');
      expect(df.explain()).toMatch(/Stage 1 \(ShuffleMapStage\).*\n  runs on cpu \(1 × 2 CPU threads\): no GPU kernel: division has no GPU kernel yet\n/);
      expect(await collectRows(df)).toEqual([{ bag: 'Bag_A', h: 15 }, { bag: 'Bag_B', h: 5 }, { bag: 'Bag_C', h: 25 }]);
      const map = s.lastJob!.stages[0];
      expect(map.placement).toEqual({ on: 'cpu', reason: 'cpu (1 × 2 CPU threads): no GPU kernel: division has no GPU kernel yet' });
      for (const t of map.tasks) {
        expect(t.executorId).toMatch(/^executor-1\.[12]$/);
        // Placed there, not fallen back: no task left the GPU.
        expect(t.fallbackReason).toBeUndefined();
        expect(gpuDetails(t)).toBeUndefined();
      }
    }, { executor: 'gpu', cores: 2 });
  });

  it("map tasks whose data has no GPU kernel fall back to the executor threads, side by side, and say why", async () => {
    const n = 2_000_000;
    // A uint64 value of 2^63 or more in each partition: the kernels read uint64 as int64.
    const u = BigUint64Array.from({ length: n }, (_, i) => BigInt(i % 1000));
    u[10] = 2n ** 63n + 5n;
    u[n - 10] = 2n ** 63n + 7n;
    const t = arrow.tableFromArrays({ k: Int32Array.from({ length: n }, (_, i) => i % 1000), u });
    await withSession(async (s) => {
      const got = await s.fromArrow(t, { partitions: 2 }).groupBy('k').agg(max('u').as('m')).orderBy('k').collect();
      expect(got.numRows).toBe(1000);
      expect(got.getChild('m')!.get(10)).toBe(2n ** 63n + 5n);
      expect(got.getChild('m')!.get(990)).toBe(2n ** 63n + 7n);
      const map = s.lastJob!.stages[0];
      expect(map.placement?.on).toBe('gpu');
      expect(map.tasks.map((x) => x.fallbackReason)).toEqual(["uint64 column 'u' holds values of 2^63 or more", "uint64 column 'u' holds values of 2^63 or more"]);
      const threads = map.tasks.map((x) => x.executorId!);
      expect(threads.every((id) => /^executor-1\.\d$/.test(id))).toBe(true);
      expect(new Set(threads).size).toBe(2);
      // Side by side: each started before the other ended.
      const [a, b] = map.tasks.map((x) => [x.startMs!, x.startMs! + x.durationMs]);
      expect(a![0]! < b![1]! && b![0]! < a![1]!).toBe(true);
    }, { executor: 'gpu', cores: 2 });
  });

  it("gpuFallback: 'error' fails a job whose map task would leave the GPU, with a typed error giving the reason", async () => {
    await withSession(async (s) => {
      const frame = s.fromArrow(marbles(), { partitions: 2 });
      const err = await frame.groupBy('bag').agg(sum(col('marbles').div(2))).collect().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(GpuFallbackError);
      expect((err as GpuFallbackError).reasons).toEqual([expect.stringMatching(/^division has no GPU kernel/)]);
      expect((err as Error).message).toMatch(/^a map task has no GPU kernel and gpuFallback is 'error': division has no GPU kernel/);
      // Not retried: one attempt of the first task failed the job; the session goes on.
      expect(await collectRows(frame.groupBy('bag').agg(sum('marbles')).orderBy('bag'))).toEqual([
        { bag: 'Bag_A', 'sum(marbles)': 30 }, { bag: 'Bag_B', 'sum(marbles)': 10 }, { bag: 'Bag_C', 'sum(marbles)': 50 },
      ]);
      expect(s.lastJob!.stages[0]!.tasks.every((t) => t.fallbackReason === undefined)).toBe(true);
      expect(frame.groupBy('bag').agg(sum(col('marbles').div(2))).explain()).toMatch(/\n  runs on gpu \(.*\), where its tasks fail \(gpuFallback: 'error'\): no GPU kernel: division has no GPU kernel yet\n/);
    }, { executor: 'gpu', gpuFallback: 'error' });
    await expect(Session.create({ gpuFallback: 'maybe' as 'cpu' })).rejects.toThrow("gpuFallback must be 'cpu' or 'error', got 'maybe'");
  });

  it("'auto' runs on a hardware GPU, but on the CPU executor where the only adapter is a software one, and says why", async () => {
    const software = await withSession(async (s) => s.executorName.includes('(opengles)'), { executor: 'gpu', workers: false });
    await withSession(async (s) => {
      const explain = s.fromArrow(marbles()).agg(sum('marbles')).explain();
      if (software) {
        expect(s.options.executor).toBe('cpu');
        expect(s.options.gpuUnavailable).toBe("no hardware WebGPU adapter found; executor: 'gpu' would use the software adapter (Mesa llvmpipe) where installed, slower than the CPU executor");
        expect(explain).toContain(`Executor: cpu (calling thread); 'auto' runs on the CPU: ${s.options.gpuUnavailable}`);
      } else {
        expect(s.options.executor).toBe('gpu');
        expect(s.options.gpuUnavailable).toBeNull();
      }
      expect(await collectRows(s.fromArrow(marbles(), { partitions: 2 }).agg(sum('marbles')))).toEqual([{ 'sum(marbles)': 90 }]);
    }, { executor: 'auto', workers: false });
  });
});

describe.skipIf(!probe.gpu)(`stage placement by cost (executor 'auto')${probe.gpu ? '' : ` (${probe.reason})`}`, () => {
  it('places a small map stage on the CPU executor, runs it there, and explains the estimate', async () => {
    const gpu = await GpuExecutor.create({ cpu: new CpuExecutor(), placement: 'cost' });
    try {
      const spec = specOf((await planner()).fromArrow(marbles()).groupBy('bag').agg(sum('marbles')), 2);
      const placement = gpu.placeStage({ kind: 'map', spec, partitions: [marbles().batches] });
      expect(placement.on).toBe('cpu');
      expect(placement.reason).toMatch(/^cpu \(calling thread\): estimated [\d.]+ ms on the GPU vs [\d.]+ ms on the CPU for 6 rows, \d+ B to upload \(0 B cached\), ≤ 4 groups$/);
      const m = await gpu.runMap(spec, marbles().batches, { placement });
      expect(m.details).toBeUndefined();
      expect(m.fallbackReason).toBeUndefined();
      expect(gpu.lastTimings).toBeNull();
      expect(gpu.placeStage({ kind: 'reduce', spec, map: { kind: 'map', spec, partitions: [marbles().batches] } })).toEqual({
        on: 'cpu', reason: 'cpu (calling thread): the map stage runs on the CPU',
      });
      expect(gpu.placeStage({ kind: 'scan' }).on).toBe('cpu');
    } finally {
      await gpu.close();
    }
  });
});

describe('executor option', () => {
  it('rejects an unknown executor', async () => {
    await expect(Session.create({ executor: 'tpu' as 'cpu' })).rejects.toThrow("executor must be 'cpu', 'gpu' or 'auto', got 'tpu'");
  });

  it("without an adapter: 'gpu' throws GpuUnavailableError saying what to install, 'auto' runs on the CPU and explain() says why", (ctx) => {
    // A process whose EGL cannot open a display has no software adapter (a hardware one may remain).
    const r = runScript('noadapter', [
      `import { Session, sum } from ${JSON.stringify(INDEX)};`,
      `import * as arrow from 'apache-arrow';`,
      'let gpu = null;',
      "try { await (await Session.create({ executor: 'gpu', workers: false })).close(); } catch (e) { gpu = { name: e.name, message: e.message }; }",
      "const s = await Session.create({ executor: 'auto', workers: false });",
      "const explain = s.fromArrow(arrow.tableFromArrays({ v: Int32Array.from([1, 2]) })).agg(sum('v')).explain();",
      'console.log(JSON.stringify({ gpu, executor: s.options.executor, reason: s.options.gpuUnavailable, explain }));',
      'await s.close();',
    ], { ...process.env, EGL_PLATFORM: 'no-such-platform' });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    if (out.gpu === null) ctx.skip('a hardware adapter is present: no way to hide it here');
    expect(out.gpu.name).toBe('GpuUnavailableError');
    expect(out.gpu.message).toContain('apt-get install -y libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri');
    expect(out.executor).toBe('cpu');
    expect(out.reason).toBe("no hardware WebGPU adapter found; executor: 'gpu' would use the software adapter (Mesa llvmpipe) where installed, slower than the CPU executor");
    expect(out.explain).toContain(`Executor: cpu (calling thread); 'auto' runs on the CPU: ${out.reason}`);
  });

  it("prints nothing to stderr but Dawn's own limit notices, which 'auto' without a hardware GPU never triggers; NODE_DEBUG=gpuframe says what was tried", () => {
    const DAWN_NOTICES = /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to 16 to fit dynamic offset allocation limit\.\n/gm;
    const script = (executor: string) => [
      `import { Session, sum } from ${JSON.stringify(INDEX)};`,
      `import * as arrow from 'apache-arrow';`,
      `for (let i = 0; i < 2; i++) {`,
      `  const s = await Session.create({ executor: '${executor}' });`,
      "  const r = await s.fromArrow(arrow.tableFromArrays({ v: Int32Array.from([1, 2]) })).agg(sum('v')).collect();",
      '  console.log(JSON.stringify({ executor: s.options.executor, sum: String(r.getChildAt(0).get(0)) }));',
      '  await s.close();',
      '}',
    ];
    for (const executor of ['cpu', 'auto', 'gpu']) {
      const r = runScript(`quiet-${executor}`, script(executor), { ...process.env, NODE_DEBUG: '' });
      expect(r.status, r.stderr).toBe(0);
      const ran = JSON.parse(r.stdout.trim().split('\n').pop()!);
      expect(ran.sum).toBe('3');
      if (ran.executor === 'cpu') expect(r.stderr, executor).toBe('');
      else expect(r.stderr.replace(DAWN_NOTICES, ''), executor).toBe('');
    }
    const debug = runScript('debug-auto', script('auto'), { ...process.env, NODE_DEBUG: 'gpuframe' });
    expect(debug.stderr).toMatch(/^GPUFRAME \d+: (opening |no Vulkan loader|requestAdapter)/m);
  });
});
