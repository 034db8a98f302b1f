/**
 * Result comparison for the differential tests: Arrow table → canonical
 * cells, then a multiset comparison against DuckDB's rows, and (ORDER BY) a
 * comparison of the row order with DuckDB's.
 *
 * Rules:
 * - integers (any Arrow Int*, DuckDB TINYINT..HUGEINT) compare exactly as bigint;
 * - strings, booleans, dates (date32 as day numbers) and 64-bit temporals (Date64, Timestamp of
 *   any unit: their raw stored integers, read from the Arrow buffers, never through
 *   `Vector.get`, which rounds nanoseconds to float milliseconds) compare exactly;
 * - nulls equal nulls only; NaN equals NaN (any payload); -0 equals 0;
 * - floats compare with `floatMatches` (float-compare.ts): non-finite values exactly (NaN, ±Inf),
 *   finite ones within a bound, 0 for keys, min/max (of columns and of arithmetic: both sides
 *   evaluate the same IEEE operations) and collected rows;
 * - sums and averages of floats (and of integer arithmetic) within a bound of their own group,
 *   from hidden columns of DuckDB's answer (sql.ts): with S the reference sum, A = Σ|x| of the
 *   group (on the GPU path, for an arithmetic argument, 2·Σ of its operands' magnitudes, as
 *   gpu-reference.ts), n the count and u = 2^-53,
 *     sum:  SUM_ERROR[path]·A + 2u·|S|   (the engine's documented error and result rounding)
 *         + 2u·|S| + n·u²·A              (DuckDB's fsum, Kahan-Babuška, the reference)
 *     avg:  that / n + 2u·|avg|          (the two divisions)
 *   where the reference is an exact integer sum, its error is its one rounding (u·|S|); where the
 *   engine sums exactly too (an integer column), its error is its rounding (u·|S|);
 * - order (ORDER BY k1, k2, …): row i of the engine must have the same sort-key values as row i
 *   of DuckDB's `ORDER BY … ASC NULLS FIRST / DESC NULLS LAST`, key by key; an inexact key
 *   (a float sum or average) matches within the bounds of both rows' groups and ends the
 *   comparison of that row (what follows it is decided by values equal only within the bound).
 *   Where the sort keys hold every group key the order is total and this pins every row; where
 *   they do not, rows that tie on the sort keys may come in any order.
 */
import * as A from 'apache-arrow';
import type { Cell, SqlResult } from './duckdb.ts';
import { floatMatches, sumBound, SUM_ERROR, U } from './float-compare.ts';
import type { ErrorSpec, OrderKey, OutColumn } from './sql.ts';

/** Which documented error budget applies: the executor that ran the map tasks. */
export type Path = keyof typeof SUM_ERROR;

const MS_PER_DAY = 86_400_000;

export interface EngineRows {
  names: string[];
  types: string[];
  rows: Cell[][];
}

function toCell(type: A.DataType, v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (A.DataType.isInt(type)) return typeof v === 'bigint' ? v : Number.isInteger(v) ? BigInt(v as number) : (v as number);
  if (A.DataType.isFloat(type)) return Number(v);
  if (A.DataType.isDate(type)) return (v instanceof Date ? v.getTime() : Number(v)) / MS_PER_DAY;
  if (A.DataType.isBool(type)) return Boolean(v);
  if (typeof v === 'string') return v;
  return String(v);
}

/** Date64 and Timestamp columns: their stored 64-bit integers, exactly. */
function isWideTemporal(type: A.DataType): boolean {
  return A.DataType.isTimestamp(type) || (A.DataType.isDate(type) && (type as A.Date_).unit === A.DateUnit.MILLISECOND);
}

function columnCells(v: A.Vector, type: A.DataType): Cell[] {
  const out: Cell[] = [];
  if (isWideTemporal(type)) {
    for (const d of v.data) {
      const vals = d.values as unknown as BigInt64Array | Int32Array;
      for (let i = 0; i < d.length; i++) {
        if (!d.getValid(i)) out.push(null);
        else out.push(vals instanceof BigInt64Array ? vals[i]! : BigInt(vals[2 * i]! >>> 0) + (BigInt(vals[2 * i + 1]!) << 32n));
      }
    }
    return out;
  }
  for (let r = 0; r < v.length; r++) out.push(toCell(type, v.get(r)));
  return out;
}

export function arrowRows(table: A.Table): EngineRows {
  const fields = table.schema.fields;
  const cols = fields.map((f) => columnCells(table.getChild(f.name)!, f.type));
  const rows: Cell[][] = [];
  for (let r = 0; r < table.numRows; r++) rows.push(cols.map((c) => c[r]!));
  return { names: fields.map((f) => f.name), types: fields.map((f) => f.type.toString()), rows };
}

function keyOf(v: Cell): string {
  if (v === null) return '∅';
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : v === 0 ? '0' : String(v);
  if (typeof v === 'boolean') return v ? 'T' : 'F';
  return JSON.stringify(v);
}

/** canonical form of a cell for the column's kind (so an Int32 5 and a HUGEINT 5n agree) */
function canon(col: OutColumn, v: Cell): Cell {
  if (v === null) return null;
  switch (col.kind) {
    case 'int':
    case 'ts':
      return typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : v;
    case 'float':
    case 'date':
      return typeof v === 'bigint' ? Number(v) : v;
    case 'numeric':
      // an exact min/max of integer arithmetic: Int64 or Float64 on the engine's side, one number here
      return col.exact && typeof v === 'bigint' ? Number(v) : v;
    default:
      return v;
  }
}

export function showCell(v: Cell): string {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : String(v);
  return JSON.stringify(v);
}

/**
 * The error bound of a float sum or average against DuckDB's reference `ref` (module comment).
 * `hidden` reads a hidden column of the expected row.
 */
export function aggregateBound(err: ErrorSpec, ref: number, hidden: (name: string) => number, path: Path): number {
  const n = hidden(err.n);
  const absSum = hidden(err.abs);
  const a = path === 'gpu' && err.mag ? 2 * hidden(err.mag) : absSum;
  const s = Math.abs(err.fn === 'sum' ? ref : ref * n);
  const engine = err.exactEngine ? U * s : sumBound(path, a, s);
  const reference = err.exactRef ? 2 * U * s : 2 * U * s + n * U * U * absSum;
  return err.fn === 'sum' ? engine + reference : (engine + reference) / n + 2 * U * Math.abs(ref);
}

/** Whether `got` is `exp` for this column; `bound` is the column's bound in this row (0 if exact). */
export function cellsMatch(col: OutColumn, exp: Cell, got: Cell, bound: number): boolean {
  if (exp === null || got === null) return exp === got;
  switch (col.kind) {
    case 'int':
    case 'ts':
      return typeof got === 'bigint' && got === exp;
    case 'float':
    case 'numeric': {
      if (typeof got !== 'number' && typeof got !== 'bigint') return false;
      // an exact integer result (Int64) of an integer sum must be the exact sum
      if (typeof got === 'bigint' && typeof exp === 'bigint') return got === exp;
      return floatMatches(Number(got), Number(exp), col.exact ? 0 : bound);
    }
    default:
      return exp === got;
  }
}

export interface Comparison {
  problems: string[];
  /** rows compared */
  rows: number;
}

/** Reads the error bound of each expected row's float aggregates. */
function boundReader(out: OutColumn[], expected: SqlResult, path: Path) {
  const eIdx = new Map(expected.names.map((n, i) => [n, i]));
  return (raw: Cell[], c: OutColumn): number => {
    if (!c.err) return 0;
    const ref = raw[eIdx.get(c.name)!];
    if (ref === null || ref === undefined) return 0;
    const hidden = (name: string): number => {
      const v = raw[eIdx.get(name)!];
      return v === null || v === undefined ? 0 : Number(v);
    };
    return aggregateBound(c.err, Number(ref), hidden, path);
  };
}

/**
 * Compares an engine result with DuckDB's answer as multisets of rows (groups matched by key).
 * `out` lists the visible columns in engine order (keys first); `expected`
 * may contain extra hidden columns (error bounds).
 */
export function compareResults(out: OutColumn[], expected: SqlResult, got: EngineRows, opts: { checkTypes: boolean; path: Path }): Comparison {
  const problems: string[] = [];
  const names = out.map((c) => c.name);
  if (got.names.join('\u0000') !== names.join('\u0000')) {
    problems.push(`column names: expected [${names.join(', ')}], got [${got.names.join(', ')}]`);
    return { problems, rows: 0 };
  }
  if (opts.checkTypes) {
    out.forEach((c, i) => {
      if (c.arrowTypes.length && !c.arrowTypes.includes(got.types[i]!)) {
        problems.push(`column ${c.name}: Arrow type ${got.types[i]}, expected ${c.arrowTypes.join(' or ')}`);
      }
    });
  }
  const eIdx = new Map(expected.names.map((n, i) => [n, i]));
  const expRows = expected.rows.map((r) => out.map((c) => canon(c, r[eIdx.get(c.name)!]!)));
  const boundOf = boundReader(out, expected, opts.path);
  const gotRows = got.rows.map((r) => out.map((c, i) => canon(c, r[i]!)));
  const keyCols = out.map((c, i) => (c.key ? i : -1)).filter((i) => i >= 0);
  const rowKey = (r: Cell[]) => keyCols.map((i) => keyOf(r[i]!)).join('|');
  const showRow = (r: Cell[]) => '(' + r.map(showCell).join(', ') + ')';
  const allKeys = keyCols.length === out.length;

  if (allKeys) {
    // plain multiset of rows (collect) or groups without aggregates
    const e = expRows.map(rowKey).sort();
    const g = gotRows.map(rowKey).sort();
    if (e.length !== g.length) problems.push(`row count: expected ${e.length}, got ${g.length}`);
    const ec = new Map<string, number>();
    for (const k of e) ec.set(k, (ec.get(k) ?? 0) + 1);
    for (const k of g) ec.set(k, (ec.get(k) ?? 0) - 1);
    const diffs = [...ec].filter(([, n]) => n !== 0);
    for (const [k, n] of diffs.slice(0, 6)) problems.push(n > 0 ? `missing row ${k} (x${n})` : `unexpected row ${k} (x${-n})`);
    if (diffs.length > 6) problems.push(`... ${diffs.length - 6} more row differences`);
    return { problems, rows: e.length };
  }

  if (expRows.length !== gotRows.length) problems.push(`row count: expected ${expRows.length}, got ${gotRows.length}`);
  const gotByKey = new Map<string, Cell[]>();
  for (const r of gotRows) {
    const k = rowKey(r);
    if (gotByKey.has(k)) problems.push(`duplicate group ${k || '(global)'} in engine output: ${showRow(gotByKey.get(k)!)} and ${showRow(r)}`);
    gotByKey.set(k, r);
  }
  let shown = 0;
  const seen = new Set<string>();
  expected.rows.forEach((raw, ri) => {
    const er = expRows[ri]!;
    const k = rowKey(er);
    seen.add(k);
    const gr = gotByKey.get(k);
    if (!gr) {
      if (shown++ < 6) problems.push(`missing group ${k || '(global)'}: expected ${showRow(er)}`);
      return;
    }
    out.forEach((c, i) => {
      if (c.key) return;
      const bound = boundOf(raw, c);
      if (!cellsMatch(c, er[i]!, gr[i]!, bound)) {
        if (shown++ < 6) {
          const e = er[i]!, g = gr[i]!;
          const diff = c.err && typeof e === 'number' && typeof g === 'number' && Number.isFinite(e) && Number.isFinite(g)
            ? ` (|error| ${Math.abs(g - e).toExponential(3)} > bound ${bound.toExponential(3)}, path ${opts.path})` : '';
          problems.push(`group ${k || '(global)'} column ${c.name}: expected ${showCell(e)}, got ${showCell(g)}${diff}`);
        }
      }
    });
  });
  for (const [k, r] of gotByKey) {
    if (!seen.has(k) && shown++ < 6) problems.push(`unexpected group ${k || '(global)'}: ${showRow(r)}`);
  }
  if (shown > 6) problems.push(`... ${shown - 6} more differences`);
  return { problems, rows: expRows.length };
}

/**
 * Compares the engine's row order with DuckDB's ORDER BY (module comment). Rows must already
 * match as a multiset (compareResults); a different row count is left to that report.
 */
export function compareOrder(out: OutColumn[], orderBy: OrderKey[], expected: SqlResult, got: EngineRows, path: Path): string[] {
  if (expected.rows.length !== got.rows.length) return [];
  const eIdx = new Map(expected.names.map((n, i) => [n, i]));
  const boundOf = boundReader(out, expected, path);
  const keyCols = out.map((c, i) => (c.key ? i : -1)).filter((i) => i >= 0);
  const expRows = expected.rows.map((r) => out.map((c) => canon(c, r[eIdx.get(c.name)!]!)));
  const gotRows = got.rows.map((r) => out.map((c, i) => canon(c, r[i]!)));
  const rowKey = (r: Cell[]) => keyCols.map((i) => keyOf(r[i]!)).join('|');
  // the expected (raw) row of each group, for the bound of an engine row's inexact sort key
  const rawByKey = new Map<string, Cell[]>();
  if (keyCols.length < out.length) expected.rows.forEach((raw, i) => rawByKey.set(rowKey(expRows[i]!), raw));
  const sortCols = orderBy.map((k) => ({ k, i: out.findIndex((c) => c.name === k.name) }));
  const describe = `ORDER BY ${orderBy.map((k) => `${k.name} ${k.desc ? 'DESC NULLS LAST' : 'ASC NULLS FIRST'}`).join(', ')}`;
  const around = (rows: Cell[][], at: number) =>
    rows.slice(Math.max(0, at - 2), at + 3).map((r, j) => `      #${Math.max(0, at - 2) + j}: (${sortCols.map(({ i }) => showCell(r[i]!)).join(', ')})`).join('\n');
  for (let r = 0; r < expRows.length; r++) {
    const e = expRows[r]!, g = gotRows[r]!;
    for (const { k, i } of sortCols) {
      const c = out[i]!;
      const ev = e[i]!, gv = g[i]!;
      let same: boolean;
      if (c.err) {
        const gotRaw = rawByKey.get(rowKey(g));
        const bound = boundOf(expected.rows[r]!, c) + (gotRaw ? boundOf(gotRaw, c) : 0);
        same = ev === null || gv === null ? ev === gv : floatMatches(Number(gv), Number(ev), bound);
      } else same = keyOf(ev) === keyOf(gv);
      if (!same) {
        return [`order (${describe}): row #${r} has ${k.name} = ${showCell(gv)}, DuckDB's has ${showCell(ev)}\n` +
          `    engine sort keys:\n${around(gotRows, r)}\n    DuckDB sort keys:\n${around(expRows, r)}`];
      }
      if (c.err) break;
    }
  }
  return [];
}
