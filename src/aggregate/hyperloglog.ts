/**
 * approxCountDistinct as a HyperLogLog sketch (Flajolet et al.; 64-bit hashes as in HLL++) whose
 * registers are the aggregate's state: m = 2^p registers of 6 bits, 8 to a Float64 field (48 bits,
 * exact), merged by register-wise max, so the sketch of a group is the same however its rows were
 * split. The count is Ertl's improved estimator ("New cardinality estimation algorithms for
 * HyperLogLog sketches", 2017), unbiased from 0 to beyond 2^40 without HLL++'s empirical bias
 * tables; its relative standard error is 1.04 / √m.
 *
 * A row's value becomes two 32-bit words (an integer's (low, high), a float's bits with -0 as 0 and
 * one NaN, a string's two MurmurHash3s), hashed with two seeds into 64 bits: the first p bits pick
 * the register, the position of the first 1 among the other 64 − p is its rank.
 */
import { InvalidOptionError } from '../errors.ts';
import type { State } from './registry.ts';

export const HLL_MIN_P = 4;
export const HLL_MAX_P = 14;
/** The seeds of the two 32-bit halves of a value's hash (and of a string's two words). */
export const HLL_SEEDS = [0x4c4c_0001, 0x4c4c_0002] as const;

/** Register precision for a relative standard error, as Spark chooses it: p = ⌈2·log2(1.106 / rsd)⌉. */
export function hllPrecision(relativeError: number): number {
  if (typeof relativeError !== 'number' || !(relativeError >= 0.01 && relativeError <= 0.39)) {
    throw new InvalidOptionError(`approxCountDistinct: relativeError must be a number in [0.01, 0.39], got ${String(relativeError)}`);
  }
  return Math.min(HLL_MAX_P, Math.max(HLL_MIN_P, Math.ceil(2 * Math.log2(1.106 / relativeError))));
}

/** Float64 fields of a sketch of precision p. */
export const hllFields = (p: number): number => (1 << p) / 8;

/** 64^j: the place of register j of a field. */
export const REGISTER_PLACE = Array.from({ length: 8 }, (_, j) => 64 ** j);

/**
 * JS statements that fold the value words (w0, w1) into the sketch whose fields start at the
 * lvalue-able array element `field0` (`A[gs + 5]`: its array and base index are split off).
 */
export function hllUpdateSource(p: number, w0: string, w1: string, field0: string, hashSource: (words: readonly string[], seed: number, out: string) => string): string {
  const m = /^(\w+)\[(.+)\]$/.exec(field0);
  if (!m) throw new Error(`hll: field ${field0} is not an array element`);
  const [, array, base] = m;
  return [
    '{',
    hashSource([w0, w1], HLL_SEEDS[0], 'ha'),
    hashSource([w0, w1], HLL_SEEDS[1], 'hb'),
    `const idx = ha >>> ${32 - p}, rest = (ha << ${p}) | 0;`,
    `const rank = rest !== 0 ? Math.clz32(rest) + 1 : ${32 - p} + Math.clz32(hb) + 1;`,
    `const fi = ${base} + (idx >> 3), place = HLL_PLACE[idx & 7], cur = Math.floor(${array}[fi] / place) % 64;`,
    `if (rank > cur) ${array}[fi] += (rank - cur) * place;`,
    '}',
  ].join('\n');
}

/** Register-wise max of sketch s of src into sketch d of dst. */
export function hllMerge(dst: State, d: number, src: State, s: number): void {
  for (let f = 0; f < dst.length; f++) {
    let a = dst[f][d], b = src[f][s];
    if (b === 0 || a === b) continue;
    if (a === 0) { dst[f][d] = b; continue; }
    let out = 0;
    for (let j = 0; j < 8; j++) {
      const ra = a % 64, rb = b % 64;
      out += (ra > rb ? ra : rb) * REGISTER_PLACE[j];
      a = (a - ra) / 64;
      b = (b - rb) / 64;
    }
    dst[f][d] = out;
  }
}

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1, z = x;
  for (;;) {
    x *= x;
    const before = z;
    z += x * y;
    y += y;
    if (z === before) return z;
  }
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1, z = 1 - x;
  for (;;) {
    x = Math.sqrt(x);
    const before = z;
    y *= 0.5;
    z -= (1 - x) ** 2 * y;
    if (z === before) return z / 3;
  }
}

/** The estimated count of sketch g of a state of precision p (Ertl's improved estimator), rounded. */
export function hllEstimate(st: State, g: number, p: number): number {
  const m = 1 << p, q = 64 - p;
  const c = new Float64Array(q + 2);
  for (const field of st) {
    let x = field[g];
    for (let j = 0; j < 8; j++) {
      const r = x % 64;
      c[r]++;
      x = (x - r) / 64;
    }
  }
  if (c[0] === m) return 0;
  let z = m * tau(1 - c[q + 1] / m);
  for (let k = q; k >= 1; k--) z = 0.5 * (z + c[k]);
  z += m * sigma(c[0] / m);
  return Math.round(m * m / (2 * Math.LN2) / z);
}
