/**
 * Decoders for compressed Arrow IPC bodies (LZ4 frame, ZSTD), registered with apache-arrow, whose
 * reader asks its registry for them: lz4js and fzstd, both pure JavaScript.
 */
import { CompressionType, compressionRegistry } from 'apache-arrow';
import { decompress as zstd } from 'fzstd';
import { decompress as lz4 } from 'lz4js';

export function registerIpcCodecs(): void {
  if (!compressionRegistry.get(CompressionType.LZ4_FRAME)?.decode) compressionRegistry.set(CompressionType.LZ4_FRAME, { decode: (b) => lz4(b) });
  if (!compressionRegistry.get(CompressionType.ZSTD)?.decode) compressionRegistry.set(CompressionType.ZSTD, { decode: (b) => zstd(b) });
}
