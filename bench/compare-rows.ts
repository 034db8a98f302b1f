/**
 * Result comparison, shared by the benchmark's answer check (answer-check.ts) and the differential
 * tests (test/support/compare.ts): Arrow table → canonical cells, then a comparison of the
 * engine's rows against the reference's (DuckDB's) as multisets, groups matched by key.
 *
 * Rules:
 * - integers (any Arrow Int*, DuckDB TINYINT..HUGEINT) compare exactly as bigint;
 * - strings, booleans, dates (date32 as day numbers) and 64-bit temporals (Date64, Timestamp of
 *   any unit: their raw stored integers, read from the Arrow buffers, never through
 *   `Vector.get`, which rounds nanoseconds to float milliseconds) compare exactly;
 * - decimals compare as their text at their scale ('12.50'; DuckDB's DECIMAL values likewise);
 * - nulls equal nulls only; NaN equals NaN (any payload); -0 equals 0;
 * - floats compare with `floatMatches`: non-finite values exactly (NaN, ±Inf), finite ones within
 *   the bound the caller gives for the column in that row (0 for exact columns: keys, min/max,
 *   collected rows).
 */
import * as A from 'apache-arrow';
import { decimalCells } from '../src/arrow/decimal.ts';

export type Cell = null | bigint | number | string | boolean;

/** Rows of canonical cells, with their column names and type names (Arrow's or DuckDB's). */
export interface Rows {
  names: string[];
  types: string[];
  rows: Cell[][];
}

/** How a result column is compared. */
/** approx: an estimate of an exact integer (approxCountDistinct), within the bound. */
export type ResultKind = 'int' | 'float' | 'numeric' | 'approx' | 'str' | 'bool' | 'date' | 'ts';

export interface ResultColumn {
  name: string;
  kind: ResultKind;
  /** compare exactly (floats: non-finite exact, -0 = 0, otherwise bound 0) */
  exact: boolean;
  /** Arrow type strings the engine may return (DataType.toString()); checked with checkTypes */
  arrowTypes: string[];
  /** whether this is a group key */
  key: boolean;
}

/** Whether `got` is `want`: nulls and non-finite values exactly, finite ones within `bound`. */
export function floatMatches(got: number | null | undefined, want: number | null | undefined, bound: number): boolean {
  if (got === null || got === undefined || want === null || want === undefined) return (got ?? null) === (want ?? null);
  if (Number.isNaN(got) || Number.isNaN(want)) return Number.isNaN(got) && Number.isNaN(want);
  if (!Number.isFinite(got) || !Number.isFinite(want)) return got === want;
  return Math.abs(got - want) <= bound;
}

const MS_PER_DAY = 86_400_000;

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
  const decimals = decimalCells(v);
  if (decimals) return decimals;
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

/** An Arrow table as canonical rows. */
export function arrowRows(table: A.Table): Rows {
  const fields = table.schema.fields;
  const cols = fields.map((f) => columnCells(table.getChild(f.name)!, f.type));
  const rows: Cell[][] = [];
  for (let r = 0; r < table.numRows; r++) rows.push(cols.map((c) => c[r]!));
  return { names: fields.map((f) => f.name), types: fields.map((f) => f.type.toString()), rows };
}

/** A cell as a map key: equal keys for equal cells (NaN = NaN, -0 = 0). */
export function cellKey(v: Cell): string {
  if (v === null) return '∅';
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : v === 0 ? '0' : String(v);
  if (typeof v === 'boolean') return v ? 'T' : 'F';
  return JSON.stringify(v);
}

export function showCell(v: Cell): string {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : String(v);
  return JSON.stringify(v);
}

/** canonical form of a cell for the column's kind (so an Int32 5 and a HUGEINT 5n agree) */
function canon(col: ResultColumn, v: Cell): Cell {
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

/** `r`'s rows as the columns of `out` (picked by name, so hidden columns drop out), canonical. */
export function canonRows(out: readonly ResultColumn[], r: Rows): Cell[][] {
  const at = out.map((c) => r.names.indexOf(c.name));
  return r.rows.map((row) => out.map((c, i) => canon(c, row[at[i]!]!)));
}

/** The group key of a canonical row (its key columns as one string). */
export function groupKeyOf(out: readonly ResultColumn[]): (row: readonly Cell[]) => string {
  const keyCols = out.map((c, i) => (c.key ? i : -1)).filter((i) => i >= 0);
  return (row) => keyCols.map((i) => cellKey(row[i]!)).join('|');
}

/** Whether `got` is `exp` for this column; `bound` is the column's bound in this row (0 if exact). */
export function cellsMatch(col: ResultColumn, exp: Cell, got: Cell, bound: number): boolean {
  if (exp === null || got === null) return exp === got;
  switch (col.kind) {
    case 'approx':
      return (typeof got === 'bigint' || typeof got === 'number') && Math.abs(Number(got) - Number(exp)) <= bound;
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

export interface CompareOptions {
  /** Also check each column's Arrow type against `arrowTypes`. */
  checkTypes: boolean;
  /** The error bound of an inexact column in a row of the reference (`raw`: that row as given, hidden columns included). */
  bound(col: ResultColumn, raw: readonly Cell[]): number;
  /** Names the bound in a difference's message, e.g. 'path gpu'. */
  boundLabel: string;
}

export interface Comparison {
  problems: string[];
  /** rows compared */
  rows: number;
}

const SHOWN = 6;

/**
 * Compares an engine result with the reference's answer as multisets of rows (groups matched by
 * key). `out` lists the visible columns in engine order (keys first); `expected` may contain
 * extra hidden columns (error bounds).
 */
export function compareRows(out: readonly ResultColumn[], expected: Rows, got: Rows, opts: CompareOptions): Comparison {
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
  const expRows = canonRows(out, expected);
  const gotRows = canonRows(out, got);
  const rowKey = groupKeyOf(out);
  const showRow = (r: Cell[]) => '(' + r.map(showCell).join(', ') + ')';

  if (out.every((c) => c.key)) {
    // plain multiset of rows (collect) or groups without aggregates
    const e = expRows.map(rowKey).sort();
    const g = gotRows.map(rowKey).sort();
    if (e.length !== g.length) problems.push(`row count: expected ${e.length}, got ${g.length}`);
    const ec = new Map<string, number>();
    for (const k of e) ec.set(k, (ec.get(k) ?? 0) + 1);
    for (const k of g) ec.set(k, (ec.get(k) ?? 0) - 1);
    const diffs = [...ec].filter(([, n]) => n !== 0);
    for (const [k, n] of diffs.slice(0, SHOWN)) problems.push(n > 0 ? `missing row ${k} (x${n})` : `unexpected row ${k} (x${-n})`);
    if (diffs.length > SHOWN) problems.push(`... ${diffs.length - SHOWN} more row differences`);
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
      if (shown++ < SHOWN) problems.push(`missing group ${k || '(global)'}: expected ${showRow(er)}`);
      return;
    }
    out.forEach((c, i) => {
      if (c.key) return;
      const bound = c.exact ? 0 : opts.bound(c, raw);
      if (!cellsMatch(c, er[i]!, gr[i]!, bound)) {
        if (shown++ < SHOWN) {
          const e = er[i]!, g = gr[i]!;
          const diff = !c.exact && typeof e === 'number' && typeof g === 'number' && Number.isFinite(e) && Number.isFinite(g)
            ? ` (|error| ${Math.abs(g - e).toExponential(3)} > bound ${bound.toExponential(3)}, ${opts.boundLabel})` : '';
          problems.push(`group ${k || '(global)'} column ${c.name}: expected ${showCell(e)}, got ${showCell(g)}${diff}`);
        }
      }
    });
  });
  for (const [k, r] of gotByKey) {
    if (!seen.has(k) && shown++ < SHOWN) problems.push(`unexpected group ${k || '(global)'}: ${showRow(r)}`);
  }
  if (shown > SHOWN) problems.push(`... ${shown - SHOWN} more differences`);
  return { problems, rows: expRows.length };
}
