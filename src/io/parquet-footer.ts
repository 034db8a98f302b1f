/**
 * What planning reads of a Parquet file: its footer only. hyparquet parses the footer's row groups
 * (rows, column chunk sizes, min/max statistics); parquet-wasm gives the Arrow schema its decoder
 * will produce, so that plan and tasks agree on every column's type.
 */
import { openAsBlob } from 'node:fs';
import { open } from 'node:fs/promises';
import * as arrow from 'apache-arrow';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet/src/node.js';
import type { FileMetaData } from 'hyparquet';
import { InputFileError } from '../errors.ts';
import type { ColumnStats, FileUnit } from './file-source.ts';
import { parquetWasm } from './parquet-wasm.ts';

const MAGIC = 'PAR1';

/** Statistics as planning compares them: dates as day numbers; timestamps not at all (hyparquet makes them Dates in ms). */
const PARSERS = {
  dateFromDays: (days: number) => days,
  timestampFromMilliseconds: () => undefined,
  timestampFromMicroseconds: () => undefined,
  timestampFromNanoseconds: () => undefined,
};

/** Checks both magic numbers, so that a file that is not Parquet, or is cut short, says so. */
async function checkMagic(path: string): Promise<void> {
  const f = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new InputFileError(path, e.code === 'ENOENT' ? 'does not exist' : `cannot be read: ${e.message}`);
  });
  try {
    const { size } = await f.stat();
    if (size === 0) throw new InputFileError(path, 'is empty, not a Parquet file');
    const head = Buffer.alloc(4), tail = Buffer.alloc(4);
    await f.read(head, 0, 4, 0);
    if (head.toString('latin1') !== MAGIC) {
      const arrowMagic = head.toString('latin1') === 'ARRO' || head.readUInt32LE(0) === 0xffffffff;
      throw new InputFileError(path, `is not a Parquet file (it does not start with PAR1${arrowMagic ? '; it looks like Arrow IPC: use readArrow' : ''})`);
    }
    if (size < 12) throw new InputFileError(path, `is truncated: ${size} bytes, too short for a Parquet footer`);
    await f.read(tail, 0, 4, size - 4);
    if (tail.toString('latin1') !== MAGIC) throw new InputFileError(path, `is truncated: it does not end with PAR1 (${size} bytes; the footer is missing)`);
  } finally {
    await f.close();
  }
}

function statsOf(s: NonNullable<FileMetaData['row_groups'][number]['columns'][number]['meta_data']>['statistics']): ColumnStats {
  if (!s) return {};
  const ok = (v: unknown) => (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string' ? v : undefined);
  // Only min_value / max_value: the deprecated min / max were ordered wrongly for some types by old writers.
  return { min: ok(s.min_value), max: ok(s.max_value), nullCount: s.null_count === undefined ? undefined : Number(s.null_count) };
}

export async function parquetFooter(path: string): Promise<{ schema: arrow.Schema; units: FileUnit[] }> {
  await checkMagic(path);
  let meta: FileMetaData;
  try {
    meta = await parquetMetadataAsync(await asyncBufferFromFile(path), { parsers: PARSERS } as never);
  } catch (e) {
    throw new InputFileError(path, `has a footer that cannot be read: ${(e as Error).message}`);
  }
  let schema: arrow.Schema;
  try {
    const file = await parquetWasm().ParquetFile.fromFile(await openAsBlob(path));
    try {
      schema = arrow.tableFromIPC(file.schema().intoIPCStream()).schema;
    } finally {
      file.free();
    }
  } catch (e) {
    throw new InputFileError(path, `has a schema the Parquet decoder cannot read: ${e instanceof Error ? e.message : String(e)}`);
  }
  const units = meta.row_groups.map((g, index): FileUnit => {
    const bytes: Record<string, number> = {}, stats: Record<string, ColumnStats> = {};
    for (const c of g.columns) {
      const m = c.meta_data;
      if (!m) continue;
      // A nested column's leaves add up under its top-level name (the name queries use).
      const name = m.path_in_schema[0]!;
      bytes[name] = (bytes[name] ?? 0) + Number(m.total_compressed_size);
      if (m.path_in_schema.length === 1) stats[name] = statsOf(m.statistics);
    }
    return { path, index, rows: Number(g.num_rows), bytes, stats };
  });
  return { schema, units };
}
