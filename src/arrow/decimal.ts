/**
 * Decimal128 (and Decimal256) columns as the engine reads them. Up to 18 digits, each value's
 * unscaled integer as an Int64, so that keys, comparisons, min / max and exact sums take the
 * 64-bit paths. Wider ones (19 to 38 digits) as their 128-bit words, 4 a row; a Decimal256
 * value beyond 128 bits is an ArithmeticOverflowError naming the column. Results go back to Arrow
 * as Decimal128.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import * as arrow from 'apache-arrow';
import { ArithmeticOverflowError } from '../errors.ts';

/**
 * Converted values cached by the bytes they come from (buffer, offset, length), not by the view:
 * each fromArrow slices its input anew, and a conversion per slice object would be redone (and
 * shared with the workers anew) for every job.
 */
class ViewCache<T> {
  private readonly byBuffer = new WeakMap<ArrayBufferLike, Map<string, T>>();
  private key = (v: ArrayBufferView): string => `${v.byteOffset}:${v.byteLength}`;
  get(v: ArrayBufferView): T | undefined { return this.byBuffer.get(v.buffer)?.get(this.key(v)); }
  set(v: ArrayBufferView, x: T): void {
    let m = this.byBuffer.get(v.buffer);
    if (!m) this.byBuffer.set(v.buffer, (m = new Map()));
    m.set(this.key(v), x);
  }
}

const low64 = new ViewCache<BigInt64Array>();
/** Columns found to hold a value beyond Int64: its row, so that the next call fails at once (a GPU task checks each time). */
const beyondRow = new ViewCache<number>();

/**
 * The unscaled values' low 64 bits (cached per values array), after checking that every valid
 * value's higher words are its sign extension: that is, that it is exactly an Int64.
 */
export function unscaledInt64(data: arrow.Data, column = ''): BigInt64Array {
  const steps = unscaledSteps(data, column, Infinity);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** Rows converted between two turns of the event loop (~15 ms). */
const SLICE_ROWS = 1 << 20;

/** unscaledInt64, computed (and cached) a slice of rows per turn of the driver's event loop. */
export async function cacheUnscaled(data: arrow.Data, column: string): Promise<void> {
  if (low64.get(data.values as Uint32Array)) return;
  const steps = unscaledSteps(data, column, SLICE_ROWS);
  for (let done = false; !done;) {
    done = steps.next().done === true;
    await nextTurn();
  }
}

function* unscaledSteps(data: arrow.Data, column: string, step: number): Generator<void, BigInt64Array, void> {
  const words = data.values as Uint32Array;
  const cached = low64.get(words);
  if (cached) return cached;
  const per = (data.type as arrow.Decimal).bitWidth / 32;
  const beyond = (row: number) => beyondRange(data, column, row, words.subarray(row * per, row * per + per));
  const known = beyondRow.get(words);
  if (known !== undefined) throw beyond(known);
  const n = data.length;
  const out = new BigInt64Array(n);
  for (let from = 0; from < n; from += step) {
    if (from > 0) yield;
    const bad = copyLow64(words, per, out, from, Math.min(n, from + step), data);
    if (bad >= 0) {
      beyondRow.set(words, bad);
      throw beyond(bad);
    }
  }
  low64.set(words, out);
  return out;
}

/** Copies rows [from, to) of the low 64 bits into `out`; the first valid row whose value is beyond Int64, or -1. */
function copyLow64(words: Uint32Array, per: number, out: BigInt64Array, from: number, to: number, data: arrow.Data): number {
  const iw = new Int32Array(words.buffer, words.byteOffset, words.length);
  const w = new Int32Array(out.buffer);
  for (let i = from; i < to; i++) {
    const at = i * per, hi = iw[at + 1]!, sign = hi >> 31;
    for (let k = 2; k < per; k++) if (iw[at + k] !== sign && data.getValid(i)) return i;
    w[2 * i] = iw[at]!;
    w[2 * i + 1] = hi;
  }
  return -1;
}

function beyondRange(data: arrow.Data, column: string, row: number, words: Uint32Array): ArithmeticOverflowError {
  const t = data.type as arrow.Decimal;
  const v = formatDecimal(fromWords(words), t.scale);
  return new ArithmeticOverflowError(`column '${column}' (decimal(${t.precision}, ${t.scale})) holds ${v} at row ${row}: ` +
    `it is beyond ${t.precision <= 18 ? 'the 64-bit range of a decimal of at most 18 digits' : 'the 128 bits of a Decimal128'}`);
}

const words128 = new ViewCache<Int32Array>();

/**
 * A wide decimal column's values as 128-bit two's complement words, 4 a row (little-endian): the
 * Decimal128 data itself, or a Decimal256's values narrowed (cached), after checking that each
 * valid one fits.
 */
export function unscaled128(data: arrow.Data, column = ''): Int32Array {
  const words = data.values as Uint32Array;
  const per = (data.type as arrow.Decimal).bitWidth / 32;
  if (per === 4) return new Int32Array(words.buffer, words.byteOffset, data.length * 4);
  let out = words128.get(words);
  if (out) return out;
  out = new Int32Array(data.length * 4);
  const iw = new Int32Array(words.buffer, words.byteOffset, words.length);
  for (let i = 0; i < data.length; i++) {
    const at = i * per, sign = iw[at + 3]! >> 31;
    for (let k = 4; k < per; k++) if (iw[at + k] !== sign && data.getValid(i)) throw beyondRange(data, column, i, words.subarray(at, at + per));
    for (let k = 0; k < 4; k++) out[4 * i + k] = iw[at + k]!;
  }
  words128.set(words, out);
  return out;
}


/** A two's-complement little-endian integer of 32-bit words as a BigInt. */
export function fromWords(words: ArrayLike<number>): bigint {
  let x = 0n;
  for (let k = words.length - 1; k >= 0; k--) x = (x << 32n) | BigInt(words[k]! >>> 0);
  const bits = BigInt(32 * words.length);
  return words[words.length - 1]! >>> 31 ? x - (1n << bits) : x;
}

/** Unscaled integers as Decimal128 data words (4 per value, two's complement). */
export function toDecimal128Words(values: readonly bigint[] | BigInt64Array): Uint32Array {
  const out = new Uint32Array(values.length * 4);
  for (let i = 0; i < values.length; i++) {
    let x = BigInt.asUintN(128, values[i]!);
    for (let k = 0; k < 4; k++, x >>= 32n) out[4 * i + k] = Number(x & 0xffffffffn);
  }
  return out;
}

/** Unscaled Int64 values as Decimal128 data words (each sign-extended to 128 bits). */
export function decimalWordsOfInt64(values: BigInt64Array): Uint32Array {
  const w = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
  const out = new Uint32Array(values.length * 4);
  for (let i = 0; i < values.length; i++) {
    const hi = w[2 * i + 1]!, sign = hi < 0 ? 0xffffffff : 0;
    out[4 * i] = w[2 * i]!;
    out[4 * i + 1] = hi;
    out[4 * i + 2] = sign;
    out[4 * i + 3] = sign;
  }
  return out;
}

/** Unscaled integers held exactly in doubles (|v| < 2^53) as Decimal128 data words, rows [from, to). */
export function decimalWordsOfIntegers(values: ArrayLike<number>, from = 0, to = values.length): Uint32Array {
  const out = new Uint32Array((to - from) * 4);
  for (let i = from; i < to; i++) {
    const v = values[i]!, hi = Math.floor(v / 4294967296), at = 4 * (i - from), sign = hi < 0 ? 0xffffffff : 0;
    out[at] = v - hi * 4294967296;
    out[at + 1] = hi;
    out[at + 2] = sign;
    out[at + 3] = sign;
  }
  return out;
}

/** An unscaled integer and scale as decimal text: 12345, 2 → '123.45'; -5, 2 → '-0.05'. */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n, digits = (neg ? -unscaled : unscaled).toString();
  if (scale <= 0) return `${neg ? '-' : ''}${digits}${'0'.repeat(-scale)}`;
  const padded = digits.padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}

/** A decimal vector's unscaled values (null for nulls). */
export function unscaledValues(v: arrow.Vector): (bigint | null)[] {
  const out: (bigint | null)[] = [];
  const per = (v.type as arrow.Decimal).bitWidth / 32;
  for (const d of v.data) {
    const words = d.values as Uint32Array;
    for (let j = 0; j < d.length; j++) {
      const at = j * per;
      out.push(d.getValid(j) ? fromWords(words.subarray(at, at + per)) : null);
    }
  }
  return out;
}

/** A decimal vector's values as text with their scale applied (null for nulls); null for other vectors. */
export function decimalCells(v: arrow.Vector): (string | null)[] | null {
  if (!arrow.DataType.isDecimal(v.type)) return null;
  const scale = (v.type as arrow.Decimal).scale;
  return unscaledValues(v).map((x) => (x === null ? null : formatDecimal(x, scale)));
}

/**
 * Rows of cells of a table's columns: cell(Vector.get(i)), but decimals as their text (Vector.get
 * gives the unscaled integer), which a cell function never sees.
 */
export function tableCells(table: arrow.Table, rows: number, cell: (v: unknown) => string): string[][] {
  const vectors = table.schema.fields.map((f) => table.getChild(f.name)!);
  const texts = vectors.map(decimalCells);
  const out: string[][] = [];
  for (let i = 0; i < rows; i++) out.push(vectors.map((v, c) => { const t = texts[c]; return t ? t[i] ?? cell(null) : cell(v.get(i)); }));
  return out;
}

/**
 * A number, bigint or decimal text as an exact fraction at `scale`: the floor of value·10^scale,
 * and whether that floor is the value exactly. A JS number is taken as its shortest decimal form
 * (0.1 is 0.1, as the user wrote it).
 */
export function scaledLiteral(value: number | bigint | string, scale: number): { floor: bigint; exact: boolean } | null {
  const text = typeof value === 'string' ? value.trim() : typeof value === 'bigint' ? value.toString() : String(value);
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null;
  const digits = BigInt(`${m[2] || '0'}${m[3] ?? ''}` || '0');
  const shift = scale - (m[3] ?? '').length + Number(m[4] ?? 0);
  const sign = m[1] === '-' ? -1n : 1n;
  if (shift >= 0) return { floor: sign * digits * 10n ** BigInt(shift), exact: true };
  const div = 10n ** BigInt(-shift), q = digits / div, exact = digits % div === 0n;
  return { floor: sign < 0n ? -q - (exact ? 0n : 1n) : q, exact };
}

