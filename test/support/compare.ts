/**
 * Result comparison for the differential tests: Arrow table → canonical
 * cells, then a multiset comparison against DuckDB's rows.
 *
 * Rules:
 * - integers (any Arrow Int*, DuckDB TINYINT..HUGEINT) compare exactly as bigint;
 * - strings, booleans and dates (as day numbers) compare exactly;
 * - nulls equal nulls only; NaN equals NaN (any payload); -0 equals 0;
 * - floats marked exact (keys, min/max of a column, collected rows) compare with ===;
 * - other floats (sum, avg, arithmetic): |got - exp| <= 1e-9 * max(|exp|, scale)
 *   where scale = sum(|x|) over the group for sum and avg(|x|) for avg (the
 *   bound on re-association error of any summation order is n * eps * sum|x|,
 *   ~3e-13 * sum|x| for 3000 rows), and 0 for min/max of an expression; a
 *   non-finite expected value must be matched exactly (same infinity, or NaN).
 */
import * as A from 'apache-arrow';
import type { Cell, SqlResult } from './duckdb.ts';
import type { OutColumn } from './sql.ts';

export const REL_TOL = 1e-9;
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
  if (A.DataType.isDate(type) || A.DataType.isTimestamp(type)) {
    const ms = v instanceof Date ? v.getTime() : Number(v);
    if (A.DataType.isTimestamp(type) && type.unit !== A.TimeUnit.MILLISECOND) {
      const per = type.unit === A.TimeUnit.SECOND ? 1e-3 : type.unit === A.TimeUnit.MICROSECOND ? 1e3 : 1e6;
      return ms / per / MS_PER_DAY;
    }
    return ms / MS_PER_DAY;
  }
  if (A.DataType.isBool(type)) return Boolean(v);
  if (typeof v === 'string') return v;
  return String(v);
}

export function arrowRows(table: A.Table): EngineRows {
  const fields = table.schema.fields;
  const cols = fields.map((f) => table.getChild(f.name)!);
  const rows: Cell[][] = [];
  for (let r = 0; r < table.numRows; r++) rows.push(cols.map((c, i) => toCell(fields[i]!.type, c.get(r))));
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
      return typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : v;
    case 'float':
    case 'numeric':
    case 'date':
      return typeof v === 'bigint' ? Number(v) : v;
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

export function cellsMatch(col: OutColumn, exp: Cell, got: Cell, scale: number): boolean {
  if (exp === null || got === null) return exp === got;
  switch (col.kind) {
    case 'int':
      return typeof got === 'bigint' && got === exp;
    case 'float':
    case 'numeric': {
      const e = Number(exp);
      const g = Number(got);
      if (typeof got !== 'number' && typeof got !== 'bigint') return false;
      if (Number.isNaN(e)) return Number.isNaN(g);
      if (!Number.isFinite(e) || col.exact) return e === g;
      const s = Number.isFinite(scale) ? Math.max(Math.abs(e), scale) : Math.abs(e);
      return Math.abs(g - e) <= REL_TOL * s;
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

/**
 * Compares an engine result with DuckDB's answer.
 * `out` lists the visible columns in engine order (keys first); `expected`
 * may contain extra hidden columns (scales).
 */
export function compareResults(out: OutColumn[], expected: SqlResult, got: EngineRows, opts: { checkTypes: boolean }): Comparison {
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
  const scaleOf = (r: Cell[], c: OutColumn): number => {
    if (!c.scaleCol) return 0;
    const v = r[eIdx.get(c.scaleCol)!];
    return v === null || v === undefined ? 0 : Number(v);
  };
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
      if (!cellsMatch(c, er[i]!, gr[i]!, scaleOf(raw, c))) {
        if (shown++ < 6) {
          const sc = c.scaleCol ? ` (scale ${scaleOf(raw, c)})` : '';
          problems.push(`group ${k || '(global)'} column ${c.name}: expected ${showCell(er[i]!)}, got ${showCell(gr[i]!)}${sc}`);
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
