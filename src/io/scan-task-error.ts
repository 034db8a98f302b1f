/** A scan task's failure, as an error that names its file and its row groups or record batches. */
import { InputFileError } from '../errors.ts';
import type { ScanTask } from './file-source.ts';

/** Where a scan task's units are, as its errors name them: `row groups 2, 3` or `record batch 7`. */
export function unitsLabel(task: ScanTask): string {
  const word = task.format === 'parquet' ? 'row group' : 'record batch';
  return `${word}${task.units.length > 1 ? 's' : ''} ${task.units.join(', ')}`;
}

/** A scan task's failure as an InputFileError naming its file and units (an error that is one already stays). */
export function scanTaskError(task: ScanTask, e: unknown): Error {
  if (e instanceof InputFileError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new InputFileError(task.path, `${unitsLabel(task)}: the file no longer exists`);
  return new InputFileError(task.path, `${unitsLabel(task)}: cannot be decoded: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
}
