/**
 * Typed expressions (TExpr) → WGSL, mirroring the CPU codegen in src/expr/to-js.ts: every call
 * appends `let` statements and returns expressions for the value and for "is null" (SQL nulls,
 * Kleene logic, NaN equal to NaN and greatest, -0 = 0). WGSL has no 64-bit types, so values take
 * one of these forms:
 *
 *   i  i32            ints up to 32 bits, date32, bool as 0/1, int arithmetic bounded below 2^31
 *   u  u32            uint32
 *   w  (h: i32, l: u32)  64-bit ints (uint64 where the task's values are below 2^63), compared exactly as words
 *   f  (h: u32, l: u32)  float64 bits (float32 columns widened exactly), compared through a total-order key
 *   d  vec2<f32>      double-float (~48 bits): float arithmetic, allowed only as a sum argument
 *
 * Column k is read from the kernel's input words `inp` at its params: c{k} values, m{k}/o{k}
 * validity word and bit offset, b{k} a boolean's bit offset, r{k} its string code → id table.
 * Whatever has no exact WGSL form throws GpuUnsupported: the task falls back to the CPU.
 */
import { inListValues, isBooleanValued, orText as or } from './kleene.ts';
import type { CmpOp } from './expr.ts';
import type { TExpr } from './resolve.ts';
import type { DType } from '../types.ts';
import type { CodegenContext } from './codegen-context.ts';

const EXACT_ONLY = 'decimal values beyond 64 bits (exact arithmetic, literals beyond Int64) have no GPU kernel yet';

/**
 * A comparison the CPU makes exactly at any width, on the GPU: as 64-bit words where both sides
 * are columns (their task's values fit 64 bits: the task checks) or literals within Int64.
 */
function exactAsWide(e: TExpr): void {
  const fits = e.kind === 'col' || (e.kind === 'lit' && (typeof e.value !== 'bigint' || (e.value >= -(2n ** 63n) && e.value < 2n ** 63n)));
  if (!fits) throw new GpuUnsupported(EXACT_ONLY);
}

/** A spec the GPU kernels do not cover; the message is the recorded fallback reason. */
export class GpuUnsupported extends Error {
  override name = 'GpuUnsupported';
}

export type GVal =
  | { t: 'i' | 'u' | 'd'; v: string; n: string }
  | { t: 'w' | 'f'; h: string; l: string; n: string; lit?: bigint };
export interface GBool { v: string; n: string }

/** How a column's values sit in the input buffer (the host widens 8/16-bit ints to 32 bits). */
export type ColumnForm = 'i32' | 'u32' | 'w64' | 'f32' | 'f64' | 'bool' | 'str';

export function columnForm(t: DType, name: string): ColumnForm {
  switch (t.id) {
    case 'int8': case 'int16': case 'int32': case 'uint8': case 'uint16': case 'date32': return 'i32';
    case 'uint32': return 'u32';
    // uint64: as int64, where every value is below 2^63 (the map task checks); decimals as their
    // unscaled Int64 (of more than 18 digits, where every value of the task fits: the task checks).
    case 'int64': case 'uint64': case 'date64': case 'timestamp': case 'decimal': return 'w64';
    case 'float32': return 'f32';
    case 'float64': return 'f64';
    case 'bool': return 'bool';
    case 'utf8': return 'str';
    default: throw new GpuUnsupported(`column '${name}' of type ${t.id} has no GPU kernel yet`);
  }
}

/** Forms whose values are 64-bit: two words per row, read as one vec2 (see src/executor/gpu/chunk-upload.ts). */
export const isWordPair = (f: ColumnForm): boolean => f === 'w64' || f === 'f64';

export const u32Lit = (x: number): string => `${x >>> 0}u`;
export const i32Lit = (x: number): string => `bitcast<i32>(${u32Lit(x)})`;

function nullOf(ctx: CodegenContext, name: string, dtype: DType): { k: number; n: string } {
  const { k, nullable } = ctx.column(name, dtype);
  if (!nullable) return { k, n: 'false' };
  return { k, n: ctx.bind(`((inp[m${k} + ((o${k} + i) >> 5u)] >> ((o${k} + i) & 31u)) & 1u) == 0u`) };
}

const f64Words = (x: number): [number, number] => {
  const w = new Uint32Array(new Float64Array([x]).buffer);
  return [w[1], w[0]];
};

/** The value of a numeric (or boolean-as-number) expression. */
export function gNum(e: TExpr, ctx: CodegenContext): GVal {
  switch (e.kind) {
    case 'col': {
      const form = columnForm(e.dtype, e.name);
      const { k, n } = nullOf(ctx, e.name, e.dtype);
      switch (form) {
        case 'i32': return { t: 'i', v: ctx.bind(`bitcast<i32>(inp[c${k} + i])`), n };
        case 'u32': return { t: 'u', v: ctx.bind(`inp[c${k} + i]`), n };
        // 64-bit values: one 8-byte load of the (lo, hi) pair (their region starts at an even word).
        case 'w64': { const p = ctx.bind(`inp2[(c${k} >> 1u) + i]`); return { t: 'w', h: ctx.bind(`bitcast<i32>(${p}.y)`), l: `${p}.x`, n }; }
        case 'f64': { const p = ctx.bind(`inp2[(c${k} >> 1u) + i]`); return { t: 'f', h: `${p}.y`, l: `${p}.x`, n }; }
        // float32: its bits, widened in the kernel to the float64 of the same value (4 bytes a row to upload).
        case 'f32': { const p = ctx.bind(`f64_of_f32(inp[c${k} + i])`); return { t: 'f', h: `${p}.x`, l: `${p}.y`, n }; }
        case 'bool': return { t: 'i', v: ctx.bind(`i32((inp[c${k} + ((b${k} + i) >> 5u)] >> ((b${k} + i) & 31u)) & 1u)`), n };
        case 'str': throw new GpuUnsupported('a string column used as a number');
      }
    }
    // falls through: unreachable
    case 'lit': {
      const v = e.value;
      if (v === null) return { t: 'i', v: '0i', n: 'true' };
      if (typeof v === 'boolean') return { t: 'i', v: v ? '1i' : '0i', n: 'false' };
      if (typeof v === 'string') throw new GpuUnsupported('a string literal used as a number');
      const x = typeof v === 'bigint' ? v : Number.isInteger(v) && Math.abs(v) < 2 ** 63 ? BigInt(v) : null;
      if (x !== null && x >= -(2n ** 31n) && x < 2n ** 31n) return { t: 'i', v: i32Lit(Number(x)), n: 'false' };
      if (typeof v === 'bigint') {
        if (x! < -(2n ** 63n) || x! >= 2n ** 63n) throw new GpuUnsupported(`integer literal ${x} beyond Int64`);
        const u = BigInt.asUintN(64, x!);
        return { t: 'w', h: i32Lit(Number(u >> 32n)), l: u32Lit(Number(u & 0xffffffffn)), n: 'false' };
      }
      // A JS number is a double (as on the CPU); an integral one also knows its exact 64-bit words.
      const [h, l] = f64Words(v);
      return { t: 'f', h: u32Lit(h), l: u32Lit(l), n: 'false', ...(x !== null ? { lit: x } : {}) };
    }
    case 'arith': {
      if (e.op === 'div') throw new GpuUnsupported('division has no GPU kernel yet');
      // Exact 64-bit integer arithmetic (checked against 2^53 on the CPU): double-float would round.
      if (e.dtype.id === 'decimal') throw new GpuUnsupported('decimal arithmetic has no GPU kernel yet');
      const a = gNum(e.left, ctx), b = gNum(e.right, ctx);
      const n = ctx.bind(or(a.n, b.n));
      if (e.dtype.id === 'int64') {
        // Bounded integer arithmetic is exact in i32 when the static bound fits.
        if (e.bound >= 2 ** 31 || a.t !== 'i' || b.t !== 'i') throw new GpuUnsupported('integer arithmetic beyond 32 bits has no GPU kernel yet');
        return { t: 'i', v: ctx.bind(`${a.v} ${{ add: '+', sub: '-', mul: '*' }[e.op]} ${b.v}`), n };
      }
      const x = toDf(a), y = toDf(b);
      const v = e.op === 'add' ? `df_add(${x}, ${y})` : e.op === 'sub' ? `df_add(${x}, df_neg(${y}))` : `df_mul(${x}, ${y})`;
      return { t: 'd', v: ctx.bind(v), n };
    }
    default: {
      const p = gBool(e, ctx);
      return { t: 'i', v: ctx.bind(`select(0i, 1i, ${p.v})`), n: p.n };
    }
  }
}

function toDf(a: GVal): string {
  switch (a.t) {
    case 'd': return a.v;
    case 'i': return `df_of_i32(${a.v})`;
    case 'u': return `df_of_u32(${a.v})`;
    case 'f': return `df_of_f64(${a.h}, ${a.l})`;
    case 'w': throw new GpuUnsupported('float arithmetic on 64-bit integers has no GPU kernel yet');
  }
}

/** A string value as its task-wide id (i32). */
export function gStr(e: TExpr, ctx: CodegenContext): GVal {
  if (e.kind === 'lit') return e.value === null ? { t: 'i', v: '-1i', n: 'true' } : { t: 'i', v: `bitcast<i32>(${ctx.stringLiteral(String(e.value))})`, n: 'false' };
  if (e.kind !== 'col') throw new GpuUnsupported(`string expression ${e.kind}`);
  const { k, n } = nullOf(ctx, e.name, e.dtype);
  return { t: 'i', v: ctx.bind(`bitcast<i32>(inp[r${k} + inp[c${k} + i]])`), n };
}

type Wide = { h: string; l: string };
function toWide(a: GVal): Wide {
  switch (a.t) {
    case 'i': return { h: `(${a.v} >> 31u)`, l: `bitcast<u32>(${a.v})` };
    case 'u': return { h: '0i', l: a.v };
    case 'w': return a;
    case 'f':
      if (a.lit !== undefined) {
        const u = BigInt.asUintN(64, a.lit);
        return { h: i32Lit(Number(u >> 32n)), l: u32Lit(Number(u & 0xffffffffn)) };
      }
      throw new GpuUnsupported('a float compared as a 64-bit integer');
    default: throw new GpuUnsupported('a float compared as a 64-bit integer');
  }
}

function toKey(a: GVal, ctx: CodegenContext): string {
  switch (a.t) {
    case 'f': return ctx.bind(`fkey(${a.h}, ${a.l})`);
    case 'i': return ctx.bind(`fkey(f64_of_i32(${a.v}).x, f64_of_i32(${a.v}).y)`);
    case 'u': return ctx.bind(`fkey(f64_of_u32(${a.v}).x, f64_of_u32(${a.v}).y)`);
    case 'w': throw new GpuUnsupported('a 64-bit integer compared with a float');
    case 'd': throw new GpuUnsupported('float arithmetic in a comparison has no GPU kernel yet (double-float is not exact)');
  }
}

const OPS: Record<CmpOp, string> = { eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' };

function keyCmp(op: CmpOp, a: string, b: string): string {
  switch (op) {
    case 'eq': return `key_eq(${a}, ${b})`;
    case 'ne': return `!key_eq(${a}, ${b})`;
    case 'lt': return `key_lt(${a}, ${b})`;
    case 'gt': return `key_lt(${b}, ${a})`;
    case 'le': return `!key_lt(${b}, ${a})`;
    case 'ge': return `!key_lt(${a}, ${b})`;
  }
}

function numCmp(op: CmpOp, a: GVal, b: GVal, ctx: CodegenContext): string {
  // A 64-bit integer against an integral literal stays exact in words.
  if ((a.t === 'w' && b.t === 'f' && b.lit !== undefined) || (b.t === 'w' && a.t === 'f' && a.lit !== undefined)) return ctx.wordPairCompare(op, toWide(a), toWide(b));
  if (a.t === 'f' || b.t === 'f' || a.t === 'd' || b.t === 'd') return keyCmp(op, toKey(a, ctx), toKey(b, ctx));
  if (a.t === 'i' && b.t === 'i') return `(${a.v} ${OPS[op]} ${b.v})`;
  if (a.t === 'u' && b.t === 'u') return `(${a.v} ${OPS[op]} ${b.v})`;
  return ctx.wordPairCompare(op, toWide(a), toWide(b));
}

function compare(e: Extract<TExpr, { kind: 'cmp' }>, ctx: CodegenContext): GBool {
  if (e.mode === 'null') return { v: 'false', n: 'true' };
  if (e.mode === 'exact') { exactAsWide(e.left); exactAsWide(e.right); }
  if (e.mode === 'str') {
    const a = gStr(e.left, ctx), b = gStr(e.right, ctx);
    return { v: `(${(a as { v: string }).v} ${OPS[e.op]} ${(b as { v: string }).v})`, n: or(a.n, b.n) };
  }
  const a = gNum(e.left, ctx), b = gNum(e.right, ctx);
  const v = e.mode === 'wide' || e.mode === 'exact' ? ctx.wordPairCompare(e.op, toWide(a), toWide(b)) : numCmp(e.op, a, b, ctx);
  return { v, n: or(a.n, b.n) };
}

/** A predicate: WGSL bool expressions for its value and for "is null" (unknown). */
export function gBool(e: TExpr, ctx: CodegenContext): GBool {
  switch (e.kind) {
    case 'cmp': return ctx.predicate(compare(e, ctx));
    case 'logic': return ctx.logic(e.op, gBool(e.left, ctx), gBool(e.right, ctx));
    case 'not': return ctx.not(gBool(e.arg, ctx));
    case 'isNull': {
      const x = e.arg;
      const a = x.dtype?.id === 'utf8' && x.kind === 'col' ? gStr(x, ctx)
        : isBooleanValued(x) ? { t: 'i' as const, ...gBool(x, ctx) } : gNum(x, ctx);
      return ctx.isNull(a.n, e.negated);
    }
    case 'in': {
      if (e.mode === 'null') return { v: 'false', n: 'true' };
      if (e.mode === 'exact') [e.arg, ...e.list].forEach(exactAsWide);
      const { values, hasNull } = inListValues(e.list);
      if (e.mode === 'str') {
        const a = gStr(e.arg, ctx) as { v: string; n: string };
        return ctx.inList(values.map((x) => `(${a.v} == ${(gStr(x, ctx) as { v: string }).v})`), a.n, hasNull);
      }
      const a = gNum(e.arg, ctx);
      return ctx.inList(values.map((x) => {
        const b = gNum(x, ctx);
        return e.mode === 'wide' || e.mode === 'exact' ? ctx.wordPairCompare('eq', toWide(a), toWide(b)) : numCmp('eq', a, b, ctx);
      }), a.n, hasNull);
    }
    case 'col': {
      if (e.dtype.id !== 'bool') throw new GpuUnsupported(`column ${e.name} is not boolean`);
      const a = gNum(e, ctx) as { v: string; n: string };
      return { v: ctx.bind(`${a.v} == 1i`), n: a.n };
    }
    case 'lit':
      return e.value === null ? { v: 'false', n: 'true' } : { v: e.value ? 'true' : 'false', n: 'false' };
    case 'strMatch': {
      // Bit j of word `id` of the task's match words (binding 5) is matcher j's answer for that string.
      const a = gStr(e.arg, ctx) as { v: string; n: string };
      const j = Number(ctx.stringMatch(e.op, e.pattern).slice(1));
      if (j >= 32) throw new GpuUnsupported('more than 32 string predicates in one kernel');
      return { v: ctx.bind(`((mt[bitcast<u32>(${a.v})] >> ${j}u) & 1u) == 1u`), n: a.n };
    }
    case 'arith':
      throw new GpuUnsupported('arithmetic is not a predicate');
  }
}
