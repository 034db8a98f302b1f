/**
 * Packs the columns a kernel reads, for rows [r0, r1) of one batch, into one input buffer: values
 * (8/16-bit integers widened to 32 bits; 64-bit values as word pairs from an even word, so that a
 * kernel reads each pair in one load), bit-packed booleans and validity from a 32-bit-aligned word
 * with a bit offset, and each string column's code → task-wide id table. Returns the per-column params (c base word, o/m validity bit offset and base, b bool bit
 * offset, r remap base).
 */
import type { ColumnChunk } from '../../arrow/column-chunk.ts';
import { columnForm, isWordPair, type ColumnForm } from './wgsl-expr.ts';
import type { DType } from '../../types.ts';

export interface Region { readonly words: number; write(buf: GPUBuffer, queue: GPUQueue, wordAt: number): void }

/** Bits [bit0, bit1) of a bitmap as whole words: the region and the bit offset of bit0 in it. */
function bitsRegion(bitmap: Uint8Array, bit0: number, bit1: number): { region: Region; offset: number } {
  const byte0 = (bit0 >> 5) << 2;
  const bytes = ((bit1 + 7) >> 3) - byte0;
  const words = Math.max(1, Math.ceil(bytes / 4));
  return {
    offset: bit0 - byte0 * 8,
    region: {
      words,
      write(buf, queue, at) {
        const out = new Uint8Array(words * 4);
        out.set(bitmap.subarray(byte0, byte0 + Math.min(bytes, bitmap.length - byte0)));
        queue.writeBuffer(buf, at * 4, out);
      },
    },
  };
}

function valuesRegion(c: ColumnChunk, form: ColumnForm, r0: number, r1: number): Region {
  const v = c.values;
  const n = r1 - r0;
  if (isWordPair(form)) {
    return { words: 2 * n, write: (buf, q, at) => q.writeBuffer(buf, at * 4, c.words ?? new Uint32Array(v.buffer, v.byteOffset, c.length * 2), 2 * r0, 2 * n) };
  }
  if (v instanceof Int32Array || v instanceof Uint32Array) {
    return { words: n, write: (buf, q, at) => q.writeBuffer(buf, at * 4, v, r0, n) };
  }
  // 8/16-bit integers (and dictionary codes): widened to 32 bits.
  return { words: n, write: (buf, q, at) => q.writeBuffer(buf, at * 4, Int32Array.from(v.subarray(r0, r1) as Int8Array)) };
}

export interface PackedChunk {
  readonly words: number;
  readonly params: Map<string, number>;
  readonly regions: { at: number; region: Region }[];
}

export function packChunk(
  columns: readonly { name: string; dtype: DType }[], chunk: Map<string, ColumnChunk>, remaps: Map<string, Int32Array>,
  nullable: ReadonlySet<string>, r0: number, r1: number,
): PackedChunk {
  const params = new Map<string, number>();
  const regions: { at: number; region: Region }[] = [];
  let words = 0;
  const add = (region: Region, even = false): number => {
    if (even && words % 2) words++;
    const at = words;
    regions.push({ at, region });
    words += region.words;
    return at;
  };
  columns.forEach(({ name, dtype }, k) => {
    const c = chunk.get(name)!;
    if (dtype.id === 'bool') {
      const { region, offset } = bitsRegion(c.values as Uint8Array, c.offset + r0, c.offset + r1);
      params.set(`c${k}`, add(region));
      params.set(`b${k}`, offset);
    } else {
      const form = columnForm(dtype, name);
      params.set(`c${k}`, add(valuesRegion(c, form, r0, r1), isWordPair(form)));
    }
    if (nullable.has(name)) {
      // Nullability is per task (one kernel for all its batches): a batch without nulls gets all-ones.
      const { region, offset } = c.validity ? bitsRegion(c.validity, c.offset + r0, c.offset + r1)
        : bitsRegion(new Uint8Array((r1 - r0 + 7) >> 3).fill(0xff), 0, r1 - r0);
      params.set(`m${k}`, add(region));
      params.set(`o${k}`, offset);
    }
    const remap = remaps.get(name);
    if (remap) {
      params.set(`r${k}`, add({ words: Math.max(1, remap.length), write: (buf, q, at) => q.writeBuffer(buf, at * 4, remap.length ? remap : new Int32Array(1)) }));
    }
  });
  return { words: Math.max(words, 4), params, regions };
}

/** Bytes per row the packed chunk needs (for sizing chunks under the buffer bound). */
export function bytesPerRow(columns: readonly { name: string; dtype: DType }[]): number {
  return columns.reduce((a, { name, dtype }) => {
    const form = columnForm(dtype, name);
    return a + (form === 'bool' ? 0.25 : isWordPair(form) ? 8.125 : 4.125);
  }, 0);
}
