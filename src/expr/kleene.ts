/**
 * SQL's three-valued logic over (value, is-null) expression pairs, as source text: AND, OR and
 * IN with a null in its list. JS and WGSL share the syntax of `&&`, `||` and `!`, so the CPU and
 * GPU code generators both use these.
 */
import type { TExpr } from './resolve.ts';

export interface Tri { v: string; n: string }

/** `a || b`, dropping a constant `false` side. */
export const orText = (a: string, b: string): string => (a === 'false' ? b : b === 'false' ? a : `(${a} || ${b})`);

/** Kleene logic: for AND false wins over null and null over true; OR is the dual. `v` is meaningful where `n` is false. */
export function kleene(op: 'and' | 'or', a: Tri, b: Tri, bind: (expr: string) => string): Tri {
  if (op === 'and') {
    const anyFalse = orText(a.n === 'false' ? `!${a.v}` : `(!${a.n} && !${a.v})`, b.n === 'false' ? `!${b.v}` : `(!${b.n} && !${b.v})`);
    const n = a.n === 'false' && b.n === 'false' ? 'false' : bind(`${orText(a.n, b.n)} && !${anyFalse}`);
    return { v: bind(`${a.v} && ${b.v}`), n };
  }
  const anyTrue = orText(a.n === 'false' ? a.v : `(!${a.n} && ${a.v})`, b.n === 'false' ? b.v : `(!${b.n} && ${b.v})`);
  const n = a.n === 'false' && b.n === 'false' ? 'false' : bind(`${orText(a.n, b.n)} && !${anyTrue}`);
  return { v: bind(`${a.v} || ${b.v}`), n };
}

/** Does the expression produce a boolean (so its code generator's predicate path evaluates it)? */
export const isBooleanValued = (e: TExpr): boolean =>
  e.dtype?.id === 'bool' || e.kind === 'cmp' || e.kind === 'logic' || e.kind === 'not' || e.kind === 'isNull' || e.kind === 'in' || e.kind === 'strMatch';

/** An IN list's non-null values, and whether it also holds the null literal. */
export function inListValues(list: readonly TExpr[]): { values: TExpr[]; hasNull: boolean } {
  const values = list.filter((x) => !(x.kind === 'lit' && x.value === null));
  return { values, hasNull: values.length < list.length };
}

/** `x IN (…)` from the per-value equality tests: with a null in the list it is null unless x matches a value. */
export function inResult(tests: readonly string[], argNull: string, hasNull: boolean, bind: (expr: string) => string): Tri {
  const v = bind(tests.length ? tests.join(' || ') : 'false');
  return { v, n: hasNull ? bind(orText(argNull, `!${v}`)) : argNull };
}
