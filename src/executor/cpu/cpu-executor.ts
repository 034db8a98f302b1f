/** The CPU executor: runs tasks as generated typed-array loops on the calling thread. */
import type * as arrow from 'apache-arrow';
import { bindColumn } from '../../arrow/column-chunk.ts';
import { takeRows } from '../../arrow/take.ts';
import { columnsOfTyped } from '../../expr/columns.ts';
import { fieldOf, type Schema, type TExpr } from '../../expr/resolve.ts';
import type { ShuffleBlock } from '../../shuffle/shuffle-block.ts';
import type { AggregationSpec, Executor, MapResult, ReduceResult, ScanResult } from '../task.ts';
import { compileFilter } from './map-kernel.ts';
import { runMapTask, StringIds } from './map-task.ts';
import { runReduceTask } from './reduce-task.ts';

export class CpuExecutor implements Executor {
  readonly kind = 'cpu';

  async runMap(spec: AggregationSpec, batches: readonly arrow.RecordBatch[]): Promise<MapResult> {
    return runMapTask(spec, batches);
  }

  async runReduce(spec: AggregationSpec, blocks: readonly ShuffleBlock[]): Promise<ReduceResult> {
    return { batch: runReduceTask(spec, blocks) };
  }

  async runScan(input: Schema, filter: TExpr | null, batches: readonly arrow.RecordBatch[]): Promise<ScanResult> {
    const inputRows = batches.reduce((a, b) => a + b.numRows, 0);
    if (!filter) return { batches: [...batches], inputRows };
    const strings = new StringIds();
    const out: arrow.RecordBatch[] = [];
    for (const batch of batches) {
      const chunks = new Map(columnsOfTyped(filter).map((name) => [name, bindColumn(batch.getChild(name)!.data[0], fieldOf(input, name).dtype)]));
      const nullable = [...chunks].filter(([, c]) => c.nullCount > 0).map(([n]) => n);
      const k = compileFilter(filter, nullable);
      const sel = new Int32Array(batch.numRows);
      const bound = k.columns.map((name) => {
        const c = chunks.get(name)!;
        return { values: c.values as ArrayLike<number>, validity: c.validity, offset: c.offset, words: c.words, remap: c.dictionary ? strings.remap(c.dictionary) : null };
      });
      const m = k.kernel(batch.numRows, bound, { lits: k.literals.map((s) => strings.id(s)), sel });
      out.push(m === batch.numRows ? batch : takeRows(batch.schema, [batch], sel, m));
    }
    return { batches: out, inputRows };
  }

  async close(): Promise<void> {}
}
