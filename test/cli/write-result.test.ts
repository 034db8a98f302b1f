import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { formatResult } from '../../src/cli/write-result.ts';
import { tableOf } from '../support/tables.ts';

const t = tableOf({
  name: [new arrow.Utf8(), ['plain', 'a,b', 'say "hi"', null]],
  big: [new arrow.Int64(), [9007199254740993n, -1n, 0n, null]],
  x: [new arrow.Float64(), [0.1, Number.NaN, Number.NEGATIVE_INFINITY, null]],
  ok: [new arrow.Bool(), [true, false, null, true]],
});

describe('formatResult', () => {
  it('csv: RFC 4180 quoting, nulls empty, Int64 exact', () => {
    expect(formatResult(t, 'csv')).toBe(
      'name,big,x,ok\nplain,9007199254740993,0.1,true\n"a,b",-1,NaN,false\n"say ""hi""",0,-Infinity,\n,,,true\n',
    );
  });

  it('json: Int64 as exact JSON numbers, non-finite floats as strings, nulls as null', () => {
    const text = formatResult(t, 'json') as string;
    expect(text).toContain('"big": 9007199254740993');
    expect(text).toContain('"x": "NaN"');
    expect(text).toContain('"x": "-Infinity"');
    // Valid JSON (JSON.parse rounds the big integer, which the README says how to avoid).
    const rows = JSON.parse(text) as Record<string, unknown>[];
    expect(rows).toHaveLength(4);
    expect(rows[3]).toEqual({ name: null, big: null, x: null, ok: true });
    expect(formatResult(t.slice(0, 0), 'json')).toBe('[]\n');
  });

  it('table: every row, not only the first 20', () => {
    const many = arrow.tableFromArrays({ k: Int32Array.from({ length: 25 }, (_, i) => i) });
    const text = formatResult(many, 'table') as string;
    expect(text).toContain('|24|');
    expect(text).not.toContain('only showing');
  });

  it('arrow: an IPC file that reads back to the same table', () => {
    const bytes = formatResult(t, 'arrow') as Uint8Array;
    expect(new TextDecoder().decode(bytes.subarray(0, 6))).toBe('ARROW1');
    const back = arrow.tableFromIPC(bytes);
    expect(back.schema.fields.map((f) => String(f.type))).toEqual(t.schema.fields.map((f) => String(f.type)));
    expect(back.getChild('big')!.toArray()).toEqual(t.getChild('big')!.toArray());
  });
});
