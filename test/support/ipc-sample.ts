/**
 * A small table for the Arrow IPC reader's unit tests: five record batches (one of 0 rows) of every
 * column kind the scans meet, with nulls, one string dictionary shared by all batches; and files of
 * it in a temporary folder.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import { writeIpc, type IpcCompression } from './ipc-files.ts';

export const BATCH_ROWS = [700, 1000, 0, 900, 400];

export function sampleTable(): arrow.Table {
  const n = BATCH_ROWS.reduce((a, b) => a + b, 0);
  const of = <T>(f: (i: number) => T) => Array.from({ length: n }, (_, i) => f(i));
  const whole = new arrow.Table({
    i32: arrow.vectorFromArray(of((i) => (i % 11 === 0 ? null : i - 500)), new arrow.Int32()),
    i64: arrow.vectorFromArray(of((i) => BigInt(i) * 3_000_000_019n), new arrow.Int64()),
    f64: arrow.vectorFromArray(of((i) => (i % 13 === 0 ? null : i / 7)), new arrow.Float64()),
    s: arrow.vectorFromArray(of((i) => (i % 9 === 0 ? null : `row ${i}`)), new arrow.Utf8()),
    d: arrow.vectorFromArray(of((i) => (i % 6 === 0 ? null : `k${i % 5}`)), new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())),
    day: arrow.vectorFromArray(of((i) => new Date(Date.UTC(2021, 0, 1 + (i % 400)))), new arrow.DateDay()),
    b: arrow.vectorFromArray(of((i) => (i % 4 === 0 ? null : i % 3 === 0)), new arrow.Bool()),
  });
  // Slices of one batch share its dictionary, as the file format requires.
  const one = whole.batches[0]!;
  let at = 0;
  return new arrow.Table(BATCH_ROWS.map((rows) => one.slice(at, (at += rows))));
}

export const tempDir = (): string => mkdtempSync(path.join(os.tmpdir(), 'gpuframe-ipc-unit-'));

export function writeSample(dir: string, name: string, format: 'file' | 'stream', compression: IpcCompression = 'none', table = sampleTable()): string {
  const p = path.join(dir, name);
  writeIpc(table, p, format, compression);
  return p;
}

/** A column's values in a batch, as plain JS (nulls, bigints, dictionary values decoded). */
export const values = (v: arrow.Vector | null | undefined): unknown[] => [...(v ?? [])];

/** Overwrites the first `magic` (e.g. an LZ4 or ZSTD frame's) found in bytes [from, to) of the file, so that it cannot decompress. */
export function breakFirst(file: string, magic: number[], from: number, to: number): void {
  const bytes = readFileSync(file);
  const at = bytes.subarray(from, to).indexOf(Buffer.from(magic));
  if (at < 0) throw new Error(`no ${magic} in bytes ${from}–${to} of ${file}`);
  bytes.fill(0, from + at, from + at + magic.length);
  writeFileSync(file, bytes);
}

export const LZ4_MAGIC = [0x04, 0x22, 0x4d, 0x18];
export const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
