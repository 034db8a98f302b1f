/**
 * Bounded memory: a file scan holds at most `readahead` decoded row groups per core (and each
 * thread's decoder its working memory), however big the file. A child process reads a file, then
 * one four times as big; its peak RSS may grow by the bound, not by the data.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { DuckDb } from '../support/duckdb.ts';
import { INDEX, runScript } from '../support/child-script.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'gpuframe-scan-memory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 20 bytes a row decoded: g int32, big int64, x double; 1M-row row groups. */
async function writeFile(db: DuckDb, name: string, rows: number): Promise<string> {
  const file = path.join(dir, name);
  await db.query(`COPY (SELECT (i % 100)::INTEGER AS g, i::BIGINT * 3 AS big, i / 7.0 AS x FROM range(${rows}) t(i)) TO '${file}' (FORMAT parquet, ROW_GROUP_SIZE 1048576)`);
  return file;
}

it('peak RSS grows by the readahead bound, not by the file: 8M then 32M rows (640 MB decoded)', async () => {
  const db = await DuckDb.create();
  const small = await writeFile(db, 'small.parquet', 8_000_000);
  const big = await writeFile(db, 'big.parquet', 32_000_000);
  db.close();
  const r = runScript('scan-memory', [
    `import { Session, sum, max, count } from ${JSON.stringify(INDEX)};`,
    `const s = await Session.create({ cores: 2, readahead: 1 });`,
    `const peak = () => process.resourceUsage().maxRSS / 1024;`,
    `const run = async (f: string) => { const t = await (await s.readParquet(f)).groupBy('g').agg(sum('big'), max('x'), count()).collect(); if (t.numRows !== 100) throw new Error('groups ' + t.numRows); };`,
    `const base = peak();`,
    `await run(${JSON.stringify(small)}); await run(${JSON.stringify(small)});`,
    `const afterSmall = peak();`,
    `await run(${JSON.stringify(big)});`,
    `console.log(JSON.stringify({ base, afterSmall, afterBig: peak() }));`,
    `await s.close();`,
  ], process.env, 120_000);
  expect(r.status, r.stderr).toBe(0);
  const m = JSON.parse(r.stdout.trim().split('\n').pop()!) as { base: number; afterSmall: number; afterBig: number };
  // The bound, from a session that has read nothing: two executor threads with their decoders'
  // memory (~100 MB each) and a row group in flight per core (20 MB decoded, its IPC bytes, its
  // partial states), with GC lag (measured ~460 MB); and four times the rows add next to nothing
  // (measured ~45 MB), where the big file alone decodes to 640 MB.
  expect(m.afterBig - m.base, JSON.stringify(m)).toBeLessThan(600);
  expect(m.afterBig - m.afterSmall, JSON.stringify(m)).toBeLessThan(100);
}, 180_000);
