/** A GPU map task's hash table: as big as the task's rows ask (twice them), up to the adapter's buffer bound. */
import * as arrow from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { count, Session } from '../../../src/index.ts';
import { bindColumn } from '../../../src/arrow/column-chunk.ts';
import { fieldOf } from '../../../src/expr/resolve.ts';
import { chooseGpuPlan, MAX_BUFFER_BYTES } from '../../../src/executor/gpu/gpu-plan.ts';

const session = await Session.create({ workers: false, cores: 1 });
afterAll(() => session.close());

describe('chooseGpuPlan', () => {
  // Keys far apart: a hash table, whatever the rows claimed.
  const t = new arrow.Table({ k: arrow.vectorFromArray([0, 2_000_000_000], new arrow.Int32()) });
  const spec = session.fromArrow(t).groupBy('k').agg(count()).physicalPlan().aggregation!;
  const chunks = t.batches.map((b) => new Map([['k', bindColumn(b.getChild('k')!.data[0], fieldOf(spec.input, 'k').dtype)]]));
  const hardware = { workgroupWords: 4096, software: false, threads: 1 };
  const plan = (rows: number, maxBufferBytes?: number) => chooseGpuPlan(spec, chunks, 0, rows, 2, 2, { ...hardware, maxBufferBytes });

  it('sizes the table at twice the rows, from 1024 slots', () => {
    expect(plan(2)).toMatchObject({ mode: 'hash', slots: 1024 });
    expect(plan(3_000_000, 2 ** 31)).toMatchObject({ mode: 'hash', slots: 1 << 23 });
  });

  it('stops at the buffer bound: 32 MiB (the software adapter\'s) by default, the device\'s binding limit where given', () => {
    // tableWidth 2 words (a slot id and the key): 32 MiB hold 2^22 entries.
    expect(plan(1e7).slots * 2 * 4).toBeLessThanOrEqual(MAX_BUFFER_BYTES);
    expect(plan(1e7).slots).toBe(1 << 22);
    expect(plan(1e7, 2 ** 30).slots).toBe(1 << 25);
  });
});
