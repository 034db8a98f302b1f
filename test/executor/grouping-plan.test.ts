/** The grouping both executors choose from a task's key ranges: global, dense slots or a hash table. */
import * as arrow from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { count, Session } from '../../src/index.ts';
import { bindColumn } from '../../src/arrow/column-chunk.ts';
import { fieldOf } from '../../src/expr/resolve.ts';
import { chooseGrouping, hashKeyWords } from '../../src/executor/grouping-plan.ts';
import type { AggregationSpec } from '../../src/plan/aggregation-spec.ts';

const session = await Session.create({ workers: false, cores: 1 });
afterAll(() => session.close());

/** The spec of `groupBy(keys).agg(count())` over `t`, and its batches' key columns bound. */
function task(t: arrow.Table, ...keys: string[]) {
  const df = session.fromArrow(t);
  const spec: AggregationSpec = (keys.length ? df.groupBy(...keys).agg(count()) : df.agg(count())).physicalPlan().aggregation!;
  const chunks = t.batches.map((b) => new Map(keys.map((k) => [k, bindColumn(b.getChild(k)!.data[0], fieldOf(spec.input, k).dtype)])));
  return { spec, chunks, rows: t.numRows };
}

const ints = (values: (number | null)[]) => arrow.vectorFromArray(values, new arrow.Int32());

describe('chooseGrouping', () => {
  it('one slot without keys; dense composite slots over small ranges, a null slot per nullable key', () => {
    const t = new arrow.Table({ a: ints([3, 5, 4, 4]), b: arrow.vectorFromArray([true, false, null, true], new arrow.Bool()) });
    const none = task(t);
    expect(chooseGrouping(none.spec, none.chunks, 0, 4)).toMatchObject({ mode: 'global', slots: 1 });
    const { spec, chunks, rows } = task(t, 'a', 'b');
    expect(chooseGrouping(spec, chunks, 0, rows)).toEqual({
      mode: 'dense', keyNullable: [false, true], mins: [3, 0], strides: [1, 3], nullCodes: [3, 2], slots: 9,
    });
  });

  it('a hash table where the slots would be far more than the rows, or do not fit the caller\'s bound', () => {
    const wide = task(new arrow.Table({ a: ints([0, 1_000_000]) }), 'a');
    expect(chooseGrouping(wide.spec, wide.chunks, 0, wide.rows)).toMatchObject({ mode: 'hash', mins: [], slots: 1 });
    const small = task(new arrow.Table({ a: ints([0, 9]) }), 'a');
    expect(chooseGrouping(small.spec, small.chunks, 0, small.rows).mode).toBe('dense');
    expect(chooseGrouping(small.spec, small.chunks, 0, small.rows, (slots) => slots < 10).mode).toBe('hash');
  });

  it('counts a string key\'s range in task-wide ids, and a hash key\'s words', () => {
    const t = new arrow.Table({ s: arrow.vectorFromArray(['x', 'y', null], new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())), w: arrow.vectorFromArray([1n, 2n, 3n], new arrow.Int64()) });
    const s = task(t, 's');
    expect(chooseGrouping(s.spec, s.chunks, 5, s.rows)).toMatchObject({ mode: 'dense', nullCodes: [5], slots: 6 });
    const w = task(t, 's', 'w');
    expect(chooseGrouping(w.spec, w.chunks, 2, w.rows).mode).toBe('hash');
    // s: its id and a null flag; w: two words.
    expect(hashKeyWords(w.spec.keys, [true, false])).toBe(4);
  });
});
