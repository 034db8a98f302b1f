/**
 * How a job reads its file source: the columns it needs (projection), the units whose statistics
 * let a row pass its filter (pushdown), and those units grouped into scan tasks, one per row group
 * or record batch, consecutive small ones of a file together.
 *
 *   units 0..n ─ mayMatch(filter) ─► kept units ─ runs of ≤ SCAN_TASK_ROWS rows per file ─► ScanTask[]
 */
import { exprToString, type Expr } from '../expr/expr.ts';
import { predicate, resolve, type Schema, type TExpr } from '../expr/resolve.ts';
import { SCAN_TASK_ROWS, type FileFormat, type FileSource, type FileUnit, type ScanTask } from '../io/file-source.ts';
import { mayMatch, pushable } from './prune-units.ts';

export interface ScanPlan {
  readonly format: FileFormat;
  readonly paths: readonly string[];
  /** The columns the tasks read, in the file's order. */
  readonly columns: readonly string[];
  /** The filters statistics can skip units by, as written (Spark's PushedFilters). */
  readonly pushed: readonly string[];
  readonly unitsRead: number;
  readonly unitsTotal: number;
  /** Stored bytes of the columns read in the units read, and of the whole files. */
  readonly bytesRead: number;
  readonly bytesTotal: number;
  readonly rows: number;
  readonly tasks: readonly ScanTask[];
}

const sum = (xs: Iterable<number>): number => { let s = 0; for (const x of xs) s += x; return s; };

/**
 * `wanted`: the columns the query reads (none for count(*): then the cheapest column is read, for
 * its row count).
 */
export function planScan(files: FileSource, schema: Schema, filterExprs: readonly Expr[], filter: TExpr | null, wanted: readonly string[]): ScanPlan {
  let columns = schema.map((f) => f.name).filter((n) => wanted.includes(n));
  if (columns.length === 0 && schema.length) {
    const bytesOf = (n: string) => sum(files.units.map((u) => u.bytes[n] ?? 0));
    columns = [schema.map((f) => f.name).reduce((a, b) => (bytesOf(b) < bytesOf(a) ? b : a))];
  }
  const kept = filter ? files.units.filter((u) => mayMatch(filter, u)) : files.units;
  const pushed = filterExprs.filter((e) => pushable(predicate(resolve(e, schema), e))).map(exprToString);
  const bytesOf = (u: FileUnit) => u.wholeBytes ?? sum(columns.map((c) => u.bytes[c] ?? 0));
  const tasks: ScanTask[] = [];
  let run: FileUnit[] = [];
  let rows = 0;
  const flush = () => {
    if (!run.length) return;
    tasks.push({ format: files.format, path: run[0]!.path, units: run.map((u) => u.index), rows, bytes: sum(run.map(bytesOf)) });
    run = [];
    rows = 0;
  };
  for (const u of kept) {
    if (run.length && (run[0]!.path !== u.path || rows + u.rows > SCAN_TASK_ROWS)) flush();
    run.push(u);
    rows += u.rows;
  }
  flush();
  return {
    format: files.format, paths: files.paths, columns, pushed,
    unitsRead: kept.length, unitsTotal: files.units.length,
    bytesRead: sum(kept.map(bytesOf)), bytesTotal: sum(files.units.map((u) => u.wholeBytes ?? sum(Object.values(u.bytes)))),
    rows: sum(kept.map((u) => u.rows)), tasks,
  };
}
