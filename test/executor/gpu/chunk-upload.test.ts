/**
 * Chunk packing without a GPU: a fake queue records what layoutChunk writes, and every row of
 * every column is read back through columnParams the way a kernel reads it (values by word, bits
 * by bit offset, string codes through the chunk's dictionary), over chunks that join slices of
 * several batches at unaligned bit offsets, with nulls, booleans, 64-bit values and batches with
 * different dictionaries.
 */
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { bindColumn, type ColumnChunk } from '../../../src/arrow/column-chunk.ts';
import { columnParams, layoutChunk, type Segment } from '../../../src/executor/gpu/chunk-upload.ts';
import { fromArrowType } from '../../../src/types.ts';
import { Rng } from '../../support/random.ts';

/** A queue whose writeBuffer copies into one word array (WebGPU's semantics: typed-array offsets and sizes in elements). */
function fakeQueue(words: number): { queue: GPUQueue; mem: Uint32Array } {
  const mem = new Uint32Array(words);
  const bytes = new Uint8Array(mem.buffer);
  const queue = {
    writeBuffer(_buf: GPUBuffer, at: number, data: ArrayBufferView, offset = 0, size?: number) {
      const per = (data as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
      const src = new Uint8Array(data.buffer, data.byteOffset + offset * per, (size ?? data.byteLength / per - offset) * per);
      expect(at % 4).toBe(0);
      bytes.set(src, at);
    },
  } as unknown as GPUQueue;
  return { queue, mem };
}

const bit = (mem: Uint32Array, word: number, b: number): boolean => ((mem[word + (b >>> 5)] >>> (b & 31)) & 1) === 1;

describe('layoutChunk', () => {
  it('joins slices of several batches back to back, each row readable as a kernel reads it', () => {
    const rng = new Rng(17);
    const dicts = [['a', 'b', 'c'], ['c', 'x'], ['b', 'a', 'y', 'z']];
    const batches = Array.from({ length: 3 }, (_, bi) => {
      const n = 70 + bi * 13;
      const dict = dicts[bi];
      return new arrow.Table({
        i: arrow.vectorFromArray(Array.from({ length: n }, () => (rng.bool(0.2) ? null : rng.int(-1000, 1000))), new arrow.Int32()),
        w: arrow.vectorFromArray(Array.from({ length: n }, () => BigInt(rng.int(-1e9, 1e9)) * 4_000_000_000n), new arrow.Int64()),
        f: arrow.vectorFromArray(Array.from({ length: n }, () => (rng.bool(0.1) ? null : rng.next() * 1e6)), new arrow.Float64()),
        b: arrow.vectorFromArray(Array.from({ length: n }, () => (rng.bool(0.15) ? null : rng.bool())), new arrow.Bool()),
        s: arrow.vectorFromArray(Array.from({ length: n }, () => (rng.bool(0.1) ? null : rng.pick(dict))), new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())),
        u: arrow.vectorFromArray(Array.from({ length: n }, () => rng.int(0, 200)), new arrow.Uint8()),
      }).batches[0];
    });
    const cols = batches[0].schema.fields.map((f) => ({ name: f.name, dtype: fromArrowType(f.name, f.type) }));
    // Slices at unaligned offsets (bits of a slice start mid-byte), then the runs of a chunk.
    const sliced = [batches[0].slice(3, 70), batches[1], batches[2].slice(11, 90)];
    const bound = sliced.map((b) => new Map(cols.map((c) => [c.name, bindColumn(b.getChild(c.name as never)!.data[0], c.dtype)] as [string, ColumnChunk])));
    for (const runs of [
      [[0, 0, 67]],
      [[0, 5, 67], [1, 0, 83], [2, 7, 61]],
      [[1, 9, 10], [2, 0, 79], [0, 1, 33]],
      // A byte-aligned run that ends mid-byte, inside its batch: the bits after it are the next run's.
      [[1, 8, 20], [2, 0, 79], [1, 40, 83]],
    ] as const) {
      const segs: Segment[] = runs.map(([b, r0, r1]) => ({ columns: bound[b], r0, r1 }));
      const packed = layoutChunk(cols, segs);
      const { queue, mem } = fakeQueue(packed.words);
      packed.writeOnes({} as GPUBuffer, queue);
      for (const p of packed.places.values()) p.write({} as GPUBuffer, queue);
      const nullable = new Set(cols.map((c) => c.name));
      const rows = runs.flatMap(([b, r0, r1]) => Array.from({ length: r1 - r0 }, (_, k) => sliced[b].get(r0 + k)!.toJSON() as Record<string, unknown>));
      expect(packed.rows).toBe(rows.length);
      for (const d of [0, 1, 13]) {
        const params = columnParams(cols, packed, nullable, d);
        cols.forEach(({ name }, k) => {
          const place = packed.places.get(name)!;
          for (let i = 0; i + d < rows.length; i++) {
            const want = rows[i + d][name];
            const valid = bit(mem, params.get(`m${k}`)!, params.get(`o${k}`)! + i);
            expect(valid, `${name} row ${i + d} validity`).toBe(want !== null);
            if (want === null) continue;
            const c = params.get(`c${k}`)!;
            let got: unknown;
            if (name === 'b') got = bit(mem, c, params.get(`b${k}`)! + i);
            else if (name === 'w') got = (BigInt(mem[c + 2 * i + 1] | 0) << 32n) | BigInt(mem[c + 2 * i]);
            else if (name === 'f') got = new Float64Array(new Uint32Array([mem[c + 2 * i], mem[c + 2 * i + 1]]).buffer)[0];
            else if (name === 's') got = place.remap!.dictionary[mem[c + i]];
            else got = mem[c + i] | 0;
            expect(got, `${name} row ${i + d}`).toEqual(want);
          }
        });
      }
      // 64-bit pairs start at even words: a kernel reads each pair in one vec2 load.
      expect((packed.places.get('w')!.values as number) % 2).toBe(0);
      expect((packed.places.get('f')!.values as number) % 2).toBe(0);
      // The ones bitmap covers every row.
      for (let i = 0; i < rows.length; i++) expect(bit(mem, packed.ones.word, i)).toBe(true);
    }
  });
});
