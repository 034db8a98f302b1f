/** The Utf8 dictionary encoder: rows are one value exactly when their bytes are equal. */
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { bindColumn } from '../../src/arrow/column-chunk.ts';

const encode = (values: (string | null)[]) => {
  const c = bindColumn(arrow.vectorFromArray(values, new arrow.Utf8()).data[0]!, { id: 'utf8' });
  return { codes: [...c.values as Int32Array].filter((_, i) => values[i] !== null), dictionary: c.dictionary };
};

describe('the Utf8 dictionary encoder', () => {
  it('tells apart values whose FNV-1a hashes and lengths are equal', () => {
    // 'declinate' and 'macallums' collide in 32-bit FNV-1a, and both are 9 bytes.
    const { codes, dictionary } = encode(['declinate', 'macallums', 'declinate', 'macallums']);
    expect(dictionary).toEqual(['declinate', 'macallums']);
    expect(codes).toEqual([0, 1, 0, 1]);
  });

  it('many distinct values, empty strings, multi-byte UTF-8 and nulls', () => {
    const values = Array.from({ length: 5000 }, (_, i) => (i % 7 === 0 ? null : i % 5 === 0 ? '' : `v${i % 1500}é😀`));
    const { codes, dictionary } = encode(values);
    const kept = values.filter((v) => v !== null);
    expect(codes.map((c) => dictionary![c])).toEqual(kept);
    expect(new Set(dictionary).size).toBe(dictionary!.length);
  });
});
