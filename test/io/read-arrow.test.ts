/**
 * readArrow end to end: IPC files and streams (several record batches, nulls, dictionary strings,
 * 64-bit integers, dates; uncompressed, LZ4 and ZSTD bodies) give the answers of the same query
 * over the same table in memory, one scan task per record batch; bad files fail naming themselves.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { col, count, max, min, Session, sum, TaskFailedError } from '../../src/index.ts';
import type { DataFrame } from '../../src/index.ts';
import { arrowRows } from '../support/compare.ts';
import { expectInputFileError } from '../support/expect-error.ts';
import { writeIpc, type IpcCompression } from '../support/ipc-files.ts';

const B = 65536;
const dir = mkdtempSync(path.join(tmpdir(), 'gpuframe-ipc-'));
let cpu: Session;
let gpu: Session;

/** Five record batches of 65536 rows (one scan task each), sharing one string dictionary. */
function table(): arrow.Table {
  const n = 5 * B;
  const full = new arrow.Table({
    k: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => i), new arrow.Int32()),
    g: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => (i % 9 === 0 ? null : i % 6)), new arrow.Int32()),
    big: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => BigInt(i) * 1_000_000_007n), new arrow.Int64()),
    x: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => (i % 17) / 4), new arrow.Float64()),
    s: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : `s${i % 4}`)), new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())),
    d: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => new Date(Date.UTC(2020, 0, 1 + (i % 300)))), new arrow.DateDay()),
  });
  const one = full.batches[0]!;
  return new arrow.Table(Array.from({ length: 5 }, (_, b) => one.slice(b * B, (b + 1) * B)));
}

const rowsOf = async (df: DataFrame) => {
  const r = arrowRows(await df.collect()).rows;
  return r.map((x) => x.map(String).join('|')).sort();
};

beforeAll(async () => {
  cpu = await Session.create({ cores: 2, maxTaskAttempts: 2 });
  gpu = await Session.create({ executor: 'gpu', cores: 2 });
});
afterAll(async () => {
  await cpu?.close();
  await gpu?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('readArrow: answers equal the same query in memory', () => {
  const t = table();
  for (const format of ['file', 'stream'] as const) {
    for (const compression of ['none', 'lz4', 'zstd'] as IpcCompression[]) {
      it(`${format} format, ${compression} bodies, on the CPU and GPU executors`, async () => {
        const file = path.join(dir, `t-${format}-${compression}.arrow`);
        writeIpc(t, file, format, compression);
        for (const s of [cpu, gpu]) {
          const df = await s.readArrow(file);
          const mem = s.fromArrow(t);
          const q = (x: DataFrame) => x.filter(col('k').gt(1000)).groupBy('g', 's').agg(count(), sum('big'), min('d'), max('x'), count('s'));
          expect(await rowsOf(q(df))).toEqual(await rowsOf(q(mem)));
          expect(df.groupBy('g').agg(count()).explain()).toMatch(/Scan arrow \[5 tasks, record batches 5 of 5, .* 327680 rows\] \[g\]/);
          expect(await df.filter(col('s').eq('s1')).count()).toBe(await mem.filter(col('s').eq('s1')).count());
        }
        const scan = await (await cpu.readArrow(file)).filter(col('k').lt(10)).collect();
        expect(scan.numRows).toBe(10);
        expect(scan.schema.fields.map((f) => f.name)).toEqual(['k', 'g', 'big', 'x', 's', 'd']);
        const tasks = cpu.lastJob!.stages[0]!.tasks;
        expect(tasks.length).toBe(5);
        for (const task of tasks) expect(task.inputBytes).toBeGreaterThan(0);
      });
    }
  }
});

describe('readArrow: bad input gets a clear, typed error naming the file', () => {
  const reject = expectInputFileError;

  it('missing, empty, Parquet, not IPC, truncated', async () => {
    await reject(cpu.readArrow(path.join(dir, 'nope.arrow')), /nope\.arrow' does not exist/);
    const put = (name: string, bytes: Uint8Array | string) => { const p = path.join(dir, name); writeFileSync(p, bytes); return p; };
    await reject(cpu.readArrow(put('empty.arrow', '')), /empty\.arrow' is empty/);
    await reject(cpu.readArrow(put('p.arrow', 'PAR1\0\0\0\0PAR1')), /p\.arrow' is a Parquet file: read it with readParquet/);
    await reject(cpu.readArrow(put('text.arrow', 'id,v\n1,2\n3,4\n')), /text\.arrow' is not an Arrow IPC file or stream/);
    const full = path.join(dir, 'full.arrow');
    writeIpc(table(), full, 'stream');
    const bytes = readFileSync(full);
    await reject(cpu.readArrow(put('cut.arrow', bytes.subarray(0, bytes.length - 5000))), /cut\.arrow' is truncated/);
  });

  it('a corrupt compressed body fails its task after retries, naming the file and record batch', async () => {
    const file = path.join(dir, 'corrupt.arrow');
    writeIpc(table(), file, 'stream', 'lz4');
    const df = await cpu.readArrow(file);
    const bytes = readFileSync(file);
    // The third record batch's body: scramble its middle.
    const { readMessages } = await import('../../src/io/ipc-messages.ts');
    const { open } = await import('node:fs/promises');
    const f = await open(file, 'r');
    const batches = (await readMessages(file, f, bytes.length)).filter((m) => m.kind === 'batch');
    await f.close();
    const b = batches[2]!;
    bytes.fill(0x5a, b.offset + b.size - b.bodyLength + 16, b.offset + b.size - 8);
    writeFileSync(file, bytes);
    const e = await df.agg(sum('k')).collect().then(() => null, (x: unknown) => x);
    expect(e).toBeInstanceOf(TaskFailedError);
    expect((e as Error).message).toMatch(/InputFileError: input file '.*corrupt\.arrow' record batch 2: cannot be decoded/);
    // The session goes on: the next job answers.
    const good = path.join(dir, 'good.arrow');
    writeIpc(table(), good, 'stream', 'lz4');
    expect(arrowRows(await (await cpu.readArrow(good)).agg(count()).collect()).rows).toEqual([[BigInt(5 * B)]]);
  });
});
