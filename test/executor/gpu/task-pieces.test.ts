/**
 * A GPU map task's rows into dispatches: on random batch sizes and bounds, every row of every batch
 * lies in exactly one piece, in order, each piece within the bound; cached pieces cover their
 * cached chunk (same runs) from row `offset`; spans the cache has no room for are packed.
 */
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { taskPieces, type Piece, type Run } from '../../../src/executor/gpu/task-pieces.ts';
import type { ResidentChunk } from '../../../src/executor/gpu/resident-cache.ts';
import { Rng } from '../../support/random.ts';

const batchesOf = (sizes: readonly number[]) =>
  sizes.map((n) => new arrow.RecordBatch({ x: arrow.makeData({ type: new arrow.Int32(), length: n, data: new Int32Array(n) }) }));

/** The (batch, row) pairs the pieces read, in order. */
function rowsRead(pieces: readonly Piece[]): string[] {
  const out: string[] = [];
  for (const p of pieces) {
    const chunk = p.runs.flatMap((r) => Array.from({ length: r.r1 - r.r0 }, (_, i) => `${r.batch}:${r.r0 + i}`));
    out.push(...chunk.slice(p.offset, p.offset + p.rows));
  }
  return out;
}

describe('taskPieces', () => {
  it('reads every row once, in order, within the bound (packed and cached, random cases)', () => {
    const rng = new Rng(11);
    for (let c = 0; c < 200; c++) {
      const sizes = Array.from({ length: rng.int(0, 6) }, () => rng.weighted<number>([[1, 0], [1, 1], [6, rng.int(2, 40)]]));
      const all = sizes.flatMap((n, b) => Array.from({ length: n }, (_, i) => `${b}:${i}`));
      const chunkRows = rng.int(1, 30);
      const span = rng.bool() ? 0 : rng.int(1, 60);
      // The cache keeps some spans (a chunk each) and has no room for others.
      const kept = new Map<string, ResidentChunk>();
      const keep = (runs: readonly Run[]) => {
        if (rng.bool(0.3)) return null;
        const chunk = { id: kept.size } as unknown as ResidentChunk;
        kept.set(JSON.stringify(runs), chunk);
        return { chunk, created: true };
      };
      const pieces = taskPieces(batchesOf(sizes), chunkRows, span, keep);
      const what = JSON.stringify({ sizes, chunkRows, span });
      expect(rowsRead(pieces), what).toEqual(all);
      const firsts = new Set<ResidentChunk>();
      for (const p of pieces) {
        expect(p.rows, what).toBeGreaterThan(0);
        expect(p.rows, what).toBeLessThanOrEqual(chunkRows);
        if (span === 0) expect(p.cached, what).toBeNull();
        const held = p.runs.reduce((a, r) => a + r.r1 - r.r0, 0);
        expect(held, what).toBeLessThanOrEqual(p.cached ? span : chunkRows);
        if (!p.cached) {
          expect(p.offset, what).toBe(0);
          expect(held, what).toBe(p.rows);
          continue;
        }
        // A cached piece reads the chunk made for exactly its runs; only the first piece of a chunk is told it is new.
        expect(p.cached.chunk, what).toBe(kept.get(JSON.stringify(p.runs)));
        expect(p.cached.created, what).toBe(!firsts.has(p.cached.chunk));
        firsts.add(p.cached.chunk);
      }
      expect(pieces.some((p) => p.cached) || span === 0 || kept.size === 0, what).toBe(true);
    }
  });

  it('runs a chunk across batch boundaries, and gives no piece for no rows', () => {
    expect(taskPieces(batchesOf([3, 4]), 5, 0).map((p) => p.runs)).toEqual([
      [{ batch: 0, r0: 0, r1: 3 }, { batch: 1, r0: 0, r1: 2 }],
      [{ batch: 1, r0: 2, r1: 4 }],
    ]);
    expect(taskPieces(batchesOf([]), 5, 0)).toEqual([]);
    const chunk = {} as ResidentChunk;
    expect(taskPieces(batchesOf([0, 0]), 5, 8, () => ({ chunk, created: true }))).toEqual([]);
    // A cached chunk of 7 rows, read in pieces of 5 and 2.
    expect(taskPieces(batchesOf([3, 4]), 5, 8, () => ({ chunk, created: true })).map((p) => [p.offset, p.rows, p.cached?.created])).toEqual([[0, 5, true], [5, 2, false]]);
    // No room in the cache: the same rows packed, in pieces of 5 and 2.
    expect(taskPieces(batchesOf([3, 4]), 5, 8, () => null).map((p) => [p.offset, p.rows, p.cached])).toEqual([[0, 5, null], [0, 2, null]]);
    // Refused spans of 2 rows packed together, in pieces as big as the bound allows (5), not a piece per span.
    expect(taskPieces(batchesOf([3, 4]), 5, 2, () => null).map((p) => p.rows)).toEqual([5, 2]);
  });
});
