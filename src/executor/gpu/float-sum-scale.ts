/**
 * The fixed-point scale of each float sum. A float sum accumulates trunc(|x| · 2^S) in 128-bit
 * integers (exact, so the result does not depend on row order, chunking or thread timing), with
 * one S per task and aggregate chosen so that the sum of all its n < 2^32 rows fits in 128 bits.
 * Every summed |x| < 2^E, and the task's Σ|x| ≥ 2^(E-1) (its largest |x|); each row loses less
 * than 2^-S. Against the task's Σ|x|:
 *
 * - A float64 (or float32) column: S = 96 - E. A row's value is below 2^96, and a value of the
 *   top exponents fills bits 43..95, two of the four words: the kernels skip the zero words'
 *   atomics, and carry into the top word only as the sum grows. |error| < n · 2^-S <
 *   2^(L - 95) · Σ|x| with L the bit length of n: at most 2^-63 · Σ|x|. Values within 2^44 of
 *   the largest (a float32's: 2^73) lie on the grid, and nothing is lost.
 * - An arithmetic argument (evaluated in double-float on the GPU, bounded by interval arithmetic
 *   over the columns' value ranges): S = 127 - E - L with L = max(8, bit length of n), so
 *   |error| < 2^(2L - 126) · Σ|x| ≤ 2^-62 · Σ|x|. (L ≥ 8 keeps its f32 parts, shifted into place,
 *   within the 128 bits.)
 *
 * A group of values far below the task's largest can lose much of its own sum: the host checks
 * each group against its own Σ|x| (gpu-states.ts inexactFloatSum).
 */
import type * as arrow from 'apache-arrow';
import { intBound, type TExpr } from '../../expr/resolve.ts';
import { isFloat } from '../../types.ts';
import { GpuUnsupported } from '../../expr/to-wgsl.ts';

/** Value range of the valid, finite values of one float64 or float32 Arrow Data. */
export interface F64Stats {
  /** Every finite |x| < 2^maxE. */
  readonly maxE: number;
  /** Every finite nonzero |x| ≥ 2^minE (Infinity when there is none): the double-float range check. */
  readonly minE: number;
  readonly min: number;
  readonly max: number;
  readonly nonFinite: boolean;
}

const cache = new WeakMap<arrow.Data, F64Stats>();

export function f64Stats(data: arrow.Data): F64Stats {
  let s = cache.get(data);
  if (s) return s;
  const v = data.values as Float64Array | Float32Array;
  const single = v instanceof Float32Array;
  const w = new Int32Array(v.buffer, v.byteOffset, data.length * (single ? 1 : 2));
  const bitmap = data.nullCount > 0 ? data.nullBitmap : null;
  let maxBits = 0, minBits = 0x7ff, nonFinite = false, min = Infinity, max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    if (bitmap) {
      const bit = data.offset + i;
      if (((bitmap[bit >> 3] >> (bit & 7)) & 1) === 0) continue;
    }
    // The float64 exponent field of the value (a float32's as the float64 of the same value, its
    // subnormals normal there), and whether the value is nonzero.
    let e: number, nonzero: boolean;
    if (single) {
      const b = w[i], m = b & 0x7fffff;
      e = (b >>> 23) & 0xff;
      nonzero = e > 0 || m !== 0;
      e = e === 0xff ? 0x7ff : e > 0 ? e + 896 : m !== 0 ? 905 - Math.clz32(m) : 0;
    } else {
      const h = w[2 * i + 1];
      e = (h >>> 20) & 0x7ff;
      nonzero = e > 0 || (h & 0xfffff) !== 0 || w[2 * i] !== 0;
    }
    if (e === 0x7ff) { nonFinite = true; continue; }
    if (e > maxBits) maxBits = e;
    if (e < minBits && nonzero) minBits = e;
    const x = v[i];
    if (x < min) min = x;
    if (x > max) max = x;
  }
  s = {
    maxE: Math.max(-1022, maxBits - 1022),
    minE: minBits === 0x7ff ? Infinity : minBits === 0 ? -1074 : minBits - 1023,
    min, max, nonFinite,
  };
  cache.set(data, s);
  return s;
}

export function mergeStats(parts: readonly F64Stats[]): F64Stats {
  return parts.reduce((a, b) => ({
    maxE: Math.max(a.maxE, b.maxE), minE: Math.min(a.minE, b.minE), min: Math.min(a.min, b.min), max: Math.max(a.max, b.max), nonFinite: a.nonFinite || b.nonFinite,
  }), { maxE: -1022, minE: Infinity, min: Infinity, max: -Infinity, nonFinite: false });
}

/** Double-float operands must lie in [2^-100, 2^100) (f32 range, with room for products). */
const DF_RANGE = 100;

/** Largest |value| an argument can take (interval arithmetic), checking the double-float range. */
function bound(e: TExpr, stats: (column: string) => F64Stats): number {
  switch (e.kind) {
    case 'col': {
      if (!isFloat(e.dtype)) return intBound(e);
      const s = stats(e.name);
      if (s.nonFinite) throw new GpuUnsupported(`float arithmetic over column '${e.name}' with NaN or infinite values`);
      if (s.maxE > DF_RANGE || s.minE < -DF_RANGE) throw new GpuUnsupported(`float arithmetic over column '${e.name}' beyond the double-float range 2^±${DF_RANGE}`);
      return 2 ** s.maxE;
    }
    case 'lit': return Math.abs(Number(e.value));
    case 'arith': {
      const a = bound(e.left, stats), b = bound(e.right, stats);
      const r = e.op === 'mul' ? a * b : a + b;
      if (!(r < 2 ** DF_RANGE)) throw new GpuUnsupported('float arithmetic whose values may exceed the double-float range');
      return r;
    }
    default: throw new GpuUnsupported(`float sum of a ${e.kind} expression`);
  }
}

/** The fixed-point shift S of a float sum's argument over a task of `rows` rows. */
export function sumShift(arg: TExpr, stats: (column: string) => F64Stats, rows: number): number {
  if (arg.kind === 'col') return 96 - stats(arg.name).maxE;
  const rowBits = Math.max(8, Math.ceil(Math.log2(rows + 1))); // L
  const largest = bound(arg, stats);
  // E; +1: double-float rounding may carry a value just past the bound.
  const exponent = largest === 0 ? -DF_RANGE : Math.floor(Math.log2(largest)) + 2;
  return 127 - exponent - rowBits;
}
