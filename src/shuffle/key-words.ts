/**
 * Key values as 32-bit words, for hashing (the shuffle partitioner) and for exact equality (hash
 * tables). The word layout is documented in hash.ts.
 */
import type { KeyColumn } from './key-column.ts';
import { hashString, NULL_WORD } from './hash.ts';

const f64 = new Float64Array(1);
const f64w = new Int32Array(f64.buffer);

/** Number of equality words per row of a key column. */
export function groupWidth(c: KeyColumn): number {
  const base = c.values instanceof Float64Array || c.values instanceof Float32Array ||
    c.values instanceof BigInt64Array || c.values instanceof BigUint64Array ? 2 : 1;
  return base + (c.valid ? 1 : 0);
}

/**
 * Writes each row's equality words into out (row-major, `stride` words per row, starting at word
 * `at`): nulls write zero value words and a 1 flag word; strings write their id in `strIds`.
 */
export function writeGroupWords(c: KeyColumn, out: Int32Array, stride: number, at: number, strIds: Map<string, number>): void {
  const n = c.values.length;
  const v = c.values;
  const w = groupWidth(c) - (c.valid ? 1 : 0);
  if (Array.isArray(v)) {
    for (let i = 0; i < n; i++) {
      let id = strIds.get(v[i]);
      if (id === undefined) strIds.set(v[i], (id = strIds.size));
      out[i * stride + at] = id;
    }
  } else if (v instanceof BigInt64Array || v instanceof BigUint64Array) {
    const words = new Int32Array(v.buffer, v.byteOffset, n * 2);
    for (let i = 0; i < n; i++) { out[i * stride + at] = words[2 * i]; out[i * stride + at + 1] = words[2 * i + 1]; }
  } else if (w === 2) {
    for (let i = 0; i < n; i++) {
      const x = v[i] as number;
      f64[0] = x !== x ? NaN : x + 0;
      out[i * stride + at] = f64w[0];
      out[i * stride + at + 1] = f64w[1];
    }
  } else {
    for (let i = 0; i < n; i++) out[i * stride + at] = (v[i] as number) | 0;
  }
  if (c.valid) {
    const valid = c.valid;
    for (let i = 0; i < n; i++) {
      if (valid[i]) continue;
      for (let j = 0; j < w; j++) out[i * stride + at + j] = 0;
      out[i * stride + at + w] = 1;
    }
  }
}

/** Appends the shuffle-hash words of row i of a key column to out; returns the new length. */
export function pushHashWords(c: KeyColumn, i: number, out: Int32Array, len: number): number {
  if (c.valid && !c.valid[i]) {
    out[len] = NULL_WORD;
    return len + 1;
  }
  const v = c.values;
  if (Array.isArray(v)) {
    out[len] = hashString(v[i]);
    return len + 1;
  }
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) {
    const x = BigInt.asUintN(64, v[i]);
    out[len] = Number(x & 0xffffffffn) | 0;
    out[len + 1] = Number(x >> 32n) | 0;
    return len + 2;
  }
  if (v instanceof Float64Array || v instanceof Float32Array) {
    const x = v[i];
    f64[0] = x !== x ? NaN : x + 0;
    out[len] = f64w[0];
    out[len + 1] = f64w[1];
    return len + 2;
  }
  out[len] = (v[i] as number) | 0;
  return len + 1;
}
