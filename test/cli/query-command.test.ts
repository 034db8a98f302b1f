import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as arrow from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildQuery } from '../../src/cli/query-command.ts';
import { writeParquet } from '../support/parquet-files.ts';
import { avg, col, count, desc, InvalidOptionError, Session, sum } from '../../src/index.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'gpuframe-cli-'));

/** The CLI as a user runs it (from the TypeScript sources, through tsx). */
function gpuframe(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const data = arrow.tableFromArrays({
  id4: Int32Array.from({ length: 1000 }, (_, i) => i % 7),
  v1: Int32Array.from({ length: 1000 }, (_, i) => i % 5),
  v2: Int32Array.from({ length: 1000 }, (_, i) => i % 15),
  v3: Float64Array.from({ length: 1000 }, (_, i) => (i * 37) % 100 / 4),
});
const FILE = path.join(dir, 'x.arrow');
writeFileSync(FILE, arrow.tableToIPC(data, 'file'));

describe('buildQuery: the options become the same DataFrame calls', () => {
  let session: Session;
  beforeAll(async () => {
    session = await Session.create({ executor: 'cpu', workers: false });
  });
  afterAll(async () => {
    await session.close();
  });

  it('where, group-by, agg, having and order-by', async () => {
    const df = session.fromArrow(data);
    const want = await df.filter(col('v2').gt(5).and(col('v3').between(1, 20))).groupBy('id4')
      .agg(sum('v1').as('s'), avg('v3'), count()).filter(col('s').gt(10)).orderBy(desc('s'), 'id4').collect();
    const ok = await buildQuery(df, { where: 'v2 > 5 AND v3 BETWEEN 1 AND 20', groupBy: 'id4', agg: 'sum(v1) AS s, avg(v3), count()', having: 's > 10', orderBy: 's desc, id4' }).collect();
    expect(ok.toArray().map((r) => r.toJSON())).toEqual(want.toArray().map((r) => r.toJSON()));
    expect(ok.numRows).toBeGreaterThan(0);
    // An aggregate call in --order-by names its default output column.
    const byCall = await buildQuery(df, { groupBy: 'id4', agg: 'sum(v1), count()', orderBy: 'sum(v1) desc, count(*), id4' }).collect();
    const byHand = await df.groupBy('id4').agg(sum('v1'), count()).orderBy(desc('sum(v1)'), 'count(1)', 'id4').collect();
    expect(byCall.toArray().map((r) => r.toJSON())).toEqual(byHand.toArray().map((r) => r.toJSON()));
  });

  it('a global aggregate, a plain filter, and the misuses', async () => {
    const df = session.fromArrow(data);
    expect((await buildQuery(df, { agg: 'count(*)' }).collect()).getChild('count(1)')!.get(0)).toBe(1000n);
    expect((await buildQuery(df, { where: 'v2 = 14' }).collect()).numRows).toBe(66);
    expect(() => buildQuery(df, { groupBy: 'id4' })).toThrow(InvalidOptionError);
    expect(() => buildQuery(df, { having: 'v1 > 1' })).toThrow(/--having filters groups/);
    expect(() => buildQuery(df, { select: 'v1', agg: 'count()' })).toThrow(/--select chooses the columns of the rows/);
  });

  it('select, distinct and limit', async () => {
    const df = session.fromArrow(data);
    const rows = (await buildQuery(df, { where: 'v2 < 3', select: 'id4, v1 * 2 AS v1x2, v2 >= 1', orderBy: 'v1x2 desc', limit: 2 }).collect()).toArray().map((r) => r.toJSON());
    const byCall = (await df.filter(col('v2').lt(3)).select('id4', col('v1').mul(2).as('v1x2'), col('v2').ge(1)).orderBy(desc('v1x2')).limit(2).collect()).toArray().map((r) => r.toJSON());
    expect(rows).toEqual(byCall);
    expect(Object.keys(rows[0]!)).toEqual(['id4', 'v1x2', '(v2 >= 1)']);
    expect((await buildQuery(df, { select: 'id4', distinct: true }).collect()).numRows).toBe(await df.select('id4').distinct().count());
  });
});

describe('the gpuframe command', () => {
  it('--help on the program and on each command', () => {
    const top = gpuframe('--help');
    expect(top.status).toBe(0);
    expect(top.stdout).toMatch(/query \[options\] <files\.\.\.>/);
    expect(top.stdout).toMatch(/bench \[options\]/);
    const q = gpuframe('query', '--help');
    expect(q.stdout).toMatch(/--where <predicate>/);
    expect(q.stdout).toMatch(/--format <format>\s+output format \(choices: "table", "csv", "json", "arrow"/);
    expect(gpuframe('bench', '--help').stdout).toMatch(/--rows <n>/);
  });

  it('runs a query and prints it as json, Int64 exact', () => {
    const r = gpuframe('query', FILE, '--where', 'v2 > 5', '--group-by', 'id4', '--agg', 'sum(v1),count()', '--order-by', 'id4', '--format', 'json', '--cores', '2');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as { id4: number; 'sum(v1)': number; 'count(1)': number }[];
    expect(rows).toHaveLength(7);
    let n = 0;
    for (let i = 0; i < 1000; i++) if (i % 15 > 5 && i % 7 === 0) n++;
    expect(rows[0]).toMatchObject({ id4: 0, 'count(1)': n });
  });

  it('reads Parquet files too: a file, a directory, a glob, with the scan and its pushdown in --explain', () => {
    const pq = path.join(dir, 'pq');
    mkdirSync(pq, { recursive: true });
    writeParquet(data, path.join(pq, 'x.parquet'), { rowGroupRows: 100 });
    for (const input of [path.join(pq, 'x.parquet'), pq, path.join(pq, '*.parquet')]) {
      const r = gpuframe('query', input, '--where', 'v2 > 5', '--group-by', 'id4', '--agg', 'count()', '--order-by', 'id4', '--format', 'json');
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual(JSON.parse(gpuframe('query', FILE, '--where', 'v2 > 5', '--group-by', 'id4', '--agg', 'count()', '--order-by', 'id4', '--format', 'json').stdout));
    }
    const e = gpuframe('query', path.join(pq, 'x.parquet'), '--where', 'v1 < 0', '--agg', 'count()', '--explain');
    expect(e.stdout).toMatch(/Scan parquet \[.*row groups 0 of 10.*PushedFilters: \[\(v1 < 0\)\]/);
  });

  it('--explain prints the plan without running; --output and --report write files', () => {
    const e = gpuframe('query', FILE, '--group-by', 'id4', '--agg', 'max(v3)', '--explain');
    expect(e.status).toBe(0);
    expect(e.stdout).toMatch(/HashAggregate\(keys=\[id4\], functions=\[max\(v3\)\]\)/);
    const out = path.join(dir, 'r.arrow');
    const report = path.join(dir, 'r.html');
    const r = gpuframe('query', FILE, '--group-by', 'id4', '--agg', 'max(v3)', '--format', 'arrow', '--output', out, '--report', report);
    expect(r.stderr).toBe('');
    expect(arrow.tableFromIPC(readFileSync(out)).numRows).toBe(7);
    const html = readFileSync(report, 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/i);
    expect(html).toContain('HashAggregate');
  });

  it('a syntax error points at the column of the bad token, exit code 1, no stack trace', () => {
    const r = gpuframe('query', FILE, '--where', 'v2 > > 5');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ExprSyntaxError');
    expect(r.stderr).toContain('column 6');
    expect(r.stderr).toContain('  v2 > > 5\n       ^');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('bad input: a missing file, an unknown column, an unknown option, a bad choice', () => {
    const missing = gpuframe('query', path.join(dir, 'nope.arrow'), '--agg', 'count()');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/InputFileError: .*nope\.arrow' does not exist/);
    const unknown = gpuframe('query', FILE, '--agg', 'sum(v9)');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/UnknownColumnError: unknown column 'v9'/);
    const option = gpuframe('query', FILE, '--were', 'v2 > 5');
    expect(option.status).toBe(1);
    expect(option.stderr).toMatch(/unknown option '--were'/);
    const choice = gpuframe('query', FILE, '--format', 'xml');
    expect(choice.status).toBe(1);
    expect(choice.stderr).toMatch(/Allowed choices are table, csv, json, arrow/);
  });
});
