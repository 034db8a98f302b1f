/**
 * The expression language of string predicates and the CLI (--where, --agg, --group-by, --order-by):
 * a recursive-descent parser onto the Column builder, so `v2 > 5` parses to the very AST that
 * `col('v2').gt(5)` builds. Precedence, loosest first: OR, AND, NOT, comparison (= != <> < <= > >=,
 * IS [NOT] NULL, [NOT] BETWEEN, [NOT] IN, [NOT] LIKE), + -, * /, unary minus; and the string
 * functions starts_with, ends_with and contains.
 */
import { ExprSyntaxError } from '../errors.ts';
import { col, lit, type CmpOp, type Column } from './expr.ts';
import { describeToken, tokenize, type Token } from './tokenize.ts';

/** Words that are operators or literals: a column spelled like one must be double-quoted. */
const RESERVED = new Set(['and', 'or', 'not', 'is', 'null', 'between', 'in', 'like', 'true', 'false']);
/** String functions, as DuckDB spells them: name(string, 'literal'). */
const STRING_FUNCTIONS = { starts_with: 'startsWith', ends_with: 'endsWith', contains: 'contains' } as const;
const CMP_OPS: Readonly<Record<string, CmpOp>> = { '=': 'eq', '==': 'eq', '!=': 'ne', '<>': 'ne', '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge' };
const DATE_TEXT = /^(\d{4}-\d{2}-\d{2})$/;
const TIMESTAMP_TEXT = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** The recursive-descent parser over one text; src/aggregate/parse-aggs.ts builds aggregate lists on it. */
export class ExprParser {
  private readonly tokens: Token[];
  private i = 0;

  constructor(private readonly text: string, private readonly what: string) {
    this.tokens = tokenize(text, what);
  }

  peek(ahead = 0): Token { return this.tokens[Math.min(this.i + ahead, this.tokens.length - 1)]!; }
  next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  fail(t: Token, expected: string): never {
    throw new ExprSyntaxError(this.what, this.text, t.pos + 1, expected, describeToken(t));
  }
  isOp(op: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === 'op' && t.value === op;
  }
  isWord(word: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === 'ident' && t.raw.toLowerCase() === word;
  }
  acceptOp(op: string): boolean {
    if (!this.isOp(op)) return false;
    this.next();
    return true;
  }
  acceptWord(word: string): boolean {
    if (!this.isWord(word)) return false;
    this.next();
    return true;
  }
  expectWord(word: string, expected: string): void { if (!this.acceptWord(word)) this.fail(this.peek(), expected); }
  closeParen(open: Token): void {
    if (!this.acceptOp(')')) this.fail(this.peek(), `')' to close the '(' at column ${open.pos + 1}`);
  }
  end(expected: string): void {
    if (this.peek().kind !== 'eof') this.fail(this.peek(), expected);
  }

  expr(): Column {
    let left = this.and();
    while (this.acceptWord('or')) left = left.or(this.and());
    return left;
  }
  private and(): Column {
    let left = this.not();
    while (this.acceptWord('and')) left = left.and(this.not());
    return left;
  }
  private not(): Column {
    return this.acceptWord('not') ? this.not().not() : this.comparison();
  }

  private comparison(): Column {
    const left = this.additive();
    const t = this.peek();
    const op = t.kind === 'op' ? CMP_OPS[t.raw] : undefined;
    if (op) {
      this.next();
      return left[op](this.additive());
    }
    if (this.acceptWord('is')) {
      const negated = this.acceptWord('not');
      this.expectWord('null', negated ? 'NULL after IS NOT' : 'NULL or NOT NULL after IS');
      return negated ? left.isNotNull() : left.isNull();
    }
    const negated = this.acceptWord('not');
    if (this.acceptWord('between')) {
      const lo = this.additive();
      this.expectWord('and', 'AND, as in BETWEEN lo AND hi');
      const positive = left.between(lo, this.additive());
      return negated ? positive.not() : positive;
    }
    if (this.isWord('in')) {
      this.next();
      const open = this.peek();
      if (!this.acceptOp('(')) this.fail(open, "'(' to start the IN list");
      const list = [this.additive()];
      while (this.acceptOp(',')) list.push(this.additive());
      this.closeParen(open);
      const positive = left.isIn(list);
      return negated ? positive.not() : positive;
    }
    if (this.acceptWord('like')) {
      const positive = left.like(this.stringLiteral('a quoted pattern after LIKE'));
      return negated ? positive.not() : positive;
    }
    if (negated) this.fail(this.peek(), 'BETWEEN, IN or LIKE after NOT');
    return left;
  }

  private additive(): Column {
    let left = this.multiplicative();
    for (;;) {
      if (this.acceptOp('+')) left = left.add(this.multiplicative());
      else if (this.acceptOp('-')) left = left.sub(this.multiplicative());
      else return left;
    }
  }
  private multiplicative(): Column {
    let left = this.unary();
    for (;;) {
      if (this.acceptOp('*')) left = left.mul(this.unary());
      else if (this.acceptOp('/')) left = left.div(this.unary());
      else return left;
    }
  }
  private unary(): Column {
    if (!this.acceptOp('-')) return this.primary();
    const arg = this.unary();
    const v = arg.expr.kind === 'lit' ? arg.expr.value : null;
    if (typeof v === 'number' || typeof v === 'bigint') return lit(-v);
    // The AST has no negation node; x * -1 gives -0 for 0 and NaN for NaN, as SQL's -x does.
    return arg.mul(-1);
  }

  private primary(): Column {
    const t = this.next();
    switch (t.kind) {
      case 'number': return lit(t.value as number | bigint);
      case 'string': return lit(t.value as string);
      case 'qident': return col(t.value as string);
      case 'op':
        if (t.raw === '(') {
          const inner = this.expr();
          this.closeParen(t);
          return inner;
        }
        break;
      case 'ident': {
        const word = t.raw.toLowerCase();
        if (word === 'true' || word === 'false') return lit(word === 'true');
        if (word === 'null') return lit(null);
        // `date` alone stays a column name; only DATE 'text' is a literal.
        if ((word === 'date' || word === 'timestamp') && this.peek().kind === 'string') return lit(this.temporal(word, this.next()));
        if (this.isOp('(') && Object.hasOwn(STRING_FUNCTIONS, word)) return this.stringCall(STRING_FUNCTIONS[word as keyof typeof STRING_FUNCTIONS]);
        if (this.isOp('(')) this.fail(t, `a value, not a call (an aggregate's output column is written quoted, as "sum(v1)")`);
        if (!RESERVED.has(word)) return col(t.raw);
      }
    }
    return this.fail(t, 'a value');
  }

  /** DATE 'YYYY-MM-DD' or TIMESTAMP 'YYYY-MM-DD[ HH:MM[:SS[.fff]]][Z|+HH:MM]'; no zone means UTC, not local time. */
  private temporal(kind: 'date' | 'timestamp', s: Token): Date {
    const m = (kind === 'date' ? DATE_TEXT : TIMESTAMP_TEXT).exec((s.value as string).toUpperCase());
    const day = m ? new Date(`${m[1]}T00:00:00Z`) : null;
    // Date accepts 2023-02-30 by rolling over: a calendar date must round-trip.
    if (!m || !day || Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== m[1]) {
      return this.fail(s, kind === 'date' ? "a date as 'YYYY-MM-DD'" : "a timestamp as 'YYYY-MM-DD HH:MM:SS[.fff][Z|+HH:MM]'");
    }
    if (kind === 'date' || m[2] === undefined) return day;
    const ms = (m[4] ?? '').slice(0, 4); // Date keeps milliseconds only
    const zone = (m[5] ?? 'Z').replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
    const at = new Date(`${m[1]}T${m[2]}${m[3] ?? ':00'}${ms}${zone}`);
    if (Number.isNaN(at.getTime())) return this.fail(s, 'a timestamp with a valid time of day');
    return at;
  }

  private stringLiteral(expected: string): string {
    const t = this.next();
    return t.kind === 'string' ? (t.value as string) : this.fail(t, expected);
  }

  /** starts_with(x, 'p'), ends_with(x, 'p'), contains(x, 'p'). */
  private stringCall(method: 'startsWith' | 'endsWith' | 'contains'): Column {
    const open = this.next();
    const arg = this.expr();
    if (!this.acceptOp(',')) this.fail(this.peek(), "',' and a quoted string");
    const pattern = this.stringLiteral('a quoted string');
    this.closeParen(open);
    return arg[method](pattern);
  }

  /** A plain or double-quoted name. */
  name(expected: string): string {
    const t = this.next();
    if (t.kind === 'qident' && t.value !== '') return t.value as string;
    if (t.kind === 'ident' && !RESERVED.has(t.raw.toLowerCase())) return t.raw;
    return this.fail(t, t.kind === 'ident' ? `${expected} (${t.raw} is a keyword: quote it as "${t.raw}")` : expected);
  }
}

/** A predicate or value expression, e.g. `v2 > 5 AND id1 IN ('id001', 'id002')`; `what` names the text in errors. */
export function parseExpr(text: string, what = 'expression'): Column {
  const p = new ExprParser(text, what);
  const e = p.expr();
  p.end('end of input');
  return e;
}

/** Comma-separated expressions, each with an optional `AS name`: `id4, v1 * 2 AS v2` (a select list). */
export function parseSelectList(text: string, what: string): Column[] {
  const p = new ExprParser(text, what);
  const out: Column[] = [];
  do {
    const e = p.expr();
    out.push(p.acceptWord('as') ? e.as(p.name('a name after AS')) : e);
  } while (p.acceptOp(','));
  p.end("AS, ',' or end of input");
  return out;
}

/** Comma-separated column names, plain or double-quoted: `id4, "my col"`. */
export function parseColumnList(text: string, what: string): string[] {
  const p = new ExprParser(text, what);
  const out: string[] = [];
  do out.push(p.name('a column name'));
  while (p.acceptOp(','));
  p.end("',' or end of input");
  return out;
}
