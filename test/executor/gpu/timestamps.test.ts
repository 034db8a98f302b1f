import { describe, expect, it } from 'vitest';
import { passTimes } from '../../../src/executor/gpu/timestamps.ts';

/** u32 word pairs (low, high) of 64-bit nanosecond timestamps. */
const words = (...ns: number[]) => Uint32Array.from(ns.flatMap((t) => [t % 2 ** 32, Math.floor(t / 2 ** 32)]));

describe('passTimes', () => {
  it('gives end - begin of each (begin, end) pair, across the high word', () => {
    expect(passTimes(words(100, 350, 1_000, 1_000, 2 ** 32 - 5, 2 ** 32 + 20, 3 * 2 ** 40, 3 * 2 ** 40 + 7))).toEqual([250, 0, 25, 7]);
  });

  it('counts a clock that stepped back as 0, and nothing for no pairs', () => {
    expect(passTimes(words(500, 400))).toEqual([0]);
    expect(passTimes(new Uint32Array(0))).toEqual([]);
  });
});
