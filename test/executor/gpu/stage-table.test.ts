/**
 * Partial states merged on the device (stage-table.ts; gpuMerge: 'device', the default on a hardware GPU) against
 * its host path (gpuMerge: 'host') bit for bit, and against the CPU executor and exact BigInt
 * sums, over every key kind, nulls, int64 extremes, NaN and -0; a table that grows; tasks that
 * keep the host path (a full table, values beyond the stage's float scale), and a stage whose
 * merged float sums miss their bound (rerun on the CPU).
 */
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { avg, col, count, InvalidOptionError, max, min, Session, sum, type DataFrame } from '../../../src/index.ts';
import { gpuDetails } from '../../../src/executor/gpu/gpu-task-details.ts';
import type { GpuExecutor } from '../../../src/executor/gpu/gpu-executor.ts';
import { Rng } from '../../support/random.ts';
import { withSession } from '../../support/tables.ts';
import { openGpu } from './gpu-harness.ts';

const probe = await openGpu();
await probe.gpu?.close();

/**
 * Every cell of a table as text that tells -0, NaN, null and bigints apart, row by row; except a
 * float key's -0, which groups with 0 and is either (the CPU keeps a group's first value, the
 * GPU's table the canonical 0).
 */
const cells = (t: arrow.Table): string[] => t.toArray().map((r) => t.schema.fields.map((f) => {
  const v: unknown = r[f.name];
  return typeof v === 'number' && Object.is(v, -0) && f.name !== 'fk' ? '-0' : String(v);
}).join('|'));

/** One batch per partition, so that each map task has its own string dictionaries. */
function partitioned(parts: readonly Record<string, arrow.Vector>[]): arrow.Table {
  return new arrow.Table(parts.map((p) => new arrow.Table(p).batches[0]!));
}

interface Columns { k: (number | null)[]; s: (string | null)[]; w: (bigint | null)[]; v: (number | null)[]; f: number[]; fk: number[]; b: (boolean | null)[] }

/** A partition of `n` rows whose keys k lie in [lo, lo + range) and whose strings come from its own shuffled set. */
function part(rng: Rng, n: number, lo: number, range: number): Columns {
  const words = Array.from({ length: 9 }, (_, i) => `w${(i * 7 + lo) % 9}`);
  const c: Columns = { k: [], s: [], w: [], v: [], f: [], fk: [], b: [] };
  for (let i = 0; i < n; i++) {
    c.k.push(rng.next() < 0.01 ? null : lo + rng.int(0, range - 1));
    c.s.push(rng.next() < 0.02 ? null : words[rng.int(0, 8)]!);
    const r = rng.next();
    c.w.push(r < 0.05 ? null : r < 0.1 ? 2n ** 48n - BigInt(rng.int(0, 9)) : r < 0.15 ? -(2n ** 48n) : BigInt(rng.int(-1000, 1000)));
    c.v.push(rng.next() < 0.05 ? null : rng.int(-(2 ** 31), 2 ** 31 - 1));
    c.f.push(rng.next() < 0.01 ? NaN : rng.int(-1e6, 1e6) / 64);
    c.fk.push([0, -0, NaN, 1.5, -2.25, Infinity][rng.int(0, 5)]!);
    c.b.push(rng.next() < 0.1 ? null : rng.next() < 0.5);
  }
  return c;
}

const vectors = (c: Columns): Record<string, arrow.Vector> => ({
  k: arrow.vectorFromArray(c.k, new arrow.Int32()),
  s: arrow.vectorFromArray(c.s, new arrow.Utf8()),
  w: arrow.vectorFromArray(c.w, new arrow.Int64()),
  v: arrow.vectorFromArray(c.v, new arrow.Int32()),
  f: arrow.vectorFromArray(c.f, new arrow.Float64()),
  fk: arrow.vectorFromArray(c.fk, new arrow.Float64()),
  b: arrow.vectorFromArray(c.b, new arrow.Bool()),
});

/** count and the exact sum of w by k and s (BigInt). */
function exactSums(parts: readonly Columns[]): Map<string, { n: number; w: bigint | null }> {
  const out = new Map<string, { n: number; w: bigint | null }>();
  for (const c of parts) {
    for (let i = 0; i < c.k.length; i++) {
      const key = `${c.k[i]}|${c.s[i]}`;
      let g = out.get(key);
      if (!g) out.set(key, (g = { n: 0, w: null }));
      g.n++;
      if (c.w[i] !== null) g.w = (g.w ?? 0n) + c.w[i]!;
    }
  }
  return out;
}

const query = (df: DataFrame, keys: string[]) => df.groupBy(...keys)
  .agg(count(), count('v').as('nv'), sum('v'), sum('w'), min('w'), max('w'), min('v'), max('f'), min('f'), sum('f'), avg('f'))
  .orderBy(...keys);

/** The query on the device-merged GPU path, the GPU's host path and the CPU executor. */
async function runAll(t: arrow.Table, keys: string[], opts: { partitions: number; cores?: number }) {
  const out: Record<string, { table: arrow.Table; session: Session['lastJob'] }> = {};
  for (const [name, o] of [['device', { executor: 'gpu', gpuMerge: 'device' }], ['host', { executor: 'gpu', gpuMerge: 'host' }], ['cpu', { executor: 'cpu' }]] as const) {
    await withSession(async (s) => {
      out[name] = { table: await query(s.fromArrow(t, { partitions: opts.partitions }), keys).collect(), session: s.lastJob };
    }, { ...o, cores: opts.cores ?? 2, shufflePartitions: 5 });
  }
  return out;
}

describe.skipIf(!probe.gpu)(`partial states merged on the device${probe.gpu ? '' : ` (${probe.reason})`}`, () => {
  it('merges dense and hash map tasks with per-task string dictionaries into one table: bit for bit the host path, exact against BigInt sums', async () => {
    const rng = new Rng(7);
    // Partitions 0 and 1 have small key ranges (dense kernels), 2 a wide one (a hash kernel).
    const parts = [part(rng, 20_000, 0, 50), part(rng, 20_000, 25, 50), part(rng, 30_000, -1000, 40_000)];
    const t = partitioned(parts.map(vectors));
    const r = await runAll(t, ['k', 's'], { partitions: 3 });
    const modes = r.device!.session!.stages[0]!.tasks.map((x) => gpuDetails(x)!.mode);
    expect(modes.some((m) => m.startsWith('dense'))).toBe(true);
    expect(modes.some((m) => m.startsWith('hash'))).toBe(true);
    const merged = r.device!.session!.stages[0]!.merge!;
    // Read out in one range per executor thread, each decoded on its own.
    expect(merged.outputs).toBe(2);
    expect(new Set(merged.decodedOn).size).toBe(2);
    expect(merged.groups).toBe(r.device!.table.numRows);
    expect(r.device!.session!.stages[0]!.tasks.every((x) => gpuDetails(x)!.mergedOn === 'device')).toBe(true);
    expect(cells(r.device!.table)).toEqual(cells(r.host!.table));
    expect(cells(r.device!.table)).toEqual(cells(r.cpu!.table));
    const want = exactSums(parts);
    expect(r.device!.table.numRows).toBe(want.size);
    const k = r.device!.table.getChild('k')!, s = r.device!.table.getChild('s')!, n = r.device!.table.getChild('count(1)')!, w = r.device!.table.getChild('sum(w)')!;
    for (let i = 0; i < r.device!.table.numRows; i++) {
      const g = want.get(`${k.get(i)}|${s.get(i)}`)!;
      expect([Number(n.get(i)), w.get(i)]).toEqual([g.n, g.w]);
    }
  }, 120_000);

  it('merges 64-bit, float (-0 as 0, one NaN) and boolean keys with nulls as the host path does', async () => {
    const rng = new Rng(11);
    const parts = [part(rng, 15_000, 0, 3), part(rng, 15_000, 0, 3)];
    const t = partitioned(parts.map(vectors));
    for (const keys of [['w', 'fk'], ['b', 'fk', 'k'], ['s', 'b']]) {
      const r = await runAll(t, keys, { partitions: 2 });
      expect(r.device!.session!.stages[0]!.merge!.groups).toBe(r.device!.table.numRows);
      expect(cells(r.device!.table), keys.join()).toEqual(cells(r.host!.table));
      expect(cells(r.device!.table), keys.join()).toEqual(cells(r.cpu!.table));
    }
  }, 120_000);

  it('grows its table as groups come, re-merging what it holds into the bigger one', async () => {
    // Tasks of ever more groups (2k … 150k, each its own keys): the table grows from its smallest
    // size several times, and holds all ~238k groups at the end.
    const sizes = [2000, 6000, 20_000, 60_000, 150_000];
    let lo = 0;
    const t = partitioned(sizes.map((n) => {
      const k = Int32Array.from({ length: n }, (_, i) => lo + i);
      lo += n;
      return { k: arrow.makeVector(k), v: arrow.makeVector(Int32Array.from(k, (x) => (x * 7919) % 1000 - 500)) };
    }));
    const q = (df: DataFrame) => df.groupBy('k').agg(count(), sum('v')).orderBy('k');
    let cpu: arrow.Table | null = null;
    await withSession(async (s) => { cpu = await q(s.fromArrow(t, { partitions: sizes.length })).collect(); }, { executor: 'cpu' });
    await withSession(async (s) => {
      const r = await q(s.fromArrow(t, { partitions: sizes.length })).collect();
      expect(s.lastJob!.stages[0]!.merge).toMatchObject({ outputs: 2, groups: lo });
      expect(s.lastJob!.stages[0]!.merge!.notes).toEqual([expect.stringMatching(/^\d+ groups from 5 map tasks in a table of 524288 slots/)]);
      expect(cells(r)).toEqual(cells(cpu!));
    }, { executor: 'gpu', gpuMerge: 'device' });
  }, 120_000);

  it('a task whose groups the full-grown table cannot take keeps the host path, nothing lost or counted twice', async () => {
    const rng = new Rng(13);
    // 4 tasks of ~40k distinct keys each, mostly their own: ~156k groups of 11 aggregates, more
    // than the software adapter's largest table holds at half load.
    const parts = Array.from({ length: 4 }, (_, p) => part(rng, 40_000, p * 35_000, 2 ** 20));
    const t = partitioned(parts.map(vectors));
    const r = await runAll(t, ['k'], { partitions: 4 });
    const merged = r.device!.session!.stages[0]!.merge!;
    expect(merged.outputs).toBe(2);
    const modes = r.device!.session!.stages[0]!.tasks.map((x) => gpuDetails(x)!.mode);
    expect(modes.filter((m) => /not merged on the device: the stage's table is full \(\d+ groups, and the task's \d+ new ones do not fit its \d+ slots\)/.test(m)).length).toBeGreaterThan(0);
    expect(modes.filter((m) => !m.includes('not merged')).length).toBeGreaterThan(0);
    expect(cells(r.device!.table)).toEqual(cells(r.host!.table));
    expect(cells(r.device!.table)).toEqual(cells(r.cpu!.table));
  }, 180_000);

  it('a task whose keys the table already holds merges where counting them all as new would not fit (a lookup counts the new ones)', async () => {
    // Two tasks of the same 300k keys: 600k would overflow the software adapter's largest table
    // (524,288 slots for count and an integer sum); the second task adds no group.
    const n = 1_200_000;
    const t = new arrow.Table({
      k: arrow.makeVector(Int32Array.from({ length: n }, (_, i) => (i * 7919) % 300_000)),
      v: arrow.makeVector(Int32Array.from({ length: n }, (_, i) => i % 100)),
    });
    const q = (df: DataFrame) => df.groupBy('k').agg(count(), sum('v')).orderBy('k');
    let cpu: arrow.Table | null = null;
    await withSession(async (s) => { cpu = await q(s.fromArrow(t, { partitions: 2 })).collect(); }, { executor: 'cpu' });
    await withSession(async (s) => {
      const r = await q(s.fromArrow(t, { partitions: 2 })).collect();
      const [map] = s.lastJob!.stages;
      expect(map!.tasks.map((x) => gpuDetails(x)!.mergedOn)).toEqual(['device', 'device']);
      expect(map!.merge!.notes).toEqual([expect.stringMatching(/^300000 groups from 2 map tasks in a table of 524288 slots/)]);
      expect(map!.shuffleWriteRecords).toBe(300_000);
      expect(cells(r)).toEqual(cells(cpu!));
    }, { executor: 'gpu', gpuMerge: 'device' });
  }, 120_000);

  it('a task whose distinct keys could overflow its hash table merges in rounds instead of leaving the GPU', async () => {
    // 60k distinct keys in one task of 200k rows; tasks' tables bounded to 64 KiB (a few thousand slots).
    const n = 200_000;
    const t = new arrow.Table({
      k: arrow.makeVector(Int32Array.from({ length: n }, (_, i) => ((i * 7919) % 60_000) * 13 - 400_000)),
      v: arrow.makeVector(Int32Array.from({ length: n }, (_, i) => (i % 1001) - 500)),
    });
    const q = (df: DataFrame) => df.groupBy('k').agg(count(), sum('v')).orderBy('k');
    let cpu: arrow.Table | null = null;
    await withSession(async (s) => { cpu = await q(s.fromArrow(t, { partitions: 1 })).collect(); }, { executor: 'cpu' });
    const small = (s: Session) => { (s as unknown as { executor: GpuExecutor }).executor.mapOptions = { maxBufferBytes: 64 << 10 }; };
    await withSession(async (s) => {
      small(s);
      const r = await q(s.fromArrow(t, { partitions: 1 })).collect();
      const [task] = s.lastJob!.stages[0]!.tasks;
      expect(task!.fallbackReason).toBeUndefined();
      expect(gpuDetails(task!)!.mode).toMatch(/^hash \(merged in \d+ rounds of at most \d+ rows\)$/);
      expect(s.lastJob!.stages[0]!.merge!.groups).toBe(60_000);
      expect(cells(r)).toEqual(cells(cpu!));
    }, { executor: 'gpu', gpuMerge: 'device' });
    // The host path's task overflows its table and runs on the CPU, as before.
    await withSession(async (s) => {
      small(s);
      const r = await q(s.fromArrow(t, { partitions: 1 })).collect();
      expect(s.lastJob!.stages[0]!.tasks[0]!.fallbackReason).toMatch(/^the GPU hash table \(\d+ slots\) overflowed$/);
      expect(cells(r)).toEqual(cells(cpu!));
    }, { executor: 'gpu', gpuMerge: 'host' });
  }, 120_000);

  it('a task whose float values exceed the stage\'s fixed-point scale keeps the host path, and says why', async () => {
    const rng = new Rng(17);
    const small = part(rng, 10_000, 0, 100);
    const large = part(rng, 10_000, 0, 100);
    // 2^40 times larger: on the first task's scale their sums would not fit the 128-bit words.
    large.f = large.f.map((x) => x * 2 ** 40);
    const t = partitioned([small, large].map(vectors));
    // One core: the tasks reach the device in partition order, the small values first.
    const r = await runAll(t, ['k'], { partitions: 2, cores: 1 });
    const [first, second] = r.device!.session!.stages[0]!.tasks;
    expect(gpuDetails(first!)!.mergedOn).toBe('device');
    expect(gpuDetails(second!)!.mode).toMatch(/not merged on the device: sum\(f\): the task's values exceed the stage's fixed-point scale/);
    expect(cells(r.device!.table)).toEqual(cells(r.cpu!.table));
  }, 120_000);

  it('a stage whose merged float sum misses its bound reruns on the CPU, with the reason in its metrics', async () => {
    // Group 1 sums values near 2^40, group 2 values near 2^-30 (far below the stage's grid).
    const n = 4000;
    const t = partitioned([0, 1].map(() => ({
      k: arrow.makeVector(Int32Array.from({ length: n }, (_, i) => 1 + (i & 1))),
      f: arrow.makeVector(Float64Array.from({ length: n }, (_, i) => (i & 1 ? 2 ** -30 * (1 + i / n) : 2 ** 40 + i))),
    })));
    const q = (df: DataFrame) => df.groupBy('k').agg(sum('f')).orderBy('k');
    let cpu: arrow.Table | null = null;
    await withSession(async (s) => { cpu = await q(s.fromArrow(t, { partitions: 2 })).collect(); }, { executor: 'cpu' });
    await withSession(async (s) => {
      const r = await q(s.fromArrow(t, { partitions: 2 })).collect();
      expect(cells(r)).toEqual(cells(cpu!));
      const stages = s.lastJob!.stages;
      expect(stages.map((x) => x.kind)).toEqual(['ShuffleMapStage', 'ShuffleMapStage', 'ResultStage']);
      expect(stages[0]!.merge).toBeUndefined();
      expect(stages[1]!.placement!.reason).toMatch(/^the CPU, after the device merge failed: sum\(f\): a group's values lie too far below/);
    }, { executor: 'gpu', gpuMerge: 'device' });
  }, 120_000);

  it('a failed map task is retried and merged once', async () => {
    const rng = new Rng(19);
    const t = partitioned([part(rng, 5000, 0, 300), part(rng, 5000, 100, 300)].map(vectors));
    let cpu: arrow.Table | null = null;
    await withSession(async (s) => { cpu = await query(s.fromArrow(t, { partitions: 2 }), ['k']).collect(); }, { executor: 'cpu' });
    await withSession(async (s) => {
      const r = await query(s.fromArrow(t, { partitions: 2 }), ['k']).collect();
      expect(s.lastJob!.stages[0]!.failedAttempts).toBe(2);
      expect(cells(r)).toEqual(cells(cpu!));
    }, { executor: 'gpu', gpuMerge: 'device', faultInjector: (stage, _p, attempt) => (stage === 1 && attempt === 1 ? 'throw' : undefined) });
  }, 120_000);

  it('explains where the partial states merge, and why where it is the host', async () => {
    const t = partitioned([vectors(part(new Rng(1), 100, 0, 10))]);
    await withSession(async (s) => {
      expect(s.fromArrow(t).groupBy('k').agg(sum('v')).explain()).toMatch(
        /Stage 2 \(ResultStage\).*\n {2}runs on gpu \(.+\): partial states merged on the device into one table, whose final groups alone come back; finalized on cpu \(1 × 2 CPU threads\)\n/);
      expect(s.fromArrow(t).agg(sum('v')).explain()).toMatch(/\n {2}runs on cpu \(1 × 2 CPU threads\): partial states merged on the host: a global aggregate has one group\n/);
      expect(s.fromArrow(t).groupBy('k').agg(sum(col('v').div(2))).explain()).toMatch(/Stage 2 .*\n {2}runs on cpu \(1 × 2 CPU threads\): the map stage runs on the CPU\n/);
    }, { executor: 'gpu', gpuMerge: 'device' });
  }, 60_000);
});

describe('gpuMerge option', () => {
  it('rejects what is not auto, device or host', async () => {
    await expect(Session.create({ executor: 'cpu', gpuMerge: 'both' as never })).rejects.toThrow(new InvalidOptionError("gpuMerge must be 'auto', 'device' or 'host', got 'both'"));
  });
});
