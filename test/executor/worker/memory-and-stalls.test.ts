/**
 * The CPU executor under real load: memory that follows the work (an executor thread lets go of
 * the shared memory its tasks read), and a driver whose event loop keeps turning while a job
 * copies a large input into shared memory. Each test runs its own session in this file's process.
 */
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { col, count, JobCancelledError, sum } from '../../../src/index.ts';
import { withSession } from '../../support/tables.ts';
import { distinctKeysTable, expectDistinctKeySums, leastStall, longestStall } from '../../support/longest-stall.ts';

const table = (n: number, seed: number): arrow.Table => arrow.tableFromArrays({
  k: Int32Array.from({ length: n }, (_, i) => (i * 31 + seed) % 1000),
  v: Float64Array.from({ length: n }, (_, i) => (i + seed) % 97),
});

describe('the CPU executor under load', () => {
  it("groups by a million distinct Utf8 keys without stalling the driver's event loop for 100 ms (strings cross threads as UTF-8)", async () => {
    await withSession(async (s) => {
      await s.fromArrow(table(1000, 0)).agg(count()).collect();
      const n = 1_000_000;
      const stall = await leastStall(3, 100, async () => {
        const t = distinctKeysTable(n);
        let result: arrow.Table | null = null;
        const stall = await longestStall(async () => { result = await s.fromArrow(t).groupBy('k').agg(sum('v')).collect(); });
        expectDistinctKeySums(result! as arrow.Table, n);
        return stall;
      });
      expect(stall).toBeLessThan(100);
    }, { cores: 2 });
  }, 120_000);

  it('200 jobs over fresh 7.5 MB tables: the process RSS (threads included) grows by less than 300 MB', async () => {
    await withSession(async (s) => {
      const n = 500_000;
      for (let j = 0; j < 10; j++) await s.fromArrow(table(n, j)).groupBy('k').agg(sum('v')).collect();
      const base = process.memoryUsage().rss;
      let peak = base;
      for (let j = 10; j < 200; j++) {
        const r = await s.fromArrow(table(n, j)).groupBy('k').agg(sum('v'), count()).collect();
        expect(r.numRows).toBe(1000);
        peak = Math.max(peak, process.memoryUsage().rss);
      }
      expect((peak - base) / 2 ** 20).toBeLessThan(300);
    }, { cores: 2 });
  }, 120_000);

  it("copies a fresh 240 MB input to the threads without stalling the driver's event loop for 100 ms; an abort lands within 100 ms", async () => {
    await withSession(async (s) => {
      // Start the threads first: their start-up is not the job's.
      await s.fromArrow(table(1000, 0)).agg(count()).collect();
      const stall = await leastStall(3, 100, (a) => {
        const big = table(2e7, 1 + 10 * a);
        return longestStall(() => s.fromArrow(big).filter(col('v').gt(3)).groupBy('k').agg(sum('v'), count()).collect());
      });
      expect(stall).toBeLessThan(100);
      const fresh = table(2e7, 2);
      const ac = new AbortController();
      const started = performance.now();
      setTimeout(() => ac.abort(), 20);
      const err = await s.fromArrow(fresh).groupBy('k').agg(sum('v')).collect({ signal: ac.signal }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(JobCancelledError);
      expect(performance.now() - started).toBeLessThan(20 + 100);
    }, { cores: 2 });
  }, 120_000);
});
