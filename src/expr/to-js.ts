/**
 * Code generation of typed expressions into straight-line JS for the CPU kernels: each call
 * appends statements and returns expressions for the value and for "is null". Rows are `i`;
 * column k is read from locals the kernel binds per batch: `v{k}` values, `m{k}`/`o{k}` validity
 * bitmap and bit offset, `w{k}` 64-bit words, `r{k}` string code → task-wide string id.
 */
import type { TExpr } from './resolve.ts';
import { isFloat, isWide } from '../types.ts';
import type { CmpOp } from './expr.ts';
import { inListValues, inResult, isBooleanValued, kleene, orText as or } from './kleene.ts';

export interface Val { v: string; n: string }
export interface WideVal { h: string; l: string; n: string }

export interface JsContext {
  readonly stmts: string[];
  tmp(): string;
  /** Registers a column read; returns its index and whether this batch's chunk has nulls. */
  column(name: string): { k: number; nullable: boolean };
  /** A local holding the task-wide string id of a string literal. */
  stringLiteral(s: string): string;
}

function nullOf(ctx: JsContext, name: string): { k: number; n: string } {
  const { k, nullable } = ctx.column(name);
  return { k, n: nullable ? `((m${k}[(o${k} + i) >> 3] >> ((o${k} + i) & 7) & 1) === 0)` : 'false' };
}

function bind(ctx: JsContext, expr: string): string {
  if (/^[\w.]+$/.test(expr)) return expr;
  const t = ctx.tmp();
  ctx.stmts.push(`const ${t} = ${expr};`);
  return t;
}

function numLiteral(value: unknown): string {
  const x = Number(value);
  return Number.isNaN(x) ? 'NaN' : x === Infinity ? 'Infinity' : x === -Infinity ? '-Infinity' : Object.is(x, -0) ? '-0' : String(x);
}

/** The value as a JS number (exact for every type up to 53 bits; 64-bit integers beyond that round). */
export function emitNum(e: TExpr, ctx: JsContext): Val {
  switch (e.kind) {
    case 'col': {
      const { k, n } = nullOf(ctx, e.name);
      if (e.dtype.id === 'bool') return { v: bind(ctx, `((v${k}[(o${k} + i) >> 3] >> ((o${k} + i) & 7)) & 1)`), n };
      if (isWide(e.dtype)) {
        const hi = e.dtype.id === 'uint64' ? `(w${k}[2 * i + 1] >>> 0)` : `w${k}[2 * i + 1]`;
        return { v: bind(ctx, `${hi} * 4294967296 + (w${k}[2 * i] >>> 0)`), n };
      }
      return { v: bind(ctx, `v${k}[i]`), n };
    }
    case 'lit':
      if (e.value === null) return { v: '0', n: 'true' };
      return { v: typeof e.value === 'boolean' ? (e.value ? '1' : '0') : numLiteral(e.value), n: 'false' };
    case 'arith': {
      const a = emitNum(e.left, ctx), b = emitNum(e.right, ctx);
      if (e.op === 'div') {
        // SQL engines return null for a division by zero.
        return { v: bind(ctx, `${a.v} / ${b.v}`), n: bind(ctx, or(or(a.n, b.n), `${b.v} === 0`)) };
      }
      const sym = { add: '+', sub: '-', mul: '*' }[e.op];
      return { v: bind(ctx, `${a.v} ${sym} ${b.v}`), n: bind(ctx, or(a.n, b.n)) };
    }
    default: {
      const p = emitBool(e, ctx);
      return { v: bind(ctx, `(${p.v} ? 1 : 0)`), n: p.n };
    }
  }
}

/** A 64-bit integer value as exact (hi, lo) words: hi = floor(x / 2^32) as a number, lo in [0, 2^32). */
export function emitWide(e: TExpr, ctx: JsContext): WideVal {
  if (e.kind === 'col' && isWide(e.dtype)) {
    const { k, n } = nullOf(ctx, e.name);
    const h = e.dtype.id === 'uint64' ? `(w${k}[2 * i + 1] >>> 0)` : `w${k}[2 * i + 1]`;
    return { h: bind(ctx, h), l: bind(ctx, `(w${k}[2 * i] >>> 0)`), n };
  }
  if (e.kind === 'lit' && e.value !== null) {
    const x = BigInt(e.value as bigint | number);
    return { h: String(Number(x >> 32n)), l: String(Number(x & 0xffffffffn)), n: 'false' };
  }
  const a = emitNum(e, ctx);
  const h = bind(ctx, `Math.floor(${a.v} / 4294967296)`);
  return { h, l: bind(ctx, `${a.v} - ${h} * 4294967296`), n: a.n };
}

/** A string value as its task-wide string id. */
export function emitStr(e: TExpr, ctx: JsContext): Val {
  if (e.kind === 'lit') return e.value === null ? { v: '-1', n: 'true' } : { v: ctx.stringLiteral(String(e.value)), n: 'false' };
  if (e.kind !== 'col') throw new Error(`string expression ${e.kind} has no JS form`);
  const { k, n } = nullOf(ctx, e.name);
  return { v: bind(ctx, `r${k}[v${k}[i]]`), n };
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

function wideCmp(op: CmpOp, a: WideVal, b: WideVal): string {
  const eq = `(${a.h} === ${b.h} && ${a.l} === ${b.l})`;
  const strict = (o: string) => `(${a.h} ${o} ${b.h} || (${a.h} === ${b.h} && ${a.l} ${o} ${b.l}))`;
  switch (op) {
    case 'eq': return eq;
    case 'ne': return `!${eq}`;
    case 'lt': return strict('<');
    case 'gt': return strict('>');
    case 'le': return `(${strict('<')} || ${eq})`;
    case 'ge': return `(${strict('>')} || ${eq})`;
  }
}

/** Can this operand be NaN at run time? */
const mayBeNaN = (e: TExpr): boolean =>
  e.kind === 'lit' ? typeof e.value === 'number' && Number.isNaN(e.value)
    : e.dtype !== null && (isFloat(e.dtype) || (e.kind === 'arith' && e.dtype.id === 'float64'));

function compare(op: CmpOp, left: TExpr, right: TExpr, mode: string, ctx: JsContext): Val {
  if (mode === 'null') return { v: 'false', n: 'true' };
  if (mode === 'wide') {
    const a = emitWide(left, ctx), b = emitWide(right, ctx);
    return { v: wideCmp(op, a, b), n: or(a.n, b.n) };
  }
  if (mode === 'str') {
    const a = emitStr(left, ctx), b = emitStr(right, ctx);
    return { v: `(${a.v} ${JS_CMP[op]} ${b.v})`, n: or(a.n, b.n) };
  }
  const a = emitNum(left, ctx), b = emitNum(right, ctx);
  return { v: numCmp(op, a.v, b.v, mayBeNaN(left), mayBeNaN(right)), n: or(a.n, b.n) };
}

/** A predicate: `v` is a JS boolean expression, meaningful only where `n` is false. */
export function emitBool(e: TExpr, ctx: JsContext): Val {
  switch (e.kind) {
    case 'cmp': {
      const r = compare(e.op, e.left, e.right, e.mode, ctx);
      return { v: bind(ctx, r.v), n: bind(ctx, r.n) };
    }
    case 'logic':
      return kleene(e.op, emitBool(e.left, ctx), emitBool(e.right, ctx), (x) => bind(ctx, x));
    case 'not': {
      const a = emitBool(e.arg, ctx);
      return { v: bind(ctx, `!${a.v}`), n: a.n };
    }
    case 'isNull': {
      const a = e.arg.dtype?.id === 'utf8' && e.arg.kind === 'col' ? emitStr(e.arg, ctx)
        : isBooleanValued(e.arg) ? emitBool(e.arg, ctx) : emitNum(e.arg, ctx);
      return { v: e.negated ? bind(ctx, `!${a.n}`) : a.n, n: 'false' };
    }
    case 'in': {
      if (e.mode === 'null') return { v: 'false', n: 'true' };
      const { values, hasNull } = inListValues(e.list);
      const tests: string[] = [];
      let n: string;
      if (e.mode === 'wide') {
        const a = emitWide(e.arg, ctx);
        n = a.n;
        for (const x of values) tests.push(wideCmp('eq', a, emitWide(x, ctx)));
      } else if (e.mode === 'str') {
        const a = emitStr(e.arg, ctx);
        n = a.n;
        for (const x of values) tests.push(`${a.v} === ${emitStr(x, ctx).v}`);
      } else {
        const a = emitNum(e.arg, ctx);
        n = a.n;
        for (const x of values) tests.push(numCmp('eq', a.v, emitNum(x, ctx).v, mayBeNaN(e.arg), mayBeNaN(x)));
      }
      return inResult(tests, n, hasNull, (x) => bind(ctx, x));
    }
    case 'col': {
      if (e.dtype.id !== 'bool') throw new Error(`column ${e.name} is not boolean`);
      const a = emitNum(e, ctx);
      return { v: bind(ctx, `${a.v} === 1`), n: a.n };
    }
    case 'lit':
      return e.value === null ? { v: 'false', n: 'true' } : { v: e.value ? 'true' : 'false', n: 'false' };
    case 'arith':
      throw new Error('arithmetic is not a predicate');
  }
}

