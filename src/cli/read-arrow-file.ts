/** Reads an Arrow IPC file (or stream) from disk into a Table, with errors that name the file. */
import { readFileSync, statSync } from 'node:fs';
import * as arrow from 'apache-arrow';
import { InputFileError } from '../errors.ts';

const PARQUET_MAGIC = 'PAR1';

export function readArrowFile(path: string): arrow.Table {
  let bytes: Buffer;
  try {
    if (statSync(path).isDirectory()) throw new InputFileError(path, 'is a directory, not an Arrow IPC file');
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof InputFileError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputFileError(path, code === 'ENOENT' ? 'does not exist' : `cannot be read: ${(e as Error).message}`);
  }
  const magic = bytes.subarray(0, 4).toString('latin1');
  if (magic === PARQUET_MAGIC) {
    throw new InputFileError(path, 'is a Parquet file; this version reads Arrow IPC files (file or stream format) only');
  }
  if (bytes.length === 0) throw new InputFileError(path, 'is empty, not an Arrow IPC file');
  try {
    return arrow.tableFromIPC(bytes);
  } catch (e) {
    throw new InputFileError(path, `is not a readable Arrow IPC file or stream: ${(e as Error).message}`);
  }
}
