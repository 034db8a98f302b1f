/**
 * What planning reads of an Arrow IPC file or stream: its schema and its messages' headers (each
 * record batch's rows and body size), never a body. A unit is a record batch.
 */
import { open } from 'node:fs/promises';
import type * as arrow from 'apache-arrow';
import { InputFileError } from '../errors.ts';
import type { FileUnit } from './file-source.ts';
import { ipcLayout } from './ipc-messages.ts';

export async function arrowFooter(path: string): Promise<{ schema: arrow.Schema; units: FileUnit[] }> {
  const f = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new InputFileError(path, e.code === 'ENOENT' ? 'does not exist' : e.code === 'EISDIR' ? 'is a directory, not an Arrow IPC file' : `cannot be read: ${e.message}`);
  });
  try {
    const stat = await f.stat();
    // open() succeeds on a directory (Linux); only its reads fail, with EISDIR.
    if (stat.isDirectory()) throw new InputFileError(path, 'is a directory, not an Arrow IPC file');
    const { size } = stat;
    if (size === 0) throw new InputFileError(path, 'is empty, not an Arrow IPC file');
    const head = Buffer.alloc(4);
    await f.read(head, 0, Math.min(4, size), 0);
    if (head.toString('latin1') === 'PAR1') throw new InputFileError(path, 'is a Parquet file: read it with readParquet');
    const { schema, batches } = await ipcLayout(path, f, size).catch((e: unknown) => {
      // apache-arrow's own decoding errors (a garbled schema or batch header) still name the file.
      throw e instanceof InputFileError ? e : new InputFileError(path, `has a schema or message header that cannot be read: ${e instanceof Error ? e.message : String(e)}`);
    });
    const units = batches.map((m, index): FileUnit => ({
      path, index, rows: m.rows,
      // A record batch is read whole: its body is what any query of it reads.
      bytes: {}, wholeBytes: m.size,
      stats: {},
    }));
    return { schema, units };
  } finally {
    await f.close();
  }
}
