/**
 * How a GPU map task's rows split into dispatches ("pieces"). Chunks run across the task's batches,
 * so that a dispatch is as big as the chunk bound allows: fewer, bigger dispatches run faster (see
 * docs/performance.md). A cached source's chunks stay on the device (resident-cache.ts), read by
 * kernels in pieces of at most the chunk bound, as far as the cache's budget allows; other pieces
 * are packed, each into the task's one input buffer.
 */
import type * as arrow from 'apache-arrow';
import { bindColumn, type ColumnChunk } from '../../arrow/column-chunk.ts';
import type { DType } from '../../types.ts';
import type { AggregationSpec } from '../../plan/aggregation-spec.ts';
import { bytesPerRow } from './chunk-upload.ts';
import { columnForm } from '../../expr/to-wgsl.ts';
import type { ResidentChunk } from './resident-cache.ts';

/** Rows [r0, r1) of the task's batch `batch`. */
export interface Run { readonly batch: number; readonly r0: number; readonly r1: number }

/**
 * What one dispatch reads: `rows` rows from row `offset` of a chunk, which holds the runs back to
 * back, kept on the device (`cached`) or packed into the task's input buffer for this dispatch.
 */
export interface Piece { readonly runs: readonly Run[]; readonly offset: number; readonly rows: number; readonly cached: CachedChunk | null }

/** A cached piece's chunk; `created`: this piece is the first to read it since it was made. */
export interface CachedChunk { readonly chunk: ResidentChunk; readonly created: boolean }

export type Columns = readonly { name: string; dtype: DType }[];

/** Runs (rows of the task's batches, back to back) in spans of at most `rows` rows: each its runs and row count. */
function spans(all: readonly Run[], rows: number): { runs: Run[]; n: number }[] {
  const out: { runs: Run[]; n: number }[] = [];
  let cur: Run[] = [];
  let n = 0;
  for (const { batch, r0: start, r1: end } of all) {
    for (let r0 = start; r0 < end;) {
      const r1 = Math.min(end, r0 + rows - n);
      cur.push({ batch, r0, r1 });
      n += r1 - r0;
      r0 = r1;
      if (n === rows) { out.push({ runs: cur, n }); cur = []; n = 0; }
    }
  }
  if (n > 0) out.push({ runs: cur, n });
  return out;
}

const packed = (runs: readonly Run[], chunkRows: number): Piece[] =>
  spans(runs, chunkRows).map(({ runs, n }) => ({ runs, offset: 0, rows: n, cached: null }));

/**
 * The task's pieces of at most `chunkRows` rows: packed per piece, or (`cachedSpan` > 0) read from
 * cached chunks of `cachedSpan` rows each, which `keep` gives (null: that span does not fit the
 * device's cache, and is packed as an uncached task's rows are).
 */
export function taskPieces(batches: readonly arrow.RecordBatch[], chunkRows: number, cachedSpan: number,
  keep: (runs: readonly Run[]) => { chunk: ResidentChunk; created: boolean } | null = () => null): Piece[] {
  const all = batches.map((b, batch) => ({ batch, r0: 0, r1: b.numRows }));
  if (cachedSpan <= 0) return packed(all, chunkRows);
  const out: Piece[] = [];
  // Consecutive spans the cache has no room for are packed together, in pieces as big as an uncached task's.
  let refused: Run[] = [];
  for (const { runs, n } of spans(all, cachedSpan)) {
    const got = keep(runs);
    if (!got) {
      refused.push(...runs);
      continue;
    }
    out.push(...packed(refused, chunkRows));
    refused = [];
    for (let k = 0; k * chunkRows < n; k++) {
      out.push({ runs, offset: k * chunkRows, rows: Math.min(chunkRows, n - k * chunkRows), cached: { chunk: got.chunk, created: got.created && k === 0 } });
    }
  }
  out.push(...packed(refused, chunkRows));
  return out;
}

/** The columns of the input a cached chunk holds: all that have a GPU form. */
export const residentColumns = (spec: AggregationSpec): Columns => spec.input.filter((f) => {
  if (f.unsupported !== undefined) return false;
  try { columnForm(f.dtype, f.name); return true; } catch { return false; }
});

/** A batch's columns `cols`, bound for packing. */
export const bindAll = (cols: Columns, batch: arrow.RecordBatch): Map<string, ColumnChunk> =>
  new Map(cols.map((f) => [f.name, bindColumn(batch.getChild(f.name)!.data[0], f.dtype)]));

/**
 * Rows per cached chunk of a task: all its columns (and a string column's remap table, at most
 * the size of all the task's dictionaries) within `bound` bytes, in whole 64 Ki-row steps where
 * the bound allows; 0 when not even one row fits.
 */
export function residentRows(cols: Columns, batches: readonly arrow.RecordBatch[], bound: number): number {
  const dicts = cols.reduce((a, f) => a + (f.dtype.id !== 'utf8' ? 0
    : batches.reduce((d, b) => d + 4 * (b.getChild(f.name)!.data[0].dictionary?.length ?? b.numRows), 0)), 0);
  const rows = Math.max(0, Math.floor((bound - dicts - 4096) / (bytesPerRow(cols) + 0.125)));
  return rows >= 1 << 16 ? rows - (rows % (1 << 16)) : rows;
}

/**
 * Device bytes a cached input's chunks take (every column with a GPU form), and the share of them
 * a cache of `budget` bytes holds: the rest is read as an uncached input is.
 */
export function cachedShare(spec: AggregationSpec, partitions: readonly (readonly arrow.RecordBatch[])[], budget: number): { bytes: number; share: number } {
  const perRow = bytesPerRow(residentColumns(spec));
  const bytes = partitions.reduce((a, p) => a + p.reduce((r, b) => r + b.numRows, 0), 0) * perRow;
  return { bytes, share: bytes === 0 ? 1 : Math.min(1, budget / bytes) };
}
