/** Aggregate lists and sort keys in the CLI's little language (`sum(v1) AS s, count(*)`), over the expression parser. */
import { asc, desc, type Column, type SortKey } from '../expr/expr.ts';
import { ExprParser } from '../expr/parse.ts';
import { Aggregate, SQL_NAME, type AggFn } from './aggregate.ts';

/** The functions by their SQL names, with the _samp spellings of stddev and variance. */
const AGG_FNS: ReadonlyMap<string, AggFn> = new Map([
  ...Object.entries(SQL_NAME).map(([fn, name]) => [name, fn as AggFn] as const),
  ['stddev_samp', 'stddev'], ['var_samp', 'variance'],
]);

/** `fn(arg)`, `count()` or `count(*)`. */
function aggCall(p: ExprParser): Aggregate {
  const t = p.peek();
  const fn = AGG_FNS.get(t.raw.toLowerCase())!;
  const known = t.kind === 'ident' && fn !== undefined;
  if (!known && !(t.kind === 'ident' && p.isOp('(', 1))) p.fail(t, 'an aggregate such as sum(v1) or count()');
  if (!known) p.fail(t, `an aggregate function (${[...AGG_FNS.keys()].join(', ')})`);
  p.next();
  const open = p.peek();
  if (!p.acceptOp('(')) p.fail(open, `'(' after ${t.raw}`);
  let arg: Column | null = null;
  // count(DISTINCT x), as SQL writes countDistinct.
  if (fn === 'count' && p.acceptWord('distinct')) {
    const x = p.expr();
    p.closeParen(open);
    return new Aggregate('countDistinct', x.expr);
  }
  if (fn !== 'count') arg = p.expr();
  else if (p.isOp('*') && p.isOp(')', 1)) p.next();
  else if (!p.isOp(')')) arg = p.expr();
  p.closeParen(open);
  return new Aggregate(fn, arg === null ? null : arg.expr);
}

/** Comma-separated aggregates, each `fn(arg)` with an optional `AS name`: `sum(v1) AS s, count(*)`. */
export function parseAggs(text: string, what = 'aggregate list'): Aggregate[] {
  const p = new ExprParser(text, what);
  const out: Aggregate[] = [];
  do {
    const a = aggCall(p);
    out.push(p.acceptWord('as') ? a.as(p.name('a name after AS')) : a);
  } while (p.acceptOp(','));
  p.end("AS, ',' or end of input");
  return out;
}

/**
 * Comma-separated output columns, each with an optional ASC or DESC: `id4, sum(v1) DESC`. An
 * aggregate call names the column that aggregate produces by default (`count(*)` is `count(1)`).
 */
export function parseSortKeys(text: string, what = 'sort keys'): SortKey[] {
  const p = new ExprParser(text, what);
  const out: SortKey[] = [];
  let directed: boolean;
  do {
    const column = p.peek().kind === 'ident' && p.isOp('(', 1)
      ? aggCall(p).defaultName
      : p.name('an output column name or an aggregate such as sum(v1)');
    const descending = p.acceptWord('desc');
    directed = descending || p.acceptWord('asc');
    out.push(descending ? desc(column) : asc(column));
  } while (p.acceptOp(','));
  p.end(directed ? "',' or end of input" : "ASC, DESC, ',' or end of input");
  return out;
}
