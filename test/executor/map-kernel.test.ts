import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { col, count, sum } from '../../src/index.ts';
import { kernelSource } from '../../src/executor/cpu/map-kernel.ts';
import { collectRows, withSession } from '../support/tables.ts';
import { Rng } from '../support/random.ts';

/** Reference: group rows by the JS value of the key in a Map. */
function reference(keys: unknown[], values: number[]): Map<string, { c: number; s: bigint }> {
  const m = new Map<string, { c: number; s: bigint }>();
  keys.forEach((k, i) => {
    const key = String(k);
    const e = m.get(key) ?? { c: 0, s: 0n };
    e.c++;
    e.s += BigInt(values[i]);
    m.set(key, e);
  });
  return m;
}

describe('grouping strategies', () => {
  const n = 50_000;
  const r = new Rng(99);
  const v = Array.from({ length: n }, () => Math.floor(r.next() * 1000) - 500);
  const cases: [string, arrow.DataType, unknown[]][] = [
    ['dense small int range', new arrow.Int16(), Array.from({ length: n }, () => Math.floor(r.next() * 50) - 25)],
    ['hash: sparse int32 (range too wide for dense)', new arrow.Int32(), Array.from({ length: n }, () => Math.floor(r.next() * 20000) * 100000 - 1e9)],
    ['hash: int64 beyond 2^53', new arrow.Int64(), Array.from({ length: n }, () => (BigInt(Math.floor(r.next() * 30000)) << 40n) + 1n)],
    ['hash: float64 with -0, NaN', new arrow.Float64(), Array.from({ length: n }, () => [NaN, -0, 0, 1.5, Math.floor(r.next() * 5000) / 7][Math.floor(r.next() * 5)])],
    ['dense: dictionary strings', new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()), Array.from({ length: n }, () => `s${Math.floor(r.next() * 300)}`)],
    ['dense: plain utf8', new arrow.Utf8(), Array.from({ length: n }, () => `u${Math.floor(r.next() * 3000)}`)],
    ['dense: bool', new arrow.Bool(), Array.from({ length: n }, () => r.next() < 0.5)],
  ];
  for (const [name, type, keys] of cases) {
    it(`${name}: same groups, counts and sums as a Map-based reference`, async () => {
      const t = new arrow.Table({ k: arrow.vectorFromArray(keys, type), v: arrow.vectorFromArray(v, new arrow.Int32()) });
      const canon = (k: unknown) => (typeof k === 'number' && Object.is(k, -0) ? 0 : typeof k === 'boolean' ? Number(k) : k);
      const ref = reference(keys.map(canon), v);
      const rows = await withSession((s) => collectRows(s.fromArrow(t, { partitions: 3 }).groupBy('k').agg(count().as('c'), sum('v').as('s'))), { shufflePartitions: 4 });
      expect(rows.length).toBe(ref.size);
      for (const row of rows) {
        const e = ref.get(String(canon(row.k)));
        expect(e, `group ${String(row.k)}`).toBeDefined();
        expect(row.c).toBe(e!.c);
        expect(BigInt(row.s as number)).toBe(e!.s);
      }
    });
  }
});

describe('generated kernel source', () => {
  it('is a pure function of the shape, with the filter, group slot and accumulators fused in one loop', async () => {
    await withSession(async (s) => {
      const t = arrow.tableFromArrays({ k: Int32Array.from([1, 2]), v: Int32Array.from([3, 4]), f: Float64Array.from([1, 2]) });
      const spec = s.fromArrow(t).filter(col('v').gt(3)).groupBy('k').agg(sum('v'), count()).physicalPlan().aggregation!;
      const shape = { filter: spec.filter, mode: 'dense' as const, keys: spec.keys, keyNullable: [false], aggs: spec.aggs, nullable: [] };
      const a = kernelSource(shape).source;
      expect(kernelSource(shape).source).toBe(a);
      expect(a).toMatchInlineSnapshot(`
        "const v0 = C[0].values, m0 = C[0].validity, o0 = C[0].offset, w0 = C[0].words, r0 = C[0].remap;
        const v1 = C[1].values, m1 = C[1].validity, o1 = C[1].offset, w1 = C[1].words, r1 = C[1].remap;
        let ng = S.groups, cap = S.capacity, repB = S.firstBatch, repR = S.firstRow, A = S.acc, B = S.cold, _nn = 0;
        const F = S.f64Scratch, FW = S.f64ScratchWords;
        let table = S.table, mask = S.mask, keys = S.keys;
        const kmin0 = S.mins[0], kstride0 = S.strides[0], knull0 = S.nullCodes[0];
        for (let c0 = from; c0 < n; c0 += 2097152) {
          const c1 = Math.min(n, c0 + 2097152);
          for (let i = c0; i < c1; i++) {
        const t0 = v0[i];
        const t1 = (t0 > 3);
        if (!(t1)) continue;
        let code = 0;
        const t2 = v1[i];
        code += ((t2 - kmin0)) * kstride0;
        const g = code;
        const gs = g * 2, gc = g * 2;
        A[gs + 0]++;
        const t3 = v0[i];
        { A[gs + 1] += t3; _nn++; }
          }
          S.groups = ng; S.normalize();
        }
        S.groups = ng;"
      `);
    });
  });
});
