/**
 * Runs one stage's tasks, at most `slots` at a time, retrying a failed attempt — on another
 * executor when there is one — up to maxAttempts times. A task's output is kept only from its
 * successful attempt, so nothing is lost or counted twice; after the last failed attempt the stage
 * fails with TaskFailedError. Errors of the query itself (overflow, bad input) and cancellation
 * fail at once.
 */
import { JobCancelledError, TaskFailedError } from '../errors.ts';
import type { Counters, TaskContext, TaskFault, TaskMetrics } from '../executor/task.ts';
import { addTask, type StageMetrics } from './metrics.ts';
import type { ProgressListener } from './progress.ts';

export type TaskCounts = Counters;

export interface TaskRun<T> {
  readonly partition: number;
  run(ctx: TaskContext): Promise<{ value: T; counts: TaskCounts; executorId?: string; runMs?: number; extra?: Pick<TaskMetrics, 'details' | 'fallbackReason' | 'inputBytes' | 'decodeMs'> }>;
}

/**
 * Lets tests make chosen attempts fail: throwing here fails the attempt on the driver; returning
 * 'throw' makes the task throw on its executor; 'crash' makes its executor die mid-task; 'hang'
 * makes the task block on its executor until the job is cancelled; 'slow' and 'vanish' are a
 * cluster executor's (TaskFault).
 */
export type FaultInjector = (stageId: number, partition: number, attempt: number) => void | TaskFault;

export interface StageOptions {
  readonly jobId: number;
  readonly slots: number;
  readonly maxAttempts: number;
  readonly faults?: FaultInjector;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
  /**
   * Whether the tasks done so far (results by task, undefined where not done) are all the job
   * needs: then no further task starts (limit(n) over a scan), those under way finish, and the
   * stage's skipped tasks return undefined.
   */
  readonly enough?: (results: readonly (unknown | undefined)[]) => boolean;
}

const FATAL = new Set(['ArithmeticOverflowError', 'TypeMismatchError', 'UnknownColumnError', 'UnsupportedTypeError', 'JobCancelledError', 'GpuFallbackError', 'NoExecutorError', 'ClusterUnavailableError']);
const isFatal = (e: unknown): boolean => e instanceof Error && FATAL.has(e.name);

export async function runStage<T>(stage: StageMetrics, tasks: readonly TaskRun<T>[], opts: StageOptions): Promise<T[]> {
  const t0 = performance.now();
  opts.onProgress?.({ type: 'stageStart', jobId: opts.jobId, stageId: stage.stageId, kind: stage.kind, numTasks: tasks.length });
  const results = new Array<T>(tasks.length);
  let next = 0;
  let failed = false;
  // The session's close() aborts with a reason of its own, which the error passes on.
  const cancelled = () => {
    const why = opts.signal?.reason instanceof JobCancelledError ? `: ${opts.signal.reason.message}` : '';
    return new JobCancelledError(`job ${opts.jobId} was cancelled${why}`);
  };
  const worker = async () => {
    while (next < tasks.length && !failed) {
      if (opts.enough?.(results)) {
        stage.skippedTasks = tasks.length - next;
        next = tasks.length;
        break;
      }
      const index = next++;
      const task = tasks[index];
      let avoid: string | undefined;
      for (let attempt = 1; ; attempt++) {
        if (opts.signal?.aborted) throw cancelled();
        const start = performance.now();
        let executorId: string | undefined;
        try {
          const fault = opts.faults?.(stage.stageId, task.partition, attempt) ?? undefined;
          const r = await task.run({ signal: opts.signal, avoidExecutor: avoid, fault, task: { jobId: opts.jobId, stageId: stage.stageId, partition: task.partition, attempt } });
          executorId = r.executorId;
          results[index] = r.value;
          const m: TaskMetrics = { ...r.counts, ...r.extra, stageId: stage.stageId, partition: task.partition, attempt, startMs: start - t0, durationMs: performance.now() - start, executorId, executorRunMs: r.runMs };
          addTask(stage, m);
          opts.onProgress?.({ type: 'taskEnd', jobId: opts.jobId, stageId: stage.stageId, task: m });
          break;
        } catch (cause) {
          const err = cause instanceof Error ? cause : new Error(String(cause));
          // An executor that failed the attempt names itself on the error.
          executorId ??= (cause as { executorId?: string }).executorId;
          opts.onProgress?.({
            type: 'taskEnd', jobId: opts.jobId, stageId: stage.stageId, error: `${err.name}: ${err.message}`,
            task: { ...zeroCounts(), stageId: stage.stageId, partition: task.partition, attempt, startMs: start - t0, durationMs: performance.now() - start, executorId },
          });
          if (opts.signal?.aborted) { failed = true; throw cancelled(); }
          if (isFatal(cause)) { failed = true; throw cause; }
          if (attempt >= opts.maxAttempts) {
            failed = true;
            throw new TaskFailedError(stage.stageId, task.partition, attempt, cause);
          }
          stage.failedAttempts++;
          avoid = executorId;
        }
      }
    }
  };
  let onAbort = () => {};
  const abort = new Promise<never>((_, reject) => {
    if (!opts.signal) return;
    onAbort = () => reject(cancelled());
    if (opts.signal.aborted) onAbort();
    else opts.signal.addEventListener('abort', onAbort, { once: true });
  });
  abort.catch(() => {});
  try {
    await Promise.race([Promise.all(Array.from({ length: Math.max(1, Math.min(opts.slots, tasks.length)) }, worker)), abort]);
  } finally {
    // The signal may outlive the stage (a session's, or one signal for many jobs).
    opts.signal?.removeEventListener('abort', onAbort);
  }
  stage.durationMs = performance.now() - t0;
  opts.onProgress?.({ type: 'stageEnd', jobId: opts.jobId, stage });
  return results;
}

export function zeroCounts(): TaskCounts {
  return { inputRows: 0, outputRows: 0, shuffleWriteRecords: 0, shuffleWriteBytes: 0, shuffleReadRecords: 0, shuffleReadBytes: 0 };
}
