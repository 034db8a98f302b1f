/**
 * Checks an engine's answer against DuckDB's with the shared result comparison (compare-rows.ts):
 * the same groups, integers, strings and dates exact, floats within 1e-9 relative. The column
 * kinds come from DuckDB's result types; the group keys are the query's.
 */
import { compareRows, type ResultColumn, type ResultKind, type Rows } from './compare-rows.ts';
import type { QueryDef } from './queries.ts';

export type AnswerCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly details: string[] };

/** Relative tolerance of float results: the benchmark's queries have no hidden error-bound columns. */
const REL_TOL = 1e-9;

/** How a column of DuckDB's type compares. */
function kindOf(duckdbType: string): ResultKind {
  if (/^U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$/.test(duckdbType)) return 'int';
  if (duckdbType === 'DOUBLE' || duckdbType === 'FLOAT') return 'float';
  if (duckdbType === 'BOOLEAN') return 'bool';
  if (duckdbType === 'DATE') return 'date';
  return 'str';
}

export function checkAnswer(q: QueryDef, got: Rows, reference: Rows): AnswerCheck {
  const out: ResultColumn[] = q.columns.map((name) => {
    const i = reference.names.indexOf(name);
    if (i < 0) throw new Error(`DuckDB's answer to ${q.id} has no column '${name}' (has: ${reference.names.join(', ')})`);
    const kind = q.approx?.[name] !== undefined ? 'approx' : kindOf(reference.types[i]!);
    return { name, kind, exact: kind !== 'float' && kind !== 'approx', arrowTypes: [], key: q.keys.includes(name) };
  });
  const { problems } = compareRows(out, reference, got, {
    checkTypes: false,
    bound: (c, raw) => (q.approx?.[c.name] ?? REL_TOL) * Math.abs(Number(raw[reference.names.indexOf(c.name)] ?? 0)),
    boundLabel: `relative ${REL_TOL}`,
  });
  if (problems.length === 0) return { ok: true };
  return { ok: false, reason: `${got.rows.length} vs ${reference.rows.length} groups: ${problems.length} problem(s)`, details: problems };
}
