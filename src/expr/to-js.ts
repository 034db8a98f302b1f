/**
 * Code generation of typed expressions into straight-line JS for the CPU kernels: each call
 * appends statements and returns expressions for the value and for "is null". Rows are `i`;
 * column k is read from locals the kernel binds per batch: `v{k}` values, `m{k}`/`o{k}` validity
 * bitmap and bit offset, `w{k}` 64-bit words, `r{k}` string code → task-wide string id.
 */
import { typedToString, type TExpr } from './resolve.ts';
import { ArithmeticOverflowError } from '../errors.ts';
import { isDecimal, isDecimal128, isFloat, isWide, type DType } from '../types.ts';
import { formatDecimal, toDecimal128Words } from '../arrow/decimal.ts';
import type { CodegenContext } from './codegen-context.ts';
import type { CmpOp } from './expr.ts';
import { inListValues, isBooleanValued, orText as or } from './kleene.ts';

export interface Val { v: string; n: string }

const MAX_EXACT = Number.MAX_SAFE_INTEGER;
const TEN38 = 10n ** 38n;
const EXACT_OPS = { add: 0, sub: 1, mul: 2 } as const;

/**
 * Exact arithmetic beyond a double's 53 bits (a kernel's `X`): on BigInts, and an
 * ArithmeticOverflowError naming the expression where the result needs more than 38 digits.
 */
function exactArith(op: number, a: number | bigint, b: number | bigint, expr: string, scale: number): bigint {
  const x = BigInt(a), y = BigInt(b);
  const r = op === 0 ? x + y : op === 1 ? x - y : x * y;
  if (r >= TEN38 || r <= -TEN38) throw new ArithmeticOverflowError(`${expr} = ${formatDecimal(r, scale)} needs more than 38 digits, beyond a Decimal128`);
  return r;
}

/** A kernel's source compiled into a function of `params`; its code reaches `exactArith` as `X`. */
export function kernelFunction<F>(params: readonly string[], source: string): F {
  return new Function('X', `return function (${params.join(', ')}) {\n${source}\n};`)(exactArith) as F;
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
      if (isDecimal128(e.dtype)) return exactAsNumber(emitExact(e, ctx), ctx);
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
      if (e.exact) return exactAsNumber(emitExact(e, ctx), ctx);
      const a = emitNum(e.left, ctx), b = emitNum(e.right, ctx);
      if (e.op === 'div') {
        // SQL engines return null for a division by zero.
        return { v: ctx.bind(`${a.v} / ${b.v}`), n: ctx.bind(or(or(a.n, b.n), `${b.v} === 0`)) };
      }
      const sym = { add: '+', sub: '-', mul: '*' }[e.op];
      return { v: ctx.bind(`${a.v} ${sym} ${b.v}`), n: ctx.bind(or(a.n, b.n)) };
    }
    default: {
      const p = emitBool(e, ctx);
      return { v: ctx.bind(`(${p.v} ? 1 : 0)`), n: p.n };
    }
  }
}

/** An exact value as a double (rounded once where it is beyond 2^53). */
const exactAsNumber = (x: ExactVal, ctx: CodegenContext): Val =>
  ({ v: x.ok === 'true' ? x.d : ctx.bind(`${or(x.ok, x.n)} ? ${x.d} : Number(${x.big})`), n: x.n });

/** Within ±2^21, a 64-bit value's high word leaves it within a double's exact integers. */
const smallHigh = (h: string): string => `${h} >= -2097152 && ${h} < 2097152`;

/**
 * An integer (a decimal's unscaled value) exactly, in any width. The hot path stays in doubles:
 * `d` is the value as a double, exact where `ok` holds (|value| within 2^53); where it does not,
 * `big` is the exact BigInt, an expression to evaluate only then, and only where `n` is false.
 */
export interface ExactVal { d: string; ok: string; big: string; n: string; w?: Words128['w'] }

/** An exact value as a JS number where it is within 2^53, else as a BigInt (numbers and BigInts compare, and X takes both). */
const exactOf = (x: ExactVal): string => (x.ok === 'true' ? x.d : x.ok === 'false' ? x.big : `(${x.ok} ? ${x.d} : ${x.big})`);

export function emitExact(e: TExpr, ctx: CodegenContext): ExactVal {
  if (e.kind === 'col' && (isDecimal128(e.dtype) || isWide(e.dtype))) {
    const { k, n } = nullOf(ctx, e.name, e.dtype);
    if (isDecimal128(e.dtype)) {
      const h = ctx.bind(`w${k}[4 * i + 1]`), t = ctx.bind(`w${k}[4 * i + 3]`);
      return {
        d: ctx.bind(`${h} * 4294967296 + (w${k}[4 * i] >>> 0)`),
        ok: ctx.bind(`${t} === w${k}[4 * i + 2] && ${t} === (${h} >> 31) && ${smallHigh(h)}`),
        big: `((v${k}[2 * i + 1] << 64n) + BigInt.asUintN(64, v${k}[2 * i]))`,
        n,
      };
    }
    const h = ctx.bind(e.dtype.id === 'uint64' ? `(w${k}[2 * i + 1] >>> 0)` : `w${k}[2 * i + 1]`);
    // Up to 15 digits, a decimal's values are within 2^53 by its precision.
    const ok = isDecimal(e.dtype) && e.dtype.precision! <= 15 ? 'true' : ctx.bind(smallHigh(h));
    return { d: ctx.bind(`${h} * 4294967296 + (w${k}[2 * i] >>> 0)`), ok, big: `v${k}[i]`, n };
  }
  if (e.kind === 'lit' && typeof e.value === 'bigint' && (e.value > BigInt(MAX_EXACT) || e.value < -BigInt(MAX_EXACT))) {
    return { d: String(Number(e.value)), ok: 'false', big: `${e.value}n`, n: 'false' };
  }
  if (e.kind !== 'arith' || !e.exact) { const x = emitNum(e, ctx); return { d: x.v, ok: 'true', big: '0n', n: x.n }; }
  const a = emitExact(e.left, ctx), b = emitExact(e.right, ctx), n = ctx.bind(or(a.n, b.n));
  const op = e.op as keyof typeof EXACT_OPS, sym = { add: '+', sub: '-', mul: '*' }[op];
  const d = ctx.bind(`${a.d} ${sym} ${b.d}`);
  // Exact in the double while both operands are and the result is within 2^53 (beyond, it may have rounded).
  const ok = ctx.bind(`${a.ok === 'true' ? '' : `${a.ok} && `}${b.ok === 'true' ? '' : `${b.ok} && `}${d} <= ${MAX_EXACT} && ${d} >= -${MAX_EXACT}`);
  // Computed where a consumer needs it (never for a null: its operands may be garbage).
  const big = `X(${EXACT_OPS[op]}, ${exactOf(a)}, ${exactOf(b)}, ${JSON.stringify(typedToString(e))}, ${e.dtype.scale ?? 0})`;
  let w: Words128['w'];
  if (op === 'mul') {
    // A 128-bit column times an integer literal up to 10^9 (a rescale's 10^k among them): on its words.
    const f = e.right.kind === 'lit' && typeof e.right.value === 'bigint' && e.right.value > 1n && e.right.value <= 1_000_000_000n ? Number(e.right.value) : 0;
    if (f === 0 || e.left.kind !== 'col' || !isDecimal128(e.left.dtype)) return { d, ok, big, n };
    const product = mulWordsSmall(emitWords128(e.left, ctx).w, f, ctx);
    w = product.w;
    ctx.stmts.push(`if (${n === 'false' ? '' : `!${n} && `}${product.beyond}) ${big};`);
  } else {
    // A sum or difference of 128-bit columns, literals and rescaled columns: their words with carries.
    const wa = wordsOf(e.left, a, ctx), wb = wordsOf(e.right, b, ctx);
    if (!wa || !wb || !(isDecimal128(e.left.dtype) || isDecimal128(e.right.dtype))) return { d, ok, big, n };
    w = addWords(op, wa, wb, ctx);
  }
  ctx.stmts.push(`if (${n === 'false' ? '' : `!${n} && `}!(${wordsLess(w, TEN38_WORDS)} && ${wordsLess(MINUS_TEN38_WORDS, w)})) ${big};`);
  const t = w[3], h = w[1];
  return { d: ctx.bind(`${h} * 4294967296 + (${w[0]} >>> 0)`), ok: ctx.bind(`${t} === ${w[2]} && ${t} === (${h} >> 31) && ${smallHigh(h)}`), big, n, w };
}

const constWords = (x: bigint): Words128['w'] => Array.from(new Int32Array(toDecimal128Words([x]).buffer), String) as unknown as Words128['w'];

/** JS expressions of the four 32-bit words (signed, low first) of the BigInt `q` (a local). */
export const bigintWords = (q: string): string[] => [0, 1, 2, 3].map((j) => `Number(BigInt.asIntN(32, ${j === 0 ? q : `${q} >> ${32 * j}n`}))`);
const TEN38_WORDS = constWords(TEN38), MINUS_TEN38_WORDS = constWords(-TEN38);

/**
 * a ± b on 128-bit words, carried word to word in doubles. Operands within 38 digits cannot leave
 * 129 bits: the top word's sum is kept whole for the range check, which then fails.
 */
function addWords(op: 'add' | 'sub', a: Words128['w'], b: Words128['w'], ctx: CodegenContext): Words128['w'] {
  const sym = op === 'add' ? '+' : '-', out: string[] = [];
  let carry = '0';
  for (let j = 0; j < 3; j++) {
    const s = ctx.bind(`(${a[j]} >>> 0) ${sym} (${b[j]} >>> 0)${carry === '0' ? '' : ` + ${carry}`}`);
    out.push(ctx.bind(`${s} | 0`));
    carry = ctx.bind(`Math.floor(${s} / 4294967296)`);
  }
  // The top word whole (signed): beyond Int32 it is beyond 2^127, which the 38-digit check rejects.
  const top = ctx.bind(`${a[3]} ${sym} ${b[3]} + ${carry}`);
  out.push(ctx.bind(`${top} >= -2147483648 && ${top} < 2147483648 ? ${top} : (${top} < 0 ? -2147483648 : 2147483647)`));
  return out as unknown as Words128['w'];
}

/**
 * x · f on 128-bit words (f < 2^30): x sign-extended to 160 bits, in ten 16-bit limbs, each times f
 * plus the carry (under 2^47, exact in a double). |x · f| < 2^157 fits 160 bits, so the product
 * is exact there; `beyond` holds where it leaves 128 bits (the caller's X then throws).
 */
function mulWordsSmall(x: Words128['w'], f: number, ctx: CodegenContext): { w: Words128['w']; beyond: string } {
  const words = [...x, ctx.bind(`(${x[3]} >> 31)`)];
  const limbs: string[] = [];
  let carry = '0';
  for (let j = 0; j < 10; j++) {
    const u = `(${words[j >> 1]} >>> 0)`;
    const s = ctx.bind(`${j & 1 ? `(${u} >>> 16)` : `(${u} & 65535)`} * ${f}${carry === '0' ? '' : ` + ${carry}`}`);
    carry = ctx.bind(`Math.floor(${s} / 65536)`);
    limbs.push(ctx.bind(`${s} - ${carry} * 65536`));
  }
  const out = [0, 1, 2, 3, 4].map((j) => ctx.bind(`${limbs[2 * j]} | (${limbs[2 * j + 1]} << 16)`));
  return { w: out.slice(0, 4) as unknown as Words128['w'], beyond: `${out[4]} !== (${out[3]} >> 31)` };
}

/** An exact integer as the four 32-bit words of its 128-bit two's complement, low first. */
export interface Words128 { w: readonly [string, string, string, string]; n: string }

export function emitWords128(e: TExpr, ctx: CodegenContext): Words128 {
  if (e.kind === 'lit' && (typeof e.value === 'bigint' || (typeof e.value === 'number' && Number.isInteger(e.value)))) return { w: constWords(BigInt(e.value)), n: 'false' };
  if (e.kind === 'col' && (isDecimal128(e.dtype) || isWide(e.dtype))) {
    const { k, n } = nullOf(ctx, e.name, e.dtype);
    if (isDecimal128(e.dtype)) return { w: [0, 1, 2, 3].map((j) => ctx.bind(`w${k}[4 * i + ${j}]`)) as unknown as Words128['w'], n };
    const h = ctx.bind(`w${k}[2 * i + 1]`), s = e.dtype.id === 'uint64' ? '0' : ctx.bind(`(${h} >> 31)`);
    return { w: [ctx.bind(`w${k}[2 * i]`), h, s, s], n };
  }
  const x = emitExact(e, ctx);
  if (x.w) return { w: x.w, n: x.n };
  const w = [ctx.tmp(), ctx.tmp(), ctx.tmp(), ctx.tmp()] as const;
  const split = `const h = Math.floor(${x.d} / 4294967296); ${w[0]} = (${x.d} - h * 4294967296) | 0; ${w[1]} = h | 0; ${w[2]} = ${w[3]} = h < 0 ? -1 : 0;`;
  const bigSplit = `const q = ${x.big}; ${bigintWords('q').map((v, j) => `${w[j]} = ${v};`).join(' ')}`;
  ctx.stmts.push(`let ${w.join(', ')};`,
    x.ok === 'true' ? `{ ${split} }` : `if (${x.ok}${x.n === 'false' ? '' : ` || ${x.n}`}) { ${split} } else { ${bigSplit} }`);
  return { w, n: x.n };
}

/** A 64-bit integer value as exact (hi, lo) words: hi = floor(x / 2^32) as a number, lo in [0, 2^32). */
export function emitWide(e: TExpr, ctx: CodegenContext): WideVal {
  if (isDecimal128(e.dtype) || (e.kind === 'arith' && e.exact)) throw new Error(`internal: ${typedToString(e)} is wider than 64 bits`);
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
/** Numbers and BigInts of one value are == (never ===). */
const EXACT_CMP: Record<CmpOp, string> = { ...JS_CMP, eq: '==', ne: '!=' };

/** Read as words directly: a 64- or 128-bit column, or an integer literal. */
const wordDirect = (e: TExpr): boolean =>
  (e.kind === 'lit' && (typeof e.value === 'bigint' || Number.isInteger(e.value))) || (e.kind === 'col' && (isDecimal128(e.dtype) || isWide(e.dtype)));

/** An exact value's words where they come without a BigInt (a column, a literal, a sum of them); null where not. */
const wordsOf = (e: TExpr, x: ExactVal, ctx: CodegenContext): Words128['w'] | null => (wordDirect(e) ? emitWords128(e, ctx).w : x.w ?? null);

/** a < b on 128-bit words (low first): the top words signed, the others unsigned. */
function wordsLess(a: Words128['w'], b: Words128['w']): string {
  let out = `${a[0]} >>> 0 < ${b[0]} >>> 0`;
  for (let j = 1; j < 4; j++) {
    const lt = j === 3 ? `${a[j]} < ${b[j]}` : `${a[j]} >>> 0 < ${b[j]} >>> 0`;
    out = `${lt} || (${a[j]} === ${b[j]} && (${out}))`;
  }
  return `(${out})`;
}

/** Two exact values read as words compared: columns and literals of any width, with no double or BigInt in between. */
function wordsCmp(op: CmpOp, a: Words128['w'], b: Words128['w']): string {
  const eq = `(${a.map((x, j) => `${x} === ${b[j]}`).join(' && ')})`;
  switch (op) {
    case 'eq': return eq;
    case 'ne': return `!${eq}`;
    case 'lt': return wordsLess(a, b);
    case 'gt': return wordsLess(b, a);
    case 'le': return `!${wordsLess(b, a)}`;
    case 'ge': return `!${wordsLess(a, b)}`;
  }
}

/** Two exact values compared (`n`: either is null): as doubles where both are exact in them, else as mixed numbers and BigInts. */
function exactCmp(op: CmpOp, a: ExactVal, b: ExactVal, n: string): string {
  const fast = `${a.d} ${JS_CMP[op]} ${b.d}`, slow = `${exactOf(a)} ${EXACT_CMP[op]} ${exactOf(b)}`;
  const both = [a.ok, b.ok].filter((x) => x !== 'true');
  return both.length === 0 ? `(${fast})` : `(${or(both.join(' && '), n)} ? ${fast} : ${slow})`;
}

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
  if (mode === 'exact') {
    const a = emitExact(left, ctx), b = emitExact(right, ctx), n = or(a.n, b.n);
    const wa = wordsOf(left, a, ctx), wb = wordsOf(right, b, ctx);
    return { v: wa && wb ? wordsCmp(op, wa, wb) : exactCmp(op, a, b, n), n };
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
      if (e.mode === 'exact') {
        const a = emitExact(e.arg, ctx), wa = wordsOf(e.arg, a, ctx);
        return ctx.inList(values.map((x) => (wa ? wordsCmp('eq', wa, emitWords128(x, ctx).w) : exactCmp('eq', a, emitExact(x, ctx), a.n))), a.n, hasNull);
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

