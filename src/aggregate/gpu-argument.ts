/** How the GPU map kernel reads an aggregate's argument (its value form, whether it can be null). */
import { CodegenContext } from '../expr/codegen-context.ts';
import { gNum, gStr, type GVal } from '../expr/to-wgsl.ts';
import type { ArgForm } from './gpu-accumulators.ts';
import { isHll, STATES, type AggSpec } from './registry.ts';

/** The argument's WGSL value in `ctx`; null for none (count(*)). count(x) of a string reads its id: only its nullness counts. */
export function argValue(a: AggSpec, ctx: CodegenContext): GVal | null {
  if (!a.arg || (STATES[a.state].input === 'none' && !isHll(a.state))) return null;
  if (isHll(a.state) && a.arg.dtype?.id === 'utf8') {
    // A string's two words are its seeded hashes, made once per task-wide id on the host.
    const s = gStr(a.arg, ctx) as GVal & { v: string };
    return { t: 'w', ...ctx.stringSketchWords(s.v), n: s.n };
  }
  return a.state === 'count' && a.arg.dtype?.id === 'utf8' ? gStr(a.arg, ctx) : gNum(a.arg, ctx);
}

/** The value form each aggregate's argument takes (needs no data: a function of the expressions). */
export const argForms = (aggs: readonly AggSpec[]): ArgForm[] =>
  aggs.map((a) => argValue(a, new CodegenContext('wgsl', new Set()))?.t ?? 'none');

/**
 * Per aggregate: whether its argument can be null in a task whose columns `nullable` hold nulls,
 * as the map kernel sees it (then the kernel counts its nulls).
 */
export const argNullable = (aggs: readonly AggSpec[], nullable: readonly string[]): boolean[] =>
  aggs.map((a) => (argValue(a, new CodegenContext('wgsl', new Set(nullable)))?.n ?? 'false') !== 'false');
