/**
 * A query result in the CLI's output formats: a text table (Spark's show() layout, every row),
 * CSV (RFC 4180), JSON (an array of row objects) or Arrow IPC.
 *
 * JSON keeps Int64 values exact: they are written as plain JSON numbers with every digit
 * (`12345678901234567890`), which JSON allows; JavaScript's JSON.parse rounds those beyond 2^53,
 * so read them with a parser that keeps big integers where that matters. Non-finite floats,
 * which JSON has no number for, are the strings "NaN", "Infinity" and "-Infinity". Decimals are
 * written with every digit of their scale, as numbers in JSON (`12.50`).
 */
import * as arrow from 'apache-arrow';
import { formatTable } from '../format-table.ts';
import { tableCells } from '../arrow/decimal.ts';

export const FORMATS = ['table', 'csv', 'json', 'arrow'] as const;
export type OutputFormat = (typeof FORMATS)[number];

/** The result in `format`: text for table / csv / json, bytes (an IPC file) for arrow. */
export function formatResult(table: arrow.Table, format: OutputFormat): string | Uint8Array {
  switch (format) {
    case 'table': return `${formatTable(table, table.numRows)}\n`;
    case 'csv': return toCsv(table);
    case 'json': return toJson(table);
    case 'arrow': return arrow.tableToIPC(table, 'file');
  }
}

const rowsOf = (table: arrow.Table, cell: (v: unknown) => string): string[][] => tableCells(table, table.numRows, cell);

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  return csvField(String(v));
}

function toCsv(table: arrow.Table): string {
  const header = table.schema.fields.map((f) => csvField(f.name)).join(',');
  return [header, ...rowsOf(table, csvCell).map((r) => r.join(','))].join('\n') + '\n';
}

function jsonCell(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : JSON.stringify(String(v));
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  return JSON.stringify(v);
}

function toJson(table: arrow.Table): string {
  const keys = table.schema.fields.map((f) => JSON.stringify(f.name));
  const rows = rowsOf(table, jsonCell).map((r) => `  {${r.map((v, c) => `${keys[c]}: ${v}`).join(', ')}}`);
  return rows.length ? `[\n${rows.join(',\n')}\n]\n` : '[]\n';
}
