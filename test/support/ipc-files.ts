/**
 * Arrow IPC files for tests, written by apache-arrow's writers; compressed bodies with LZ4 frames
 * (lz4js) or ZSTD (the zstd command-line tool, which .ci/run installs).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { CompressionType, RecordBatchFileWriter, RecordBatchStreamWriter, compressionRegistry, type Table } from 'apache-arrow';
import { decompress as zstdDecompress } from 'fzstd';
import { compress as lz4Compress, decompress as lz4Decompress } from 'lz4js';

function zstdCompress(input: Uint8Array): Uint8Array {
  const r = spawnSync('zstd', ['-q', '-c', '-'], { input, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`zstd failed: ${r.error?.message ?? r.stderr.toString()}`);
  return new Uint8Array(r.stdout);
}

compressionRegistry.set(CompressionType.LZ4_FRAME, { encode: (b) => lz4Compress(b), decode: (b) => lz4Decompress(b) });
compressionRegistry.set(CompressionType.ZSTD, { encode: zstdCompress, decode: (b) => zstdDecompress(b) });

export type IpcCompression = 'none' | 'lz4' | 'zstd';

export function writeIpc(table: Table, path: string, format: 'file' | 'stream', compression: IpcCompression = 'none'): void {
  const compressionType = compression === 'lz4' ? CompressionType.LZ4_FRAME : compression === 'zstd' ? CompressionType.ZSTD : null;
  const Writer = format === 'file' ? RecordBatchFileWriter : RecordBatchStreamWriter;
  writeFileSync(path, Writer.writeAll(table, { compressionType }).toUint8Array(true));
}
