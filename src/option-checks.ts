/**
 * Checks of user-supplied options: each wrong value is an InvalidOptionError naming the option and
 * showing the value as given (a string quoted, so that '4' and 4 read differently).
 */
import { InvalidOptionError } from './errors.ts';

/** A value as an error message shows it: strings quoted, bigints with n, objects by kind. */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'an invalid Date' : `Date ${v.toISOString()}`;
  if (typeof v === 'object' && v !== null) return `an object (${v.constructor?.name ?? 'no prototype'})`;
  return String(v);
}

/** An options object (or undefined): anything else, or a key not in `known`, is an InvalidOptionError. */
export function checkKeys(what: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidOptionError(`${what} takes an options object, got ${describeValue(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) throw new InvalidOptionError(`unknown ${what} option '${k}'; the options are ${known.join(', ')}`);
  }
}

/** An integer ≥ min, or `fallback` when undefined. */
export function intAtLeast(name: string, v: unknown, min: number, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw new InvalidOptionError(`${name} must be an integer >= ${min}, got ${describeValue(v)}`);
  }
  return v;
}

/** An integer in [min, max], or `fallback` when undefined; `why` says where max comes from. */
export function intInRange(name: string, v: unknown, min: number, max: number, fallback: number, why: string): number {
  const n = intAtLeast(name, v, min, fallback);
  if (n > max) throw new InvalidOptionError(`${name} must be at most ${max} (${why}), got ${describeValue(v)}`);
  return n;
}

/** A function, or undefined. */
export function optionalFunction<T>(name: string, v: T | undefined): T | undefined {
  if (v !== undefined && typeof v !== 'function') throw new InvalidOptionError(`${name} must be a function, got ${describeValue(v)}`);
  return v;
}

/** An action's options: `signal`, when given, must be an AbortSignal. */
export function checkActionOptions(options: unknown): void {
  checkKeys('action', options, ['signal']);
  const signal = (options as { signal?: unknown } | undefined)?.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidOptionError(`signal must be an AbortSignal, got ${describeValue(signal)}`);
  }
}
