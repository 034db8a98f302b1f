import { describe, expect, it } from 'vitest';
import { mapOutputFromIPC, mapOutputToIPC } from '../../src/shuffle/block-ipc.ts';
import { decodeBlock, partitionRows, sliceBlock, type MapOutput } from '../../src/shuffle/shuffle-block.ts';
import { CpuExecutor } from '../../src/executor/cpu/cpu-executor.ts';
import { Session, count, sum } from '../../src/index.ts';
import { marbles } from '../support/tables.ts';

const plain = (o: MapOutput) => ({ offsets: [...o.offsets], block: decodeBlock(o.block) });

describe('a map output as Arrow IPC', () => {
  const block = {
    rows: 4,
    keys: [
      { dtype: { id: 'int32' as const }, values: Int32Array.of(1, -2, 0, 2 ** 31 - 1), valid: Uint8Array.of(1, 1, 0, 1) },
      { dtype: { id: 'utf8' as const }, values: ['a', '', 'é😀', 'zz'], valid: null },
      { dtype: { id: 'int64' as const }, values: BigInt64Array.of(-(2n ** 63n), 0n, 5n, 2n ** 63n - 1n), valid: null },
      { dtype: { id: 'bool' as const }, values: Uint8Array.of(1, 0, 0, 1), valid: Uint8Array.of(1, 1, 1, 0) },
      { dtype: { id: 'timestamp' as const, unit: 'us' as const, tz: 'UTC' }, values: BigInt64Array.of(1n, 2n, 3n, 4n), valid: null },
    ],
    states: [[Float64Array.of(1, 2, 3, 4)], [Float64Array.of(-0, NaN, Infinity, 1e300), Float64Array.of(0.5, 0.25, 0, -1)]],
  };

  it('round-trips every key kind, nulls, extremes and state fields, with its partition offsets', () => {
    const out: MapOutput = { block, offsets: Int32Array.of(0, 1, 1, 4) };
    const back = mapOutputFromIPC(mapOutputToIPC(out));
    expect(plain(back)).toEqual(plain(out));
    expect(Object.is(back.block.states[1][0][0], -0)).toBe(true);
    expect(back.block.distinct).toBeUndefined();
  });

  it('round-trips an empty block, a sliced one (string offsets not starting at 0) and the distinct flag', () => {
    const empty: MapOutput = { block: sliceBlock(block, 2, 2), offsets: Int32Array.of(0, 0) };
    expect(plain(mapOutputFromIPC(mapOutputToIPC(empty)))).toEqual(plain(empty));
    const encoded = { ...block, keys: block.keys.map((k) => ({ ...k })) };
    const sliced: MapOutput = { block: { ...sliceBlock(decodeBlock(encoded), 1, 4), distinct: true }, offsets: Int32Array.of(0, 3) };
    const back = mapOutputFromIPC(mapOutputToIPC(sliced));
    expect(plain(back)).toEqual(plain(sliced));
    expect(back.block.distinct).toBe(true);
  });

  it('carries a real map task output that reduces to the same answer', async () => {
    const s = await Session.create({ workers: false, cores: 1, shufflePartitions: 3 });
    try {
      const spec = s.fromArrow(marbles()).groupBy('bag').agg(count().as('n'), sum('marbles').as('total')).physicalPlan().aggregation!;
      const cpu = new CpuExecutor();
      const m = await cpu.runMap(spec, marbles().batches);
      const back = mapOutputFromIPC(mapOutputToIPC(m.shuffle));
      for (let p = 0; p < 3; p++) {
        const want = (await cpu.runReduce(spec, [partitionRows(m.shuffle, p, p + 1)])).batch.toArray().map((r) => r.toJSON());
        const got = (await cpu.runReduce(spec, [partitionRows(back, p, p + 1)])).batch.toArray().map((r) => r.toJSON());
        expect(got).toEqual(want);
      }
    } finally {
      await s.close();
    }
  });

  it('refuses bytes that are not a shuffle block', () => {
    expect(() => mapOutputFromIPC(new Uint8Array([1, 2, 3]))).toThrow();
  });
});
