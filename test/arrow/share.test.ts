/**
 * toShared: a task's output with its typed arrays in shared memory, equal in value, every copied
 * array in one SharedArrayBuffer at an 8-byte aligned offset (a map task has a block per reduce
 * partition); arrays already shared, arrays of primitives, strings and nulls stay as they are.
 * shareBatches: a task's input columns in shared memory, each source buffer copied once.
 */
import { describe, expect, it } from 'vitest';
import { COPY_SLICE_BYTES, shareBatches, toShared } from '../../src/arrow/share.ts';
import type { WireBatch } from '../../src/arrow/wire-batch.ts';
import { Rng } from '../support/random.ts';

type Typed = Uint8Array | Int32Array | Float64Array | BigInt64Array;

describe('toShared', () => {
  it('copies every unshared typed array into one shared buffer, values and nesting unchanged', () => {
    const rng = new Rng(3);
    for (let c = 0; c < 50; c++) {
      const arrays = (): Typed[] => Array.from({ length: rng.int(0, 5) }, () => {
        const n = rng.int(0, 9);
        const k = rng.int(0, 3);
        if (k === 0) return Uint8Array.from({ length: n }, () => rng.int(0, 255));
        if (k === 1) return Int32Array.from({ length: n }, () => rng.int(-1000, 1000));
        if (k === 2) return Float64Array.from({ length: n }, () => rng.next());
        return BigInt64Array.from({ length: n }, () => BigInt(rng.int(-1000, 1000)) << 40n);
      });
      const already = new Float64Array(new SharedArrayBuffer(16));
      const value = {
        blocks: Array.from({ length: rng.int(0, 6) }, () => ({ rows: 3, keys: [{ values: ['a', 'b'], valid: null }], states: [arrays(), arrays()] })),
        sub: new Int32Array(new ArrayBuffer(64), 8, 5),
        already,
        inputRows: 7,
      };
      const out = toShared(value);
      expect(out).toEqual(value);
      expect(out.already).toBe(already);
      expect(out.blocks.map((b) => b.keys[0].values)).toEqual(value.blocks.map((b) => b.keys[0].values));
      const copied = [out.sub, ...out.blocks.flatMap((b) => b.states.flat())];
      const buffers = new Set(copied.map((a) => a.buffer));
      expect(buffers.size).toBe(1);
      expect([...buffers][0]).toBeInstanceOf(SharedArrayBuffer);
      for (const a of copied) expect(a.byteOffset % 8).toBe(0);
    }
  });
});

describe('shareBatches', () => {
  const wire = (values: Float64Array, validity: Uint8Array | null): WireBatch => ({
    rows: values.length,
    columns: { v: { dtype: { id: 'float64' }, length: values.length, nullCount: 0, validity, offset: 0, values, dictionary: null, utf8: null } },
  });

  it('copies each source buffer once, slice by slice, into one shared buffer that later calls reuse', async () => {
    // Several slices' worth, at an offset into its buffer.
    const n = (2 * COPY_SLICE_BYTES) / 8 + 1000;
    const src = new Float64Array(new ArrayBuffer(8 * (n + 10)), 80, n);
    for (let i = 0; i < n; i++) src[i] = i * 1.5;
    const [a, b] = await Promise.all([shareBatches([wire(src, null)]), shareBatches([wire(src.subarray(5, 9), null)])]);
    const va = a[0]!.columns.v!.values as Float64Array, vb = b[0]!.columns.v!.values as Float64Array;
    expect(va.buffer).toBeInstanceOf(SharedArrayBuffer);
    // Two tasks over one input share one copy, views at the source's offsets.
    expect(vb.buffer).toBe(va.buffer);
    expect([va.byteOffset, va.length, vb.byteOffset]).toEqual([80, n, 80 + 40]);
    expect(va).toEqual(src);
    expect(Array.from(vb)).toEqual([7.5, 9, 10.5, 12]);
    const again = await shareBatches([wire(src, null)]);
    expect(again[0]!.columns.v!.values!.buffer).toBe(va.buffer);
  });

  it('stops waiting for the copy when its signal aborts', async () => {
    const src = new Float64Array((4 * COPY_SLICE_BYTES) / 8);
    const ac = new AbortController();
    const pending = shareBatches([wire(src, null)], ac.signal);
    ac.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });
});
