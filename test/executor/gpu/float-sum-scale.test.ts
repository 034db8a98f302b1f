/**
 * Value ranges of float columns (the float sums' fixed-point scale and exactness rest on them):
 * a float32 column's are those of the same values as float64, subnormals, zeros, NaN and nulls
 * included.
 */
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { f64Stats } from '../../../src/executor/gpu/float-sum-scale.ts';
import { Rng } from '../../support/random.ts';

describe('f64Stats', () => {
  it('of a float32 column equals that of the same values as float64', () => {
    const rng = new Rng(5);
    for (let c = 0; c < 40; c++) {
      const n = rng.int(0, 300);
      const values = Array.from({ length: n }, () => rng.weighted<() => number | null>([
        [1, () => null],
        [1, () => rng.pick([0, -0, NaN, Infinity, -Infinity, 2 ** -149, -(2 ** -126), 3.4028234663852886e38])],
        [6, () => Math.fround((rng.bool() ? 1 : -1) * (1 + rng.next()) * 2 ** rng.int(c % 2 ? -149 : -20, c % 3 ? 127 : 20))],
      ])());
      const single = f64Stats(arrow.vectorFromArray(values, new arrow.Float32()).data[0]);
      const double = f64Stats(arrow.vectorFromArray(values, new arrow.Float64()).data[0]);
      expect(single, JSON.stringify(values)).toEqual(double);
    }
  });

  it('bounds the finite values: |x| < 2^maxE, the smallest nonzero |x| ≥ 2^minE', () => {
    const s = f64Stats(arrow.vectorFromArray([0.75, -3, 2 ** -149, null, NaN], new arrow.Float32()).data[0]);
    expect(s).toEqual({ maxE: 2, minE: -149, min: -3, max: 0.75, nonFinite: true });
    expect(f64Stats(arrow.vectorFromArray([0, -0, null], new arrow.Float32()).data[0]).minE).toBe(Infinity);
  });
});
