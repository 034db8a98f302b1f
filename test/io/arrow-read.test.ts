/**
 * readArrowTask: a scan task's record batches of an IPC file or stream, only the asked columns, as
 * one uncompressed IPC stream equal to the original rows; and the errors of a file that changed or
 * broke after it was planned, naming the file and the record batch.
 */
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { InputFileError } from '../../src/errors.ts';
import { arrowFooter } from '../../src/io/arrow-footer.ts';
import { readArrowTask } from '../../src/io/arrow-read.ts';
import type { ScanTask } from '../../src/io/file-source.ts';
import { ipcLayout } from '../../src/io/ipc-messages.ts';
import type { IpcCompression } from '../support/ipc-files.ts';
import { BATCH_ROWS, LZ4_MAGIC, ZSTD_MAGIC, breakFirst, sampleTable, tempDir, values, writeSample } from '../support/ipc-sample.ts';

const dir = tempDir();
const table = sampleTable();
const task = (path: string, units: number[]): ScanTask => ({
  format: 'arrow', path, units, rows: units.reduce((a, i) => a + BATCH_ROWS[i]!, 0), bytes: 0,
});

/** Where record batch `i` of the file lies: its header, then its body. */
async function batchBytes(path: string, i: number): Promise<{ from: number; to: number }> {
  const f = await open(path, 'r');
  try {
    const b = (await ipcLayout(path, f, (await f.stat()).size)).batches[i]!;
    return { from: b.offset, to: b.offset + b.size };
  } finally {
    await f.close();
  }
}

async function reject(p: Promise<unknown>, path: string, message: RegExp): Promise<void> {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(InputFileError);
  expect((e as InputFileError).path).toBe(path);
  expect((e as Error).message).toMatch(message);
}

describe('readArrowTask', () => {
  for (const format of ['file', 'stream'] as const) {
    for (const compression of ['none', 'lz4', 'zstd'] as IpcCompression[]) {
      it(`reads some batches and columns of an IPC ${format} with ${compression} bodies, equal to the original`, async () => {
        const p = writeSample(dir, `t-${compression}.${format}`, format, compression);
        // The planner asks for columns in the file's order (scan-plan.ts).
        const out = await readArrowTask(task(p, [1, 3]), ['i32', 'i64', 'd', 'day']);
        expect(out.bytesRead).toBeGreaterThan(0);
        expect(out.decodeMs).toBeGreaterThanOrEqual(0);
        const got = arrow.tableFromIPC(out.ipc);
        // Only those columns; the dictionary column stays one.
        expect(got.schema.fields.map((f) => f.name)).toEqual(['i32', 'i64', 'd', 'day']);
        expect(arrow.DataType.isDictionary(got.schema.fields[2]!.type)).toBe(true);
        expect(got.numRows).toBe(BATCH_ROWS[1]! + BATCH_ROWS[3]!);
        const want = new arrow.Table([table.batches[1]!, table.batches[3]!]);
        for (const c of ['i32', 'i64', 'd', 'day']) expect(values(got.getChild(c)), c).toEqual(values(want.getChild(c)));
        // What crosses threads is plain IPC: no body compression left.
        for (const m of new arrow.MessageReader(out.ipc)) expect(m.isRecordBatch() ? m.header().compression : null).toBeNull();
      });
    }
  }

  it('keeps the row count when no column is asked for (count(*))', async () => {
    const p = writeSample(dir, 'count.arrow', 'file');
    const got = arrow.tableFromIPC((await readArrowTask(task(p, [0, 1, 2]), [])).ipc);
    expect(got.numRows).toBe(BATCH_ROWS[0]! + BATCH_ROWS[1]!);
  });

  it('gives a 0-row batch as no rows', async () => {
    const p = writeSample(dir, 'zero.stream', 'stream');
    const got = arrow.tableFromIPC((await readArrowTask(task(p, [2]), ['s'])).ipc);
    expect(got.numRows).toBe(0);
    expect(got.schema.fields.map((f) => f.name)).toEqual(['s']);
  });

  it("decodes each stream batch with its own dictionary (replacements and deltas before it)", async () => {
    const dict = (words: string[]) => arrow.vectorFromArray(words, new arrow.Utf8());
    const type = new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32());
    // Through a Table: apache-arrow 21 writes no dictionary for a RecordBatch made from vectors directly.
    const batch = (dictionary: arrow.Vector, keys: number[]) => new arrow.Table({
      w: arrow.makeVector(arrow.makeData({ type, length: keys.length, nullCount: 0, data: Int32Array.from(keys), dictionary })),
    }).batches[0]!;
    const first = dict(['a', 'b']);
    const delta = first.concat(dict(['c'])); // written as a delta dictionary batch
    const replaced = dict(['x', 'y']);        // written as a replacement
    const t = new arrow.Table([batch(first, [0, 1]), batch(delta, [2, 0]), batch(replaced, [1, 0]), batch(replaced, [0, 0])]);
    const p = writeSample(dir, 'dicts.stream', 'stream', 'none', t);
    const read = async (units: number[]) => values(arrow.tableFromIPC((await readArrowTask({ ...task(p, units), rows: 2 * units.length }, ['w'])).ipc).getChild('w'));
    expect(await read([1])).toEqual(['c', 'a']);
    expect(await read([2])).toEqual(['y', 'x']);
    expect(await read([0, 3])).toEqual(['a', 'b', 'x', 'x']);
  });

  describe('errors name the file and the record batch', () => {
    it('a batch that is gone (the file was rewritten shorter)', async () => {
      const p = writeSample(dir, 'short.arrow', 'file');
      writeSample(dir, 'short.arrow', 'file', 'none', new arrow.Table([table.batches[0]!]));
      await reject(readArrowTask(task(p, [4]), ['i32']), p, /record batch 4: .*gone/);
    });

    it('a stream cut short after planning', async () => {
      const p = writeSample(dir, 'cut.stream', 'stream');
      await arrowFooter(p);
      truncateSync(p, readFileSync(p).length - 2000);
      await reject(readArrowTask(task(p, [4]), ['i32']), p, /record batch 4: is truncated: .*changed after it was planned/);
    });

    it('a batch whose rows differ from the plan', async () => {
      const p = writeSample(dir, 'rows.arrow', 'file');
      await reject(readArrowTask({ ...task(p, [1]), rows: 999 }, ['i32']), p, /record batch 1: has 1000 rows where planning found 999/);
    });

    for (const [compression, magic] of [['lz4', LZ4_MAGIC], ['zstd', ZSTD_MAGIC]] as const) {
      for (const format of ['file', 'stream'] as const) {
        it(`a ${compression} buffer of a ${format} that does not decompress`, async () => {
          const p = writeSample(dir, `broken-${compression}.${format}`, format, compression);
          const { from, to } = await batchBytes(p, 3);
          breakFirst(p, magic, from, to);
          await reject(readArrowTask(task(p, [3]), ['i32', 's']), p, /record batch 3: cannot be decoded/);
          // The other batches still read.
          expect(arrow.tableFromIPC((await readArrowTask(task(p, [1]), ['i32'])).ipc).numRows).toBe(BATCH_ROWS[1]);
        });
      }
    }

    it('a file that is no longer there', async () => {
      const p = writeSample(dir, 'gone.arrow', 'file');
      writeFileSync(p, '');
      const { rmSync } = await import('node:fs');
      rmSync(p);
      await reject(readArrowTask(task(p, [0]), ['i32']), p, /record batch 0: the file no longer exists/);
    });
  });
});
