/**
 * DuckDB as the reference engine: loads a `ColumnModel[]` table (the same
 * values the Arrow input was built from) into an in-memory database through
 * the appender, runs SQL, and returns rows as canonical JS values.
 *
 * Canonical cell values: every integer type (TINYINT .. HUGEINT, unsigned) →
 * bigint; FLOAT/DOUBLE → number; DATE → days since the epoch (number);
 * VARCHAR → string; BOOLEAN → boolean; DECIMAL → its text ('12.50'); NULL → null.
 *
 * 64-bit temporal columns (Date64, Timestamp of any unit) are loaded as BIGINT holding their raw
 * units, so DuckDB groups, orders and takes min/max of the instants exactly (at any unit, ns
 * included), and sql.ts writes every temporal comparison as an exact comparison of nanoseconds
 * (HUGEINT): the instant semantics the README gives, with no rounding to DuckDB's TIMESTAMP (µs).
 */
import {
  DuckDBConnection,
  DuckDBDateValue,
  DuckDBInstance,
  DuckDBTypeId,
  dateValue,
} from '@duckdb/node-api';
import type { ColKind, ColumnModel } from './random.ts';

export type Cell = null | bigint | number | string | boolean;

export interface SqlResult {
  names: string[];
  /** DuckDB type names, e.g. 'BIGINT', 'HUGEINT', 'DOUBLE' */
  types: string[];
  rows: Cell[][];
}

export const SQL_TYPE: Record<ColKind, string> = {
  int8: 'TINYINT',
  int16: 'SMALLINT',
  int32: 'INTEGER',
  int64: 'BIGINT',
  uint8: 'UTINYINT',
  uint16: 'USMALLINT',
  uint32: 'UINTEGER',
  float32: 'FLOAT',
  float64: 'DOUBLE',
  bool: 'BOOLEAN',
  utf8: 'VARCHAR',
  lutf8: 'VARCHAR',
  dict: 'VARCHAR',
  date32: 'DATE',
  uint64: 'UBIGINT',
  date64: 'BIGINT',
  ts_s: 'BIGINT',
  ts_ms: 'BIGINT',
  ts_us: 'BIGINT',
  ts_ns: 'BIGINT',
};

export function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

const INT_TYPE_IDS = new Set<number>([
  DuckDBTypeId.TINYINT, DuckDBTypeId.SMALLINT, DuckDBTypeId.INTEGER, DuckDBTypeId.BIGINT, DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UTINYINT, DuckDBTypeId.USMALLINT, DuckDBTypeId.UINTEGER, DuckDBTypeId.UBIGINT, DuckDBTypeId.UHUGEINT,
]);

export class DuckDb {
  private constructor(private readonly instance: DuckDBInstance, private readonly conn: DuckDBConnection) {}

  static async create(): Promise<DuckDb> {
    const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    const conn = await instance.connect();
    return new DuckDb(instance, conn);
  }

  /** (Re)creates table `name` with the model's columns and appends every row. */
  async load(name: string, columns: ColumnModel[], rows: number): Promise<void> {
    await this.conn.run(`DROP TABLE IF EXISTS ${quoteIdent(name)}`);
    const defs = columns.map((c) => `${quoteIdent(c.name)} ${SQL_TYPE[c.kind]}`).join(', ');
    await this.conn.run(`CREATE TABLE ${quoteIdent(name)} (${defs})`);
    if (rows === 0) return;
    const app = await this.conn.createAppender(name);
    try {
      for (let r = 0; r < rows; r++) {
        for (const c of columns) {
          const v = c.values[r];
          if (v === null || v === undefined) {
            app.appendNull();
            continue;
          }
          switch (c.kind) {
            case 'int8': app.appendTinyInt(Number(v)); break;
            case 'int16': app.appendSmallInt(Number(v)); break;
            case 'int32': app.appendInteger(Number(v)); break;
            case 'int64': app.appendBigInt(v as bigint); break;
            case 'uint8': app.appendUTinyInt(Number(v)); break;
            case 'uint16': app.appendUSmallInt(Number(v)); break;
            case 'uint32': app.appendUInteger(Number(v)); break;
            case 'float32': app.appendFloat(v as number); break;
            case 'float64': app.appendDouble(v as number); break;
            case 'bool': app.appendBoolean(v as boolean); break;
            case 'utf8':
            case 'lutf8':
            case 'dict': app.appendVarchar(v as string); break;
            case 'date32': app.appendDate(dateValue(v as number)); break;
            case 'uint64': app.appendUBigInt(v as bigint); break;
            case 'date64':
            case 'ts_s':
            case 'ts_ms':
            case 'ts_us':
            case 'ts_ns': app.appendBigInt(v as bigint); break;
          }
        }
        app.endRow();
      }
      app.flushSync();
    } finally {
      app.closeSync();
    }
  }

  async query(sql: string): Promise<SqlResult> {
    const res = await this.conn.run(sql);
    const types = res.columnTypes();
    const raw = await res.getRows();
    const rows = raw.map((row) =>
      row.map((v, i): Cell => {
        if (v === null) return null;
        const id = types[i]!.typeId;
        if (INT_TYPE_IDS.has(id)) return typeof v === 'bigint' ? v : BigInt(v as number);
        if (id === DuckDBTypeId.DOUBLE || id === DuckDBTypeId.FLOAT) return v as number;
        if (id === DuckDBTypeId.DATE) return (v as DuckDBDateValue).days;
        if (id === DuckDBTypeId.VARCHAR) return v as string;
        if (id === DuckDBTypeId.BOOLEAN) return v as boolean;
        if (id === DuckDBTypeId.DECIMAL) return String(v);
        throw new Error(`unexpected DuckDB result type ${types[i]!.toString()} in column ${res.columnName(i)}`);
      }),
    );
    return { names: res.columnNames(), types: types.map((t) => t.toString()), rows };
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}
