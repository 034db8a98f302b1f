/**
 * Packs columns of one batch, rows [r0, r1), into one input buffer: values (8/16-bit integers
 * widened to 32 bits; 64-bit values as word pairs from an even word, so that a kernel reads each
 * pair in one load), bit-packed booleans and validity from a 32-bit-aligned word with a bit
 * offset, one all-ones bitmap standing in for the validity of columns without nulls here that a
 * task's kernel treats as nullable, and each string column's code → task-wide id table.
 *
 * The layout is computed first and each column written separately, so that a chunk kept on the
 * device (resident-cache.ts) can fill the columns a query reads as it first reads them, and a
 * kernel can start at any row of the chunk (columnParams' row offset).
 */
import type { ColumnChunk } from '../../arrow/column-chunk.ts';
import { columnForm, isWordPair } from './wgsl-expr.ts';
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

function valuesRegion(c: ColumnChunk, wide: boolean, r0: number, r1: number): Region {
  const v = c.values;
  const n = r1 - r0;
  if (wide) {
    return { words: 2 * n, write: (buf, q, at) => q.writeBuffer(buf, at * 4, c.words ?? new Uint32Array(v.buffer, v.byteOffset, c.length * 2), 2 * r0, 2 * n) };
  }
  if (v instanceof Int32Array || v instanceof Uint32Array) {
    return { words: n, write: (buf, q, at) => q.writeBuffer(buf, at * 4, v, r0, n) };
  }
  // 8/16-bit integers (and dictionary codes): widened to 32 bits.
  return { words: n, write: (buf, q, at) => q.writeBuffer(buf, at * 4, Int32Array.from(v.subarray(r0, r1) as Int8Array)) };
}

/** A bit-packed region: its first word and the bit offset of the chunk's first row in it. */
interface BitsAt { readonly word: number; readonly bit: number }

/** Where one column of a packed chunk lies, and how to write it there. */
export interface ColumnPlace {
  /** Values: the first row's word; booleans: their bitmap. */
  readonly values: number | BitsAt;
  /** Validity bitmap, when the column has nulls in the chunk. */
  readonly validity?: BitsAt;
  /** The code → task-wide string id table (string columns), `size` words. */
  readonly remap?: { readonly word: number; readonly size: number };
  /** Writes the values and validity (not the remap table, which is the task's); returns the bytes. */
  write(buf: GPUBuffer, queue: GPUQueue): number;
}

export interface PackedChunk {
  readonly rows: number;
  readonly words: number;
  readonly places: ReadonlyMap<string, ColumnPlace>;
  /** An all-ones bitmap over the chunk's rows. */
  readonly ones: BitsAt;
  /** Writes the all-ones bitmap (once per buffer); returns the bytes. */
  writeOnes(buf: GPUBuffer, queue: GPUQueue): number;
}

/** The layout of `columns` for rows [r0, r1) of `chunk` (a string column's remap table: its dictionary's length). */
export function layoutChunk(columns: readonly { name: string; dtype: DType }[], chunk: Map<string, ColumnChunk>, r0: number, r1: number): PackedChunk {
  let words = 0;
  const at = (region: Region, even = false): number => {
    if (even && words % 2) words++;
    const w = words;
    words += region.words;
    return w;
  };
  const places = new Map<string, ColumnPlace>();
  const onesBits = bitsRegion(new Uint8Array((r1 - r0 + 7) >> 3).fill(0xff), 0, r1 - r0);
  const ones = { word: at(onesBits.region), bit: onesBits.offset };
  for (const { name, dtype } of columns) {
    if (places.has(name)) continue;
    const c = chunk.get(name)!;
    const writes: { region: Region; word: number }[] = [];
    let values: number | BitsAt;
    if (dtype.id === 'bool') {
      const { region, offset } = bitsRegion(c.values as Uint8Array, c.offset + r0, c.offset + r1);
      const word = at(region);
      values = { word, bit: offset };
      writes.push({ region, word });
    } else {
      const wide = isWordPair(columnForm(dtype, name));
      const region = valuesRegion(c, wide, r0, r1);
      const word = at(region, wide);
      values = word;
      writes.push({ region, word });
    }
    let validity: BitsAt | undefined;
    if (c.validity && c.nullCount > 0) {
      const { region, offset } = bitsRegion(c.validity, c.offset + r0, c.offset + r1);
      const word = at(region);
      validity = { word, bit: offset };
      writes.push({ region, word });
    }
    const size = c.dictionary ? Math.max(1, c.dictionary.length) : 0;
    const remap = size ? { word: at({ words: size, write: () => undefined }), size } : undefined;
    places.set(name, {
      values, validity, remap,
      write(buf, queue) {
        for (const { region, word } of writes) region.write(buf, queue, word);
        return writes.reduce((a, w) => a + w.region.words * 4, 0);
      },
    });
  }
  return {
    rows: r1 - r0, words: Math.max(words, 4), places, ones,
    writeOnes: (buf, queue) => { onesBits.region.write(buf, queue, ones.word); return onesBits.region.words * 4; },
  };
}

/** Writes a task's code → string id table of a string column into its place; returns the bytes. */
export function writeRemap(place: ColumnPlace, remap: Int32Array, buf: GPUBuffer, queue: GPUQueue): number {
  if (!place.remap) return 0;
  if (remap.length > place.remap.size) throw new Error(`a remap table of ${remap.length} codes for ${place.remap.size} words`);
  queue.writeBuffer(buf, place.remap.word * 4, remap.length ? remap : new Int32Array(1));
  return Math.max(1, remap.length) * 4;
}

/**
 * A kernel's column params (c base word, o/m validity bit offset and base, b bool bit offset,
 * r remap base) for its columns in `packed`, from row `d` of the chunk on.
 */
export function columnParams(columns: readonly { name: string; dtype: DType }[], packed: PackedChunk, nullable: ReadonlySet<string>, d: number): Map<string, number> {
  const params = new Map<string, number>();
  const bits = (b: BitsAt, p: string, o: string) => {
    const bit = b.bit + d;
    params.set(p, b.word + (bit >>> 5));
    params.set(o, bit & 31);
  };
  columns.forEach(({ name, dtype }, k) => {
    const place = packed.places.get(name)!;
    if (typeof place.values === 'number') params.set(`c${k}`, place.values + d * (isWordPair(columnForm(dtype, name)) ? 2 : 1));
    else bits(place.values, `c${k}`, `b${k}`);
    // Nullability is per task (one kernel for all its batches): a chunk without nulls reads all-ones.
    if (nullable.has(name)) bits(place.validity ?? packed.ones, `m${k}`, `o${k}`);
    if (place.remap) params.set(`r${k}`, place.remap.word);
  });
  return params;
}

/**
 * Bytes per row of packed columns: with validity bits for the `nullable` ones (what a kernel
 * reads), or for all of them (a bound, for sizing chunks).
 */
export function bytesPerRow(columns: readonly { name: string; dtype: DType }[], nullable?: ReadonlySet<string>): number {
  return columns.reduce((a, { name, dtype }) => {
    const form = columnForm(dtype, name);
    return a + (form === 'bool' ? 0.125 : isWordPair(form) ? 8 : 4) + (!nullable || nullable.has(name) ? 0.125 : 0);
  }, 0);
}
