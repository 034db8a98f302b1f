import * as arrow from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Aggregate, avg, count, max, min, sum } from '../../src/aggregate/aggregate.ts';
import { ExprSyntaxError, GpuFrameError } from '../../src/errors.ts';
import { asc, col, desc, lit, type Column } from '../../src/expr/expr.ts';
import { parseAggs, parseSortKeys } from '../../src/aggregate/parse-aggs.ts';
import { parseColumnList, parseExpr } from '../../src/expr/parse.ts';
import { Session } from '../../src/session.ts';
import { rowsOf, tableOf } from '../support/tables.ts';

/** Parsing must give the very AST the builder gives. */
const same = (text: string, built: Column) => expect(parseExpr(text).expr).toEqual(built.expr);

function syntaxError(f: () => unknown): ExprSyntaxError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ExprSyntaxError);
    expect(e).toBeInstanceOf(GpuFrameError);
    expect((e as Error).name).toBe('ExprSyntaxError');
    return e as ExprSyntaxError;
  }
  throw new Error('expected an ExprSyntaxError');
}

/** The error's column, its caret line under the text, and what the message says. */
function expectError(f: () => unknown, text: string, column: number, says: string) {
  const e = syntaxError(f);
  expect(e.text).toBe(text);
  expect(e.column).toBe(column);
  expect(e.message).toMatch(new RegExp(`^syntax error in .+ at column ${column}: expected `));
  expect(e.message).toContain(says);
  expect(e.message.endsWith(`\n  ${text}\n  ${' '.repeat(column - 1)}^`)).toBe(true);
}

describe('parseExpr: the same AST as the builder', () => {
  it('comparisons, every spelling', () => {
    same('v2 > 5', col('v2').gt(5));
    same('v2 = 5', col('v2').eq(5));
    same('v2 == 5', col('v2').eq(5));
    same('v2 != 5', col('v2').ne(5));
    same('v2 <> 5', col('v2').ne(5));
    same('v2<5', col('v2').lt(5));
    same('v2 <= 5', col('v2').le(5));
    same('v2 >= 5', col('v2').ge(5));
    same('5 < v2', lit(5).lt(col('v2')));
    same('a = b', col('a').eq(col('b')));
  });

  it('IS [NOT] NULL, [NOT] BETWEEN, [NOT] IN; keywords in any case', () => {
    same('a IS NULL', col('a').isNull());
    same('a is not null', col('a').isNotNull());
    same('x BETWEEN 1 AND 2 + 3', col('x').between(1, lit(2).add(3)));
    same('x Not Between 1 And 2', col('x').between(1, 2).not());
    same("s IN ('a', 'b')", col('s').isIn(['a', 'b']));
    same('x NOT IN (1, y + 1)', col('x').isIn([1, col('y').add(1)]).not());
    // BETWEEN's AND binds to BETWEEN, not to the logical AND around it.
    same('x BETWEEN 1 AND 2 AND y', col('x').between(1, 2).and(col('y')));
  });

  it('precedence: OR < AND < NOT < comparison < + - < * / < unary minus', () => {
    same('a = 1 OR b = 2 AND c = 3', col('a').eq(1).or(col('b').eq(2).and(col('c').eq(3))));
    same('(a = 1 OR b = 2) AND c = 3', col('a').eq(1).or(col('b').eq(2)).and(col('c').eq(3)));
    same('-x * 2 + 1', col('x').mul(-1).mul(2).add(1));
    same('NOT a IS NULL', col('a').isNull().not());
    same('NOT NOT a', col('a').not().not());
    same('NOT a = 1 AND b', col('a').eq(1).not().and(col('b')));
    same('a + b * c - d / e', col('a').add(col('b').mul(col('c'))).sub(col('d').div(col('e'))));
    same('a - b - c', col('a').sub(col('b')).sub(col('c')));
    same('a * (b + c) > 2', col('a').mul(col('b').add(col('c'))).gt(2));
    same('price * (1 - disc)', col('price').mul(lit(1).sub(col('disc'))));
  });

  it('numbers: ints, floats, exponents, negatives folded into the literal, bigints beyond 2^53', () => {
    same('x = 2.5', col('x').eq(2.5));
    same('x = 1e6', col('x').eq(1e6));
    same('x = .5', col('x').eq(0.5));
    same('x = 1.5E-3', col('x').eq(0.0015));
    same('x = -3', col('x').eq(-3));
    same('x = - -3', col('x').eq(3));
    same('x - -3', col('x').sub(-3));
    same('-(3)', lit(-3));
    same('-(a + 1)', col('a').add(1).mul(-1));
    same('x = 9007199254740991', col('x').eq(9007199254740991));
    same('x = 9007199254740993', col('x').eq(9007199254740993n));
    same('x > -9223372036854775808', col('x').gt(-(2n ** 63n)));
    same('x = 18446744073709551615', col('x').eq(2n ** 64n - 1n));
  });

  it('strings, booleans, null, dates and timestamps', () => {
    same("s = 'abc'", col('s').eq('abc'));
    same("s = 'it''s'", col('s').eq("it's"));
    same("s = ''", col('s').eq(''));
    same('b = TRUE OR b = false', col('b').eq(true).or(col('b').eq(false)));
    same('x = NULL', col('x').eq(null));
    same("d <= DATE '1998-09-02'", col('d').le(new Date(Date.UTC(1998, 8, 2))));
    same("t < TIMESTAMP '1998-09-02T10:00:00Z'", col('t').lt(new Date('1998-09-02T10:00:00Z')));
    // No zone means UTC, never the machine's local time.
    same("t < timestamp '1998-09-02 10:00'", col('t').lt(new Date('1998-09-02T10:00:00Z')));
    same("t < TIMESTAMP '1998-09-02T10:00:00.5+02:00'", col('t').lt(new Date('1998-09-02T08:00:00.500Z')));
    same("t < TIMESTAMP '1998-09-02'", col('t').lt(new Date('1998-09-02T00:00:00Z')));
    // `date` alone is a column.
    same("date > DATE '2020-01-01'", col('date').gt(new Date('2020-01-01T00:00:00Z')));
  });

  it('names: plain, with $ _ digits and letters, double-quoted with "" escaping', () => {
    same('id_4$ > 0', col('id_4$').gt(0));
    same('größe > 0', col('größe').gt(0));
    same('"my col" > 0', col('my col').gt(0));
    same('"say ""hi""" = 1', col('say "hi"').eq(1));
    same('"sum(v1)" > 100', col('sum(v1)').gt(100));
    same('"and" OR "NULL"', col('and').or(col('NULL')));
  });

  it('prints as the builder prints', () => {
    expect(parseExpr("v2 > 5 AND id1 IN ('id001', 'id002')").toString()).toBe('((v2 > 5) AND id1 IN (id001,id002))');
  });
});

describe('parseAggs', () => {
  it('each function, any case, with Spark default names', () => {
    const aggs = parseAggs('sum(v1), AVG(v3), min(v2), Max(v2), count(), count(*), count(v1)');
    expect(aggs).toEqual([sum('v1'), avg('v3'), min('v2'), max('v2'), count(), count(), count('v1')]);
    expect(aggs.every((a) => a instanceof Aggregate)).toBe(true);
    expect(aggs.map((a) => a.name)).toEqual(['sum(v1)', 'avg(v3)', 'min(v2)', 'max(v2)', 'count(1)', 'count(1)', 'count(v1)']);
  });

  it('expression arguments and AS aliases, plain or quoted', () => {
    const aggs = parseAggs('sum(price * (1 - disc)) AS revenue, sum(price * 2), count(*) as "row count", avg(-x) as n');
    expect(aggs).toEqual([
      sum(col('price').mul(lit(1).sub(col('disc')))).as('revenue'),
      sum(col('price').mul(2)),
      count().as('row count'),
      avg(col('x').mul(-1)).as('n'),
    ]);
    expect(aggs.map((a) => a.name)).toEqual(['revenue', 'sum((price * 2))', 'row count', 'n']);
  });
});

describe('parseColumnList and parseSortKeys', () => {
  it('column lists', () => {
    expect(parseColumnList('id4,id5', '--group-by')).toEqual(['id4', 'id5']);
    expect(parseColumnList(' id4 , "my col", "a""b" ', '--group-by')).toEqual(['id4', 'my col', 'a"b']);
  });

  it('sort keys: names or aggregate calls, each with an optional ASC/DESC', () => {
    expect(parseSortKeys('id4, sum(v1) desc')).toEqual([asc('id4'), desc('sum(v1)')]);
    expect(parseSortKeys('count(*) ASC, "x y" DESC, COUNT(), avg(v3 * 2) desc, s')).toEqual([
      asc('count(1)'), desc('x y'), asc('count(1)'), desc('avg((v3 * 2))'), asc('s'),
    ]);
    // The name an aggregate call gives is the one that aggregate produces.
    expect(parseSortKeys('sum(price * 2)')[0]!.column).toBe(parseAggs('sum(price * 2)')[0]!.name);
  });
});

describe('syntax errors point at the bad token', () => {
  it('the message: what, column, expected, found, the text and a caret', () => {
    const e = syntaxError(() => parseExpr('v2 > > 5', '--where'));
    expect(e.message).toBe("syntax error in --where at column 6: expected a value, found '>'\n  v2 > > 5\n       ^");
    expect(e.column).toBe(6);
    expect(e.text).toBe('v2 > > 5');
  });

  it('unexpected tokens', () => {
    expectError(() => parseExpr('v2 > > 5'), 'v2 > > 5', 6, "expected a value, found '>'");
    expectError(() => parseExpr('a AND OR b'), 'a AND OR b', 7, "expected a value, found 'OR'");
    expectError(() => parseExpr('a IS 5'), 'a IS 5', 6, "expected NULL or NOT NULL after IS, found '5'");
    expectError(() => parseExpr('a NOT b'), 'a NOT b', 7, "expected BETWEEN, IN or LIKE after NOT, found 'b'");
    expectError(() => parseExpr('x BETWEEN 1 OR 2'), 'x BETWEEN 1 OR 2', 13, "expected AND, as in BETWEEN lo AND hi, found 'OR'");
    expectError(() => parseExpr('x IN 1'), 'x IN 1', 6, "expected '(' to start the IN list, found '1'");
    expectError(() => parseExpr('x IN ()'), 'x IN ()', 7, "expected a value, found ')'");
    expectError(() => parseExpr('sum(v1) > 1'), 'sum(v1) > 1', 1, 'expected a value, not a call');
    expectError(() => parseExpr('1e'), '1e', 1, "expected a number, found '1e'");
  });

  it('unterminated strings and quoted names point at the opening quote', () => {
    expectError(() => parseExpr("s = 'abc"), "s = 'abc", 5, "expected a closing ' to end the string that starts here, found end of input");
    expectError(() => parseExpr("s = 'it''s"), "s = 'it''s", 5, 'found end of input');
    expectError(() => parseExpr('"my col = 1'), '"my col = 1', 1, 'expected a closing " to end the quoted name that starts here, found end of input');
  });

  it('unknown characters', () => {
    expectError(() => parseExpr('a # b'), 'a # b', 3, "found unknown character '#'");
    expectError(() => parseExpr('a = 1;'), 'a = 1;', 6, "found unknown character ';'");
  });

  it('a missing ) names the ( it would close', () => {
    expectError(() => parseExpr('(a + 1'), '(a + 1', 7, "expected ')' to close the '(' at column 1, found end of input");
    expectError(() => parseExpr('(a + (b * 2) = 1'), '(a + (b * 2) = 1', 17, "expected ')' to close the '(' at column 1");
    expectError(() => parseAggs('sum(v1 + 2'), 'sum(v1 + 2', 11, "expected ')' to close the '(' at column 4, found end of input");
  });

  it('trailing input after a complete expression', () => {
    expectError(() => parseExpr('v2 > 5 6', '--where'), 'v2 > 5 6', 8, "expected end of input, found '6'");
    expectError(() => parseExpr('a = 1 )'), 'a = 1 )', 7, "expected end of input, found ')'");
  });

  it('empty input', () => {
    expectError(() => parseExpr(''), '', 1, 'expected a value, found end of input');
    expectError(() => parseExpr('   '), '   ', 4, 'expected a value, found end of input');
    expectError(() => parseAggs(''), '', 1, 'expected an aggregate such as sum(v1) or count(), found end of input');
    expectError(() => parseColumnList('', '--group-by'), '', 1, 'expected a column name, found end of input');
    expectError(() => parseSortKeys(''), '', 1, 'expected an output column name or an aggregate such as sum(v1), found end of input');
  });

  it('invalid date and timestamp text points at the string', () => {
    expectError(() => parseExpr("d = DATE '1998-02-30'"), "d = DATE '1998-02-30'", 10, "expected a date as 'YYYY-MM-DD', found string '1998-02-30'");
    expectError(() => parseExpr("d = DATE 'soon'"), "d = DATE 'soon'", 10, "found string 'soon'");
    expectError(() => parseExpr("t = TIMESTAMP '1998-09-02T25:00:00'"), "t = TIMESTAMP '1998-09-02T25:00:00'", 15, 'expected a timestamp with a valid time of day');
  });

  it('unknown aggregate functions and malformed aggregate lists', () => {
    const e = syntaxError(() => parseAggs('sum(v1), median(v1)', '--agg'));
    expect(e.column).toBe(10);
    expect(e.message).toContain('syntax error in --agg at column 10: expected an aggregate function (count, count_distinct, approx_count_distinct, sum, avg, min, max, stddev, stddev_pop, variance, var_pop, stddev_samp, var_samp), found \'median\'');
    expect(e.message.endsWith('\n  sum(v1), median(v1)\n           ^')).toBe(true);
    expectError(() => parseAggs('v1'), 'v1', 1, "expected an aggregate such as sum(v1) or count(), found 'v1'");
    expectError(() => parseAggs('sum v1'), 'sum v1', 5, "expected '(' after sum, found 'v1'");
    expectError(() => parseAggs('sum(*)'), 'sum(*)', 5, "expected a value, found '*'");
    expectError(() => parseAggs('sum(v1) avg(v2)'), 'sum(v1) avg(v2)', 9, "expected AS, ',' or end of input, found 'avg'");
    expectError(() => parseAggs('sum(v1),'), 'sum(v1),', 9, 'found end of input');
    expectError(() => parseSortKeys('median(v1) desc'), 'median(v1) desc', 1, 'expected an aggregate function');
  });

  it('AS without a name', () => {
    expectError(() => parseAggs('sum(v1) AS'), 'sum(v1) AS', 11, 'expected a name after AS, found end of input');
    expectError(() => parseAggs('sum(v1) as, count()'), 'sum(v1) as, count()', 11, "expected a name after AS, found ','");
    expectError(() => parseAggs('sum(v1) as ""'), 'sum(v1) as ""', 12, "expected a name after AS, found '\"\"'");
  });

  it('keywords as names must be quoted; malformed lists and sort keys', () => {
    expectError(() => parseColumnList('id4, in', '--group-by'), 'id4, in', 6, 'expected a column name (in is a keyword: quote it as "in"), found \'in\'');
    expectError(() => parseColumnList('id4,', '--group-by'), 'id4,', 5, 'expected a column name, found end of input');
    expectError(() => parseColumnList('id4 id5', '--group-by'), 'id4 id5', 5, "expected ',' or end of input, found 'id5'");
    expectError(() => parseSortKeys('a b'), 'a b', 3, "expected ASC, DESC, ',' or end of input, found 'b'");
    expectError(() => parseSortKeys('a desc b'), 'a desc b', 8, "expected ',' or end of input, found 'b'");
  });

  it('a tab or newline in the text keeps the caret aligned', () => {
    const e = syntaxError(() => parseExpr('a >\n\t> 1'));
    expect(e.column).toBe(6);
    expect(e.message.endsWith('\n  a >  > 1\n       ^')).toBe(true);
  });
});

describe('parsed expressions run', () => {
  let s: Session;
  beforeAll(async () => { s = await Session.create({ executor: 'cpu', workers: false }); });
  afterAll(async () => { await s.close(); });

  const t = tableOf({
    k: [new arrow.Int32(), [1, 1, 2, 2, 3, null]],
    v: [new arrow.Int32(), [5, 6, 7, null, 9, 10]],
    big: [new arrow.Int64(), [9007199254740993n, 1n, 2n, 9007199254740992n, 3n, 4n]],
    name: [new arrow.Utf8(), ["it's", 'b', 'c', 'a', 'b', null]],
    d: [new arrow.DateDay(), [Date.UTC(1998, 8, 1), Date.UTC(1998, 8, 2), Date.UTC(1998, 8, 3), null, Date.UTC(1998, 8, 2), Date.UTC(1998, 8, 4)]],
  });

  async function rows(df: ReturnType<Session['fromArrow']>) {
    return rowsOf(await df.collect());
  }

  it('the session example: filter, group, aggregate with aliases', async () => {
    const table = arrow.tableFromArrays({ k: Int32Array.from([1, 1, 2]), v: Int32Array.from([5, 6, 7]) });
    const parsed = await s.fromArrow(table).filter(parseExpr('v >= 6')).groupBy('k').agg(...parseAggs('sum(v) as s, count(*)')).orderBy('k').collect();
    const built = await s.fromArrow(table).filter(col('v').ge(6)).groupBy('k').agg(sum('v').as('s'), count()).orderBy('k').collect();
    expect(rowsOf(parsed)).toEqual(rowsOf(built));
    expect(rowsOf(parsed)).toEqual([{ k: 1, s: 6, 'count(1)': 1 }, { k: 2, s: 7, 'count(1)': 1 }]);
  });

  it('predicates with every construct give the rows the built ones give', async () => {
    const cases: [string, Column][] = [
      ["v BETWEEN 6 AND 9 AND name NOT IN ('b')", col('v').between(6, 9).and(col('name').isIn(['b']).not())],
      ['k IS NULL OR -v * 2 + 1 < -12', col('k').isNull().or(col('v').mul(-1).mul(2).add(1).lt(-12))],
      ["name = 'it''s' OR big > 9007199254740992", col('name').eq("it's").or(col('big').gt(9007199254740992n))],
      ["d = DATE '1998-09-02' OR d > DATE '1998-09-03'", col('d').eq(new Date('1998-09-02T00:00:00Z')).or(col('d').gt(new Date('1998-09-03T00:00:00Z')))],
      ['NOT v IS NULL AND k IN (1, 3)', col('v').isNull().not().and(col('k').isIn([1, 3]))],
    ];
    for (const [text, built] of cases) {
      const got = await rows(s.fromArrow(t).filter(parseExpr(text)));
      expect(got, text).toEqual(await rows(s.fromArrow(t).filter(built)));
      expect(got.length, text).toBeGreaterThan(0);
    }
  });

  it('aggregates of expressions, ordered by an aggregate call', async () => {
    const parsed = s.fromArrow(t).groupBy('k').agg(...parseAggs('sum(v * 2) AS twice, max(v), count()')).orderBy(...parseSortKeys('max(v) desc, k'));
    const built = s.fromArrow(t).groupBy('k').agg(sum(col('v').mul(2)).as('twice'), max('v'), count()).orderBy(desc('max(v)'), asc('k'));
    expect(await rows(parsed)).toEqual(await rows(built));
    expect((await rows(parsed)).map((r) => r.k)).toEqual([null, 3, 2, 1]);
  });
});
