/**
 * What one generated kernel accumulates while its expressions are generated, shared by the JS
 * (to-js.ts) and WGSL (to-wgsl.ts) generators: the statements bound so far, the columns it reads
 * (in binding order) and the string literals it compares against (each a task-wide string id the
 * kernel receives as `L{j}`), and the predicate steps both languages write alike (JS and WGSL share
 * the syntax of `&&`, `||` and `!`).
 */
import type { CmpOp } from './expr.ts';
import type { StrMatchOp } from './string-match.ts';
import type { DType } from '../types.ts';
import { inResult, kleene, type Tri } from './kleene.ts';

/** The language generated: JS binds `const`s; WGSL binds `let`s, and reuses the one bound to an equal expression. */
export type CodegenLanguage = 'js' | 'wgsl';

export class CodegenContext {
  readonly stmts: string[] = [];
  /** Columns read, in binding order (column k's locals or params are suffixed with k). */
  readonly columns: { name: string; dtype: DType }[] = [];
  readonly literals: string[] = [];
  /** String predicates, each a table over task-wide string ids the kernel receives as `M{j}`. */
  readonly matchers: { op: StrMatchOp; pattern: string }[] = [];
  /** WGSL: whether the kernel reads strings' sketch hash words (after the match words, from param HS). */
  sketchWords = false;
  /** WGSL: expressions already bound to a local in the row loop's scope. */
  private readonly bound = new Map<string, string>();
  private temps = 0;

  /** `nullable`: the columns that may hold nulls where the kernel runs. */
  constructor(private readonly language: CodegenLanguage, private readonly nullable: ReadonlySet<string>) {}

  /** A fresh local name. */
  tmp(): string { return `t${this.temps++}`; }

  /** An expression bound to a local (a name or a field stays as it is). */
  bind(expr: string): string {
    if (/^[\w.]+$/.test(expr)) return expr;
    const wgsl = this.language === 'wgsl';
    const known = wgsl ? this.bound.get(expr) : undefined;
    if (known) return known;
    const t = this.tmp();
    this.stmts.push(`${wgsl ? 'let' : 'const'} ${t} = ${expr};`);
    if (wgsl) this.bound.set(expr, t);
    return t;
  }

  /** Registers a column read: its index k and whether it may be null here. */
  column(name: string, dtype: DType): { k: number; nullable: boolean } {
    let k = this.columns.findIndex((c) => c.name === name);
    if (k < 0) k = this.columns.push({ name, dtype }) - 1;
    return { k, nullable: this.nullable.has(name) };
  }

  /** The local holding the task-wide string id of a string literal. */
  stringLiteral(s: string): string {
    let j = this.literals.indexOf(s);
    if (j < 0) j = this.literals.push(s) - 1;
    return `L${j}`;
  }

  /** The local holding a string predicate's match table (1 where the string with that id matches). */
  stringMatch(op: StrMatchOp, pattern: string): string {
    let j = this.matchers.findIndex((m) => m.op === op && m.pattern === pattern);
    if (j < 0) j = this.matchers.push({ op, pattern }) - 1;
    return `M${j}`;
  }

  /**
   * WGSL: the two seeded hash words of the string with task-wide id `id` (approxCountDistinct's,
   * StringIds.hllWords), read from the match-word buffer at HS + 2·id.
   */
  stringSketchWords(id: string): { h: string; l: string } {
    this.sketchWords = true;
    const at = `HS + 2u * bitcast<u32>(${id})`;
    return { h: this.bind(`bitcast<i32>(mt[${at} + 1u])`), l: this.bind(`mt[${at}]`) };
  }

  /** A comparison's value and nullness, bound. */
  predicate(p: Tri): Tri { return { v: this.bind(p.v), n: this.bind(p.n) }; }

  /** AND / OR of two predicates in Kleene logic. */
  logic(op: 'and' | 'or', a: Tri, b: Tri): Tri { return kleene(op, a, b, (x) => this.bind(x)); }

  /** NOT of a predicate: its value negated, its nullness kept. */
  not(a: Tri): Tri { return { v: this.bind(`!${a.v}`), n: a.n }; }

  /** `x IS [NOT] NULL` of a value whose nullness is `n`: never null itself. */
  isNull(n: string, negated: boolean): Tri { return { v: negated ? this.bind(`!${n}`) : n, n: 'false' }; }

  /** A comparison of two 64-bit values as exact (h, l) word pairs, high words first. */
  wordPairCompare(op: CmpOp, a: { h: string; l: string }, b: { h: string; l: string }): string {
    const same = this.language === 'js' ? '===' : '==';
    const eq = `(${a.h} ${same} ${b.h} && ${a.l} ${same} ${b.l})`;
    const strict = (o: string) => `(${a.h} ${o} ${b.h} || (${a.h} ${same} ${b.h} && ${a.l} ${o} ${b.l}))`;
    switch (op) {
      case 'eq': return eq;
      case 'ne': return `!${eq}`;
      case 'lt': return strict('<');
      case 'gt': return strict('>');
      case 'le': return `(${strict('<')} || ${eq})`;
      case 'ge': return `(${strict('>')} || ${eq})`;
    }
  }

  /** `x IN (…)` from the argument's equality tests against the list's non-null values (see inResult). */
  inList(tests: readonly string[], argNull: string, hasNull: boolean): Tri { return inResult(tests, argNull, hasNull, (x) => this.bind(x)); }
}
