/**
 * toShared: a task's output with its typed arrays in shared memory, equal in value, every copied
 * array in one SharedArrayBuffer at an 8-byte aligned offset (a map task has a block per reduce
 * partition); arrays already shared, arrays of primitives, strings and nulls stay as they are.
 */
import { describe, expect, it } from 'vitest';
import { toShared } from '../../src/arrow/share.ts';
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
