import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { count, countDistinct, max, min } from '../../src/index.ts';
import { collectRows, tableOf, withSession } from '../support/tables.ts';

describe('min and max of strings', () => {
  it('by code point (an emoji after U+FFFD, as UTF-8 bytes order), nulls skipped, empty strings least', async () => {
    const t = tableOf({
      k: [new arrow.Int32(), [1, 1, 1, 2, 2, 3, 3, 4]],
      s: [new arrow.Utf8(), ['b', '😀', '\uFFFD', '', 'a', null, null, 'Z']],
    });
    for (const executor of ['cpu', 'gpu'] as const) {
      const rows = await withSession((s) => collectRows(s.fromArrow(t, { partitions: 3 }).groupBy('k')
        .agg(min('s').as('lo'), max('s').as('hi'), count('s').as('n'), countDistinct('s').as('d')).orderBy('k')), { executor });
      expect(rows).toEqual([
        { k: 1, lo: 'b', hi: '😀', n: 3, d: 3 },
        { k: 2, lo: '', hi: 'a', n: 2, d: 2 },
        { k: 3, lo: null, hi: null, n: 0, d: 0 },
        { k: 4, lo: 'Z', hi: 'Z', n: 1, d: 1 },
      ]);
    }
  });

  it('of a dictionary column across batches, globally, and as Utf8', async () => {
    const dict = (values: (string | null)[]) => arrow.vectorFromArray(values, new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()));
    const batches = [...new arrow.Table({ s: dict(['m', 'c', null]) }).batches, ...new arrow.Table({ s: dict(['x', 'a']) }).batches];
    await withSession(async (s) => {
      const out = await s.fromArrow(batches, { partitions: 2 }).agg(min('s'), max('s')).collect();
      expect(out.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['min(s):Utf8', 'max(s):Utf8']);
      expect(out.toArray().map((r) => r.toJSON())).toEqual([{ 'min(s)': 'a', 'max(s)': 'x' }]);
    });
  });
});
