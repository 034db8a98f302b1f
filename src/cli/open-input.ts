/** The query command's input: Parquet or Arrow IPC files, read lazily, told apart by name or magic number. */
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import type { DataFrame } from '../dataframe.ts';
import type { Session } from '../session.ts';

const PARQUET_NAME = /\.parq(uet)?$/i;

/** Parquet where the name says so, a directory holds such files, or the file starts with PAR1; else Arrow IPC. */
export function isParquet(path: string): boolean {
  if (PARQUET_NAME.test(path)) return true;
  try {
    if (statSync(path).isDirectory()) return readdirSync(path, { recursive: true }).some((f) => PARQUET_NAME.test(String(f)));
    const fd = openSync(path, 'r');
    try {
      const head = Buffer.alloc(4);
      return readSync(fd, head, 0, 4, 0) === 4 && head.toString('latin1') === 'PAR1';
    } finally {
      closeSync(fd);
    }
  } catch {
    return false; // a glob or a missing file: the reader names what is wrong
  }
}

export function openInput(session: Session, paths: readonly string[]): Promise<DataFrame> {
  return isParquet(paths[0]!) ? session.readParquet(paths) : session.readArrow(paths);
}
