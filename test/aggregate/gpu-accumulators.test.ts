/**
 * The GPU accumulator table, without a GPU: each row's words (what a task keeps, what regions
 * imply, initial values decode relies on), the kind each state takes per argument form, and the
 * host decode of known slot words back into the registry's states.
 */
import { describe, expect, it } from 'vitest';
import { GPU_ACCUMULATORS, gpuAccKind, type ArgFacts, type ArgForm, type GpuAccKind, type WordDecode } from '../../src/aggregate/gpu-accumulators.ts';
import { limbsValue, STATES, type AggSpec, type StateKind } from '../../src/aggregate/registry.ts';

const KINDS = Object.keys(GPU_ACCUMULATORS) as GpuAccKind[];
const FORMS: ArgForm[] = ['i', 'u', 'w', 'f', 'd'];
const FACTS: ArgFacts[] = [false, true].flatMap((nullable) => [false, true].flatMap((finite) =>
  [false, true].map((nonNegative) => ({ nullable, finite, nonNegative }))));

/** Decodes one slot of `words` (the row's words from its null count on, slot word 0 = rows) into a fresh state. */
function decodeOne(kind: GpuAccKind, state: StateKind, rows: number, words: readonly number[], form: ArgForm, shift = 0): Float64Array[] {
  const acc = Uint32Array.from([rows, ...words]);
  const st = STATES[state].init.map(() => new Float64Array(1));
  const nonNull = st[st.length - 1];
  if (words.length) nonNull[0] = rows - words[0];
  const d: WordDecode = {
    acc, stride: acc.length, slots: Int32Array.of(0), dest: Int32Array.of(0), offset: (w) => 1 + w,
    form, state: st, nonNull, shift, init0: STATES[state].init[0],
  };
  GPU_ACCUMULATORS[kind].decode(d);
  return st;
}

describe('GPU accumulator rows', () => {
  it('keep only value words of their own, and always the ones that do not start at 0', () => {
    for (const kind of KINDS) {
      const row = GPU_ACCUMULATORS[kind];
      for (const form of FORMS) for (const facts of FACTS) for (const own of [false, true]) {
        const kept = row.keptValueWords(form, facts, own);
        expect(kept.every((w) => w >= 1 && w < row.init.length), `${kind} ${form}`).toBe(true);
        row.init.forEach((x, w) => { if (w > 0 && x !== 0) expect(kept, `${kind}: word ${w} starts at ${x}`).toContain(w); });
      }
    }
  });

  it('imply in regions only words the regions drop (the top word of a 32-bit integer sum, integer or decimal)', () => {
    for (const kind of KINDS) for (const form of FORMS) {
      const implied = GPU_ACCUMULATORS[kind].regionImplied?.(form, 10) ?? null;
      if (!implied) continue;
      expect(['isum', 'dsum']).toContain(kind);
      const kept = GPU_ACCUMULATORS[kind].keptValueWords(form, FACTS[0], true);
      expect(kept).not.toContain(implied[0] - 10);
    }
    expect(GPU_ACCUMULATORS.isum.regionImplied!('w', 10)).toBeNull();
  });

  it('take the kind of their state and argument form; only 64-bit min/max have a low-word pass', () => {
    const agg = (state: StateKind) => ({ state }) as AggSpec;
    expect(gpuAccKind(agg('isum'), 'w')).toBe('isum');
    expect(gpuAccKind(agg('min'), 'i')).toBe('min32');
    expect(gpuAccKind(agg('max'), 'f')).toBe('max64');
    expect(gpuAccKind(agg('wmin'), 'w')).toBe('min64');
    expect(gpuAccKind(agg('dmax'), 'w')).toBe('dmax64');
    expect(() => gpuAccKind(agg('dmin'), 'd')).toThrow(/beyond 64 bits/);
    expect(KINDS.filter((k) => GPU_ACCUMULATORS[k].lowWordPass)).toEqual(['min64', 'max64', 'dmin64', 'dmax64']);
    // Counts have no value words, so no update, merge or fold code of their own.
    for (const k of ['countRows', 'count'] as const) {
      expect(GPU_ACCUMULATORS[k].update).toBeUndefined();
      expect(GPU_ACCUMULATORS[k].fold(1)).toEqual([]);
    }
  });

  it('decode slot words into the registry\'s states', () => {
    // count(*): the slot's rows.
    expect(decodeOne('countRows', 'countRows', 7, [], 'none')[0][0]).toBe(7);
    // isum: -2 as 96-bit two's complement words, 1 null of 3 rows → [hi, lo, non-null].
    const isum = decodeOne('isum', 'isum', 3, [1, 0xfffffffe, 0xffffffff, 0xffffffff], 'i');
    expect(isum[0][0] * 2 ** 32 + isum[1][0]).toBe(-2);
    expect(isum[2][0]).toBe(2);
    // fsum: p1 = 2^8 at shift 40 is 1, n1 = 2^7 is -0.5 → 0.5; flags 2 alone is +Inf.
    const fsum = decodeOne('fsum', 'fsum', 2, [0, 0, 0, 2 ** 8, 0, 0, 0, 2 ** 7, 0, 0], 'f', 40);
    expect(fsum[0][0] + fsum[1][0]).toBe(0.5);
    expect(decodeOne('fsum', 'fsum', 2, [0, 2, 0, 0, 0, 0, 0, 0, 0, 0], 'f', 40)[0][0]).toBe(Infinity);
    // min32 of i32 values: the key with its sign bit flipped; a group of nulls only keeps the initial value.
    expect(decodeOne('min32', 'min', 2, [0, (-5 ^ 0x80000000) >>> 0], 'i')[0][0]).toBe(-5);
    expect(decodeOne('min32', 'min', 2, [2, 0xffffffff], 'i')[0][0]).toBeNaN();
    // max64 of a float: its total-order key (a non-negative value has the sign bit set).
    expect(decodeOne('max64', 'max', 1, [0, 0x80000000 | 0x3ff00000, 0], 'f')[0][0]).toBe(1);
    // dmin64 / dmax64 of a wide decimal's 64-bit words: the registry's 44-bit limbs of the value.
    for (const x of [-(2n ** 63n), -(2n ** 44n) - 1n, -1n, 0n, 2n ** 44n + 5n, 2n ** 63n - 1n]) {
      const u = BigInt.asUintN(64, x), hi = Number(u >> 32n) ^ 0x80000000, lo = Number(u & 0xffffffffn);
      const st = decodeOne('dmin64', 'dmin', 1, [0, hi >>> 0, lo], 'w');
      expect(limbsValue(st, 0)).toBe(x);
    }
    expect(decodeOne('dmax64', 'dmax', 1, [1, 0, 0], 'w')[0][0]).toBe(-Infinity);
  });

  it('flag a float sum whose groups lie far below the task\'s grid; others have no such check', () => {
    const inexact = GPU_ACCUMULATORS.fsum.inexact!;
    // rows, then nulls, flags, p0..p3, n0..n3: a group's rows against 1e-13 of the grid units it holds.
    const slot = (rows: number, p0: number, p1: number) => ({ acc: Uint32Array.from([rows, 0, 0, p0, p1, 0, 0, 0, 0, 0, 0]), stride: 11, slots: Int32Array.of(0), offset: (w: number) => 1 + w, form: 'f' as const });
    expect(inexact(slot(10, 1, 0))).toMatch(/too far below/);
    expect(inexact(slot(10, 0, 2 ** 20))).toBeNull();
    expect(KINDS.filter((k) => GPU_ACCUMULATORS[k].inexact)).toEqual(['fsum']);
  });
});
