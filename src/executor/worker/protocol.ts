/** Messages between the driver and executor worker threads: tasks as plain data. */
import type { WireBatch } from '../../arrow/wire-batch.ts';
import type { TExpr } from '../../expr/resolve.ts';
import type { ShuffleBlock } from '../../shuffle/shuffle-block.ts';
import type { TaskFault } from '../task.ts';
import type { AggregationSpec } from '../../plan/aggregation-spec.ts';
import type { ScanTask } from '../../io/file-source.ts';

export type TaskMessage = { readonly id: number; readonly fault?: TaskFault } & (
  | { readonly kind: 'map'; readonly spec: AggregationSpec; readonly batches: readonly WireBatch[] }
  /** A map task over a file scan task's units, read and decoded on the thread. */
  | { readonly kind: 'map-scan'; readonly spec: AggregationSpec; readonly task: ScanTask; readonly columns: readonly string[] }
  | { readonly kind: 'reduce'; readonly spec: AggregationSpec; readonly blocks: readonly ShuffleBlock[] }
  | { readonly kind: 'scan'; readonly filter: TExpr; readonly batches: readonly WireBatch[] }
  /** A named plain-data function of thread-ops.ts. */
  | { readonly kind: 'op'; readonly op: string; readonly input: unknown }
);

/** What a task sends back (a MapResult, a ReduceOutput, a scan's selections, an op's output): the pool casts it per message kind. */
export type TaskOutput = unknown;

export type ReplyMessage =
  | { readonly id: number; readonly ok: true; readonly result: TaskOutput; readonly runMs: number }
  | {
    readonly id: number;
    readonly ok: false;
    readonly error: { name: string; message: string; stack?: string };
    /** The failure left the thread unusable (an uncaught error, e.g. a WebAssembly panic): it ends after this reply. */
    readonly threadLost?: true;
  };
