/** A filter-only task: for each batch, the indexes of the rows that pass (null: every row). */
import type { BoundBatch } from '../../arrow/wire-batch.ts';
import type { TExpr } from '../../expr/resolve.ts';
import { compileFilter } from './map-kernel.ts';
import { StringIds } from '../string-ids.ts';

export function runScanTask(filter: TExpr, batches: readonly BoundBatch[]): (Int32Array | null)[] {
  const strings = new StringIds();
  return batches.map((batch) => {
    const nullable = [...batch.columns].filter(([, c]) => c.nullCount > 0).map(([n]) => n);
    const k = compileFilter(filter, nullable);
    const sel = new Int32Array(batch.rows);
    const bound = k.columns.map((name) => {
      const c = batch.columns.get(name)!;
      return { values: c.values as ArrayLike<number>, validity: c.validity, offset: c.offset, words: c.words, remap: c.dictionary ? strings.remap(c.dictionary) : null };
    });
    const lits = k.literals.map((s) => strings.id(s));
    const m = k.kernel(batch.rows, bound, { lits, matches: k.matchers.map((x) => strings.matchTable(x.op, x.pattern)), sel });
    return m === batch.rows ? null : sel.subarray(0, m);
  });
}
