/**
 * A GPU map task's rows into dispatches: on random batch sizes and bounds, every row of every batch
 * lies in exactly one piece, in order, each piece within the bound; cached pieces cover their
 * cached chunk (same runs) from row `offset`.
 */
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { taskPieces, type Piece } from '../../../src/executor/gpu/task-pieces.ts';
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
      const pieces = taskPieces(batchesOf(sizes), chunkRows, span);
      const what = JSON.stringify({ sizes, chunkRows, span });
      expect(rowsRead(pieces), what).toEqual(all);
      for (const p of pieces) {
        expect(p.rows, what).toBeGreaterThan(0);
        expect(p.rows, what).toBeLessThanOrEqual(chunkRows);
        expect(p.cached, what).toBe(span > 0);
        const held = p.runs.reduce((a, r) => a + r.r1 - r.r0, 0);
        expect(held, what).toBeLessThanOrEqual(span > 0 ? span : chunkRows);
        if (!p.cached) expect(p.offset, what).toBe(0);
      }
    }
  });

  it('runs a chunk across batch boundaries, and gives no piece for no rows', () => {
    expect(taskPieces(batchesOf([3, 4]), 5, 0).map((p) => p.runs)).toEqual([
      [{ batch: 0, r0: 0, r1: 3 }, { batch: 1, r0: 0, r1: 2 }],
      [{ batch: 1, r0: 2, r1: 4 }],
    ]);
    expect(taskPieces(batchesOf([]), 5, 0)).toEqual([]);
    expect(taskPieces(batchesOf([0, 0]), 5, 8)).toEqual([]);
    // A cached chunk of 7 rows, read in pieces of 5 and 2.
    expect(taskPieces(batchesOf([3, 4]), 5, 8).map((p) => [p.offset, p.rows])).toEqual([[0, 5], [5, 2]]);
  });
});
