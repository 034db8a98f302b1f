/** The option checks' messages: the option named, the value shown as given. */
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../src/index.ts';
import { checkActionOptions, checkKeys, describeValue, intAtLeast, optionalFunction } from '../src/option-checks.ts';

describe('option checks', () => {
  it('show a value so that its kind is plain', () => {
    expect([
      '2', 2, 2n, 1.5, NaN, -Infinity, null, undefined, true, [1], {}, Object.create(null), () => 1, new Date(0), new Date('x'), Symbol('s'),
    ].map(describeValue)).toEqual([
      "'2'", '2', '2n', '1.5', 'NaN', '-Infinity', 'null', 'undefined', 'true', 'an array', 'an object (Object)', 'an object (no prototype)',
      'a function', 'Date 1970-01-01T00:00:00.000Z', 'an invalid Date', 'Symbol(s)',
    ]);
  });

  it('take integers at or above the bound, and the fallback for undefined', () => {
    expect(intAtLeast('cores', undefined, 1, 7)).toBe(7);
    expect(intAtLeast('cores', 1, 1, 7)).toBe(1);
    expect(intAtLeast('bytes', 0, 0, 7)).toBe(0);
    for (const v of [0, 1.5, NaN, Infinity, 2 ** 53, '3', 3n, null]) {
      expect(() => intAtLeast('cores', v, 1, 7)).toThrow(new InvalidOptionError(`cores must be an integer >= 1, got ${describeValue(v)}`));
    }
  });

  it('name an unknown key and list the known ones; refuse what is not an options object', () => {
    expect(() => checkKeys('x', { a: 1, b: 2 }, ['a', 'b'])).not.toThrow();
    expect(() => checkKeys('x', undefined, ['a'])).not.toThrow();
    expect(() => checkKeys('x', { c: 1 }, ['a', 'b'])).toThrow(new InvalidOptionError("unknown x option 'c'; the options are a, b"));
    for (const v of [null, 3, 'a', [1]]) expect(() => checkKeys('x', v, ['a'])).toThrow(`x takes an options object, got ${describeValue(v)}`);
  });

  it('take functions and AbortSignals where they are due', () => {
    const f = () => {};
    expect(optionalFunction('onProgress', f)).toBe(f);
    expect(optionalFunction('onProgress', undefined)).toBeUndefined();
    expect(() => optionalFunction('onProgress', 1)).toThrow('onProgress must be a function, got 1');
    expect(() => checkActionOptions({ signal: new AbortController().signal })).not.toThrow();
    expect(() => checkActionOptions({})).not.toThrow();
    expect(() => checkActionOptions({ signal: 'stop' })).toThrow("signal must be an AbortSignal, got 'stop'");
  });
});
