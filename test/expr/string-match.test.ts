import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { col, count, InvalidOptionError, parseExpr, sum, TypeMismatchError } from '../../src/index.ts';
import { StringIds } from '../../src/executor/string-ids.ts';
import { stringMatcher } from '../../src/expr/string-match.ts';
import { likeMatch } from '../executor/gpu/gpu-reference.ts';
import { collectRows, tableOf, withSession } from '../support/tables.ts';

const words = ['apple', 'banana', 'apricot', null, 'cherry', 'a_b', 'añb', 'a%b', '', 'A😀z', 'Apple', 'bandana', 'ab', 'axyb'];
const plain = tableOf({ id: [new arrow.Int32(), words.map((_, i) => i)], s: [new arrow.Utf8(), words] });
/** The same strings as a dictionary column whose dictionary holds a null entry and an unused entry. */
function dictionaryTable(): arrow.Table {
  const dict = arrow.vectorFromArray(['unused', ...words], new arrow.Utf8());
  const codes = Int32Array.from(words, (_, i) => i + 1);
  const type = new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32());
  const data = arrow.makeData({ type, length: words.length, nullCount: 0, data: codes, dictionary: dict });
  return new arrow.Table({ id: arrow.vectorFromArray(words.map((_, i) => i), new arrow.Int32()), s: arrow.makeVector(data) });
}

async function kept(t: arrow.Table, pred: ReturnType<typeof col>, executor: 'cpu' | 'gpu' = 'cpu'): Promise<number[]> {
  return withSession(async (s) => (await collectRows(s.fromArrow(t, { partitions: 2 }).filter(pred))).map((r) => r.id as number), { executor });
}
/** The ids the predicate keeps, computed here from the strings. */
const expected = (test: (s: string) => boolean): number[] => words.flatMap((w, i) => (w !== null && test(w) ? [i] : []));

describe('string predicates', () => {
  const cases: [string, ReturnType<typeof col>, (s: string) => boolean][] = [
    ["startsWith('ap')", col('s').startsWith('ap'), (w) => w.slice(0, 2) === 'ap'],
    ["endsWith('ana')", col('s').endsWith('ana'), (w) => w.length >= 3 && w.slice(-3) === 'ana'],
    ["contains('an')", col('s').contains('an'), (w) => w.indexOf('an') >= 0],
    ["startsWith('')", col('s').startsWith(''), () => true],
    ["like('a_b')", col('s').like('a_b'), (w) => likeMatch(w, 'a_b')],
    ["like('%a%')", col('s').like('%a%'), (w) => likeMatch(w, '%a%')],
    ["like('A_z')", col('s').like('A_z'), (w) => likeMatch(w, 'A_z')],
    ["like('')", col('s').like(''), (w) => w === ''],
    ["like('%')", col('s').like('%'), () => true],
    ["like('a.b')", col('s').like('a.b'), () => false],
    ["like('b%n%a')", col('s').like('b%n%a'), (w) => likeMatch(w, 'b%n%a')],
  ];
  for (const [name, pred, test] of cases) {
    it(`${name} keeps the matching rows, never a null one; plain and dictionary columns alike`, async () => {
      const want = expected(test);
      expect(await kept(plain, pred)).toEqual(want);
      expect(await kept(dictionaryTable(), pred)).toEqual(want);
      expect(await kept(plain, pred.not())).toEqual(expected((w) => !test(w)));
    });
  }

  it('LIKE takes every other character literally: punctuation, regular-expression syntax, backslash', () => {
    for (const ch of '!"#$&\'()*+,-./:;<=>?@[\\]^`{|}~') {
      const like = stringMatcher('like', `a${ch}%`);
      expect(like(`a${ch}xyz`), ch).toBe(true);
      expect(like('abxyz'), ch).toBe(ch === 'b');
      expect(stringMatcher('contains', ch)(`x${ch}y`), ch).toBe(true);
    }
  });

  it('_ is one character (a code point: an emoji is one), and LIKE is case-sensitive', () => {
    expect(likeMatch('A😀z', 'A_z')).toBe(true);
    expect(likeMatch('Apple', 'a%')).toBe(false);
  });

  it('filters aggregations, grouped and global, through the shuffle', async () => {
    const t = tableOf({
      k: [new arrow.Utf8(), ['x', 'y', 'x', 'y', 'x', null]],
      s: [new arrow.Utf8(), ['ab', 'ab', 'cd', 'abc', null, 'ab']],
      v: [new arrow.Int32(), [1, 2, 3, 4, 5, 6]],
    });
    const rows = await withSession(async (s) => collectRows(s.fromArrow(t, { partitions: 2 }).filter(col('s').startsWith('ab')).groupBy('k').agg(sum('v').as('v')).orderBy('k')));
    expect(rows).toEqual([{ k: null, v: 6 }, { k: 'x', v: 1 }, { k: 'y', v: 6 }]);
  });

  it('parses LIKE, NOT LIKE and starts_with / ends_with / contains', async () => {
    expect(await kept(plain, parseExpr("s LIKE 'ap%'"))).toEqual(expected((w) => w.startsWith('ap')));
    expect(await kept(plain, parseExpr("s NOT LIKE '%a%' AND s IS NOT NULL"))).toEqual(expected((w) => !w.includes('a')));
    expect(await kept(plain, parseExpr("starts_with(s, 'ban') OR ends_with(s, 'ry') OR contains(s, '%')"))).toEqual(
      expected((w) => w.startsWith('ban') || w.endsWith('ry') || w.includes('%')));
    expect(parseExpr("s LIKE 'a%'").toString()).toBe('s LIKE a%');
    expect(() => parseExpr('s LIKE 5')).toThrow(/quoted pattern after LIKE/);
    expect(() => parseExpr("contains(s)")).toThrow(/',' and a quoted string/);
  });

  it('refuses a non-string column or pattern with a typed error', async () => {
    await withSession(async (s) => {
      const df = s.fromArrow(plain);
      await expect(df.filter(col('id').startsWith('1')).collect()).rejects.toThrow(TypeMismatchError);
      await expect(df.filter(col('id').like('1%')).collect()).rejects.toThrow(/like needs a string, got int32/);
    });
    expect(() => col('s').contains(5 as unknown as string)).toThrow(InvalidOptionError);
  });

  it('tests each distinct string of a task once, however many rows and dictionaries hold it', () => {
    const ids = new StringIds();
    ids.remap(['a', 'b', 'ab']);
    ids.remap(['ab', 'c']);
    let calls = 0;
    const spy = String.prototype.startsWith;
    String.prototype.startsWith = function (this: string, ...args: Parameters<typeof spy>) { calls++; return spy.apply(this, args); };
    try {
      expect([...ids.matchTable('startsWith', 'a').subarray(0, 4)]).toEqual([1, 0, 1, 0]);
      expect(calls).toBe(4);
      ids.remap(['d', 'a', 'ax']);
      expect([...ids.matchTable('startsWith', 'a').subarray(0, 6)]).toEqual([1, 0, 1, 0, 0, 1]);
      expect(calls).toBe(6);
    } finally {
      String.prototype.startsWith = spy;
    }
  });

  it('run in the GPU map kernel with the answer of the CPU executor', async () => {
    const t = tableOf({ k: [new arrow.Int32(), words.map((_, i) => i % 3)], s: [new arrow.Utf8(), words] });
    for (const pred of [col('s').contains('an'), col('s').like('a_b').or(col('s').endsWith('y')), col('s').startsWith('a').not()]) {
      const frame = (s: Parameters<Parameters<typeof withSession>[0]>[0]) => s.fromArrow(t, { partitions: 2 }).filter(pred).groupBy('k').agg(count().as('n')).orderBy('k');
      const cpu = await withSession(async (s) => collectRows(frame(s)));
      const gpu = await withSession(async (s) => {
        const rows = await collectRows(frame(s));
        expect(s.lastJob!.stages[0].placement!.on).toBe('gpu');
        expect(s.lastJob!.stages[0].tasks.every((task) => task.fallbackReason === undefined)).toBe(true);
        return rows;
      }, { executor: 'gpu' });
      expect(gpu).toEqual(cpu);
    }
  });
});
