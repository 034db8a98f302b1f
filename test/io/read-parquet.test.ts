/**
 * readParquet end to end: files written by DuckDB (every codec it writes, several row groups,
 * nulls, strings, dates, 64-bit integers) give DuckDB's read_parquet answers on both executors;
 * pushdown skips exactly the row groups statistics rule out; projection reads only the columns a
 * query needs; bad files fail with errors that name them.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDb } from '../support/duckdb.ts';
import { arrowRows } from '../support/compare.ts';
import { expectInputFileError } from '../support/expect-error.ts';
import { avg, col, count, max, min, Session, sum, TaskFailedError, UnsupportedTypeError } from '../../src/index.ts';
import type { DataFrame } from '../../src/index.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'gpuframe-parquet-'));
let db: DuckDb;
let cpu: Session;
let gpu: Session;

/** 10 row groups of 2048 rows: k ascending (so row group g holds k in [2048g, 2048g + 2047]). */
const ROWS = 20_480;
const TABLE = `SELECT i AS k, (i % 7)::INTEGER AS g, CASE WHEN i % 11 = 0 THEN NULL ELSE (i * 37) % 1000 END::INTEGER AS v,
  (i::BIGINT * 1000003) % 9000000000000 AS big, (i % 13) / 4.0 AS x, 'name' || (i % 5)::VARCHAR AS s,
  DATE '2020-01-01' + (i % 400)::INTEGER AS d, i % 3 = 0 AS b FROM range(${ROWS}) t(i)`;

async function writeDuck(file: string, codec: string, select = TABLE, rowGroup = 2048): Promise<string> {
  const p = path.join(dir, file);
  await db.query(`COPY (${select}) TO '${p}' (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE ${rowGroup})`);
  return p;
}

/** DuckDB's answer over read_parquet of the same file vs the engine's, sorted by the first column. */
async function expectSame(df: DataFrame, sql: string): Promise<void> {
  const want = (await db.query(sql)).rows;
  const got = arrowRows(await df.collect()).rows;
  const key = (r: unknown[]) => r.map(String).join('|');
  want.sort((a, b) => key(a).localeCompare(key(b)));
  got.sort((a, b) => key(a).localeCompare(key(b)));
  expect(got.length).toBe(want.length);
  got.forEach((r, i) => r.forEach((c, j) => {
    const w = want[i]![j]!;
    const same = typeof c === 'number' && typeof w === 'number' ? Math.abs(c - w) <= 1e-12 * Math.max(1, Math.abs(w)) : c === w;
    expect(same, `row ${i} col ${j}: ${String(c)} vs ${String(w)}`).toBe(true);
  }));
}

beforeAll(async () => {
  db = await DuckDb.create();
  cpu = await Session.create({ cores: 2, maxTaskAttempts: 2 });
  gpu = await Session.create({ executor: 'gpu', cores: 2, maxTaskAttempts: 2 });
});
afterAll(async () => {
  await cpu?.close();
  await gpu?.close();
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('readParquet: answers equal DuckDB read_parquet', () => {
  for (const codec of ['snappy', 'zstd', 'gzip', 'lz4', 'uncompressed']) {
    it(`${codec}: filter, group by int and string keys, every aggregate, on the CPU and GPU executors`, async () => {
      const file = await writeDuck(`all-${codec}.parquet`, codec);
      for (const s of [cpu, gpu]) {
        const df = await s.readParquet(file);
        await expectSame(
          df.filter(col('v').gt(100)).groupBy('g').agg(sum('v'), count(), avg('x'), min('d'), max('big'), sum('big'), count('v')),
          `SELECT g, sum(v), count(*), avg(x), min(d), max(big), sum(big), count(v) FROM read_parquet('${file}') WHERE v > 100 GROUP BY g`,
        );
        await expectSame(df.groupBy('s', 'b').agg(count(), sum('v')), `SELECT s, b, count(*), sum(v) FROM read_parquet('${file}') GROUP BY s, b`);
        await expectSame(df.agg(count(), sum('k')), `SELECT count(*), sum(k) FROM read_parquet('${file}')`);
      }
    });
  }

  it('a scan-only job returns the rows, and count() counts them', async () => {
    const file = await writeDuck('scan.parquet', 'snappy');
    const df = (await cpu.readParquet(file)).filter(col('k').lt(5000).and(col('s').eq('name3')));
    const t = await df.collect();
    expect(t.numRows).toBe(1000);
    expect(t.schema.fields.map((f) => f.name)).toEqual(['k', 'g', 'v', 'big', 'x', 's', 'd', 'b']);
    expect(await df.count()).toBe(1000);
  });
});

describe('readParquet: scan tasks, projection and pushdown', () => {
  it('one task per row group; only the row groups whose min/max let a row pass are read, and the answer is unchanged', async () => {
    // 10 row groups of 65536 rows (a task each): k ascending, so row group g holds k in [65536g, 65536g + 65535].
    const G = 65536;
    const file = await writeDuck('push.parquet', 'snappy', TABLE.replace(`range(${ROWS})`, `range(${10 * G})`), G);
    const df = await cpu.readParquet(file);
    const all = df.groupBy('g').agg(count());
    expect(all.explain()).toMatch(/Scan parquet \[10 tasks, row groups 10 of 10, .* 655360 rows\] \[g\] PushedFilters: \[\]/);
    const cases: [DataFrame, number, string][] = [
      [df.filter(col('k').lt(2 * G)), 2, `k < ${2 * G}`],
      [df.filter(col('k').ge(9 * G - 100)), 2, `k >= ${9 * G - 100}`],
      [df.filter(col('k').eq(5 * G).or(col('k').eq(100))), 2, `k = ${5 * G} OR k = 100`],
      [df.filter(col('k').isIn([3, G + 5, 7 * G])), 3, `k IN (3, ${G + 5}, ${7 * G})`],
      [df.filter(col('k').between(G, 2 * G - 1)), 1, `k BETWEEN ${G} AND ${2 * G - 1}`],
      [df.filter(col('k').lt(0)), 0, 'k < 0'],
      [df.filter(col('x').lt(100)), 10, 'x < 100'],
    ];
    for (const [f, groups, where] of cases) {
      const q = f.groupBy('g').agg(count(), sum('v'));
      expect(q.explain(), where).toContain(`row groups ${groups} of 10`);
      await expectSame(q, `SELECT g, count(*), sum(v) FROM read_parquet('${file}') WHERE ${where} GROUP BY g`);
      const stage = cpu.lastJob!.stages[0]!;
      expect(stage.inputRows, where).toBe(groups * G);
      expect(stage.numTasks, where).toBe(Math.max(1, groups));
    }
    const pushed = df.filter(col('k').lt(4096)).filter(col('v').isNotNull()).agg(count());
    expect(pushed.explain()).toContain('PushedFilters: [(k < 4096), isnotnull(v)]');
  });

  it('a string prefix (startsWith, LIKE up to its first wildcard) prunes row groups by their min/max too', async () => {
    // 10 row groups of 2048 rows; s = 'r' || (k / 2048) || '-' || k: row group g's strings all start with 'r<g>-'.
    const file = await writeDuck('prefix.parquet', 'snappy', `SELECT i AS k, 'r' || (i // 2048)::VARCHAR || '-' || i::VARCHAR AS s FROM range(${ROWS}) t(i)`);
    const df = await cpu.readParquet(file);
    const cases: [ReturnType<typeof col>, number, string][] = [
      [col('s').startsWith('r3-'), 1, "starts_with(s, 'r3-')"],
      [col('s').like('r7-1%'), 1, "s LIKE 'r7-1%'"],
      [col('s').like('r1%0'), 1, "s LIKE 'r1%0'"],
      [col('s').startsWith('q'), 0, "starts_with(s, 'q')"],
      [col('s').like('%-5'), 10, "s LIKE '%-5'"],
      [col('s').contains('7-'), 10, "contains(s, '7-')"],
    ];
    for (const [pred, groups, where] of cases) {
      const q = df.filter(pred).agg(count().as('n'));
      expect(q.explain(), where).toContain(`row groups ${groups} of 10`);
      await expectSame(q, `SELECT count(*) FROM read_parquet('${file}') WHERE ${where}`);
    }
  });

  it('reads only the columns a query needs, and records bytes read and decode time per task', async () => {
    const file = await writeDuck('proj.parquet', 'zstd');
    const df = await cpu.readParquet(file);
    const narrow = df.groupBy('g').agg(count());
    const m = /Scan parquet \[.*?, ([\d.]+ \w+) of ([\d.]+ \w+) to read/.exec(narrow.explain())!;
    expect(m[1]).not.toBe(m[2]);
    await narrow.collect();
    // Ten 2048-row groups: small, so read by one task.
    const tasks = cpu.lastJob!.stages[0]!.tasks;
    expect(tasks.length).toBe(1);
    for (const t of tasks) {
      expect(t.inputBytes).toBeGreaterThan(0);
      expect(t.decodeMs).toBeGreaterThanOrEqual(0);
    }
    const narrowBytes = cpu.lastJob!.stages[0]!.inputBytes!;
    await df.groupBy('g').agg(count(), sum('big'), max('d')).collect();
    expect(cpu.lastJob!.stages[0]!.inputBytes!).toBeGreaterThan(narrowBytes);
  });

  it('many files: a directory, a glob and a list read as one input, small row groups of a file read together', async () => {
    const sub = path.join(dir, 'parts');
    mkdirSync(sub, { recursive: true });
    for (let i = 0; i < 3; i++) {
      await db.query(`COPY (SELECT ${i} AS part, j AS v FROM range(100) t(j)) TO '${path.join(sub, `p${i}.parquet`)}' (FORMAT parquet, ROW_GROUP_SIZE 2048)`);
    }
    writeFileSync(path.join(sub, 'README.txt'), 'not data');
    for (const input of [sub, path.join(sub, 'p*.parquet'), [path.join(sub, 'p0.parquet'), path.join(sub, 'p2.parquet')]]) {
      const df = (await cpu.readParquet(input)).groupBy('part').agg(count(), sum('v'));
      const t = await df.collect();
      expect(t.numRows).toBe(Array.isArray(input) ? 2 : 3);
      for (const r of arrowRows(t).rows) expect(r.slice(1)).toEqual([100n, 4950n]);
    }
  });
});

describe('readParquet: bad input gets a clear, typed error naming the file', () => {
  const reject = expectInputFileError;

  it('missing file, empty glob, directory without Parquet files, not Parquet, truncated', async () => {
    await reject(cpu.readParquet(path.join(dir, 'nope.parquet')), /nope\.parquet' does not exist/);
    await reject(cpu.readParquet(path.join(dir, 'none-*.parquet')), /none-\*\.parquet' matches no file/);
    const empty = path.join(dir, 'empty-dir');
    mkdirSync(empty, { recursive: true });
    await reject(cpu.readParquet(empty), /empty-dir' is a directory with no \.parquet/);
    const text = path.join(dir, 'text.parquet');
    writeFileSync(text, 'id,v\n1,2\n');
    await reject(cpu.readParquet(text), /text\.parquet' is not a Parquet file/);
    const good = await writeDuck('cut.parquet', 'snappy');
    const cut = path.join(dir, 'cut-short.parquet');
    writeFileSync(cut, readFileSync(good).subarray(0, 5000));
    await reject(cpu.readParquet(cut), /cut-short\.parquet' is truncated/);
    await expect(cpu.readParquet([])).rejects.toThrow(/readParquet takes a path/);
  });

  it('bad options name themselves', async () => {
    await expect(Session.create({ readahead: 0 })).rejects.toThrow(/readahead must be/);
    await expect(cpu.readParquet(dir, { extensions: 'parquet' } as never)).rejects.toThrow(/readParquet: extensions must be an array of '\.ext' strings/);
    await expect(cpu.readParquet(dir, { partitions: 2 } as never)).rejects.toThrow(/partitions/);
    await expect(cpu.readParquet(5 as never)).rejects.toThrow(/readParquet takes a path, a glob or a non-empty array of them, got 5/);
    const file = await writeDuck('cache.parquet', 'snappy', 'SELECT 1 AS k');
    const df = await cpu.readParquet(file);
    expect(() => df.cache()).toThrow(/cache\(\) keeps in-memory input/);
  });

  it('files whose schemas differ: the first that differs, and how', async () => {
    const a = await writeDuck('sa.parquet', 'snappy', 'SELECT 1::INTEGER AS k, 2.0::DOUBLE AS v');
    const b = await writeDuck('sb.parquet', 'snappy', 'SELECT 1::INTEGER AS k, 2::BIGINT AS v');
    const c = await writeDuck('sc.parquet', 'snappy', 'SELECT 1::INTEGER AS k');
    await reject(cpu.readParquet([a, b]), /sb\.parquet' has a schema that differs from '.*sa\.parquet': column 'v' is int64, float64 in the first file/);
    await reject(cpu.readParquet([a, a, c]), /sc\.parquet' has a schema that differs .*: it has no column 'v'/);
  });

  it('an unsupported column type is an error only when a query reads it', async () => {
    const file = await writeDuck('list.parquet', 'snappy', 'SELECT i AS k, [i, i + 1] AS xs FROM range(10) t(i)');
    const df = await cpu.readParquet(file);
    expect(arrowRows(await df.agg(sum('k')).collect()).rows).toEqual([[45n]]);
    await expect(df.agg(sum('xs')).collect()).rejects.toBeInstanceOf(UnsupportedTypeError);
  });

  it('a corrupt page fails its task after retries, naming the file and row group; nothing is half-counted and the session goes on', async () => {
    const file = await writeDuck('corrupt-src.parquet', 'uncompressed', 'SELECT i AS k, (i % 10)::INTEGER AS g FROM range(10240) t(i)');
    const bad = path.join(dir, 'corrupt.parquet');
    copyFileSync(file, bad);
    // Row group 2's column chunks: overwrite their page headers with garbage.
    const { parquetFooter } = await import('../../src/io/parquet-footer.ts');
    const footer = await parquetFooter(bad);
    expect(footer.units.length).toBe(5);
    const bytes = readFileSync(bad);
    const meta = await import('hyparquet/src/node.js').then(async (h) => h.parquetMetadataAsync(await h.asyncBufferFromFile(bad)));
    for (const c of meta.row_groups[2]!.columns) {
      const at = Number(c.meta_data!.data_page_offset);
      bytes.fill(0xff, at, at + 24);
    }
    writeFileSync(bad, bytes);
    const df = await cpu.readParquet(bad);
    const e = await df.agg(count()).collect().then(() => null, (x: unknown) => x);
    expect(e).toBeInstanceOf(TaskFailedError);
    expect((e as Error).message).toMatch(/after 2 attempt\(s\): InputFileError: input file '.*corrupt\.parquet' row groups 0, 1, 2, 3, 4: cannot be decoded/);
    // The same session answers the next job, and a filter that skips the bad row group reads the rest.
    const ok = (await cpu.readParquet(bad)).filter(col('k').lt(4096)).agg(count());
    expect(arrowRows(await ok.collect()).rows).toEqual([[4096n]]);
  });
});
