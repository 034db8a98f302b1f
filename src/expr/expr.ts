/**
 * The expression AST and its fluent builder. Expressions are plain data (serializable, printable);
 * type checking lives in resolve.ts, code generation in to-js.ts.
 */
import { InvalidOptionError, TypeMismatchError, UnknownColumnError } from '../errors.ts';
import { describeValue } from '../option-checks.ts';
import type { StrMatchOp } from './string-match.ts';

export type CmpOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
export type ArithOp = 'add' | 'sub' | 'mul' | 'div';
export type LitValue = number | bigint | string | boolean | Date | null;

export type Expr =
  | { readonly kind: 'col'; readonly name: string }
  | { readonly kind: 'lit'; readonly value: LitValue }
  | { readonly kind: 'cmp'; readonly op: CmpOp; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'logic'; readonly op: 'and' | 'or'; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'not'; readonly arg: Expr }
  | { readonly kind: 'isNull'; readonly negated: boolean; readonly arg: Expr }
  | { readonly kind: 'in'; readonly arg: Expr; readonly list: readonly Expr[] }
  | { readonly kind: 'arith'; readonly op: ArithOp; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'strMatch'; readonly op: StrMatchOp; readonly arg: Expr; readonly pattern: string };

/** What an operand may be: a Column, or a plain JS value taken as a literal. */
export type Operand = Column | LitValue;

export function toExpr(x: Operand): Expr {
  return x instanceof Column ? x.expr : { kind: 'lit', value: checkLiteral(x) };
}

/** A literal's value as given, or a TypeMismatchError for anything SQL has no literal of. */
function checkLiteral(v: unknown): LitValue {
  if (v === null || ['number', 'bigint', 'string', 'boolean'].includes(typeof v)) return v as LitValue;
  if (v instanceof Date && !Number.isNaN(v.getTime())) return v;
  throw new TypeMismatchError(`a literal is a number, bigint, string, boolean, Date or null (or use a Column), got ${describeValue(v)}`);
}

export interface SortKey {
  readonly column: string;
  readonly descending: boolean;
}

/** A column expression with SQL operators as methods. */
export class Column {
  /** `alias`: the output name given with as() (select, withColumn). */
  constructor(readonly expr: Expr, readonly alias: string | null = null) {}

  /** Names this expression's output column in select(). */
  as(name: string): Column {
    if (typeof name !== 'string' || name === '') throw new InvalidOptionError(`as() takes a non-empty output column name, got ${describeValue(name)}`);
    return new Column(this.expr, name);
  }

  /** The output column's name in select(): the alias, a column's own name, or the expression as Spark prints it. */
  get outputName(): string { return this.alias ?? (this.expr.kind === 'col' ? this.expr.name : exprToString(this.expr)); }

  private cmp(op: CmpOp, other: Operand): Column {
    return new Column({ kind: 'cmp', op, left: this.expr, right: toExpr(other) });
  }
  eq(other: Operand): Column { return this.cmp('eq', other); }
  ne(other: Operand): Column { return this.cmp('ne', other); }
  lt(other: Operand): Column { return this.cmp('lt', other); }
  le(other: Operand): Column { return this.cmp('le', other); }
  gt(other: Operand): Column { return this.cmp('gt', other); }
  ge(other: Operand): Column { return this.cmp('ge', other); }

  and(other: Operand): Column { return new Column({ kind: 'logic', op: 'and', left: this.expr, right: toExpr(other) }); }
  or(other: Operand): Column { return new Column({ kind: 'logic', op: 'or', left: this.expr, right: toExpr(other) }); }
  not(): Column { return new Column({ kind: 'not', arg: this.expr }); }

  isNull(): Column { return new Column({ kind: 'isNull', negated: false, arg: this.expr }); }
  isNotNull(): Column { return new Column({ kind: 'isNull', negated: true, arg: this.expr }); }

  /** lo <= x AND x <= hi, both ends inclusive as in SQL. */
  between(lo: Operand, hi: Operand): Column { return this.ge(lo).and(this.le(hi)); }
  isIn(values: readonly Operand[]): Column {
    if (!Array.isArray(values)) throw new InvalidOptionError(`isIn takes an array of values, got ${describeValue(values)}`);
    return new Column({ kind: 'in', arg: this.expr, list: values.map(toExpr) });
  }

  private arith(op: ArithOp, other: Operand): Column {
    return new Column({ kind: 'arith', op, left: this.expr, right: toExpr(other) });
  }
  add(other: Operand): Column { return this.arith('add', other); }
  sub(other: Operand): Column { return this.arith('sub', other); }
  mul(other: Operand): Column { return this.arith('mul', other); }
  div(other: Operand): Column { return this.arith('div', other); }

  private strMatch(op: StrMatchOp, pattern: string): Column {
    if (typeof pattern !== 'string') throw new InvalidOptionError(`${op} takes a string, got ${describeValue(pattern)}`);
    return new Column({ kind: 'strMatch', op, arg: this.expr, pattern });
  }
  /** The string starts with `prefix` (null for a null string). */
  startsWith(prefix: string): Column { return this.strMatch('startsWith', prefix); }
  endsWith(suffix: string): Column { return this.strMatch('endsWith', suffix); }
  contains(substring: string): Column { return this.strMatch('contains', substring); }
  /** SQL LIKE: `%` matches any characters, `_` one; case-sensitive, with no escape character. */
  like(pattern: string): Column { return this.strMatch('like', pattern); }

  asc(): SortKey { return { column: columnName(this.expr), descending: false }; }
  desc(): SortKey { return { column: columnName(this.expr), descending: true }; }

  toString(): string { return exprToString(this.expr); }
}

function columnName(e: Expr): string {
  if (e.kind !== 'col') throw new InvalidOptionError(`orderBy takes output column names, not the expression ${exprToString(e)}`);
  return e.name;
}

export const col = (name: string): Column => {
  if (typeof name !== 'string') throw new InvalidOptionError(`col takes a column name, got ${describeValue(name)}`);
  return new Column({ kind: 'col', name });
};
export const lit = (value: LitValue): Column => new Column({ kind: 'lit', value: checkLiteral(value) });
export const asc = (name: string): SortKey => ({ column: name, descending: false });
export const desc = (name: string): SortKey => ({ column: name, descending: true });

const CMP_SYMBOL: Record<CmpOp, string> = { eq: '=', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' };
const ARITH_SYMBOL: Record<ArithOp, string> = { add: '+', sub: '-', mul: '*', div: '/' };

export function litToString(v: LitValue): string {
  if (v === null) return 'null';
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

/** Spark-style rendering: `((v2 > 5) AND (id1 != id007))`. */
export function exprToString(e: Expr): string {
  switch (e.kind) {
    case 'col': return e.name;
    case 'lit': return litToString(e.value);
    case 'cmp': return `(${exprToString(e.left)} ${CMP_SYMBOL[e.op]} ${exprToString(e.right)})`;
    case 'logic': return `(${exprToString(e.left)} ${e.op.toUpperCase()} ${exprToString(e.right)})`;
    case 'not': return `NOT ${exprToString(e.arg)}`;
    case 'isNull': return `${e.negated ? 'isnotnull' : 'isnull'}(${exprToString(e.arg)})`;
    case 'in': return `${exprToString(e.arg)} IN (${e.list.map(exprToString).join(',')})`;
    case 'arith': return `(${exprToString(e.left)} ${ARITH_SYMBOL[e.op]} ${exprToString(e.right)})`;
    case 'strMatch': return e.op === 'like' ? `${exprToString(e.arg)} LIKE ${e.pattern}` : `${e.op}(${exprToString(e.arg)}, ${e.pattern})`;
  }
}

/**
 * The expression with each column reference replaced by what `scope` defines that name as (the
 * columns a select or withColumn made); an unknown name is an UnknownColumnError listing `names`.
 */
export function substitute(e: Expr, scope: ReadonlyMap<string, Expr>): Expr {
  const sub = (x: Expr): Expr => substitute(x, scope);
  switch (e.kind) {
    case 'col': {
      const def = scope.get(e.name);
      if (!def) throw new UnknownColumnError(e.name, [...scope.keys()]);
      return def;
    }
    case 'lit': return e;
    case 'not': return { ...e, arg: sub(e.arg) };
    case 'isNull': return { ...e, arg: sub(e.arg) };
    case 'strMatch': return { ...e, arg: sub(e.arg) };
    case 'in': return { ...e, arg: sub(e.arg), list: e.list.map(sub) };
    default: return { ...e, left: sub(e.left), right: sub(e.right) };
  }
}

/** Names of the input columns an expression reads, in first-use order. */
export function columnsOf(e: Expr, out: string[] = []): string[] {
  switch (e.kind) {
    case 'col': if (!out.includes(e.name)) out.push(e.name); break;
    case 'lit': break;
    case 'not': case 'isNull': case 'strMatch': columnsOf(e.arg, out); break;
    case 'in': columnsOf(e.arg, out); e.list.forEach((x) => columnsOf(x, out)); break;
    default: columnsOf(e.left, out); columnsOf(e.right, out);
  }
  return out;
}
