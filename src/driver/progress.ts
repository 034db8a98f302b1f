/** Progress events of a job, as the Spark listener bus reports them. */
import type { JobMetrics, StageMetrics, TaskMetrics } from './metrics.ts';

export type ProgressEvent =
  | { readonly type: 'jobStart'; readonly jobId: number; readonly action: string; readonly stages: readonly { stageId: number; kind: string; numTasks: number }[] }
  | { readonly type: 'stageStart'; readonly jobId: number; readonly stageId: number; readonly kind: string; readonly numTasks: number }
  | { readonly type: 'taskEnd'; readonly jobId: number; readonly stageId: number; readonly task: TaskMetrics; readonly error?: string }
  | { readonly type: 'stageEnd'; readonly jobId: number; readonly stage: StageMetrics }
  | { readonly type: 'jobEnd'; readonly jobId: number; readonly job: JobMetrics; readonly error?: string };

export type ProgressListener = (event: ProgressEvent) => void;
