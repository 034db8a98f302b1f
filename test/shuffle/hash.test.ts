import { describe, expect, it } from 'vitest';
import { hashSource, hashString, hashWords, partitionOf, SHUFFLE_SEED, TABLE_SEED } from '../../src/shuffle/hash.ts';
import { partitionIds } from '../../src/shuffle/shuffle-block.ts';
import { hashKeyRows } from '../../src/shuffle/key-words.ts';
import { NULL_WORD } from '../../src/shuffle/hash.ts';

describe('the key hash', () => {
  it('is MurmurHash3_x86_32 over 32-bit words (reference vectors)', () => {
    const bytes = (b: number[]) => new Int32Array(new Uint8Array(b).buffer);
    // Published MurmurHash3_x86_32 test vectors for 4-byte-aligned inputs.
    expect(hashWords(new Int32Array(0), 0, 0, 0) >>> 0).toBe(0);
    expect(hashWords(new Int32Array(0), 0, 0, 1) >>> 0).toBe(0x514e28b7);
    expect(hashWords(bytes([0, 0, 0, 0]), 0, 1, 0) >>> 0).toBe(0x2362f9de);
    expect(hashWords(bytes([0x21, 0x43, 0x65, 0x87]), 0, 1, 0x5082edee) >>> 0).toBe(0x2362f9de);
    expect(hashWords(bytes([0x21, 0x43, 0x65, 0x87]), 0, 1, 0) >>> 0).toBe(0xf55b516b);
  });

  it('generated JS computes the same hash as hashWords', () => {
    let seed = 7;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) | 0);
    for (let width = 1; width <= 5; width++) {
      const names = Array.from({ length: width }, (_, j) => `w${j}`);
      const f = new Function(...names, `${hashSource(names, TABLE_SEED, 'h')}\nreturn h;`) as (...w: number[]) => number;
      for (let r = 0; r < 200; r++) {
        const words = Int32Array.from({ length: width }, rnd);
        expect(f(...words)).toBe(hashWords(words, 0, width, TABLE_SEED));
      }
    }
  });

  it('spreads sequential integer keys evenly over the reduce partitions', () => {
    for (const partitions of [2, 7, 8, 200]) {
      const n = 100_000;
      const pid = partitionIds([{ dtype: { id: 'int32' }, values: Int32Array.from({ length: n }, (_, i) => i + 1), valid: null }], n, partitions);
      const counts = new Array(partitions).fill(0);
      for (const p of pid) counts[p]++;
      const expected = n / partitions;
      const chi2 = counts.reduce((a, c) => a + (c - expected) ** 2 / expected, 0);
      // chi-square with partitions-1 degrees of freedom: mean p-1, sd sqrt(2(p-1)).
      expect(chi2).toBeLessThan(partitions - 1 + 6 * Math.sqrt(2 * (partitions - 1)));
    }
  });

  it('spreads strings and 64-bit keys evenly too, and is a pure function of the values', () => {
    const n = 20_000, partitions = 8;
    const strings = Array.from({ length: n }, (_, i) => `id${String(i).padStart(6, '0')}`);
    const wide = BigInt64Array.from({ length: n }, (_, i) => BigInt(i) << 32n);
    for (const key of [{ dtype: { id: 'utf8' as const }, values: strings, valid: null }, { dtype: { id: 'int64' as const }, values: wide, valid: null }]) {
      const pid = partitionIds([key], n, partitions);
      const counts = new Array(partitions).fill(0);
      for (const p of pid) counts[p]++;
      for (const c of counts) expect(Math.abs(c - n / partitions)).toBeLessThan(0.1 * n / partitions);
      expect(partitionIds([key], n, partitions)).toEqual(pid);
    }
    // A string hashes as its UTF-16 code units, one word each (hashWords is checked against the published vectors).
    const codes = (s: string) => Int32Array.from(s, (c) => c.charCodeAt(0));
    for (const s of ['', 'id001', 'id002', 'héllo']) expect(hashString(s)).toBe(hashWords(codes(s), 0, s.length, SHUFFLE_SEED));
    expect(hashString('id001')).not.toBe(hashString('id002'));
    // The partition is the hash as an unsigned 32-bit number, modulo the partition count.
    expect(partitionOf(-1, 8)).toBe(7);
    expect(partitionOf(-2147483648, 3)).toBe(2147483648 % 3);
    expect(partitionOf(12, 5)).toBe(2);
  });

  it('hashes each key row as MurmurHash3 over its documented words', () => {
    const f64 = new Float64Array(1), w = new Int32Array(f64.buffer);
    const bits = (x: number) => { f64[0] = x; return [w[0], w[1]]; };
    const keys = [
      { dtype: { id: 'int32' as const }, values: Int32Array.from([-5, 0, 7]), valid: Uint8Array.from([1, 0, 1]) },
      { dtype: { id: 'int64' as const }, values: BigInt64Array.from([-1n, 2n ** 40n + 3n, 0n]), valid: null },
      { dtype: { id: 'float64' as const }, values: Float64Array.from([-0, NaN, 2.5]), valid: null },
      { dtype: { id: 'utf8' as const }, values: ['a', '', 'héllo'], valid: null },
    ];
    const expected = [
      [-5, -1, -1, ...bits(0), hashString('a')],
      [NULL_WORD, 3, 256, ...bits(NaN), hashString('')],
      [7, 0, 0, ...bits(2.5), hashString('héllo')],
    ].map((words) => hashWords(Int32Array.from(words), 0, words.length, SHUFFLE_SEED));
    expect([...hashKeyRows(keys, 3)]).toEqual(expected);
  });
});
