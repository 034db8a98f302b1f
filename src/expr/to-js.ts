/**
 * Code generation of typed expressions into straight-line JS for the CPU kernels: each call
 * appends statements and returns expressions for the value and for "is null". Rows are `i`;
 * column k is read from locals the kernel binds per batch: `v{k}` values, `m{k}`/`o{k}` validity
 * bitmap and bit offset, `w{k}` 64-bit words, `r{k}` string code → task-wide string id.
 */
import { typedToString, type TExpr } from './resolve.ts';
import { ArithmeticOverflowError } from '../errors.ts';
import { isFloat, isWide, type DType } from '../types.ts';
import type { CodegenContext } from './codegen-context.ts';
import type { CmpOp } from './expr.ts';
import { inListValues, isBooleanValued, orText as or } from './kleene.ts';

export interface Val { v: string; n: string }

const MAX_EXACT = Number.MAX_SAFE_INTEGER;

/** The error a kernel throws where checked arithmetic leaves the integers a double holds exactly. */
const inexact = (expr: string): ArithmeticOverflowError =>
  new ArithmeticOverflowError(`${expr} exceeds 2^53 in magnitude (unscaled), beyond what this version computes exactly`);

/** A kernel's source compiled into a function of `params`; its code reaches `inexact` as `E`. */
export function kernelFunction<F>(params: readonly string[], source: string): F {
  return new Function('E', `return function (${params.join(', ')}) {\n${source}\n};`)(inexact) as F;
}
export interface WideVal { h: string; l: string; n: string }

function nullOf(ctx: CodegenContext, name: string, dtype: DType): { k: number; n: string } {
  const { k, nullable } = ctx.column(name, dtype);
  return { k, n: nullable ? `((m${k}[(o${k} + i) >> 3] >> ((o${k} + i) & 7) & 1) === 0)` : 'false' };
}

function numLiteral(value: unknown): string {
  const x = Number(value);
  return Number.isNaN(x) ? 'NaN' : x === Infinity ? 'Infinity' : x === -Infinity ? '-Infinity' : Object.is(x, -0) ? '-0' : String(x);
}

/** The value as a JS number (exact for every type up to 53 bits; 64-bit integers beyond that round). */
export function emitNum(e: TExpr, ctx: CodegenContext): Val {
  switch (e.kind) {
    case 'col': {
      const { k, n } = nullOf(ctx, e.name, e.dtype);
      if (e.dtype.id === 'bool') return { v: ctx.bind(`((v${k}[(o${k} + i) >> 3] >> ((o${k} + i) & 7)) & 1)`), n };
      if (isWide(e.dtype)) {
        const hi = e.dtype.id === 'uint64' ? `(w${k}[2 * i + 1] >>> 0)` : `w${k}[2 * i + 1]`;
        return { v: ctx.bind(`${hi} * 4294967296 + (w${k}[2 * i] >>> 0)`), n };
      }
      return { v: ctx.bind(`v${k}[i]`), n };
    }
    case 'lit':
      if (e.value === null) return { v: '0', n: 'true' };
      return { v: typeof e.value === 'boolean' ? (e.value ? '1' : '0') : numLiteral(e.value), n: 'false' };
    case 'arith': {
      const a = emitNum(e.left, ctx), b = emitNum(e.right, ctx);
      if (e.op === 'div') {
        // SQL engines return null for a division by zero.
        return { v: ctx.bind(`${a.v} / ${b.v}`), n: ctx.bind(or(or(a.n, b.n), `${b.v} === 0`)) };
      }
      const sym = { add: '+', sub: '-', mul: '*' }[e.op];
      const v = ctx.bind(`${a.v} ${sym} ${b.v}`), n = ctx.bind(or(a.n, b.n));
      // Beyond 2^53 a double no longer holds every integer: the value may have rounded.
      if (e.checked) ctx.stmts.push(`if (${n === 'false' ? '' : `!${n} && `}!(${v} <= ${MAX_EXACT} && ${v} >= -${MAX_EXACT})) throw E(${JSON.stringify(typedToString(e))});`);
      return { v, n };
    }
    default: {
      const p = emitBool(e, ctx);
      return { v: ctx.bind(`(${p.v} ? 1 : 0)`), n: p.n };
    }
  }
}

/** A 64-bit integer value as exact (hi, lo) words: hi = floor(x / 2^32) as a number, lo in [0, 2^32). */
export function emitWide(e: TExpr, ctx: CodegenContext): WideVal {
  if (e.kind === 'col' && isWide(e.dtype)) {
    const { k, n } = nullOf(ctx, e.name, e.dtype);
    const h = e.dtype.id === 'uint64' ? `(w${k}[2 * i + 1] >>> 0)` : `w${k}[2 * i + 1]`;
    return { h: ctx.bind(h), l: ctx.bind(`(w${k}[2 * i] >>> 0)`), n };
  }
  if (e.kind === 'lit' && e.value !== null) {
    const x = BigInt(e.value as bigint | number);
    return { h: String(Number(x >> 32n)), l: String(Number(x & 0xffffffffn)), n: 'false' };
  }
  const a = emitNum(e, ctx);
  const h = ctx.bind(`Math.floor(${a.v} / 4294967296)`);
  return { h, l: ctx.bind(`${a.v} - ${h} * 4294967296`), n: a.n };
}

/** A string value as its task-wide string id. */
export function emitStr(e: TExpr, ctx: CodegenContext): Val {
  if (e.kind === 'lit') return e.value === null ? { v: '-1', n: 'true' } : { v: ctx.stringLiteral(String(e.value)), n: 'false' };
  if (e.kind !== 'col') throw new Error(`string expression ${e.kind} has no JS form`);
  const { k, n } = nullOf(ctx, e.name, e.dtype);
  return { v: ctx.bind(`r${k}[v${k}[i]]`), n };
}

const JS_CMP: Record<CmpOp, string> = { eq: '===', ne: '!==', lt: '<', le: '<=', gt: '>', ge: '>=' };

/** Numeric comparison with SQL's NaN rules: NaN equals NaN and is greater than every number. */
function numCmp(op: CmpOp, a: string, b: string, aNaN: boolean, bNaN: boolean): string {
  const base = `${a} ${JS_CMP[op]} ${b}`;
  if (!aNaN && !bNaN) return `(${base})`;
  const an = aNaN ? `${a} !== ${a}` : 'false', bn = bNaN ? `${b} !== ${b}` : 'false';
  const both = aNaN && bNaN ? `(${an} && ${bn})` : 'false';
  switch (op) {
    case 'eq': return `(${base} || ${both})`;
    case 'ne': return `(${base} && !${both})`;
    case 'lt': return bNaN ? `(${base} || (${bn} && ${a} === ${a}))` : `(${base})`;
    case 'le': return bNaN ? `(${base} || ${bn})` : `(${base})`;
    case 'gt': return aNaN ? `(${base} || (${an} && ${b} === ${b}))` : `(${base})`;
    case 'ge': return aNaN ? `(${base} || ${an})` : `(${base})`;
  }
}

/** Can this operand be NaN at run time? */
const mayBeNaN = (e: TExpr): boolean =>
  e.kind === 'lit' ? typeof e.value === 'number' && Number.isNaN(e.value)
    : e.dtype !== null && (isFloat(e.dtype) || (e.kind === 'arith' && e.dtype.id === 'float64'));

function compare(op: CmpOp, left: TExpr, right: TExpr, mode: string, ctx: CodegenContext): Val {
  if (mode === 'null') return { v: 'false', n: 'true' };
  if (mode === 'wide') {
    const a = emitWide(left, ctx), b = emitWide(right, ctx);
    return { v: ctx.wordPairCompare(op, a, b), n: or(a.n, b.n) };
  }
  if (mode === 'str') {
    const a = emitStr(left, ctx), b = emitStr(right, ctx);
    return { v: `(${a.v} ${JS_CMP[op]} ${b.v})`, n: or(a.n, b.n) };
  }
  const a = emitNum(left, ctx), b = emitNum(right, ctx);
  return { v: numCmp(op, a.v, b.v, mayBeNaN(left), mayBeNaN(right)), n: or(a.n, b.n) };
}

/** A predicate: `v` is a JS boolean expression, meaningful only where `n` is false. */
export function emitBool(e: TExpr, ctx: CodegenContext): Val {
  switch (e.kind) {
    case 'cmp': return ctx.predicate(compare(e.op, e.left, e.right, e.mode, ctx));
    case 'logic': return ctx.logic(e.op, emitBool(e.left, ctx), emitBool(e.right, ctx));
    case 'not': return ctx.not(emitBool(e.arg, ctx));
    case 'isNull': {
      const a = e.arg.dtype?.id === 'utf8' && e.arg.kind === 'col' ? emitStr(e.arg, ctx)
        : isBooleanValued(e.arg) ? emitBool(e.arg, ctx) : emitNum(e.arg, ctx);
      return ctx.isNull(a.n, e.negated);
    }
    case 'in': {
      if (e.mode === 'null') return { v: 'false', n: 'true' };
      const { values, hasNull } = inListValues(e.list);
      if (e.mode === 'wide') {
        const a = emitWide(e.arg, ctx);
        return ctx.inList(values.map((x) => ctx.wordPairCompare('eq', a, emitWide(x, ctx))), a.n, hasNull);
      }
      if (e.mode === 'str') {
        const a = emitStr(e.arg, ctx);
        return ctx.inList(values.map((x) => `${a.v} === ${emitStr(x, ctx).v}`), a.n, hasNull);
      }
      const a = emitNum(e.arg, ctx);
      return ctx.inList(values.map((x) => numCmp('eq', a.v, emitNum(x, ctx).v, mayBeNaN(e.arg), mayBeNaN(x))), a.n, hasNull);
    }
    case 'col': {
      if (e.dtype.id !== 'bool') throw new Error(`column ${e.name} is not boolean`);
      const a = emitNum(e, ctx);
      return { v: ctx.bind(`${a.v} === 1`), n: a.n };
    }
    case 'lit':
      return e.value === null ? { v: 'false', n: 'true' } : { v: e.value ? 'true' : 'false', n: 'false' };
    case 'strMatch': {
      const a = emitStr(e.arg, ctx);
      return { v: ctx.bind(`${ctx.stringMatch(e.op, e.pattern)}[${a.v}] === 1`), n: a.n };
    }
    case 'arith':
      throw new Error('arithmetic is not a predicate');
  }
}

