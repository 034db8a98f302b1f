/** The in-process CPU executor: runs tasks as generated typed-array loops on the calling thread. */
import type * as arrow from 'apache-arrow';
import { takeRows } from '../../arrow/take.ts';
import { bindBatches, describeBatches } from '../../arrow/wire-batch.ts';
import { columnsOfTyped } from '../../expr/columns.ts';
import type { Schema, TExpr } from '../../expr/resolve.ts';
import type { ShuffleBlock } from '../../shuffle/shuffle-block.ts';
import { hangUntilAborted, type LocalExecutor, type MapResult, type ReduceResult, type ScanResult, type TaskContext } from '../task.ts';
import { type AggregationSpec, keyRangeColumns, sourceColumnsOfSpec } from '../../plan/aggregation-spec.ts';
import { runMapTask } from './map-task.ts';
import { runReduceTask, toRecordBatch } from './reduce-task.ts';
import { runScanTask } from './scan-task.ts';
import { readFileInput, type FileInput } from '../scan-input.ts';

export class CpuExecutor implements LocalExecutor {
  readonly kind = 'cpu';

  async runMap(spec: AggregationSpec, batches: readonly arrow.RecordBatch[], ctx?: TaskContext): Promise<MapResult> {
    if (ctx?.fault === 'hang') await hangUntilAborted(ctx.signal);
    return runMapTask(spec, bindBatches(describeBatches(spec.input, sourceColumnsOfSpec(spec), batches, keyRangeColumns(spec).map((k) => k.column))));
  }

  async runMapScan(spec: AggregationSpec, input: FileInput, ctx?: TaskContext): Promise<MapResult> {
    const { batches, scan } = await readFileInput(this, input, ctx);
    return { ...(await this.runMap(spec, batches, ctx)), scan };
  }

  async runReduce(spec: AggregationSpec, blocks: readonly ShuffleBlock[], ctx?: TaskContext): Promise<ReduceResult> {
    if (ctx?.fault === 'hang') await hangUntilAborted(ctx.signal);
    return { batch: toRecordBatch(spec, runReduceTask(spec, blocks)) };
  }

  async runScan(input: Schema, filter: TExpr | null, batches: readonly arrow.RecordBatch[]): Promise<ScanResult> {
    const inputRows = batches.reduce((a, b) => a + b.numRows, 0);
    if (!filter) return { batches: [...batches], inputRows };
    const selections = runScanTask(filter, bindBatches(describeBatches(input, columnsOfTyped(filter), batches)));
    return { batches: batches.map((b, j) => filterBatch(b, selections[j])), inputRows };
  }

  describe(): string {
    return 'cpu (calling thread)';
  }

  async close(): Promise<void> {}
}

/** The rows of a batch that a scan task selected. */
export const filterBatch = (b: arrow.RecordBatch, sel: Int32Array | null): arrow.RecordBatch =>
  sel === null ? b : takeRows(b.schema, [b], sel);
