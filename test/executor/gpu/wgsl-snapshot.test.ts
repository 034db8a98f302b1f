/**
 * The generated WGSL is a pure function of its shader key: snapshots per key shape, no GPU needed.
 * (A changed snapshot is a changed kernel: review it, then update with `vitest -u`.)
 */
import * as arrow from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { avg, col, count, lit, max, min, sum, type DataFrame } from '../../../src/index.ts';
import { mapShaderSource, type MapShaderKey } from '../../../src/executor/gpu/map-shader.ts';
import { foldShaderSource } from '../../../src/executor/gpu/fold-program.ts';
import { gpuAccLayout, keptWords } from '../../../src/executor/gpu/gpu-acc-layout.ts';
import { argForms } from '../../../src/aggregate/gpu-argument.ts';
import { countProgram, fillProgram, mergeShaderSource } from '../../../src/executor/gpu/merge-program.ts';
import { partitionShaderSource } from '../../../src/executor/gpu/partition-program.ts';
import { GpuUnsupported } from '../../../src/expr/to-wgsl.ts';
import { planner, specOf } from './gpu-harness.ts';

const table = new arrow.Table({
  id4: arrow.vectorFromArray([1, 2], new arrow.Int32()),
  id1: arrow.vectorFromArray(['a', 'b'], new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())),
  big: arrow.vectorFromArray([1n, 2n], new arrow.Int64()),
  v1: arrow.vectorFromArray([1, 2], new arrow.Int32()),
  v2: arrow.vectorFromArray([1, 2], new arrow.Int32()),
  v3: arrow.vectorFromArray([1.5, 2.5], new arrow.Float64()),
  u: arrow.vectorFromArray([1, 2], new arrow.Uint32()),
  d: arrow.vectorFromArray([new Date(0), new Date(86400000)], new arrow.DateDay()),
  f: arrow.vectorFromArray([true, false], new arrow.Bool()),
});

async function key(build: (df: DataFrame) => DataFrame, over: Partial<MapShaderKey>): Promise<MapShaderKey> {
  const s = await planner();
  const spec = specOf(build(s.fromArrow(table)));
  return {
    mode: 'dense', privatized: 'none', slots: 0, pass: 0, filter: spec.filter, keys: spec.keys,
    keyNullable: spec.keys.map(() => false), aggs: spec.aggs, nullable: [], workgroupSize: 128, rowsPerInvocation: 16, ...over,
  };
}

afterAll(async () => { await (await planner()).close(); });

describe('map kernel WGSL per shader key', () => {
  it('q1 shape: filter, dense privatized slots, isum, count, fsum, 64-bit min/max (pass 0 and pass 1)', async () => {
    const k = await key((df) => df.filter(col('v2').gt(5)).groupBy('id4')
      .agg(sum('v1'), count(), avg('v3'), min('v3'), max('v3')), { privatized: 'workgroup', slots: 100, rowsPerInvocation: 128 });
    const a = mapShaderSource(k);
    expect(mapShaderSource(k).source).toBe(a.source);
    expect(a.params).toMatchSnapshot('params');
    expect(a.source).toMatchSnapshot('pass 0');
    expect(mapShaderSource({ ...k, pass: 1, privatized: 'none', slots: 0 }).source).toMatchSnapshot('pass 1');
  });

  it('software adapters: private slots or a region of their own per invocation (no atomics, one pass), then the fold kernel', async () => {
    const k = await key((df) => df.filter(col('v2').gt(5)).groupBy('id4')
      .agg(sum('v1'), count(), avg('v3'), min('v3'), max('v3')), { privatized: 'invocation', slots: 100, workgroupSize: 8, rowsPerInvocation: 8192 });
    const own = mapShaderSource(k);
    const region = mapShaderSource({ ...k, privatized: 'region', rowsPerInvocation: 0 });
    for (const s of [own.source, region.source]) expect(s).not.toMatch(/atomic/);
    expect(region.params.at(-1)).toBe('rpi');
    expect(own.source).toMatchSnapshot('invocation');
    expect(region.source).toMatchSnapshot('region');
    const width = own.layout.width;
    const all = Array.from({ length: width }, (_, w) => w);
    expect(foldShaderSource({ layout: own.layout, slots: 100, ownWords: all, sharedWords: all, stride: width, regionWords: 101 * width, workgroupSize: 64 }).source).toMatchSnapshot('fold');
  });

  it('slot arrays keep only the slot words a row of the task can write (no nulls, finite non-negative floats)', async () => {
    const base = await key((df) => df.filter(col('v2').gt(5)).groupBy('id4')
      .agg(sum('v1'), count(), avg('v3'), min('v3'), max('v3')), { privatized: 'region', slots: 100, workgroupSize: 8, rowsPerInvocation: 0 });
    const layout = mapShaderSource(base).layout;
    const facts = base.aggs.map(() => ({ nullable: false, finite: true, nonNegative: true }));
    const kept = keptWords(layout, facts, true);
    const shared = keptWords(layout, facts, false);
    // rows | isum s0 s1 | fsum p0..p3 | min hi lo | max hi lo: no null counts, flags, negative half
    // or (in words of an invocation's own) isum top word.
    expect(layout.width).toBe(21);
    expect(kept.length).toBe(11);
    expect(kept).toEqual([0, 2, 3, 7, 8, 9, 10, 16, 17, 19, 20]);
    expect(shared).toEqual([0, 2, 3, 4, 7, 8, 9, 10, 16, 17, 19, 20]);
    // A null in the sum's column keeps its null count word too.
    expect(keptWords(layout, facts.map((f, j) => (j === 0 ? { ...f, nullable: true } : f)), true).length).toBe(12);
    // The task's slot array and workgroup memory: global atomics, workgroup slots merged, pass 1.
    const sk = { ...base, finite: facts.map(() => true), nonNegative: facts.map(() => true), sharedWords: shared };
    const none = mapShaderSource({ ...sk, privatized: 'none', slots: 0, workgroupSize: 128, rowsPerInvocation: 4 });
    expect(none.source).toContain('let gb = g * 12u;');
    expect(none.source).toMatchSnapshot('global atomics, kept words');
    expect(mapShaderSource({ ...sk, privatized: 'workgroup', workgroupSize: 128, rowsPerInvocation: 8 }).source).toMatchSnapshot('workgroup, kept words');
    expect(mapShaderSource({ ...sk, privatized: 'workgroup', pass: 1, workgroupSize: 128, rowsPerInvocation: 8 }).source).toMatchSnapshot('pass 1, kept words');
    const k = { ...sk, ownWords: kept };
    const region = mapShaderSource(k);
    // The region's slots as whole vec4s: 11 words and one of padding.
    expect(region.source).toContain('let gb = pb + g * 3u;');
    expect(region.source).toContain('part[gb + 2u] = vec4<u32>(slot[8], slot[9], slot[10], slot[11]);');
    expect(region.source).toMatchSnapshot('region, kept words');
    expect(mapShaderSource({ ...k, privatized: 'invocation', rowsPerInvocation: 8192 }).source).toMatchSnapshot('invocation, kept words');
    expect(foldShaderSource({ layout, slots: 100, ownWords: kept, sharedWords: shared, stride: 12, regionWords: 101 * 12, workgroupSize: 64 }).source).toMatchSnapshot('fold, kept words');
    // A kernel that would write a word the regions do not keep is a bug, never a silent loss.
    expect(() => mapShaderSource({ ...k, nullable: ['v1'] })).toThrow(/not kept/);
  });

  it('hash mode: int64 + float + string keys, nullable, Kleene filter with IN and IS NULL', async () => {
    const k = await key((df) => df.filter(col('v1').isIn([1, 2, null]).or(col('v3').isNull().and(col('id1').eq('a'))))
      .groupBy('big', 'v3', 'id1').agg(sum('big'), min('big'), max('u'), count('id1')), { mode: 'hash', keyNullable: [true, false, true], nullable: ['v1', 'v3', 'big'] });
    expect(mapShaderSource(k).source).toMatchSnapshot();
  });

  it('global aggregate of double-float arithmetic, date and bool columns', async () => {
    const k = await key((df) => df.filter(col('d').le(new Date('1970-01-02T00:00:00Z')).and(col('f')))
      .agg(sum(col('v3').mul(lit(1).sub(col('v3')))), sum(col('v1').mul(col('v2'))), min('d'), max('f')), { mode: 'global' });
    expect(mapShaderSource(k).source).toMatchSnapshot();
  });

  it('what has no GPU form throws GpuUnsupported (the task falls back to the CPU, with this reason)', async () => {
    const k = await key((df) => df.groupBy('id4').agg(sum(col('v3').div(col('v1')))), {});
    expect(() => mapShaderSource(k)).toThrow(GpuUnsupported);
    const k2 = await key((df) => df.filter(col('v3').mul(2).gt(1)).groupBy('id4').agg(count()), {});
    expect(() => mapShaderSource(k2)).toThrow(/comparison/);
  });
});

describe('partition kernel WGSL per shader key', () => {
  it('dense and hash layouts', async () => {
    const k = await key((df) => df.groupBy('id4', 'id1', 'f').agg(count()), {});
    expect(partitionShaderSource({ mode: 'dense', keys: k.keys, keyNullable: [false, true, false], partitionKeys: 3, width: 1, workgroupSize: 64 }).source).toMatchSnapshot('dense');
    const h = await key((df) => df.groupBy('big', 'v3', 'id1').agg(count()), {});
    expect(partitionShaderSource({ mode: 'hash', keys: h.keys, keyNullable: [true, false, true], partitionKeys: 3, width: 1, workgroupSize: 64 }).source).toMatchSnapshot('hash');
  });
});

describe('stage table kernels WGSL per shader key', () => {
  const none = {} as GPUBuffer;
  it('merge of dense and hash task slots (string ids mapped stage-wide) and of an older stage table; the lookup of new keys; count; fill', async () => {
    const d = await key((df) => df.groupBy('id4', 'id1', 'f').agg(count(), sum('v1'), min('big'), max('v3')), {});
    const layout = gpuAccLayout(d.aggs, argForms(d.aggs));
    const kept = keptWords(layout, d.aggs.map(() => ({ nullable: true, finite: false, nonNegative: false })), false);
    expect(mergeShaderSource({ source: 'dense', keys: d.keys, sourceNullable: [false, true, false], mapStrings: true, layout, kept }).source).toMatchSnapshot('merge dense');
    const h = await key((df) => df.groupBy('big', 'v3', 'id1').agg(count(), sum('v3'), avg('v1')), {});
    const hLayout = gpuAccLayout(h.aggs, argForms(h.aggs));
    const hKept = keptWords(hLayout, h.aggs.map(() => ({ nullable: false, finite: true, nonNegative: true })), false);
    expect(mergeShaderSource({ source: 'hash', keys: h.keys, sourceNullable: [true, false, true], mapStrings: true, layout: hLayout, kept: hKept }).source).toMatchSnapshot('merge hash');
    const all = Array.from({ length: hLayout.width }, (_, w) => w);
    expect(mergeShaderSource({ source: 'hash', keys: h.keys, sourceNullable: [true, true, true], mapStrings: false, layout: hLayout, kept: all }).source).toMatchSnapshot('merge stage table');
    expect(mergeShaderSource({ source: 'dense', keys: d.keys, sourceNullable: [false, true, false], mapStrings: true, layout, kept, lookup: true }).source).toMatchSnapshot('merge lookup');
    expect(countProgram(5, 100, { src: none, ctl: none, uniforms: none }).source()).toMatchSnapshot('count');
    expect(fillProgram({ first: 0, end: 100 }, 5, { pattern: none, dst: none, uniforms: none }).source()).toMatchSnapshot('fill');
  });
});
