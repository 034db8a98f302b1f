/**
 * Host reads of GPU slot words (gpu-accumulators.ts decode): a word the slot array may drop, a
 * total-order key back to its float64, and a fixed-point float sum back to an exact double-double.
 */

const f64 = new Float64Array(1);
const f64Words = new Uint32Array(f64.buffer);

/** The word at offset o of the slot at word b (0 where the slot array drops it, o < 0). */
export const slotWord = (acc: Uint32Array, b: number, o: number): number => (o < 0 ? 0 : acc[b + o]!);

/** The float64 of a total-order key (see fkey in shaders/f64.wgsl). */
export function keyToF64(hi: number, lo: number): number {
  if (hi === 0xffffffff && lo === 0xffffffff) return NaN;
  if (hi & 0x80000000) { f64Words[1] = hi & 0x7fffffff; f64Words[0] = lo; } else { f64Words[1] = ~hi; f64Words[0] = ~lo; }
  return f64[0];
}

/**
 * Exact value Σ d_k·2^(32k) · 2^-S (d_k = p_k - n_k) as a double-double, written to hiOut[i],
 * loOut[i] (sa·sb = 2^-S, split in two factors that stay normal). No per-group allocation.
 */
export function fixedToF64(d0: number, d1: number, d2: number, d3: number, sa: number, sb: number, hiOut: Float64Array, loOut: Float64Array, i: number): void {
  let s = 0, c = 0, t: number, u: number, bb: number;
  t = d3 * 79228162514264337593543950336; // 2^96
  u = s + t; bb = u - s; c += (s - (u - bb)) + (t - bb); s = u;
  t = d2 * 18446744073709551616; // 2^64
  u = s + t; bb = u - s; c += (s - (u - bb)) + (t - bb); s = u;
  t = d1 * 4294967296; // 2^32
  u = s + t; bb = u - s; c += (s - (u - bb)) + (t - bb); s = u;
  t = d0;
  u = s + t; bb = u - s; c += (s - (u - bb)) + (t - bb); s = u;
  const hi = s + c;
  const lo = c - (hi - s);
  hiOut[i] = hi * sa * sb;
  loOut[i] = lo * sa * sb;
}
