/**
 * groupRows against a Map of the keys' words: one id per distinct key, every row's id its key's,
 * each group's representative row holding its key, and (radix-partitioned) pos and order inverse
 * permutations; from no rows to 10^5 distinct keys.
 */
import { describe, expect, it } from 'vitest';
import { groupRows } from '../../src/executor/cpu/hash-grouper.ts';
import { Rng } from '../support/random.ts';

function check(words: Int32Array, width: number, n: number): number {
  const g = groupRows(words, width, n);
  const keyOf = (row: number) => Array.from(words.subarray(row * width, row * width + width)).join(',');
  // The rows as the grouping numbered them.
  const inputRow = (q: number) => (g.order ? g.order[q] : q);
  const problems: string[] = [];
  const idOfKey = new Map<string, number>();
  for (let q = 0; q < n; q++) {
    const key = keyOf(inputRow(q)), id = g.ids[q];
    if (!(id >= 0 && id < g.groups)) problems.push(`row ${q}: id ${id} of ${g.groups}`);
    if (!idOfKey.has(key)) idOfKey.set(key, id);
    else if (idOfKey.get(key) !== id) problems.push(`rows of key ${key} got ids ${idOfKey.get(key)} and ${id}`);
  }
  for (const [key, id] of idOfKey) if (keyOf(inputRow(g.reps[id])) !== key) problems.push(`group ${id}: representative row holds ${keyOf(inputRow(g.reps[id]))}, not ${key}`);
  if (g.pos) for (let r = 0; r < n; r++) if (g.order![g.pos[r]] !== r) problems.push(`pos and order disagree at row ${r}`);
  expect(problems.slice(0, 5)).toEqual([]);
  expect(g.groups).toBe(idOfKey.size);
  expect(new Set(idOfKey.values()).size).toBe(g.groups);
  return g.groups;
}

describe('groupRows', () => {
  for (const width of [1, 2, 3]) {
    for (const [n, distinct] of [[0, 1], [1, 1], [100, 7], [16_384, 16_384], [20_000, 50], [200_000, 100_000], [200_000, 1 << 30]] as const) {
      it(`${n} rows of ${width} words, keys from ${distinct} values`, () => {
        const rng = new Rng(n * 31 + width);
        const words = new Int32Array(n * width);
        for (let i = 0; i < n; i++) {
          const k = rng.int(0, distinct - 1);
          // Extremes in the words too: the hash and the probe compare all 32 bits.
          for (let j = 0; j < width; j++) words[i * width + j] = j === 0 ? k ^ (k & 1 ? 0x80000000 : 0) : Math.imul(k, 0x9e3779b1 + j);
        }
        check(words, width, n);
      });
    }
  }
});
