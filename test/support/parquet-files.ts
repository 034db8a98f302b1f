/**
 * Parquet files for tests, written by real writers: parquet-wasm (arrow-rs's writer: keeps every
 * Arrow type through its embedded schema, any row group size, every codec) and DuckDB's COPY.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as arrow from 'apache-arrow';

const pw = createRequire(import.meta.url)('parquet-wasm/node') as typeof import('parquet-wasm/node');

export type Codec = 'uncompressed' | 'snappy' | 'gzip' | 'zstd' | 'lz4' | 'brotli';
export const CODECS: readonly Codec[] = ['snappy', 'zstd', 'gzip', 'lz4', 'uncompressed', 'brotli'];

const COMPRESSION: Record<Codec, number> = {
  uncompressed: pw.Compression.UNCOMPRESSED, snappy: pw.Compression.SNAPPY, gzip: pw.Compression.GZIP,
  zstd: pw.Compression.ZSTD, lz4: pw.Compression.LZ4_RAW, brotli: pw.Compression.BROTLI,
};

export interface WriteOptions {
  readonly codec?: Codec;
  /** Rows per row group (default: all in one). */
  readonly rowGroupRows?: number;
  /** Write min/max statistics (default true). */
  readonly statistics?: boolean;
}

/** Writes an Arrow table as a Parquet file with arrow-rs's writer. */
export function writeParquet(table: arrow.Table, path: string, opts: WriteOptions = {}): void {
  let props = new pw.WriterPropertiesBuilder().setCompression(COMPRESSION[opts.codec ?? 'snappy'] as never);
  if (opts.rowGroupRows) props = props.setMaxRowGroupSize(opts.rowGroupRows);
  if (opts.statistics === false) props = props.setStatisticsEnabled(pw.EnabledStatistics.None);
  const wasmTable = pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'));
  writeFileSync(path, pw.writeParquet(wasmTable, props.build()));
}
