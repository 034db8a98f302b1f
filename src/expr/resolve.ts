/**
 * Type checking: binds column names to the input schema and gives every node its result type and
 * its evaluation mode. Errors here are raised at plan time, before any task runs.
 */
import { exprToString, type ArithOp, type CmpOp, type Expr, type LitValue } from './expr.ts';
import { TypeMismatchError, UnknownColumnError } from '../errors.ts';
import type { StrMatchOp } from './string-match.ts';
import { decimalType, intRange, isDecimal, isDecimal128, isInteger, isNumeric, isTemporal, isWide, MAX_DECIMAL_PRECISION, sameType, typeName, type DType } from '../types.ts';
import { scaledLiteral } from '../arrow/decimal.ts';

export interface Field {
  readonly name: string;
  readonly dtype: DType;
  /** Set when the Arrow type is not supported: the Arrow type's name. */
  readonly unsupported?: string;
}
export type Schema = readonly Field[];

export const BOOL: DType = { id: 'bool' };
const INT64: DType = { id: 'int64' };
const FLOAT64: DType = { id: 'float64' };

/** A literal after coercion: numbers, bigints (64-bit values), gids of strings are bound per task. */
export type LitScalar = number | bigint | string | boolean | null;

/**
 * How a comparison is evaluated: `num` as JS numbers, `wide` as exact (hi, lo) 32-bit word pairs,
 * `exact` as exact integers of any width (decimals beyond 64 bits, exact arithmetic: CPU only),
 * `str` as equality of string ids, `null` when one side is the null literal (always null).
 */
export type CmpMode = 'num' | 'wide' | 'exact' | 'str' | 'null';

export type TExpr =
  | { kind: 'col'; name: string; dtype: DType }
  | { kind: 'lit'; value: LitScalar; dtype: DType | null }
  | { kind: 'cmp'; op: CmpOp; left: TExpr; right: TExpr; mode: CmpMode; dtype: DType }
  | { kind: 'logic'; op: 'and' | 'or'; left: TExpr; right: TExpr; dtype: DType }
  | { kind: 'not'; arg: TExpr; dtype: DType }
  | { kind: 'isNull'; negated: boolean; arg: TExpr; dtype: DType }
  | { kind: 'in'; arg: TExpr; list: TExpr[]; mode: CmpMode; dtype: DType }
  | { kind: 'arith'; op: ArithOp; left: TExpr; right: TExpr; dtype: DType; bound: number; exact?: boolean }
  | { kind: 'strMatch'; op: StrMatchOp; arg: TExpr; pattern: string; dtype: DType };

export function fieldOf(schema: Schema, name: string): Field {
  const f = schema.find((x) => x.name === name);
  if (!f) throw new UnknownColumnError(name, schema.map((x) => x.name));
  return f;
}

function literalType(v: LitValue): DType | null {
  if (v === null) return null;
  switch (typeof v) {
    case 'number': return Number.isInteger(v) ? INT64 : FLOAT64;
    case 'bigint': return v > 0x7fffffffffffffffn ? { id: 'uint64' } : INT64;
    case 'string': return { id: 'utf8' };
    case 'boolean': return BOOL;
    default: return { id: 'timestamp', unit: 'ms', tz: null };
  }
}

/**
 * The largest |value| an integer-typed (or decimal: unscaled) expression can take, used to keep
 * integer arithmetic exact.
 */
export function intBound(e: TExpr): number {
  if (e.kind === 'lit') return typeof e.value === 'bigint' ? Math.abs(Number(e.value)) : Math.abs(Number(e.value));
  if (e.kind === 'arith') return e.bound;
  const [lo, hi] = intRange(e.dtype!);
  return Math.max(-lo, hi);
}

export function resolve(e: Expr, schema: Schema): TExpr {
  switch (e.kind) {
    case 'col': return { kind: 'col', name: e.name, dtype: fieldOf(schema, e.name).dtype };
    case 'lit': {
      const v = e.value;
      return { kind: 'lit', value: v instanceof Date ? v.getTime() : v, dtype: literalType(v) };
    }
    case 'cmp': return resolveCmp(e.op, resolve(e.left, schema), resolve(e.right, schema), e);
    case 'logic': {
      const left = predicate(resolve(e.left, schema), e.left);
      const right = predicate(resolve(e.right, schema), e.right);
      return { kind: 'logic', op: e.op, left, right, dtype: BOOL };
    }
    case 'not': return { kind: 'not', arg: predicate(resolve(e.arg, schema), e.arg), dtype: BOOL };
    case 'isNull': return { kind: 'isNull', negated: e.negated, arg: resolve(e.arg, schema), dtype: BOOL };
    case 'in': return resolveIn(resolve(e.arg, schema), e.list.map((x) => resolve(x, schema)), e);
    case 'arith': return resolveArith(e.op, resolve(e.left, schema), resolve(e.right, schema), e);
    case 'strMatch': {
      const arg = resolve(e.arg, schema);
      if (arg.dtype !== null && arg.dtype.id !== 'utf8') {
        throw new TypeMismatchError(`${e.op} needs a string, got ${typeName(arg.dtype)}: ${exprToString(e)}`);
      }
      return { kind: 'strMatch', op: e.op, arg, pattern: e.pattern, dtype: BOOL };
    }
  }
}

/** A filter or logical operand must be boolean (a null literal is allowed: it is unknown). */
export function predicate(t: TExpr, source: Expr): TExpr {
  if (t.dtype !== null && t.dtype.id !== 'bool') {
    throw new TypeMismatchError(`expected a boolean expression, got ${typeName(t.dtype)}: ${exprToString(source)}`);
  }
  return t;
}

const isNullLit = (t: TExpr): boolean => t.kind === 'lit' && t.value === null;
const isIntegral = (t: TExpr): boolean =>
  t.dtype !== null && (isInteger(t.dtype) || (t.kind === 'lit' && t.dtype.id === 'int64'));

/** Stored units per millisecond, as a fraction [mul, div]. */
const UNIT_PER_MS = { s: [1n, 1000n], ms: [1n, 1n], us: [1000n, 1n], ns: [1000000n, 1n] } as const;

/** Converts a literal compared with a temporal column into that column's stored units. */
function temporalLiteral(lit: TExpr & { kind: 'lit' }, target: DType, source: Expr): TExpr {
  let ms: number;
  const v = lit.value;
  if (typeof v === 'string') {
    ms = Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v);
    if (Number.isNaN(ms)) throw new TypeMismatchError(`'${v}' is not a date or timestamp: ${exprToString(source)}`);
  } else if (lit.dtype?.id === 'timestamp') {
    ms = v as number;
  } else if (typeof v === 'number' || typeof v === 'bigint') {
    return { kind: 'lit', value: isWide(target) ? BigInt(v) : Number(v), dtype: target }; // raw stored units
  } else {
    throw new TypeMismatchError(`cannot compare ${typeName(target)} with ${String(v)}: ${exprToString(source)}`);
  }
  if (target.id === 'date32') {
    if (ms % 86400000 !== 0) throw new TypeMismatchError(`'${String(v)}' is not a whole date: ${exprToString(source)}`);
    return { kind: 'lit', value: ms / 86400000, dtype: target };
  }
  const [mul, div] = target.id === 'timestamp' ? UNIT_PER_MS[target.unit ?? 'ms'] : UNIT_PER_MS.ms;
  const scaled = BigInt(ms) * mul;
  const floor = scaled / div - (scaled % div < 0n ? 1n : 0n);
  const out: TExpr = { kind: 'lit', value: floor, dtype: target };
  if (scaled % div !== 0n) between.add(out);
  return out;
}

/**
 * Temporal literals that fall between two values of the column's unit (1500 ms against seconds):
 * they hold the floor, and resolveCmp rewrites the comparison so that it stays exact.
 */
const between = new WeakSet<TExpr>();

const FLIP: Record<CmpOp, CmpOp> = { eq: 'eq', ne: 'ne', lt: 'gt', le: 'ge', gt: 'lt', ge: 'le' };

/**
 * `column OP v` where the column's unit cannot hold v exactly and `f` holds floor(v):
 * column < v and column <= v are column <= f; column > v and column >= v are column > f;
 * column = v never holds (f < column < f + 1), column != v always does (nulls stay null).
 */
function betweenCmp(op: CmpOp, column: TExpr, f: TExpr & { kind: 'lit' }, mode: CmpMode): TExpr {
  const cmp = (o: CmpOp, value: bigint): TExpr => ({ kind: 'cmp', op: o, left: column, right: { kind: 'lit', value, dtype: f.dtype }, mode, dtype: BOOL });
  const v = f.value as bigint;
  switch (op) {
    case 'lt': case 'le': return cmp('le', v);
    case 'gt': case 'ge': return cmp('gt', v);
    case 'eq': return { kind: 'logic', op: 'and', left: cmp('gt', v), right: cmp('lt', v + 1n), dtype: BOOL };
    case 'ne': return { kind: 'logic', op: 'or', left: cmp('le', v), right: cmp('ge', v + 1n), dtype: BOOL };
  }
}

/** Decides how two operands compare, coercing literals to the other side's type where SQL would. */
function comparable(left: TExpr, right: TExpr, op: CmpOp, source: Expr): { left: TExpr; right: TExpr; mode: CmpMode } {
  if (isNullLit(left) || isNullLit(right)) return { left, right, mode: 'null' };
  const lt = left.dtype!, rt = right.dtype!;
  const mismatch = () =>
    new TypeMismatchError(`cannot compare ${typeName(lt)} with ${typeName(rt)}: ${exprToString(source)}`);
  if (isTemporal(lt) || isTemporal(rt)) {
    if (isTemporal(lt) && right.kind === 'lit' && !isTemporal(rt)) right = temporalLiteral(right, lt, source);
    else if (isTemporal(rt) && left.kind === 'lit' && !isTemporal(lt)) left = temporalLiteral(left, rt, source);
    else if (left.kind === 'lit' && isTemporal(rt)) left = temporalLiteral(left, rt, source);
    else if (right.kind === 'lit' && isTemporal(lt)) right = temporalLiteral(right, lt, source);
    else if (!sameType(lt, rt)) throw mismatch();
    return { left, right, mode: isWide(left.dtype!) || isWide(right.dtype!) ? 'wide' : 'num' };
  }
  if ((isDecimal(lt) && isNumberText(right)) || (isDecimal(rt) && isNumberText(left))) return decimalComparable(left, right, source, mismatch);
  if (lt.id === 'utf8' || rt.id === 'utf8') {
    if (lt.id !== 'utf8' || rt.id !== 'utf8') throw mismatch();
    if (op !== 'eq' && op !== 'ne') {
      throw new TypeMismatchError(`strings support only = and != comparisons (and isIn): ${exprToString(source)}`);
    }
    return { left, right, mode: 'str' };
  }
  if (lt.id === 'bool' || rt.id === 'bool') {
    if (lt.id !== 'bool' || rt.id !== 'bool') throw mismatch();
    return { left, right, mode: 'num' };
  }
  if (isDecimal(lt) || isDecimal(rt)) return decimalComparable(left, right, source, mismatch);
  if (!isNumeric(lt) || !isNumeric(rt)) throw mismatch();
  const wide = (isWide(lt) && left.kind !== 'lit') || (isWide(rt) && right.kind !== 'lit') ||
    (left.kind === 'lit' && typeof left.value === 'bigint') || (right.kind === 'lit' && typeof right.value === 'bigint');
  return { left, right, mode: wide && isIntegral(left) && isIntegral(right) ? 'wide' : 'num' };
}

function resolveCmp(op: CmpOp, left: TExpr, right: TExpr, source: Expr): TExpr {
  const c = comparable(left, right, op, source);
  if (between.has(c.right)) return betweenCmp(op, c.left, c.right as TExpr & { kind: 'lit' }, c.mode);
  if (between.has(c.left)) return betweenCmp(FLIP[op], c.right, c.left as TExpr & { kind: 'lit' }, c.mode);
  return { kind: 'cmp', op, left: c.left, right: c.right, mode: c.mode, dtype: BOOL };
}

function resolveIn(arg: TExpr, list: TExpr[], source: Expr): TExpr {
  if (list.some((x) => x.kind !== 'lit')) throw new TypeMismatchError(`isIn takes literal values: ${exprToString(source)}`);
  let mode: CmpMode = 'null';
  const modes = new Set<CmpMode>();
  const coerced = list.map((x) => {
    if (isNullLit(x)) return x;
    const c = comparable(arg, x, 'eq', source);
    if (mode === 'null' || c.mode === 'num') mode = c.mode;
    modes.add(c.mode);
    return c.right;
  });
  // x IN (a, b) is x = a OR x = b; a literal between two of the column's values needs the
  // rewrite, as does a decimal whose literals compare in different modes (some as Float64,
  // beyond its range, which reads the operand converted; some exactly).
  if (coerced.some((x) => between.has(x)) || (isDecimal(arg.dtype) && modes.size > 1)) {
    return list.map((x) => resolveCmp('eq', arg, x, source)).reduce((a, b) => ({ kind: 'logic', op: 'or', left: a, right: b, dtype: BOOL }));
  }
  return { kind: 'in', arg, list: coerced, mode, dtype: BOOL };
}

function resolveArith(op: ArithOp, left: TExpr, right: TExpr, source: Expr): TExpr {
  if (isDecimal(left.dtype) || isDecimal(right.dtype)) return decimalArith(op, left, right, source);
  for (const t of [left, right]) {
    if (t.dtype !== null && !isNumeric(t.dtype)) {
      throw new TypeMismatchError(`arithmetic needs numbers, got ${typeName(t.dtype)}: ${exprToString(source)}`);
    }
  }
  // Integer arithmetic stays an exact Int64 while its static bound fits a double's 53 bits; beyond
  // that (int64 columns, products of wide ints) it is evaluated in Float64, as documented.
  if (op !== 'div' && isIntegral(left) && isIntegral(right) && left.dtype !== null && right.dtype !== null) {
    const a = intBound(left), b = intBound(right);
    const bound = op === 'mul' ? a * b : a + b;
    if (bound <= Number.MAX_SAFE_INTEGER) return { kind: 'arith', op, left, right, dtype: INT64, bound };
  }
  return { kind: 'arith', op, left, right, dtype: FLOAT64, bound: Infinity };
}

/** A string literal holding a number: a decimal literal beyond what a JS number holds exactly ('12345678901234567890.25'). */
const isNumberText = (e: TExpr): boolean => e.kind === 'lit' && typeof e.value === 'string' && scaledLiteral(e.value, 0) !== null;

const MAX_EXACT = Number.MAX_SAFE_INTEGER;
const INT64_MAX = (1n << 63n) - 1n;
/** The largest unscaled value of a Decimal128 (38 digits), as a bound. */
const DECIMAL128_BOUND = 1e38;

/** Is this decimal expression beyond 64 bits: a 128-bit column, or arithmetic evaluated exactly (to-js.ts's emitExact)? */
export const isExactValued = (e: TExpr): boolean => isDecimal128(e.dtype) || (e.kind === 'arith' && e.exact === true);

/** A decimal expression as a Float64 (its unscaled value over 10^scale, rounded once). */
export function decimalAsFloat(e: TExpr): TExpr {
  if (!isDecimal(e.dtype)) return e;
  return { kind: 'arith', op: 'div', left: e, right: { kind: 'lit', value: 10 ** e.dtype!.scale!, dtype: FLOAT64 }, dtype: FLOAT64, bound: Infinity };
}

/**
 * An operand of decimal arithmetic or comparison as a decimal: decimals as they are, integers as
 * decimal(digits, 0), number literals exactly as written (0.05 is decimal(3, 2)); null when it is
 * a float, which takes the other operand to Float64.
 */
function asDecimal(e: TExpr, source: Expr): TExpr | null {
  if (e.dtype === null || isDecimal(e.dtype)) return e;
  if (e.kind === 'lit' && (typeof e.value === 'number' || typeof e.value === 'bigint' || typeof e.value === 'string')) {
    const text = String(e.value);
    const scale = Math.max(0, (/\.(\d*)/.exec(text)?.[1] ?? '').length - Number(/e([+-]?\d+)$/i.exec(text)?.[1] ?? 0));
    const lit = scaledLiteral(e.value, scale);
    if (lit === null || !lit.exact) {
      throw new TypeMismatchError(`'${String(e.value)}' is not a number a decimal can be compared or computed with: ${exprToString(source)}`);
    }
    const digits = lit.floor < 0n ? (-lit.floor).toString().length : lit.floor.toString().length;
    return { kind: 'lit', value: lit.floor, dtype: decimalType(Math.min(MAX_DECIMAL_PRECISION, Math.max(digits, scale + 1)), scale) };
  }
  if (isInteger(e.dtype)) {
    // Typed decimal(digits, 0), evaluated as the integer it is (times 1).
    const digits = Math.max(1, Math.ceil(Math.log10(intBound(e) + 1)));
    return exactArith('mul', e, { kind: 'lit', value: 1n, dtype: decimalType(1, 0) }, decimalType(Math.min(MAX_DECIMAL_PRECISION, digits), 0));
  }
  return null;
}

/** A decimal expression times 10^k (k ≥ 0): the same value at scale + k. */
function rescale(e: TExpr, k: number): TExpr {
  if (k === 0) return e;
  const t = e.dtype!, factor = 10n ** BigInt(k);
  if (e.kind === 'lit') return { kind: 'lit', value: (e.value as bigint) * factor, dtype: decimalType(Math.min(MAX_DECIMAL_PRECISION, t.precision! + k), t.scale! + k) };
  return exactArith('mul', e, { kind: 'lit', value: factor, dtype: decimalType(k + 1, 0) }, decimalType(Math.min(MAX_DECIMAL_PRECISION, t.precision! + k), t.scale! + k));
}

/**
 * Arithmetic on unscaled integers: in doubles while its static bound fits 53 bits, else `exact`
 * (doubles while each value does, BigInts beyond; a value beyond 38 digits is an
 * ArithmeticOverflowError naming the expression).
 */
function exactArith(op: ArithOp, left: TExpr, right: TExpr, dtype: DType): TExpr {
  const a = intBound(left), b = intBound(right);
  const bound = op === 'mul' ? a * b : a + b;
  if (bound <= MAX_EXACT && !isExactValued(left) && !isExactValued(right)) return { kind: 'arith', op, left, right, dtype, bound };
  return { kind: 'arith', op, left, right, dtype, bound: Math.min(bound, DECIMAL128_BOUND), exact: true };
}

/** Decimal arithmetic with SQL's scale rules; division, and arithmetic with floats, in Float64. */
function decimalArith(op: ArithOp, left: TExpr, right: TExpr, source: Expr): TExpr {
  if (isNullLit(left) || isNullLit(right)) return { kind: 'arith', op, left, right, dtype: FLOAT64, bound: Infinity };
  for (const t of [left, right]) {
    if (!isDecimal(t.dtype) && !isNumeric(t.dtype!) && !isNumberText(t)) throw new TypeMismatchError(`arithmetic needs numbers, got ${typeName(t.dtype!)}: ${exprToString(source)}`);
  }
  const l = asDecimal(left, source), r = asDecimal(right, source);
  if (op === 'div' || l === null || r === null) {
    return { kind: 'arith', op, left: decimalAsFloat(left), right: decimalAsFloat(right), dtype: FLOAT64, bound: Infinity };
  }
  const [p1, s1, p2, s2] = [l.dtype!.precision!, l.dtype!.scale!, r.dtype!.precision!, r.dtype!.scale!];
  if (op === 'mul') {
    if (s1 + s2 > MAX_DECIMAL_PRECISION) throw new TypeMismatchError(`the product's scale ${s1 + s2} exceeds ${MAX_DECIMAL_PRECISION}: ${exprToString(source)}`);
    return exactArith(op, l, r, decimalType(Math.min(MAX_DECIMAL_PRECISION, p1 + p2 + 1), s1 + s2));
  }
  const s = Math.max(s1, s2), p = Math.min(MAX_DECIMAL_PRECISION, Math.max(p1 - s1, p2 - s2) + s + 1);
  return exactArith(op, rescale(l, s - s1), rescale(r, s - s2), decimalType(p, s));
}

/**
 * A comparison with a decimal side: exact on unscaled values at the larger scale (a literal with
 * more digits than the column takes the between-rewrite), or in Float64 against a float.
 */
function decimalComparable(left: TExpr, right: TExpr, source: Expr, mismatch: () => TypeMismatchError): { left: TExpr; right: TExpr; mode: CmpMode } {
  for (const t of [left, right]) if (!isDecimal(t.dtype) && !isNumeric(t.dtype!) && !isNumberText(t)) throw mismatch();
  const literalAt = (lit: TExpr & { kind: 'lit' }, target: DType): TExpr => {
    const v = lit.value;
    if (typeof v !== 'number' && typeof v !== 'bigint' && !isNumberText(lit)) throw mismatch();
    if (typeof v === 'number' && !Number.isFinite(v)) return { kind: 'lit', value: v, dtype: FLOAT64 };
    const scaled = scaledLiteral(v as number | bigint | string, target.scale!)!;
    // Beyond the Int64 values a 64-bit column holds: compared as Float64, which orders it past them all.
    if (!isDecimal128(target) && (scaled.floor > INT64_MAX || scaled.floor < -INT64_MAX)) return { kind: 'lit', value: Number(v), dtype: FLOAT64 };
    const out: TExpr = { kind: 'lit', value: scaled.floor, dtype: target };
    if (!scaled.exact) between.add(out);
    return out;
  };
  if (right.kind === 'lit' && isDecimal(left.dtype) && !isDecimal(right.dtype)) right = literalAt(right, left.dtype!);
  else if (left.kind === 'lit' && isDecimal(right.dtype) && !isDecimal(left.dtype)) left = literalAt(left, right.dtype!);
  if (right.dtype?.id === 'float64' && right.kind === 'lit') return { left: decimalAsFloat(left), right, mode: 'num' };
  if (left.dtype?.id === 'float64' && left.kind === 'lit') return { left, right: decimalAsFloat(right), mode: 'num' };
  const l = asDecimal(left, source), r = asDecimal(right, source);
  if (l === null || r === null) return { left: decimalAsFloat(left), right: decimalAsFloat(right), mode: 'num' };
  const s = Math.max(l.dtype!.scale!, r.dtype!.scale!);
  const a = rescale(l, s - l.dtype!.scale!), b = rescale(r, s - r.dtype!.scale!);
  const beyond = (x: TExpr) => isExactValued(x) || (x.kind === 'lit' && typeof x.value === 'bigint' && (x.value > INT64_MAX || x.value < -INT64_MAX));
  return { left: a, right: b, mode: beyond(a) || beyond(b) ? 'exact' : 'wide' };
}

/** A typed expression printed as its source would be (a TExpr has an Expr's shape, literals coerced). */
export const typedToString = (e: TExpr): string => exprToString(e as unknown as Expr);
