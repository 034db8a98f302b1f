/**
 * The partition kernel: each group slot's reduce partition, = partitionOf(hashKeyRows(keys)) of
 * the query's keys (countDistinct's arguments, keys after them, are not hashed),
 * src/shuffle (MurmurHash3 with SHUFFLE_SEED over the key's hash words), bit for bit, into `pid`,
 * one word a slot. Keys are decoded where the map kernel left them: from the slot number (dense)
 * or the table (hash, stored as hash-table-slot.ts says).
 *
 *   words of a key: int → its bits; 64-bit int / float → (lo, hi); bool → 0/1; string → the
 *   MurmurHash3 of its UTF-16 units (precomputed per task-wide id); null → NULL_WORD alone
 */
import { NULL_WORD, SHUFFLE_SEED } from '../../shuffle/hash.ts';
import { queryKeys, type AggregationSpec, type KeyInfo } from '../../plan/aggregation-spec.ts';
import { u32Lit } from '../../expr/to-wgsl.ts';
import { hashKeyWords } from '../grouping-plan.ts';
import { USAGE } from './buffer-pool.ts';
import type { GpuPlan } from './gpu-plan.ts';
import { workgroupGrid, type GpuProgram } from './gpu-program.ts';
import { keyWordWgsl } from './hash-table-slot.ts';
import { keyString, paramsArray } from './pipeline-cache.ts';
import { MURMUR3_WGSL } from './wgsl-library.ts';

export interface PartitionShaderKey {
  readonly mode: 'dense' | 'hash';
  readonly keys: readonly KeyInfo[];
  readonly keyNullable: readonly boolean[];
  /** The keys hashed (the first ones): the query's own, not countDistinct's arguments after them. */
  readonly partitionKeys: number;
  /** Words per accumulator slot (the slot's first word counts its rows). */
  readonly width: number;
  readonly workgroupSize: number;
}

const PARTITION_PARAMS_FIXED = ['first', 'end', 'parts', 'nx'];

export function partitionShaderSource(key: PartitionShaderKey): { source: string; params: string[] } {
  const params = [...PARTITION_PARAMS_FIXED, ...key.keys.flatMap((_, j) => [`kmin${j}`, `kstride${j}`, `ksize${j}`, `knull${j}`])];
  const body: string[] = [];
  const keyWords = hashKeyWords(key.keys, key.keyNullable);
  let tableWord = 0;
  const tabWord = (i: number) => keyWordWgsl(`tab[tb + ${i}u]`, `tab[tb + ${keyWords}u]`, i);
  key.keys.forEach((k, j) => {
    const hashed = j < key.partitionKeys;
    const mix = (w: string) => `h = mm_mix(h, ${w}); cnt = cnt + 1u;`;
    const value = (w: string[]) => (k.kind === 'str' ? [mix(`strh[${w[0]}]`)] : w.map(mix));
    if (key.mode === 'dense') {
      if (!hashed) return;
      body.push(`{ let code = (s / kstride${j}) % ksize${j};`);
      const v = k.kind === 'int' ? ['(kmin' + j + ' + code)'] : ['code'];
      body.push(key.keyNullable[j] ? `  if (code == knull${j}) { ${mix(u32Lit(NULL_WORD))} } else { ${value(v).join(' ')} } }` : `  ${value(v).join(' ')} }`);
    } else {
      const n = k.kind === 'wide' || k.kind === 'float' ? 2 : 1;
      const words = Array.from({ length: n }, (_, i) => tabWord(tableWord + i));
      if (hashed) body.push(key.keyNullable[j] ? `if (${tabWord(tableWord + n)} != 0u) { ${mix(u32Lit(NULL_WORD))} } else { ${value(words).join(' ')} }` : value(words).join(' '));
      tableWord += n + (key.keyNullable[j] ? 1 : 0);
    }
  });
  const param = (i: number) => `P.v[${i >> 2}].${'xyzw'[i & 3]}`;
  const source = [
    `struct Params { v: array<vec4<u32>, ${Math.ceil(params.length / 4)}> }`,
    '@group(0) @binding(0) var<uniform> P: Params;',
    '@group(0) @binding(1) var<storage, read> strh: array<u32>;',
    '@group(0) @binding(2) var<storage, read> acc: array<u32>;',
    ...(key.mode === 'hash' ? ['@group(0) @binding(3) var<storage, read> tab: array<u32>;'] : []),
    `@group(0) @binding(${key.mode === 'hash' ? 4 : 3}) var<storage, read_write> pid: array<u32>;`,
    MURMUR3_WGSL,
    `@compute @workgroup_size(${key.workgroupSize})`,
    'fn main(@builtin(global_invocation_id) gid: vec3<u32>) {',
    ...params.map((p, i) => `  let ${p} = ${param(i)};`),
    `  let s = first + gid.x + gid.y * nx * ${key.workgroupSize}u;`,
    '  _ = arrayLength(&strh);',
    '  if (s >= end) { return; }',
    `  if (acc[s * ${key.width}u] == 0u) { pid[s] = 0u; return; }`,
    ...(key.mode === 'hash' ? [`  let tb = s * ${keyWords + 1}u;`] : []),
    `  var h = ${u32Lit(SHUFFLE_SEED)};`,
    '  var cnt = 0u;',
    ...body.map((l) => `  ${l}`),
    '  pid[s] = mm_finish(h, cnt) % parts;',
    '}',
    '',
  ].join('\n');
  return { source, params };
}

/**
 * The params that decode a dense slot number into its keys' codes (a kernel reading dense slots):
 * per key j its smallest value kmin, stride, codes (with null's) ksize and null code knull.
 */
export function setDenseKeyParams(values: Map<string, number>, plan: Pick<GpuPlan, 'mins' | 'strides' | 'nullCodes' | 'keyNullable'>): void {
  plan.mins.forEach((v, j) => {
    values.set(`kmin${j}`, v);
    values.set(`kstride${j}`, plan.strides[j]);
    values.set(`ksize${j}`, plan.nullCodes[j] + (plan.keyNullable[j] ? 1 : 0));
    values.set(`knull${j}`, plan.nullCodes[j]);
  });
}

/** The task's buffers the partition kernel reads and writes. */
export interface PartitionBuffers {
  /** The slot array (`width` words a slot), the hash table (hash mode), the output: a word per slot. */
  readonly acc: GPUBuffer;
  readonly table: GPUBuffer | null;
  readonly partitionIds: GPUBuffer;
}

/**
 * The partition kernel of a task's slots (or of its slots [first, end)); `take` lends its own
 * buffers (string hashes, uniforms) until the task's work is done.
 */
export function partitionProgram(
  device: GPUDevice, take: (bytes: number, usage: number) => GPUBuffer,
  spec: AggregationSpec, plan: GpuPlan, width: number, stringHashes: Int32Array, buffers: PartitionBuffers,
  range: { readonly first: number; readonly end: number } = { first: 0, end: plan.slots },
): GpuProgram {
  const key: PartitionShaderKey = { mode: plan.mode as 'dense' | 'hash', keys: spec.keys, keyNullable: plan.keyNullable, partitionKeys: queryKeys(spec).length, width, workgroupSize: 64 };
  const { source, params } = partitionShaderSource(key);
  // A string key hashes by its id (task- or stage-wide): the MurmurHash3 of each id's string.
  const hashes = take(Math.max(16, stringHashes.byteLength), USAGE.STORAGE | USAGE.COPY_DST);
  if (stringHashes.length) device.queue.writeBuffer(hashes, 0, stringHashes);
  const grid = workgroupGrid(Math.ceil((range.end - range.first) / key.workgroupSize));
  const values = new Map<string, number>([['first', range.first], ['end', range.end], ['parts', spec.partitions], ['nx', grid[0]]]);
  setDenseKeyParams(values, plan);
  return {
    shaderKey: keyString(key),
    source: () => source,
    uniforms: { buffer: take(1024, USAGE.UNIFORM | USAGE.COPY_DST), words: paramsArray(params, values) },
    bindings: [
      { binding: 1, buffer: hashes },
      { binding: 2, buffer: buffers.acc },
      ...(buffers.table ? [{ binding: 3, buffer: buffers.table }] : []),
      { binding: buffers.table ? 4 : 3, buffer: buffers.partitionIds },
    ],
    grid,
  };
}
