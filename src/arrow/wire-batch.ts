/**
 * Record batches as plain data for tasks: only the columns a task reads, each described as a
 * WireColumn (see column-chunk.ts), and bound into ColumnChunks by the executor that runs it.
 */
import type * as arrow from 'apache-arrow';
import { fieldOf, type Schema } from '../expr/resolve.ts';
import { describeColumn, fromWire, type ColumnChunk, type WireColumn } from './column-chunk.ts';
import { cacheUnscaled, unscaled128 } from './decimal.ts';
import { isDecimal128 } from '../types.ts';

export interface WireBatch {
  readonly rows: number;
  readonly columns: Readonly<Record<string, WireColumn>>;
}

export interface BoundBatch {
  readonly rows: number;
  readonly columns: ReadonlyMap<string, ColumnChunk>;
}

/**
 * describeBatches' work that grows with the rows (a decimal column's Int64 copy), done ahead
 * between turns of the driver's event loop and cached, so that describeBatches finds it made.
 */
export async function prepareBatches(schema: Schema, names: readonly string[], batches: readonly arrow.RecordBatch[]): Promise<void> {
  for (const name of names) {
    const t = fieldOf(schema, name).dtype;
    if (t.id !== 'decimal') continue;
    for (const b of batches) {
      if (isDecimal128(t)) unscaled128(b.getChild(name)!.data[0]!, name);
      else await cacheUnscaled(b.getChild(name)!.data[0]!, name);
    }
  }
}

/** The batches' columns `names`; integer columns among `keys` carry their value range. */
export function describeBatches(schema: Schema, names: readonly string[], batches: readonly arrow.RecordBatch[], keys: readonly string[] = []): WireBatch[] {
  return batches.map((b) => {
    const columns: Record<string, WireColumn> = {};
    for (const name of names) columns[name] = describeColumn(b.getChild(name)!.data[0], fieldOf(schema, name).dtype, keys.includes(name), name);
    return { rows: b.numRows, columns };
  });
}

export function bindBatches(batches: readonly WireBatch[]): BoundBatch[] {
  return batches.map((b) => ({ rows: b.rows, columns: new Map(Object.entries(b.columns).map(([n, w]) => [n, fromWire(w)])) }));
}
