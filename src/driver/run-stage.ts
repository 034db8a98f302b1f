/**
 * Runs one stage's tasks, at most `cores` at a time, retrying a failed task up to maxAttempts
 * times. A task's output is kept only from its successful attempt, so nothing is lost or counted
 * twice; after the last failed attempt the stage fails with TaskFailedError.
 */
import { TaskFailedError } from '../errors.ts';
import type { TaskMetrics } from '../executor/task.ts';
import { addTask, type StageMetrics } from './metrics.ts';

export interface TaskRun<T> {
  readonly partition: number;
  run(attempt: number): Promise<{ value: T; metrics: Omit<TaskMetrics, 'stageId' | 'partition' | 'attempt' | 'durationMs'> }>;
}

/** Lets tests make chosen attempts of chosen tasks fail. */
export type FaultInjector = (stageId: number, partition: number, attempt: number) => void;

export async function runStage<T>(
  stage: StageMetrics,
  tasks: readonly TaskRun<T>[],
  cores: number,
  maxAttempts: number,
  inject?: FaultInjector,
): Promise<T[]> {
  const t0 = performance.now();
  const results = new Array<T>(tasks.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < tasks.length && !failed) {
      const index = next++;
      const task = tasks[index];
      for (let attempt = 1; ; attempt++) {
        const start = performance.now();
        try {
          inject?.(stage.stageId, task.partition, attempt);
          const { value, metrics } = await task.run(attempt);
          results[index] = value;
          addTask(stage, { ...metrics, stageId: stage.stageId, partition: task.partition, attempt, durationMs: performance.now() - start });
          break;
        } catch (cause) {
          if (!isRetryable(cause)) {
            failed = true;
            throw cause;
          }
          if (attempt >= maxAttempts) {
            failed = true;
            throw new TaskFailedError(stage.stageId, task.partition, attempt, cause);
          }
          stage.failedAttempts++;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(cores, tasks.length) }, worker));
  stage.durationMs = performance.now() - t0;
  return results;
}

/** Errors of the query itself (overflow, bad input) fail the same way on every attempt: no retry. */
function isRetryable(e: unknown): boolean {
  return !(e instanceof Error && ['ArithmeticOverflowError', 'TypeMismatchError', 'UnknownColumnError', 'UnsupportedTypeError'].includes(e.name));
}
