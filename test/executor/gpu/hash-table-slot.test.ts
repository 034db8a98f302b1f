import { describe, expect, it } from 'vitest';
import { keyWordAt, lowWordWgsl, MAX_TABLE_KEY_WORDS, storedWordWgsl } from '../../../src/executor/gpu/hash-table-slot.ts';
import { Rng } from '../../support/random.ts';

/** Evaluates the generated WGSL u32 expressions in JS (they use only u32 literals, >>, <<, &, |). */
const evalU32 = (expr: string, vars: Record<string, number>): number =>
  new Function(...Object.keys(vars), `return (${expr.replace(/(\d+|0x[0-9a-f]+)u/g, '$1')}) >>> 0;`)(...Object.values(vars)) as number;

describe('hash table slot words', () => {
  it('are never 0, and give every key word back, for random and extreme words', () => {
    const rng = new Rng(3);
    for (let c = 0; c < 200; c++) {
      const k = 1 + (c % MAX_TABLE_KEY_WORDS);
      const ws = Array.from({ length: k }, () => [0, 1, 0xffffffff, 0x80000000, 0x7fffffff][rng.int(0, 6)] ?? rng.int(0, 2 ** 32 - 1));
      const vars = Object.fromEntries(ws.map((w, j) => [`kw${j}`, w]));
      const names = ws.map((_, j) => `kw${j}`);
      const table = Uint32Array.from([...names.map((n) => evalU32(storedWordWgsl(n), vars)), evalU32(lowWordWgsl(names), vars)]);
      expect([...table].every((w) => w !== 0)).toBe(true);
      expect(ws.map((_, j) => keyWordAt(table, 0, j, k))).toEqual(ws.map((w) => w >>> 0));
    }
  });
});
