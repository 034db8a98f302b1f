/**
 * Columns computed from a batch's columns by generated JS loops: the group keys a task computes
 * before it aggregates (groupBy over withColumn / select, distinct) and the driver's final
 * projection. A computed column is a ColumnChunk like any other, so every kernel reads it alike:
 * booleans bit-packed, 64-bit values as words, floats as Float64; a column reference is the same
 * chunk, a string literal a one-entry dictionary.
 */
import type { BoundBatch } from '../../arrow/wire-batch.ts';
import type { ColumnChunk } from '../../arrow/column-chunk.ts';
import { CodegenContext } from '../../expr/codegen-context.ts';
import { isBooleanValued } from '../../expr/kleene.ts';
import type { TExpr } from '../../expr/resolve.ts';
import { emitBool, emitNum, emitWords128, kernelFunction } from '../../expr/to-js.ts';
import { isDecimal, isDecimal128, isWide, type DType } from '../../types.ts';
import type { ComputedColumn } from '../../plan/aggregation-spec.ts';
import { StringIds } from '../string-ids.ts';
import { bindings, kernelKey, type BoundColumn } from './map-kernel.ts';

type ComputeKernel = (rows: number, columns: readonly BoundColumn[], state: ComputeState) => number;
interface ComputeState { lits: number[]; matches: Uint8Array[]; out: Uint8Array | Float64Array; words: Int32Array | null; valid: Uint8Array }
interface Compiled { kernel: ComputeKernel; columns: string[]; literals: string[]; matchers: CodegenContext['matchers'] }

const cache = new Map<string, Compiled>();

/** 32-bit words a row of a computed column holds: 2 for 64-bit values, 4 for 128-bit decimals, 0 for the rest. */
const wordsPerRow = (t: DType): number => (isDecimal128(t) ? 4 : isWide(t) ? 2 : 0);

/** The loop computing `expr` for every row: the value written as its type's chunk holds it, validity bits set. */
function compile(expr: TExpr, nullable: readonly string[]): Compiled {
  const key = kernelKey([expr, nullable]);
  let hit = cache.get(key);
  if (hit) return hit;
  const ctx = new CodegenContext('js', new Set(nullable));
  const bool = isBooleanValued(expr), per = wordsPerRow(expr.dtype!);
  let x: { n: string }, write: string;
  if (!bool && isDecimal(expr.dtype)) {
    // Decimals exactly, as their 64- or 128-bit words.
    const d = emitWords128(expr, ctx);
    [x, write] = [d, d.w.slice(0, per).map((w, j) => `W[${per} * i + ${j}] = ${w};`).join(' ')];
  } else {
    const v = bool ? emitBool(expr, ctx) : emitNum(expr, ctx);
    x = v;
    write = bool ? `if (${v.v}) out[i >> 3] |= 1 << (i & 7);`
      : per ? `{ const x = ${v.v}, h = Math.floor(x / 4294967296); W[2 * i] = (x - h * 4294967296) | 0; W[2 * i + 1] = h; }`
        : `out[i] = ${v.v};`;
  }
  const row = x.n === 'false' ? `${write} valid[i >> 3] |= 1 << (i & 7);` : `if (${x.n}) nulls++; else { ${write} valid[i >> 3] |= 1 << (i & 7); }`;
  const source = [
    ...bindings(ctx),
    'const out = S.out, W = S.words, valid = S.valid; let nulls = 0;',
    'for (let i = 0; i < n; i++) {', ...ctx.stmts, row, '}',
    'return nulls;',
  ].join('\n');
  hit = { kernel: kernelFunction<ComputeKernel>(['n', 'C', 'S'], source), columns: ctx.columns.map((c) => c.name), literals: ctx.literals, matchers: ctx.matchers };
  cache.set(key, hit);
  return hit;
}

/** `expr` over the rows of `columns` as a chunk (a column reference is that column's own chunk). */
export function computeChunk(expr: TExpr, columns: ReadonlyMap<string, ColumnChunk>, rows: number, strings = new StringIds()): ColumnChunk {
  if (expr.kind === 'col') return columns.get(expr.name)!;
  const dtype = expr.dtype!;
  if (expr.kind === 'lit' && typeof expr.value === 'string') {
    return { dtype, length: rows, nullCount: 0, validity: null, offset: 0, values: new Int32Array(rows), words: null, dictionary: [expr.value] };
  }
  const k = compile(expr, [...columns].filter(([, c]) => c.nullCount > 0).map(([n]) => n));
  const bool = isBooleanValued(expr), per = bool ? 0 : wordsPerRow(dtype);
  const values = bool ? new Uint8Array((rows + 7) >> 3) : per ? new BigInt64Array(rows * per / 2) : new Float64Array(rows);
  const words = per ? new Int32Array(values.buffer, 0, rows * per) : null;
  const valid = new Uint8Array((rows + 7) >> 3);
  const bound: BoundColumn[] = k.columns.map((name) => {
    const c = columns.get(name)!;
    return { values: c.values as ArrayLike<number>, validity: c.validity, offset: c.offset, words: c.words, remap: c.dictionary ? strings.remap(c.dictionary) : null };
  });
  const lits = k.literals.map((s) => strings.id(s));
  const nulls = k.kernel(rows, bound, { lits, matches: k.matchers.map((m) => strings.matchTable(m.op, m.pattern)), out: values as Uint8Array | Float64Array, words, valid });
  return { dtype: bool ? { id: 'bool' } : dtype, length: rows, nullCount: nulls, validity: nulls > 0 ? valid : null, offset: 0, values, words, dictionary: null };
}

/** The batch with the computed columns added (their inputs must be in it). */
export function withComputed(computed: readonly ComputedColumn[], batch: BoundBatch): BoundBatch {
  if (computed.length === 0) return batch;
  const columns = new Map(batch.columns);
  const strings = new StringIds();
  for (const c of computed) columns.set(c.name, computeChunk(c.expr, batch.columns, batch.rows, strings));
  return { rows: batch.rows, columns };
}
