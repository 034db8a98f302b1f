/**
 * arrowFooter: what planning reads of an Arrow IPC file or stream (one unit per record batch, its
 * rows and stored size; no bodies), and the InputFileError that each kind of bad file gets.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { InputFileError } from '../../src/errors.ts';
import { arrowFooter } from '../../src/io/arrow-footer.ts';
import { BATCH_ROWS, sampleTable, tempDir, writeSample } from '../support/ipc-sample.ts';

const dir = tempDir();
const put = (name: string, bytes: Uint8Array | string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

describe('arrowFooter', () => {
  for (const format of ['file', 'stream'] as const) {
    it(`gives one unit per record batch of an IPC ${format}, with its rows and stored bytes`, async () => {
      const p = writeSample(dir, `plain.${format}`, format);
      const { schema, units } = await arrowFooter(p);
      expect(schema.fields.map((f) => f.name)).toEqual(['i32', 'i64', 'f64', 's', 'd', 'day', 'b']);
      expect(arrow.DataType.isDictionary(schema.fields[4]!.type)).toBe(true);
      expect(units.map((u) => [u.path, u.index, u.rows])).toEqual(BATCH_ROWS.map((rows, index) => [p, index, rows]));
      for (const u of units) expect(u.stats).toEqual({});
      // A batch's stored size grows with its rows; even a 0-row batch has a header.
      const whole = units.map((u) => u.wholeBytes ?? 0);
      expect(whole[1]).toBeGreaterThan(whole[0]!);
      expect(whole[0]).toBeGreaterThan(whole[4]!);
      expect(Math.min(...whole)).toBeGreaterThan(0);
    });
  }

  it('reads compressed files without decoding them: the same rows, fewer stored bytes', async () => {
    const plain = await arrowFooter(writeSample(dir, 'plain-for-lz4.arrow', 'file'));
    const lz4 = await arrowFooter(writeSample(dir, 'lz4.arrow', 'file', 'lz4'));
    expect(lz4.units.map((u) => u.rows)).toEqual(BATCH_ROWS);
    expect(lz4.units[1]!.wholeBytes).toBeLessThan(plain.units[1]!.wholeBytes!);
  });

  const good = (format: 'file' | 'stream') => readFileSync(writeSample(dir, `good.${format}`, format));
  /** The bytes of a valid stream with every byte in [from, to) set to `v`. */
  const garble = (bytes: Uint8Array, from: number, to: number, v: number) => {
    const b = Buffer.from(bytes);
    b.fill(v, from, to);
    return b;
  };
  /** Where the IPC file's messages start: after ARROW1 and padding, each with its 0xFFFFFFFF marker. */
  const messageStarts = (b: Uint8Array) => {
    const out: number[] = [];
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let i = 8; i + 4 <= b.length; i += 8) if (v.getInt32(i, true) === -1) out.push(i);
    return out;
  };

  it.each([
    ['a missing file', () => path.join(dir, 'nope.arrow'), /nope\.arrow' does not exist/],
    ['a directory', () => { const d = path.join(dir, 'sub'); mkdirSync(d, { recursive: true }); return d; }, /sub' is a directory/],
    ['an empty file', () => put('empty.arrow', ''), /empty\.arrow' is empty/],
    ['a Parquet file', () => put('x.parquet', 'PAR1\0\0\0\0PAR1'), /x\.parquet' is a Parquet file: read it with readParquet/],
    ['a CSV file', () => put('x.csv', 'id,v\n1,2\n3,4\n'), /x\.csv' is not an Arrow IPC file or stream/],
    ['an IPC file cut short (no footer)', () => put('cut.arrow', good('file').subarray(0, 5000)), /cut\.arrow' is truncated/],
    ['an IPC stream cut in a body', () => put('cut.stream', good('stream').subarray(0, good('stream').length - 3000)), /cut\.stream' is truncated: the body of the message at byte \d+ needs/],
    ['an IPC stream cut in a header', () => { const b = good('stream'); return put('cuthead.stream', b.subarray(0, messageStarts(b)[2]! + 20)); }, /cuthead\.stream' is truncated: a message at byte \d+ claims/],
    ['a record batch header garbled', () => { const b = good('file'); const m = messageStarts(b)[3]!; return put('badbatch.arrow', garble(b, m + 8, m + 72, 0xee)); }, /badbatch\.arrow' has a schema or message header that cannot be read/],
    ['a schema garbled', () => put('badschema.stream', garble(good('stream'), 16, 64, 0x7f)), /badschema\.stream' (has a schema|has a message of unknown type|is not an Arrow IPC)/],
  ])('%s is an InputFileError naming the file', async (_name, make, message) => {
    const p = make();
    const err = await arrowFooter(p).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(InputFileError);
    expect((err as InputFileError).path).toBe(p);
    expect((err as Error).message).toMatch(message);
  });

  it('reads a table with no rows: the schema and one 0-row unit at most', async () => {
    const t = sampleTable();
    const empty = new arrow.Table(t.schema, t.batches[2]!);
    const { schema, units } = await arrowFooter(writeSample(dir, 'none.arrow', 'file', 'none', empty));
    expect(schema.fields.length).toBe(7);
    expect(units.every((u) => u.rows === 0)).toBe(true);
  });
});
