import { describe, expect, it } from 'vitest';
import { exactSum, floatMatches, fromUnits, sumBound, toUnits } from './float-compare.ts';

describe('float-compare', () => {
  it('non-finite values compare exactly, whatever the bound', () => {
    expect(floatMatches(Infinity, -Infinity, Infinity)).toBe(false);
    expect(floatMatches(Infinity, 1e308, 1e308)).toBe(false);
    expect(floatMatches(Number.NaN, 0, Infinity)).toBe(false);
    expect(floatMatches(Number.NaN, Number.NaN, 0)).toBe(true);
    expect(floatMatches(-Infinity, -Infinity, 0)).toBe(true);
    expect(floatMatches(-0, 0, 0)).toBe(true);
    expect(floatMatches(null, 0, 1)).toBe(false);
    expect(floatMatches(null, undefined, 0)).toBe(true);
    expect(floatMatches(1 + 2 ** -52, 1, 0)).toBe(false);
    expect(floatMatches(1 + 2 ** -52, 1, 2 ** -52)).toBe(true);
  });

  it('units round-trip every kind of double exactly', () => {
    for (const x of [0, -0, 1, -1.5, 0.1, 5e-324, -2.2250738585072014e-308, 1.7976931348623157e308, 123456.789e-200]) {
      expect(Object.is(fromUnits(toUnits(x)), x === 0 ? 0 : x) || fromUnits(toUnits(x)) === x).toBe(true);
    }
    expect(toUnits(5e-324)).toBe(1n);
    expect(toUnits(1)).toBe(1n << 1074n);
  });

  it('exactSum has no rounding until the end', () => {
    expect(exactSum([1e16, 1, -1e16])).toBe(1);
    expect(exactSum([0.1, 0.2, -0.3])).toBe(fromUnits(toUnits(0.1) + toUnits(0.2) - toUnits(0.3)));
    expect(exactSum([0.1, 0.2, -0.3])).not.toBe(0.1 + 0.2 - 0.3);
    expect(exactSum([1.7976931348623157e308, 1.7976931348623157e308, -1.7976931348623157e308])).toBe(1.7976931348623157e308);
    expect(exactSum([Infinity, 1])).toBe(Infinity);
    expect(exactSum([Infinity, -Infinity])).toBeNaN();
    expect(sumBound('gpu', 100, 0)).toBeCloseTo(1e-11, 20);
  });
});
