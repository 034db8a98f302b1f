import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { readArrowFile } from '../../src/cli/read-arrow-file.ts';
import { InputFileError } from '../../src/errors.ts';
import { marbles } from '../support/tables.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'gpuframe-read-'));
const file = (name: string, bytes: Uint8Array | string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

describe('readArrowFile', () => {
  it('reads the IPC file and stream formats', () => {
    for (const format of ['file', 'stream'] as const) {
      const t = readArrowFile(file(`m.${format}`, arrow.tableToIPC(marbles(), format)));
      expect(t.numRows).toBe(6);
      expect(t.getChild('marbles')!.toArray()).toEqual(Int32Array.from([10, 20, 5, 5, 25, 25]));
    }
  });

  it.each([
    ['a missing file', () => path.join(dir, 'nope.arrow'), /nope\.arrow' does not exist/],
    ['a directory', () => dir, /is a directory/],
    ['an empty file', () => file('empty.arrow', ''), /is empty/],
    ['a Parquet file', () => file('x.parquet', 'PAR1\u0000\u0000PAR1'), /is a Parquet file/],
    ['a CSV file', () => file('x.csv', 'id,v\n1,2\n'), /x\.csv' is not a readable Arrow IPC file or stream/],
  ])('%s is an InputFileError naming the file', (_name, make, message) => {
    const p = make();
    let err: unknown;
    try {
      readArrowFile(p);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputFileError);
    expect((err as InputFileError).path).toBe(p);
    expect((err as Error).message).toMatch(message);
  });
});
