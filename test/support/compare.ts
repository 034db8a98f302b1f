/**
 * Result comparison for the differential tests: the shared comparison (bench/compare-rows.ts:
 * Arrow table → canonical cells, a multiset comparison against DuckDB's rows; its rules are
 * written there) with the error bounds of the tests' queries, and (ORDER BY) a comparison of the
 * row order with DuckDB's.
 *
 * Rules beyond the shared ones:
 * - floats compare within a bound of 0 for keys, min/max (of columns and of arithmetic: both
 *   sides evaluate the same IEEE operations) and collected rows;
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
import type { SqlResult } from './duckdb.ts';
import { floatMatches, sumBound, SUM_ERROR, U } from './float-compare.ts';
import type { ErrorSpec, OrderKey, OutColumn } from './sql.ts';
import {
  canonRows,
  cellKey,
  compareRows,
  groupKeyOf,
  showCell,
  type Cell,
  type Comparison,
  type Rows,
} from '../../bench/compare-rows.ts';

export { arrowRows, cellsMatch, showCell, type Comparison } from '../../bench/compare-rows.ts';

/** Which documented error budget applies: the executor that ran the map tasks. */
export type Path = keyof typeof SUM_ERROR;

export type EngineRows = Rows;

/**
 * The error bound of a float sum or average against DuckDB's reference `ref` (module comment).
 * `hidden` reads a hidden column of the expected row.
 */
export function aggregateBound(err: ErrorSpec, ref: number, hidden: (name: string) => number, path: Path): number {
  if (err.fn === 'var' || err.fn === 'stddev') return spreadBound(err, ref, hidden);
  // approxCountDistinct at the default relativeError: 4 standard errors (1.04 / √512) of the exact
  // count, and 2 more for small counts, where two values sharing a register is a whole unit.
  if (err.fn === 'approx') return 4 * (1.04 / Math.sqrt(512)) * Math.abs(ref) + 2;
  const n = hidden(err.n);
  const absSum = hidden(err.abs);
  const a = path === 'gpu' && err.mag ? 2 * hidden(err.mag) : absSum;
  const s = Math.abs(err.fn === 'sum' ? ref : ref * n);
  const engine = err.exactEngine ? U * s : sumBound(path, a, s);
  const reference = err.exactRef ? 2 * U * s : 2 * U * s + n * U * U * absSum;
  return err.fn === 'sum' ? engine + reference : (engine + reference) / n + 2 * U * Math.abs(ref);
}

/**
 * A variance or standard deviation. From exact integer sums both sides round a few times: 4 ulps.
 * Otherwise the engine's Welford / Chan and DuckDB's Welford each err by at most 4·n·U·Σx² / d
 * (d = n − 1, or n for the population's), the documented bound; a standard deviation by the
 * square root of that (|√a − √b| ≤ √|a − b|) and a rounding.
 */
function spreadBound(err: ErrorSpec, ref: number, hidden: (name: string) => number): number {
  if (err.exactRef) return 4 * U * Math.abs(ref);
  const n = hidden(err.n), d = err.sample ? n - 1 : n;
  const v = (2 * 4 * n * U * hidden(err.sq!)) / d;
  return err.fn === 'var' ? v : Math.sqrt(v) + 4 * U * Math.abs(ref);
}

/** Reads the error bound of each expected row's float aggregates. */
function boundReader(expected: SqlResult, path: Path) {
  const eIdx = new Map(expected.names.map((n, i) => [n, i]));
  return (c: OutColumn, raw: readonly Cell[]): number => {
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
  const bound = boundReader(expected, opts.path);
  return compareRows(out, expected, got, {
    checkTypes: opts.checkTypes,
    bound: (c, raw) => bound(c as OutColumn, raw),
    boundLabel: `path ${opts.path}`,
  });
}

/**
 * Compares the engine's row order with DuckDB's ORDER BY (module comment). Rows must already
 * match as a multiset (compareResults); a different row count is left to that report.
 */
export function compareOrder(out: OutColumn[], orderBy: OrderKey[], expected: SqlResult, got: EngineRows, path: Path): string[] {
  if (expected.rows.length !== got.rows.length) return [];
  const boundOf = boundReader(expected, path);
  const expRows = canonRows(out, expected);
  const gotRows = canonRows(out, got);
  const rowKey = groupKeyOf(out);
  // the expected (raw) row of each group, for the bound of an engine row's inexact sort key
  const rawByKey = new Map<string, Cell[]>();
  if (out.some((c) => !c.key)) expected.rows.forEach((raw, i) => rawByKey.set(rowKey(expRows[i]!), raw));
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
        const bound = boundOf(c, expected.rows[r]!) + (gotRaw ? boundOf(c, gotRaw) : 0);
        same = ev === null || gv === null ? ev === gv : floatMatches(Number(gv), Number(ev), bound);
      } else same = cellKey(ev) === cellKey(gv);
      if (!same) {
        return [`order (${describe}): row #${r} has ${k.name} = ${showCell(gv)}, DuckDB's has ${showCell(ev)}\n` +
          `    engine sort keys:\n${around(gotRows, r)}\n    DuckDB sort keys:\n${around(expRows, r)}`];
      }
      if (c.err) break;
    }
  }
  return [];
}
