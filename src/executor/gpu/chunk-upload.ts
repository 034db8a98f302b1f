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
import { columnForm, isWordPair } from '../../expr/to-wgsl.ts';
import type { DType } from '../../types.ts';

export interface Region { readonly words: number; write(buf: GPUBuffer, queue: GPUQueue, wordAt: number): void }

/** Rows [r0, r1) of one batch's bound columns: a chunk is one or more of these, back to back. */
export interface Segment { readonly columns: ReadonlyMap<string, ColumnChunk>; readonly r0: number; readonly r1: number }

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

/** Sets bits [o, o + n) of `out`. */
function setBits(out: Uint8Array, o: number, n: number): void {
  let b = o;
  const end = o + n;
  for (; b < end && (b & 7); b++) out[b >> 3] |= 1 << (b & 7);
  if (end - b >= 8) { out.fill(0xff, b >> 3, end >> 3); b = end & ~7; }
  for (; b < end; b++) out[b >> 3] |= 1 << (b & 7);
}

/** Bit runs (a bitmap from a bit offset, or all ones where `bitmap` is null) one after the other, from bit 0. */
function concatBits(runs: readonly { bitmap: Uint8Array | null; bit0: number; n: number }[]): Region {
  const total = runs.reduce((a, r) => a + r.n, 0);
  const words = Math.max(1, Math.ceil(total / 32));
  return {
    words,
    write(buf, queue, at) {
      const out = new Uint8Array(words * 4);
      let o = 0;
      for (const { bitmap, bit0, n } of runs) {
        if (!bitmap) setBits(out, o, n);
        else if ((o & 7) === 0 && (bit0 & 7) === 0) {
          // Byte-aligned: a copy, the bits past the run's end cleared for the next run.
          out.set(bitmap.subarray(bit0 >> 3, (bit0 + n + 7) >> 3), o >> 3);
          if (n & 7) out[(o + n) >> 3] &= (1 << (n & 7)) - 1;
        } else {
          for (let i = 0; i < n; i++) {
            const b = bit0 + i;
            if ((bitmap[b >> 3] >> (b & 7)) & 1) out[(o + i) >> 3] |= 1 << ((o + i) & 7);
          }
        }
        o += n;
      }
      queue.writeBuffer(buf, at * 4, out);
    },
  };
}

/**
 * Words [from, from + n) of a 32-bit view written at word `at`. Dawn reads the memory of an
 * ArrayBuffer only: a view of a SharedArrayBuffer (input shared with worker threads, or fetched so
 * by a cluster's executor process) crashed it with SIGSEGV, so its words are copied first.
 */
export function writeWords(q: GPUQueue, buf: GPUBuffer, at: number, v: Int32Array | Uint32Array | Float32Array, from: number, n: number): void {
  if (v.buffer instanceof SharedArrayBuffer) q.writeBuffer(buf, at * 4, v.slice(from, from + n));
  else q.writeBuffer(buf, at * 4, v, from, n);
}

/**
 * One segment's values: 8/16-bit integers (and dictionary codes) widened to 32 bits, float32 as
 * its bits, 64-bit values as word pairs.
 */
function valuesRegion(c: ColumnChunk, wide: boolean, r0: number, r1: number): Region {
  const v = c.values;
  const n = r1 - r0;
  if (wide) {
    return { words: 2 * n, write: (buf, q, at) => writeWords(q, buf, at, c.words ?? new Uint32Array(v.buffer, v.byteOffset, c.length * 2), 2 * r0, 2 * n) };
  }
  if (v instanceof Int32Array || v instanceof Uint32Array || v instanceof Float32Array) {
    return { words: n, write: (buf, q, at) => writeWords(q, buf, at, v, r0, n) };
  }
  return { words: n, write: (buf, q, at) => q.writeBuffer(buf, at * 4, Int32Array.from(v.subarray(r0, r1) as Int8Array)) };
}

/** Regions one after the other (each segment's values). */
function concatRegions(parts: readonly Region[]): Region {
  return {
    words: parts.reduce((a, r) => a + r.words, 0),
    write(buf, queue, at) {
      for (const r of parts) { r.write(buf, queue, at); at += r.words; }
    },
  };
}

/**
 * A string column's codes over the segments and the dictionary they index: the segments' own when
 * they share one; else the union of theirs, each segment's codes rewritten into it.
 */
function stringCodes(segs: readonly Segment[], name: string): { region: Region; dictionary: readonly string[] } {
  const cols = segs.map((s) => s.columns.get(name)!);
  const first = cols[0].dictionary!;
  if (cols.every((c) => c.dictionary === first)) {
    return { region: concatRegions(segs.map((s, i) => valuesRegion(cols[i], false, s.r0, s.r1))), dictionary: first };
  }
  const union: string[] = [];
  const at = new Map<string, number>();
  const maps = cols.map((c) => Int32Array.from(c.dictionary!, (x) => {
    let k = at.get(x);
    if (k === undefined) { at.set(x, (k = union.length)); union.push(x); }
    return k;
  }));
  const parts = segs.map((s, i): Region => ({
    words: s.r1 - s.r0,
    write(buf, q, w) {
      const codes = cols[i].values, map = maps[i], out = new Int32Array(s.r1 - s.r0);
      // A null row's code may be anything: only valid codes are looked up.
      for (let r = s.r0; r < s.r1; r++) { const c = Number(codes[r]); out[r - s.r0] = c >= 0 && c < map.length ? map[c] : 0; }
      q.writeBuffer(buf, w * 4, out);
    },
  }));
  return { region: concatRegions(parts), dictionary: union };
}

/** A bit-packed region: its first word and the bit offset of the chunk's first row in it. */
interface BitsAt { readonly word: number; readonly bit: number }

/** Where one column of a packed chunk lies, and how to write it there. */
export interface ColumnPlace {
  /** Values: the first row's word; booleans: their bitmap. */
  readonly values: number | BitsAt;
  /** Validity bitmap, when the column has nulls in the chunk. */
  readonly validity?: BitsAt;
  /** The code → task-wide string id table of a string column: `size` words, for its codes' `dictionary`. */
  readonly remap?: { readonly word: number; readonly size: number; readonly dictionary: readonly string[] };
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

/**
 * The layout of `columns` over the rows of `segs`, back to back. A single segment's bitmaps are
 * copied as they are (with their bit offset); several segments' are joined on the host.
 */
export function layoutChunk(columns: readonly { name: string; dtype: DType }[], segs: readonly Segment[]): PackedChunk {
  let words = 0;
  const at = (region: Region, even = false): number => {
    if (even && words % 2) words++;
    const w = words;
    words += region.words;
    return w;
  };
  const rows = segs.reduce((a, s) => a + s.r1 - s.r0, 0);
  const bits = (pick: (c: ColumnChunk) => Uint8Array | null, name: string): { region: Region; offset: number } => {
    const runs = segs.map(({ columns: m, r0, r1 }) => { const c = m.get(name)!; return { bitmap: pick(c), bit0: c.offset + r0, n: r1 - r0 }; });
    const [one] = runs;
    return runs.length === 1 && one.bitmap ? bitsRegion(one.bitmap, one.bit0, one.bit0 + one.n) : { region: concatBits(runs), offset: 0 };
  };
  const places = new Map<string, ColumnPlace>();
  const onesRegion = concatBits([{ bitmap: null, bit0: 0, n: rows }]);
  const ones = { word: at(onesRegion), bit: 0 };
  for (const { name, dtype } of columns) {
    if (places.has(name)) continue;
    const cols = segs.map((s) => s.columns.get(name)!);
    const writes: { region: Region; word: number }[] = [];
    let values: number | BitsAt;
    let dictionary: readonly string[] | null = null;
    if (dtype.id === 'bool') {
      const { region, offset } = bits((c) => c.values as Uint8Array, name);
      const word = at(region);
      values = { word, bit: offset };
      writes.push({ region, word });
    } else {
      const wide = isWordPair(columnForm(dtype, name));
      let region: Region;
      if (cols[0].dictionary) ({ region, dictionary } = stringCodes(segs, name));
      else region = concatRegions(segs.map((s, i) => valuesRegion(cols[i], wide, s.r0, s.r1)));
      const word = at(region, wide);
      values = word;
      writes.push({ region, word });
    }
    let validity: BitsAt | undefined;
    if (cols.some((c) => c.validity && c.nullCount > 0)) {
      const { region, offset } = bits((c) => (c.nullCount > 0 ? c.validity : null), name);
      const word = at(region);
      validity = { word, bit: offset };
      writes.push({ region, word });
    }
    const size = dictionary ? Math.max(1, dictionary.length) : 0;
    const remap = dictionary ? { word: at({ words: size, write: () => undefined }), size, dictionary } : undefined;
    places.set(name, {
      values, validity, remap,
      write(buf, queue) {
        for (const { region, word } of writes) region.write(buf, queue, word);
        return writes.reduce((a, w) => a + w.region.words * 4, 0);
      },
    });
  }
  return {
    rows, words: Math.max(words, 4), places, ones,
    writeOnes: (buf, queue) => { onesRegion.write(buf, queue, ones.word); return onesRegion.words * 4; },
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
