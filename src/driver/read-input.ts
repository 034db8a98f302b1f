/** A filter-only task's input as record batches: in memory already, or read from its file on an executor thread. */
import type * as arrow from 'apache-arrow';
import { readFileInput } from '../executor/scan-input.ts';
import type { Executor, ScanStats, TaskContext } from '../executor/task.ts';
import type { TaskInput } from '../plan/physical-plan.ts';

export async function readInput(executor: Executor, input: TaskInput, ctx: TaskContext): Promise<{ batches: readonly arrow.RecordBatch[]; scan?: ScanStats }> {
  return input.kind === 'batches' ? { batches: input.batches } : readFileInput(executor, input, ctx);
}
