/**
 * SQL's three-valued AND / OR over (value, is-null) expression pairs, as source text. JS and WGSL
 * share the syntax of `&&`, `||` and `!`, so the CPU and GPU code generators both use this.
 */
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
