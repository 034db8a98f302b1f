/**
 * The benchmark tables as Parquet files (--source parquet): written once per rows, seed and
 * version of the generator (DATA_VERSION: a column added makes older files stale) under
 * bench/data/ by DuckDB (snappy, 1,048,576-row row groups, strings as VARCHAR, dates as DATE,
 * lineitem_dec's money as DECIMAL(15, 2)), only for the tables the selected queries read,
 * then reused; each is written under a temporary name and renamed, so a killed run leaves no
 * half file. The generated arrays are dropped once written: timing holds no table in memory.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { decimalLineitem, generate } from './datagen.ts';
import { importDuckDB, loadIntoDuckDB } from './duckdb-engine.ts';
import type { TableName } from './queries.ts';

export const DATA_DIR = 'bench/data';
export const ROW_GROUP_ROWS = 1_048_576;
/** Bumped whenever datagen.ts changes what it writes. */
const DATA_VERSION = 2;

export async function benchParquetFiles(rows: number, seed: number, tables: readonly TableName[]): Promise<{ files: Partial<Record<TableName, string>>; writeMs?: number }> {
  const files = Object.fromEntries(tables.map((t) => [t, path.resolve(DATA_DIR, `${t}-${rows}-${seed}-v${DATA_VERSION}.parquet`)])) as Partial<Record<TableName, string>>;
  const missing = tables.filter((t) => !existsSync(files[t]!));
  if (missing.length === 0) return { files };
  const t0 = performance.now();
  mkdirSync(DATA_DIR, { recursive: true });
  const duck = await importDuckDB();
  const instance = await duck.DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  try {
    const data = generate(rows, seed);
    const generated = { x: data.x, lineitem: data.lineitem, lineitem_dec: decimalLineitem(data.lineitem) };
    for (const name of missing) {
      const t = generated[name];
      await loadIntoDuckDB(duck, con, t, 'varchar');
      const file = files[name]!;
      const tmp = `${file}.${process.pid}.tmp`;
      await con.run(`COPY ${t.name} TO '${tmp}' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE ${ROW_GROUP_ROWS})`);
      renameSync(tmp, file);
      await con.run(`DROP TABLE ${t.name}`);
    }
  } catch (e) {
    for (const f of Object.values(files)) rmSync(`${f!}.${process.pid}.tmp`, { force: true });
    throw e;
  } finally {
    con.closeSync();
    instance.closeSync();
  }
  return { files, writeMs: performance.now() - t0 };
}
