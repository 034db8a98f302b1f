/**
 * The partition kernel: each group slot's reduce partition, = partitionOf(hashKeyRows(keys)) of
 * src/shuffle (MurmurHash3 with SHUFFLE_SEED over the key's hash words), bit for bit. Keys are
 * decoded where the map kernel left them: from the slot number (dense) or the table (hash,
 * stored as hash-table-slot.ts says).
 *
 *   words of a key: int → its bits; 64-bit int / float → (lo, hi); bool → 0/1; string → the
 *   MurmurHash3 of its UTF-16 units (precomputed per task-wide id); null → NULL_WORD alone
 */
import { NULL_WORD, SHUFFLE_SEED } from '../../shuffle/hash.ts';
import type { KeyInfo } from '../../plan/aggregation-spec.ts';
import { MURMUR3_WGSL } from './wgsl-library.ts';
import { u32Lit } from './wgsl-expr.ts';
import { keyWordWgsl } from './hash-table-slot.ts';
import { keyWordCount } from './map-shader.ts';

export interface PartitionShaderKey {
  readonly mode: 'dense' | 'hash';
  readonly keys: readonly KeyInfo[];
  readonly keyNullable: readonly boolean[];
  /** Words per accumulator slot (the slot's first word counts its rows). */
  readonly width: number;
  readonly workgroupSize: number;
}

export const PARTITION_PARAMS_FIXED = ['slots', 'parts', 'nx'];

export function partitionShaderSource(key: PartitionShaderKey): { source: string; params: string[] } {
  const params = [...PARTITION_PARAMS_FIXED, ...key.keys.flatMap((_, j) => [`kmin${j}`, `kstride${j}`, `ksize${j}`, `knull${j}`])];
  const body: string[] = [];
  const kw = keyWordCount(key.keys, key.keyNullable);
  let tw = 0;
  const tabWord = (i: number) => keyWordWgsl(`tab[tb + ${i}u]`, `tab[tb + ${kw}u]`, i);
  key.keys.forEach((k, j) => {
    const mix = (w: string) => `h = mm_mix(h, ${w}); cnt = cnt + 1u;`;
    const value = (w: string[]) => (k.kind === 'str' ? [mix(`strh[${w[0]}]`)] : w.map(mix));
    if (key.mode === 'dense') {
      body.push(`{ let code = (s / kstride${j}) % ksize${j};`);
      const v = k.kind === 'int' ? ['(kmin' + j + ' + code)'] : ['code'];
      body.push(key.keyNullable[j] ? `  if (code == knull${j}) { ${mix(u32Lit(NULL_WORD))} } else { ${value(v).join(' ')} } }` : `  ${value(v).join(' ')} }`);
    } else {
      const n = k.kind === 'wide' || k.kind === 'float' ? 2 : 1;
      const words = Array.from({ length: n }, (_, i) => tabWord(tw + i));
      body.push(key.keyNullable[j] ? `if (${tabWord(tw + n)} != 0u) { ${mix(u32Lit(NULL_WORD))} } else { ${value(words).join(' ')} }` : value(words).join(' '));
      tw += n + (key.keyNullable[j] ? 1 : 0);
    }
  });
  const pref = (i: number) => `P.v[${i >> 2}].${'xyzw'[i & 3]}`;
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
    ...params.map((p, i) => `  let ${p} = ${pref(i)};`),
    `  let s = gid.x + gid.y * nx * ${key.workgroupSize}u;`,
    '  _ = arrayLength(&strh);',
    '  if (s >= slots) { return; }',
    `  if (acc[s * ${key.width}u] == 0u) { pid[s] = 0u; return; }`,
    ...(key.mode === 'hash' ? [`  let tb = s * ${kw + 1}u;`] : []),
    `  var h = ${u32Lit(SHUFFLE_SEED)};`,
    '  var cnt = 0u;',
    ...body.map((l) => `  ${l}`),
    '  pid[s] = mm_finish(h, cnt) % parts;',
    '}',
    '',
  ].join('\n');
  return { source, params };
}
