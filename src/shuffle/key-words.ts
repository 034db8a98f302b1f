/**
 * Key values as 32-bit words, for hashing (the shuffle partitioner) and for exact equality (hash
 * tables). The word layout is documented in hash.ts.
 */
import { decodedValues, type KeyColumn } from './key-column.ts';
import { finish, hashString, mixWord, NULL_WORD, SHUFFLE_SEED } from './hash.ts';

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
  const v = decodedValues(c);
  const n = v.length;
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

/**
 * The shuffle hash of each of n key rows: MurmurHash3 over the rows' hash words (see hash.ts),
 * computed column by column so that each loop is monomorphic.
 */
export function hashKeyRows(keys: readonly KeyColumn[], n: number): Int32Array {
  const h = new Int32Array(n).fill(SHUFFLE_SEED);
  const words = new Int32Array(n);
  for (const c of keys) {
    const v = decodedValues(c), valid = c.valid;
    if (Array.isArray(v)) {
      for (let i = 0; i < n; i++) { h[i] = mixWord(h[i], valid !== null && valid[i] === 0 ? NULL_WORD : hashString(v[i])); words[i]++; }
    } else if (v instanceof BigInt64Array || v instanceof BigUint64Array) {
      const w = new Int32Array(v.buffer, v.byteOffset, n * 2);
      for (let i = 0; i < n; i++) {
        if (valid !== null && valid[i] === 0) { h[i] = mixWord(h[i], NULL_WORD); words[i]++; continue; }
        h[i] = mixWord(mixWord(h[i], w[2 * i]), w[2 * i + 1]);
        words[i] += 2;
      }
    } else if (v instanceof Float64Array || v instanceof Float32Array) {
      for (let i = 0; i < n; i++) {
        if (valid !== null && valid[i] === 0) { h[i] = mixWord(h[i], NULL_WORD); words[i]++; continue; }
        const x = v[i];
        f64[0] = x !== x ? NaN : x + 0;
        h[i] = mixWord(mixWord(h[i], f64w[0]), f64w[1]);
        words[i] += 2;
      }
    } else if (valid === null) {
      for (let i = 0; i < n; i++) h[i] = mixWord(h[i], (v[i] as number) | 0);
      for (let i = 0; i < n; i++) words[i]++;
    } else {
      for (let i = 0; i < n; i++) { h[i] = mixWord(h[i], valid[i] === 0 ? NULL_WORD : (v[i] as number) | 0); words[i]++; }
    }
  }
  for (let i = 0; i < n; i++) h[i] = finish(h[i], words[i]);
  return h;
}
