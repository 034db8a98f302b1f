/** Spark's show() layout: a boxed, right-aligned text table of the first n rows. */
import type * as arrow from 'apache-arrow';
import { tableCells } from './arrow/decimal.ts';

function cell(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

export function formatTable(table: arrow.Table, n = 20): string {
  const names = table.schema.fields.map((f) => f.name);
  const shown = Math.min(n, table.numRows);
  const rows = tableCells(table, shown, cell);
  const widths = names.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const rule = `+${widths.map((w) => '-'.repeat(w)).join('+')}+`;
  const line = (cells: string[]) => `|${cells.map((x, c) => x.padStart(widths[c])).join('|')}|`;
  const out = [rule, line(names), rule, ...rows.map(line), rule];
  if (table.numRows > shown) out.push(`only showing top ${shown} row${shown === 1 ? '' : 's'}`);
  return out.join('\n');
}
