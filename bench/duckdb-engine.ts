/**
 * DuckDB as an engine of the benchmark, and its reference: the generated tables are loaded into
 * an in-memory database (untimed), then each query runs as SQL to a materialized result.
 * `@duckdb/node-api` is an optional peer dependency: without it the benchmark runs gpuframe's
 * engines alone.
 */
import type { DuckDBConnection, DuckDBDateValue, DuckDBType } from '@duckdb/node-api';
import type { Cell } from './compare-rows.ts';
import type { GeneratedTable } from './datagen.ts';
import { EngineUnavailable, type Engine, type EngineInputs } from './engine.ts';
import { errMessage, fmtMs } from './report.ts';

type DuckDBModule = typeof import('@duckdb/node-api');

const CHUNK_ROWS = 2048;

/**
 * Creates `<name>` with the columns' SQL types (dictionary columns as VARCHAR or
 * ENUM strings, Date32 as DATE) and appends the generated typed arrays into it
 * through the appender, one data chunk of 2048 rows at a time.
 */
export async function loadIntoDuckDB(duck: DuckDBModule, con: DuckDBConnection, t: GeneratedTable, strings: 'varchar' | 'enum'): Promise<void> {
  const { DATE, DECIMAL, DOUBLE, DuckDBDataChunk, DuckDBDateValue, DuckDBDecimalValue, ENUM, INTEGER, VARCHAR } = duck;
  const types: DuckDBType[] = t.columns.map((c) => {
    switch (c.kind) {
      case 'decimal':
        return DECIMAL(c.precision, c.scale);
      case 'int32':
        return INTEGER;
      case 'float64':
        return DOUBLE;
      case 'date32':
        return DATE;
      case 'dict':
        return strings === 'enum' ? ENUM(c.dictionary) : VARCHAR;
    }
  });
  await con.run(`CREATE OR REPLACE TABLE ${t.name} (${t.columns.map((c, i) => `${c.name} ${types[i]!.toString()}`).join(', ')})`);
  // What each column's vector gets per row: the number itself, the dictionary
  // string, or a DATE value (cached per distinct day, so no allocation per row).
  const dateCache = new Map<number, DuckDBDateValue>();
  const date = (days: number): DuckDBDateValue => {
    let d = dateCache.get(days);
    if (!d) dateCache.set(days, (d = new DuckDBDateValue(days)));
    return d;
  };
  const appender = await con.createAppender(t.name);
  const chunk = DuckDBDataChunk.create(types);
  for (let off = 0; off < t.rows; off += CHUNK_ROWS) {
    const n = Math.min(CHUNK_ROWS, t.rows - off);
    chunk.rowCount = n; // also drops the cached vectors
    for (let c = 0; c < t.columns.length; c++) {
      const col = t.columns[c]!;
      const values = col.values;
      const vec = chunk.getColumnVector(c) as unknown as { setItem(i: number, v: unknown): void; flush(): void };
      if (col.kind === 'dict') {
        const dict = col.dictionary;
        for (let i = 0; i < n; i++) vec.setItem(i, dict[values[off + i]!]);
      } else if (col.kind === 'date32') {
        for (let i = 0; i < n; i++) vec.setItem(i, date(values[off + i]!));
      } else if (col.kind === 'decimal') {
        for (let i = 0; i < n; i++) vec.setItem(i, new DuckDBDecimalValue(BigInt(values[off + i]!), col.precision, col.scale));
      } else {
        for (let i = 0; i < n; i++) vec.setItem(i, values[off + i]!);
      }
      vec.flush();
    }
    appender.appendDataChunk(chunk);
  }
  appender.closeSync();
  const check = await con.runAndReadAll(`SELECT count(*) FROM ${t.name}`);
  const n = Number(check.getRowsJS()[0]![0]);
  if (n !== t.rows) throw new Error(`DuckDB table ${t.name} has ${n} rows, expected ${t.rows}`);
}

export async function importDuckDB(): Promise<DuckDBModule> {
  try {
    return await import('@duckdb/node-api');
  } catch (e) {
    throw new EngineUnavailable(`@duckdb/node-api is not installed (npm install @duckdb/node-api to compare with DuckDB): ${errMessage(e).split('\n')[0]}`);
  }
}

/** A value of DuckDB's rows as a canonical cell (compare-rows.ts): dates as days since the epoch, decimals as their text ('12.50'). */
function toCell(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'object' && 'days' in v) return (v as DuckDBDateValue).days;
  return String(v);
}

/** DuckDB on --threads threads with the benchmark's tables loaded (the load is timed apart, as `loadMs`). */
export async function createDuckDB(inp: EngineInputs): Promise<Engine & { loadMs: number }> {
  const duck = await importDuckDB();
  const instance = await duck.DuckDBInstance.create(':memory:', { threads: String(inp.opts.threads) });
  const con = await instance.connect();
  const t0 = performance.now();
  if (inp.files) {
    // Views: every query reads the file, as read_parquet does, nothing kept in DuckDB's tables.
    for (const [name, file] of Object.entries(inp.files)) await con.run(`CREATE VIEW ${name} AS SELECT * FROM read_parquet('${file.replace(/'/g, "''")}')`);
  } else {
    for (const t of Object.values(inp.tables!)) await loadIntoDuckDB(duck, con, t, inp.opts.duckdbStrings);
  }
  const loadMs = performance.now() - t0;
  const info = (await con.runAndReadAll(`SELECT version(), current_setting('threads'), current_setting('memory_limit')`)).getRowsJS()[0]!;
  const source = inp.files ? 'over read_parquet of the Parquet files' : `in-memory, strings as ${inp.opts.duckdbStrings.toUpperCase()}, load ${fmtMs(loadMs)} ms (untimed)`;
  return {
    name: 'duckdb',
    description: `DuckDB ${String(info[0])} ${source}, threads=${String(info[1])}, memory_limit=${String(info[2])}`,
    loadMs,
    async run(q) {
      const res = await con.run(q.sql); // materialized: every chunk fetched
      return {
        async result() {
          // An estimating query's reference is its exact twin (QueryDef.referenceSql).
          const r = q.referenceSql ? await con.run(q.referenceSql) : res;
          // DuckDB's values, not their JS forms: getRowsJS turns a DECIMAL into a rounded double.
          const rows = (await r.getRows()).map((row) => row.map(toCell));
          return { names: r.columnNames(), types: r.columnTypes().map((t) => t.toString()), rows };
        },
      };
    },
    async close() {
      con.closeSync();
      instance.closeSync();
    },
  };
}
