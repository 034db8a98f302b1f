/** The logical plan a DataFrame builds lazily: a chain of plain-data nodes over an Arrow source. */
import type * as arrow from 'apache-arrow';
import type { Aggregate } from '../aggregate/aggregate.ts';
import type { Expr, SortKey } from '../expr/expr.ts';
import type { Schema } from '../expr/resolve.ts';
import type { FileSource } from '../io/file-source.ts';

export interface Source {
  readonly schema: Schema;
  readonly arrowSchema: arrow.Schema;
  /** Input partitions, each a list of record batches (zero-copy slices of the input); none for files. */
  readonly partitions: readonly (readonly arrow.RecordBatch[])[];
  /** Rows of the input (of the files: as their footers count them). */
  readonly rows: number;
  /** Files read lazily (readParquet, readArrow): their units, read by scan tasks. */
  readonly files?: FileSource;
  /** DataFrame.cache(): the cached input's id; a GPU executor keeps the partitions' columns on the device once uploaded. */
  readonly cached?: number;
}

export type LogicalPlan =
  | { readonly kind: 'scan'; readonly source: Source }
  | { readonly kind: 'filter'; readonly input: LogicalPlan; readonly predicate: Expr }
  | { readonly kind: 'aggregate'; readonly input: LogicalPlan; readonly keys: readonly string[]; readonly aggs: readonly Aggregate[] }
  | { readonly kind: 'sort'; readonly input: LogicalPlan; readonly keys: readonly SortKey[] }
  /**
   * select (exactly these columns), withColumn (every column, these added or replaced in place)
   * or drop (every column but these names).
   */
  | { readonly kind: 'project'; readonly input: LogicalPlan; readonly mode: 'select' | 'with' | 'drop'; readonly columns: readonly NamedExpr[] }
  | { readonly kind: 'distinct'; readonly input: LogicalPlan }
  | { readonly kind: 'limit'; readonly input: LogicalPlan; readonly n: number };

/** An output column of a projection: its name and the expression over the frame's columns. */
export interface NamedExpr {
  readonly name: string;
  readonly expr: Expr;
}
