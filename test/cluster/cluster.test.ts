/**
 * Jobs on a real cluster: a `nats-server -js` with a file store and executor processes started as
 * `gpuframe executor --nats URL`, answers compared with the in-process executor's (itself checked
 * against DuckDB) and with exact sums, and the faults a cluster meets: a process killed mid-stage,
 * one joining mid-job, none at all, the server restarted, a task failing everywhere, a cancelled job.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClusterUnavailableError, InvalidOptionError, JobCancelledError, NoExecutorError, Session, TaskFailedError,
  avg, col, count, countDistinct, desc, gpuDetails, max, min, sum, type DataFrame, type FaultInjector, type SessionOptions,
} from '../../src/index.ts';
import { tableCells, toDecimal128Words } from '../../src/arrow/decimal.ts';
import { freePort, LocalCluster } from '../../bench/local-cluster.ts';
import { writeParquet } from '../support/parquet-files.ts';
import { INDEX } from '../support/child-script.ts';
import { Rng } from '../support/random.ts';

/** 40k rows: int and string keys with nulls, int64 values beyond 2^53 in sum, floats. */
function table(seed: number, rows = 40_000): arrow.Table {
  const rng = new Rng(seed);
  const k = Array.from({ length: rows }, () => (rng.bool(0.02) ? null : rng.int(0, 500)));
  const s = Array.from({ length: rows }, () => (rng.bool(0.03) ? null : `key-${rng.int(0, 50)}-é`));
  const big = Array.from({ length: rows }, () => BigInt(rng.int(-1000, 1000)) * 2n ** 44n + BigInt(rng.int(0, 1000)));
  const f = Array.from({ length: rows }, () => (rng.bool(0.05) ? null : rng.int(-1e6, 1e6) / 8));
  return new arrow.Table({
    k: arrow.vectorFromArray(k, new arrow.Int32()),
    s: arrow.vectorFromArray(s, new arrow.Utf8()),
    big: arrow.vectorFromArray(big, new arrow.Int64()),
    f: arrow.vectorFromArray(f, new arrow.Float64()),
  });
}

const query = (df: DataFrame) =>
  df.filter(col('k').gt(3)).groupBy('k', 's').agg(count().as('n'), sum('big').as('sb'), sum('f').as('sf'), min('f').as('lo'), max('big').as('hi'), avg('big').as('ab')).orderBy('k', 's');

const rowsOf = (t: arrow.Table) => t.toArray().map((r) => JSON.stringify(r.toJSON(), (_, v) => (typeof v === 'bigint' ? v.toString() : v)));

/** The same query on this process's CPU executor. */
async function local(t: arrow.Table, q: (df: DataFrame) => DataFrame = query): Promise<string[]> {
  const s = await Session.create({ workers: false, cores: 1 });
  try {
    return rowsOf(await q(s.fromArrow(t, { partitions: 3 })).collect());
  } finally {
    await s.close();
  }
}

async function withSession<T>(c: LocalCluster, fn: (s: Session) => Promise<T>, opts: SessionOptions = {}, cluster: object = {}): Promise<T> {
  const s = await Session.create({ cluster: { nats: c.url, ackWaitMs: 1000, ...cluster }, ...opts });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

const slowFirst = (stage = 1): FaultInjector => (st, _p, attempt) => (st === stage && attempt === 1 ? 'slow' : undefined);

describe('a cluster of executor processes through NATS JetStream', () => {
  let c: LocalCluster;
  beforeAll(async () => {
    c = await LocalCluster.start(2, 1);
  }, 120_000);
  afterAll(async () => {
    await c?.stop();
  });

  it('runs a job on both processes, as exact as the in-process executor, and says where each task ran', async () => {
    const t = table(1);
    const want = await local(t);
    await withSession(c, async (s) => {
      expect(s.options.cluster).toBe(c.url);
      expect(s.options.executors).toBe(2);
      const df = query(s.fromArrow(t, { partitions: 6 }));
      expect(df.explain()).toMatch(/runs on cluster \(nats:\/\/127\.0\.0\.1:\d+: 2 executor processes, 2 cores: e1@\S+ cpu/);
      for (let run = 0; run < 2; run++) expect(rowsOf(await df.collect())).toEqual(want);
      const job = s.lastJob!;
      const [map, reduce] = job.stages;
      const ran = new Set(map.tasks.map((x) => x.executorId!.split('@')[0]));
      expect(ran).toEqual(new Set(['e1', 'e2']));
      for (const task of [...map.tasks, ...reduce.tasks]) expect(task.executorId).toMatch(/^e[12]@[^/]+\/executor-1\.1$/);
      expect(map.tasks[0].details?.notes.join('\n')).toMatch(/ran on e[12] \(pid \d+\) on /);
      expect(map.shuffleWriteBytes).toBeGreaterThan(0);
      expect(reduce.shuffleReadBytes).toBe(map.shuffleWriteBytes);
      expect(map.shuffleWriteRecords).toBe(reduce.shuffleReadRecords);
    });
  });

  it('groups by and sums 128-bit decimals through the cluster (their keys cross as text), as exact as the in-process executor', async () => {
    const rng = new Rng(9), rows = 20_000;
    const pool = Array.from({ length: 40 }, () => rng.bigint(-(10n ** 33n), 10n ** 33n));
    const w = Array.from({ length: rows }, () => (rng.bool(0.05) ? null : rng.pick(pool)));
    const t = new arrow.Table({
      k: arrow.vectorFromArray(Array.from({ length: rows }, () => rng.int(0, 20)), new arrow.Int32()),
      w: arrow.makeVector(arrow.makeData({
        type: new arrow.Decimal(2, 38, 128), length: rows, nullCount: w.filter((x) => x === null).length,
        nullBitmap: Uint8Array.from({ length: Math.ceil(rows / 8) }, (_, b) => w.slice(8 * b, 8 * b + 8).reduce((a, x, j) => a | (x === null ? 0 : 1 << j), 0)),
        data: toDecimal128Words(w.map((x) => x ?? 0n)),
      })),
    });
    const q = (df: DataFrame) => df.groupBy('w').agg(count().as('n'), sum('w').as('s'), countDistinct('k').as('ks')).orderBy('w');
    const cellsOf = (r: arrow.Table) => tableCells(r, r.numRows, String);
    const want = await (async () => {
      const s = await Session.create({ workers: false, cores: 1 });
      try { return cellsOf(await q(s.fromArrow(t, { partitions: 3 })).collect()); } finally { await s.close(); }
    })();
    expect(want.length).toBe(41);
    await withSession(c, async (s) => {
      expect(cellsOf(await q(s.fromArrow(t, { partitions: 4 })).collect())).toEqual(want);
      expect(s.lastJob!.stages[0].shuffleWriteBytes).toBeGreaterThan(0);
    });
  });

  it('reads Parquet files where the executors run, and runs filter-only jobs there too', async () => {
    const t = table(2, 20_000);
    const dir = mkdtempSync(join(tmpdir(), 'gpuframe-cluster-'));
    const file = join(dir, 't.parquet');
    writeParquet(t, file, { rowGroupRows: 3000 });
    const want = await local(t);
    const wantRows = t.toArray().filter((r) => r.k !== null && r.k > 400).length;
    await withSession(c, async (s) => {
      const df = await s.readParquet(file);
      expect(rowsOf(await query(df).collect())).toEqual(want);
      expect(s.lastJob!.stages[0].tasks.every((x) => (x.inputBytes ?? 0) > 0)).toBe(true);
      expect(await df.filter(col('k').gt(400)).count()).toBe(wantRows);
      const fromFile = await df.filter(col('k').gt(400)).collect();
      expect(fromFile.numRows).toBe(wantRows);
      const inMemory = await s.fromArrow(t, { partitions: 4 }).filter(col('k').gt(400)).collect();
      expect(inMemory.numRows).toBe(wantRows);
      expect(s.lastJob!.stages[0].tasks.every((x) => /^e[12]@/.test(x.executorId!))).toBe(true);
    });
  });

  it("orderBy(...).limit(n) over a scan: only each task's first n rows leave the executors, the answer exact", async () => {
    const t = table(17, 20_000);
    const dir = mkdtempSync(join(tmpdir(), 'gpuframe-cluster-top-'));
    const file = join(dir, 't.parquet');
    writeParquet(t, file, { rowGroupRows: 3000 });
    const top = (df: DataFrame) => df.filter(col('k').gt(3)).select('k', 'f', 'big', 's').orderBy(desc('f'), 'big', 's').limit(25);
    const want = await local(t, top);
    await withSession(c, async (s) => {
      for (const [df, tasks] of [[s.fromArrow(t, { partitions: 4 }), 4], [await s.readParquet(file), 1]] as const) {
        expect(rowsOf(await top(df).collect())).toEqual(want);
        expect(s.lastJob!.stages[0].tasks.map((x) => [x.inputRows, x.outputRows])).toEqual(Array(tasks).fill([20_000 / tasks, 25]));
      }
      // A sort key the projection computes: the tasks' rows come back whole, and the driver cuts them.
      const computed = (df: DataFrame) => df.select(col('f').mul(-1).as('g'), 'k').orderBy('g', 'k').limit(5);
      expect(rowsOf(await computed(s.fromArrow(t, { partitions: 2 })).collect())).toEqual(await local(t, computed));
      expect(s.lastJob!.stages[0].tasks.every((x) => x.outputRows > 25)).toBe(true);
    });
  });

  it('gpuframe query --nats runs a query over files on the cluster; gpuframe executor needs --nats', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpuframe-cluster-cli-'));
    const file = join(dir, 't.parquet');
    writeParquet(table(11, 5000), file);
    const want = await local(table(11, 5000), (df) => df.groupBy('k').agg(count().as('n')).orderBy('k'));
    const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8', timeout: 60_000 });
    const r = cli(['query', file, '--nats', c.url, '--group-by', 'k', '--agg', 'count() AS n', '--order-by', 'k', '--format', 'json', '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as { k: number | null; n: number }[];
    expect(rows.map((x) => JSON.stringify({ k: x.k, n: String(x.n) }))).toEqual(want.map((x) => { const o = JSON.parse(x); return JSON.stringify({ k: o.k, n: String(o.n) }); }));
    const bad = cli(['executor']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/required option '--nats <url>' not specified/);
    const cores = cli(['query', file, '--nats', c.url, '--cores', '2', '--agg', 'count()']);
    expect(cores.status).toBe(1);
    expect(cores.stderr).toMatch(/InvalidOptionError: cores cannot be given with cluster/);
  }, 60_000);

  it("deletes a job's shuffle blocks and outcomes when it ends, and the session's inputs when it closes", async () => {
    const { connect } = await import('@nats-io/transport-node');
    const { Objm } = await import('@nats-io/obj');
    const { Kvm } = await import('@nats-io/kv');
    const nc = await connect({ servers: c.url });
    try {
      const blocks = await new Objm(nc).open('gpuframe-blocks');
      const results = await new Kvm(nc).open('gpuframe-results');
      const names = async () => (await blocks.list()).map((o) => o.name);
      const keys = async () => { const out: string[] = []; for await (const k of await results.keys()) out.push(k); return out; };
      await withSession(c, async (s) => {
        await query(s.fromArrow(table(3), { partitions: 4 })).collect();
        // Deleted in the background once the job has answered: within a second or two.
        let left = await names();
        for (let i = 0; i < 50 && left.length > 4; i++) left = await new Promise((r) => setTimeout(r, 100)).then(names);
        expect(left.length).toBe(4);
        expect(left.every((n) => n.startsWith(`${(s as unknown as { executor: { session: string } }).executor.session}/input/`))).toBe(true);
        expect(await keys()).toEqual([]);
      });
      expect(await names()).toEqual([]);
    } finally {
      await nc.close();
    }
  });

  it('a task whose process is killed (kill -9) mid-stage is delivered again, and counted once', async () => {
    const t = table(4);
    const want = await local(t);
    await withSession(c, async (s) => {
      const job = query(s.fromArrow(t, { partitions: 4 })).collect();
      await c.waitForLog('e1', /started task \S+\.1\.\d+ attempt 1 delivery 1/);
      await c.kill('e1');
      expect(rowsOf(await job)).toEqual(want);
      const map = s.lastJob!.stages[0];
      expect(map.tasks.every((x) => x.executorId!.startsWith('e2@'))).toBe(true);
      expect(map.tasks.some((x) => /delivery 2/.test(x.details!.notes.join(' ')))).toBe(true);
      expect(map.tasks.map((x) => x.partition).sort()).toEqual([0, 1, 2, 3]);
    }, { faultInjector: slowFirst() });
    expect(c.exitOf('e1').signal).toBe('SIGKILL');
    await c.addExecutor('e1');
  }, 60_000);

  it('a task whose every delivery kills its process fails that attempt (max deliveries), and its retry answers exactly', async () => {
    const t = table(15, 4000);
    const want = await local(t);
    await withSession(c, async (s) => {
      // Attempt 1 of map task 0 kills the process it reaches ('crash': SIGKILL), and may be delivered once.
      expect(rowsOf(await query(s.fromArrow(t, { partitions: 2 })).collect())).toEqual(want);
      const map = s.lastJob!.stages[0];
      expect(map.failedAttempts).toBe(1);
      expect(map.tasks.find((x) => x.partition === 0)!.attempt).toBe(2);
    }, { faultInjector: (st, p, attempt) => (st === 1 && p === 0 && attempt === 1 ? 'crash' : undefined) }, { maxDeliveries: 1 });
    const killed = ['e1', 'e2'].filter((n) => c.exitOf(n).signal === 'SIGKILL');
    expect(killed.length).toBe(1);
    await c.addExecutor(killed[0]);
  }, 60_000);

  it('a task taken off the work queue with no outcome recorded fails its attempt, and its retry answers exactly', async () => {
    const t = table(16, 4000);
    const want = await local(t);
    const errors: string[] = [];
    await withSession(c, async (s) => {
      // Attempt 1 of map task 0 is terminated by the process that takes it ('vanish'): no outcome, no redelivery.
      expect(rowsOf(await query(s.fromArrow(t, { partitions: 2 })).collect())).toEqual(want);
      const map = s.lastJob!.stages[0];
      expect(map.failedAttempts).toBe(1);
      expect(map.tasks.find((x) => x.partition === 0)!.attempt).toBe(2);
    }, {
      faultInjector: (st, p, attempt) => (st === 1 && p === 0 && attempt === 1 ? 'vanish' : undefined),
      onProgress: (e) => { if (e.type === 'taskEnd' && e.error) errors.push(e.error); },
    }, { ackWaitMs: 30_000 });
    expect(errors).toEqual([expect.stringMatching(/^ExecutorLostError: task \S+\.1\.0 attempt 1 left the work queue with no outcome recorded$/)]);
  }, 30_000);

  it('a task running longer than the ack wait is kept alive by its process, not delivered again', async () => {
    const t = table(14, 4000);
    const want = await local(t);
    await withSession(c, async (s) => {
      // The first attempt takes a second, the consumer's ack wait is now 300 ms, and the other process is idle.
      expect(rowsOf(await query(s.fromArrow(t, { partitions: 1 })).collect())).toEqual(want);
      const map = s.lastJob!.stages[0];
      expect(map.tasks.map((x) => x.attempt)).toEqual([1]);
      for (const task of map.tasks) expect(task.details!.notes.join(' ')).not.toMatch(/delivery \d/);
    }, { faultInjector: slowFirst() }, { ackWaitMs: 300 });
  }, 60_000);

  it('an executor process that joins mid-job takes tasks of it', async () => {
    const t = table(5);
    const want = await local(t);
    await c.kill('e2');
    await withSession(c, async (s) => {
      // e2's heartbeat has not expired yet: the job starts with e1 alone working, a second a task.
      const job = query(s.fromArrow(t, { partitions: 12 })).collect();
      await c.waitForLog('e1', /started task \S+\.1\.\d+ attempt 1/);
      await c.addExecutor('e3');
      expect(rowsOf(await job)).toEqual(want);
      const ran = new Set(s.lastJob!.stages[0].tasks.map((x) => x.executorId!.split('@')[0]));
      expect(ran).toEqual(new Set(['e1', 'e3']));
    }, { faultInjector: slowFirst() });
  }, 90_000);

  it('a task that fails on every executor fails the job with TaskFailedError after maxTaskAttempts', async () => {
    await withSession(c, async (s) => {
      const err = await query(s.fromArrow(table(6), { partitions: 3 })).collect().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TaskFailedError);
      expect((err as TaskFailedError).attempts).toBe(3);
      expect((err as Error).message).toMatch(/partition 1 of stage 1 failed after 3 attempt\(s\): Error: injected task failure/);
      expect(s.lastJob).toBeUndefined();
      // The session is still usable.
      expect(await s.fromArrow(table(6), { partitions: 1 }).count()).toBe(40_000);
    }, { maxTaskAttempts: 3, faultInjector: (st, p) => (st === 1 && p === 1 ? 'throw' : undefined) });
  }, 30_000);

  it('a cancelled job stops its tasks on the executors, which then run the next job', async () => {
    await withSession(c, async (s) => {
      const ctl = new AbortController();
      const job = query(s.fromArrow(table(7), { partitions: 2 })).collect({ signal: ctl.signal });
      await c.waitForLog('e1', /started task \S+\.1\.\d+ attempt 1/);
      const dropped = c.waitForLog('e1', /dropped task \S+\.1\.\d+ attempt 1 delivery 1: its job ended/);
      ctl.abort();
      await expect(job).rejects.toBeInstanceOf(JobCancelledError);
      await dropped;
    }, { faultInjector: (st) => (st === 1 ? 'hang' : undefined) });
    await withSession(c, async (s) => {
      expect(rowsOf(await query(s.fromArrow(table(7), { partitions: 2 })).collect())).toEqual(await local(table(7)));
    });
  }, 60_000);

  it('refuses options a cluster does not take, and a bad URL, with typed errors', async () => {
    await expect(Session.create({ cluster: { nats: c.url }, cores: 2 })).rejects.toThrow(/cores cannot be given with cluster/);
    await expect(Session.create({ cluster: { nats: 'http://x' } })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(Session.create({ cluster: { nats: c.url, ackWaitMs: 5 } })).rejects.toThrow(/ackWaitMs/);
    await expect(Session.create({ cluster: { nats: c.url, staleSessionMs: 1000 } })).rejects.toThrow(/cluster\.staleSessionMs must be .*5000.* got 1000/);
    await expect(Session.create({ cluster: 'nats://x:1' as never })).rejects.toThrow(/cluster must be an object such as \{ nats: 'nats:\/\/host:4222' \}, got/);
    await expect(Session.create({ cluster: { nats: c.url, bogus: 1 } as never })).rejects.toThrow(/bogus/);
    const port = await freePort();
    await expect(Session.create({ cluster: { nats: `nats://127.0.0.1:${port}`, connectTimeoutMs: 1000 } })).rejects.toBeInstanceOf(ClusterUnavailableError);
  });
});

describe('a driver that dies', () => {
  it("leaves its tasks running and its objects stored until its session is stale; the next session to open cancels and deletes them", async () => {
    const c = await LocalCluster.start(2, 1);
    const { Objm } = await import('@nats-io/obj');
    const { connect } = await import('@nats-io/transport-node');
    const nc = await connect({ servers: c.url });
    try {
      const dir = fileURLToPath(new URL('../../node_modules/.cache/', import.meta.url));
      mkdirSync(dir, { recursive: true });
      const script = join(mkdtempSync(join(dir, 'gpuframe-dead-driver-')), 'driver.mts');
      writeFileSync(script, [
        "import * as arrow from 'apache-arrow';",
        `import { Session, count } from ${JSON.stringify(INDEX)};`,
        `const s = await Session.create({ cluster: { nats: ${JSON.stringify(c.url)}, staleSessionMs: 5000 }, faultInjector: (st) => (st === 1 ? 'hang' : undefined) });`,
        'const t = arrow.tableFromArrays({ k: Int32Array.from({ length: 1000 }, (_, i) => i % 10) });',
        'void s.fromArrow(t, { partitions: 2 }).groupBy(\'k\').agg(count()).collect();',
      ].join('\n'));
      const started = c.waitForLog('e1', /started task (\S+)\.1\.1\.\d+ attempt 1/);
      const driver = spawn(process.execPath, ['--import', 'tsx', script], { stdio: 'ignore' });
      const dead = (await started).match(/started task (\S+?)\.1\.1\./)![1];
      driver.kill('SIGKILL');
      const blocks = await new Objm(nc).open('gpuframe-blocks');
      const left = async () => (await blocks.list()).filter((o) => o.name.startsWith(`${dead}/`)).length;
      expect(await left()).toBe(2);
      // Not yet stale: a session opening now leaves them.
      await withSession(c, async () => {});
      expect(await left()).toBe(2);
      await new Promise((r) => setTimeout(r, 5500));
      const dropped = c.waitForLog('e1', new RegExp(`dropped task ${dead}\\.1\\.1\\.\\d+ attempt 1 delivery 1: its job ended`));
      await withSession(c, async (s) => {
        await dropped;
        for (let i = 0; i < 50 && (await left()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
        expect(await left()).toBe(0);
        // The executors are free for the live session's job.
        expect(await s.fromArrow(table(13, 1000), { partitions: 2 }).count()).toBe(1000);
      });
    } finally {
      await nc.close();
      await c.stop();
    }
  }, 90_000);
});

describe('a GPU executor process', () => {
  it('runs map tasks on its device (the software adapter here), exactly, and its tasks keep their GPU details', async (ctx) => {
    const c = await LocalCluster.start(0);
    try {
      try {
        await c.addExecutor('g1', 1, ['--executor', 'gpu']);
      } catch (e) {
        // Only a missing adapter skips, and not where CI installed one.
        if (!/GpuUnavailableError/.test((e as Error).message) || process.env.GPUFRAME_REQUIRE_GPU === '1') throw e;
        ctx.skip();
      }
      const t = table(12, 20_000);
      const simple = (df: DataFrame) => df.groupBy('k').agg(count().as('n'), sum('big').as('sb'), min('f').as('lo')).orderBy('k');
      await withSession(c, async (s) => {
        expect(s.options.executor).toBe('gpu');
        expect(rowsOf(await simple(s.fromArrow(t, { partitions: 2 })).collect())).toEqual(await local(t, simple));
        const map = s.lastJob!.stages[0];
        for (const task of map.tasks) {
          expect(task.executorId).toMatch(/^g1@[^/]+\/gpu /);
          expect(gpuDetails(task)?.adapter).toBeTruthy();
          expect(task.details!.phases.map((p) => p.name)).toEqual(expect.arrayContaining(['fetch', 'kernels', 'store']));
        }
      });
    } finally {
      await c.stop();
    }
  }, 90_000);
});

describe('a cluster without executors, and one whose server restarts', () => {
  it('no executor at all: NoExecutorError after executorWaitMs', async () => {
    const c = await LocalCluster.start(0);
    try {
      const start = performance.now();
      const err = await withSession(c, (s) => s.fromArrow(table(8), { partitions: 2 }).count().catch((e: unknown) => e), {}, { executorWaitMs: 1500 });
      expect(err).toBeInstanceOf(NoExecutorError);
      expect((err as Error).message).toMatch(/no executor process is connected to nats:\/\/127\.0\.0\.1:\d+: waited 1500 ms .*gpuframe executor --nats/);
      expect(performance.now() - start).toBeGreaterThan(1500);
      expect(performance.now() - start).toBeLessThan(10_000);
    } finally {
      await c.stop();
    }
  }, 60_000);

  it('the NATS server restarted mid-job (file store): the job completes, exactly', async () => {
    const c = await LocalCluster.start(2, 1);
    try {
      const t = table(9);
      const want = await local(t);
      await withSession(c, async (s) => {
        const job = query(s.fromArrow(t, { partitions: 4 })).collect().then(rowsOf, (e: unknown) => e);
        await c.waitForLog('e1', /started task \S+\.1\.\d+ attempt 1/);
        await c.stopServer();
        await c.startServer();
        // Tasks, outcomes and blocks are on file: the job carries on where it was.
        expect(await job).toEqual(want);
        // Whatever that job did, the cluster serves the next one.
        expect(rowsOf(await query(s.fromArrow(t, { partitions: 4 })).collect())).toEqual(want);
      }, { faultInjector: slowFirst() }, { serverWaitMs: 20_000 });
    } finally {
      await c.stop();
    }
  }, 90_000);

  it('the NATS server gone for longer than serverWaitMs: ClusterUnavailableError, not a hang', async () => {
    const c = await LocalCluster.start(1, 1);
    try {
      await withSession(c, async (s) => {
        const job = s.fromArrow(table(10), { partitions: 2 }).count().catch((e: unknown) => e);
        await c.waitForLog('e1', /started task \S+\.1\.\d+ attempt 1/);
        const start = performance.now();
        await c.stopServer();
        const err = await job;
        expect(err).toBeInstanceOf(ClusterUnavailableError);
        expect((err as Error).message).toMatch(/lost the NATS server at nats:\/\/127\.0\.0\.1:\d+ for more than 1500 ms \(serverWaitMs\)/);
        expect(performance.now() - start).toBeLessThan(10_000);
      }, { faultInjector: slowFirst() }, { serverWaitMs: 1500 });
    } finally {
      await c.stop();
    }
  }, 60_000);
});
