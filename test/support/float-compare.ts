/**
 * One float comparison for every suite, and exact float sums to check against.
 *
 * - `floatMatches` (defined with the shared result comparison, bench/compare-rows.ts):
 *   non-finite values compare exactly: NaN only equals NaN, +Inf only +Inf, -Inf only -Inf (a
 *   bound never lets an infinity pass). -0 equals 0, as the engine defines it.
 * - Finite values compare within an absolute bound that the caller derives from the documented
 *   error of the path (SUM_ERROR) and the group's own Σ|x|; min and max pass a bound of 0.
 * - `exactSum` adds doubles with no rounding at all (BigInt units of 2^-1074), the reference a sum
 *   is checked against.
 */

export { floatMatches } from '../../bench/compare-rows.ts';

/** The unit roundoff of float64. */
export const U = 2 ** -53;

/**
 * The documented error of a float sum, relative to the group's Σ|x|:
 * cpu: Neumaier-compensated per task and merged compensated (README: Types and semantics);
 * gpu: 128-bit fixed point per task, each group held to 1e-13·Σ|x| (src/executor/gpu/gpu-states.ts).
 */
export const SUM_ERROR = { cpu: 4 * U, gpu: 1e-13 } as const;

/** The bound for a float sum: the path's error on Σ|x| plus the rounding of the result itself. */
export function sumBound(path: keyof typeof SUM_ERROR, absSum: number, result: number): number {
  return SUM_ERROR[path] * absSum + 2 * U * Math.abs(result);
}

const view = new DataView(new ArrayBuffer(8));

/** A finite double as an exact BigInt count of 2^-1074 (the smallest subnormal). */
export function toUnits(x: number): bigint {
  if (!Number.isFinite(x)) throw new RangeError(`toUnits: ${x} is not finite`);
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const exp = (hi >>> 20) & 0x7ff;
  const mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  const units = exp === 0 ? mant : (mant | (1n << 52n)) << BigInt(exp - 1);
  return hi >>> 31 ? -units : units;
}

/** Units of 2^-1074 back to the nearest double (within one rounding). */
export function fromUnits(u: bigint): number {
  const neg = u < 0n;
  const a = neg ? -u : u;
  const shift = Math.max(0, a.toString(2).length - 1000);
  const x = Number(a >> BigInt(shift)) * 2 ** (shift - 1074);
  return neg ? -x : x;
}

/** The exact sum of finite doubles, rounded once at the end; non-finite inputs follow IEEE (NaN, ±Inf). */
export function exactSum(xs: Iterable<number>): number {
  let units = 0n;
  let posInf = false;
  let negInf = false;
  for (const x of xs) {
    if (Number.isNaN(x)) return Number.NaN;
    if (x === Infinity) posInf = true;
    else if (x === -Infinity) negInf = true;
    else units += toUnits(x);
  }
  if (posInf && negInf) return Number.NaN;
  if (posInf) return Infinity;
  if (negInf) return -Infinity;
  return fromUnits(units);
}
