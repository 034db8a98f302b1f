import { describe, expect, it } from 'vitest';
import { decodeUtf8, encodeUtf8 } from '../../src/shuffle/utf8-values.ts';
import { sliceKey, decodeKey, encodeKey } from '../../src/shuffle/key-column.ts';
import { Rng } from '../support/random.ts';

describe('strings as UTF-8 offsets and bytes', () => {
  it('round-trip ASCII, accents, emoji, empty strings and a mix, as TextEncoder encodes them', () => {
    const rng = new Rng(3);
    const alphabet = ['a', 'Z', '0', ' ', 'é', 'ß', '中', '😀', '\u0000', '\u007f', '\u0080'];
    for (let c = 0; c < 100; c++) {
      const strings = Array.from({ length: rng.int(0, 40) }, () => Array.from({ length: rng.int(0, 12) }, () => rng.pick(alphabet)).join(''));
      const enc = encodeUtf8(strings, null);
      expect(enc.offsets.length).toBe(strings.length + 1);
      expect([...enc.bytes]).toEqual([...new TextEncoder().encode(strings.join(''))]);
      expect(decodeUtf8(enc)).toEqual(strings);
    }
  });

  it('write null rows as empty, and decode from shared memory', () => {
    const enc = encodeUtf8(['ab', 'skipped', 'ç'], Uint8Array.from([1, 0, 1]));
    expect([...enc.offsets]).toEqual([0, 2, 2, 4]);
    const shared = new Uint8Array(new SharedArrayBuffer(enc.bytes.length));
    shared.set(enc.bytes);
    expect(decodeUtf8({ offsets: enc.offsets, bytes: shared })).toEqual(['ab', '', 'ç']);
  });

  it('slice an encoded key column by rows and decode the slice', () => {
    const col = encodeKey({ dtype: { id: 'utf8' } as never, values: ['x', 'yy', 'zzz', 'é'], valid: null });
    expect(decodeKey(sliceKey(col, 1, 3)).values).toEqual(['yy', 'zzz']);
    expect(decodeKey(sliceKey(col, 3, 4)).values).toEqual(['é']);
    expect(decodeKey(sliceKey(col, 2, 2)).values).toEqual([]);
  });
});
