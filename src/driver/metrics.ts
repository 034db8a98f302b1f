/** Metrics of a finished job, its stages and their tasks, as Spark's UI reports them. */
import type { Counters, StagePlacement, TaskMetrics, TaskPhase } from '../executor/task.ts';

export type { TaskMetrics };

export interface StageMetrics extends Counters {
  readonly stageId: number;
  readonly kind: 'ShuffleMapStage' | 'ResultStage';
  readonly numTasks: number;
  /** When the stage started, in ms after its job started. */
  readonly startMs: number;
  durationMs: number;
  /** Task attempts that failed and were retried. */
  failedAttempts: number;
  /** Tasks never started because those done held all the job needed (limit(n) over a scan). */
  skippedTasks?: number;
  /** Stored bytes its scan tasks read from files (absent for in-memory input). */
  inputBytes?: number;
  /** Where the executor placed the stage and why, when it chooses (a GPU executor). */
  readonly placement?: StagePlacement;
  /**
   * A map stage whose tasks merged their partial states where they ran (a GPU executor's device):
   * where, the time from the last task to the merged groups' map outputs, the groups and outputs
   * (more than one where the table filled and was read out early), and the threads that decoded them.
   */
  merge?: {
    readonly where: string; readonly ms: number; readonly groups: number; readonly outputs: number; readonly decodedOn: readonly string[];
    /** The merge's own account: its phases (the tasks' merges summed, then the final readback and decode) and notes. */
    readonly phases: readonly TaskPhase[]; readonly notes: readonly string[];
  };
  readonly tasks: TaskMetrics[];
}

export interface JobMetrics {
  readonly jobId: number;
  readonly action: string;
  readonly executor: string;
  durationMs: number;
  readonly stages: StageMetrics[];
}

export function newStage(stageId: number, kind: StageMetrics['kind'], numTasks: number, startMs: number, placement?: StagePlacement): StageMetrics {
  return {
    stageId, kind, numTasks, startMs, ...(placement ? { placement } : {}), durationMs: 0, inputRows: 0, outputRows: 0,
    shuffleWriteRecords: 0, shuffleWriteBytes: 0, shuffleReadRecords: 0, shuffleReadBytes: 0,
    failedAttempts: 0, tasks: [],
  };
}

/** Adds a finished task's numbers to its stage. */
export function addTask(stage: StageMetrics, t: TaskMetrics): void {
  stage.tasks.push(t);
  stage.inputRows += t.inputRows;
  stage.outputRows += t.outputRows;
  stage.shuffleWriteRecords += t.shuffleWriteRecords;
  stage.shuffleWriteBytes += t.shuffleWriteBytes;
  stage.shuffleReadRecords += t.shuffleReadRecords;
  stage.shuffleReadBytes += t.shuffleReadBytes;
  if (t.inputBytes !== undefined) stage.inputBytes = (stage.inputBytes ?? 0) + t.inputBytes;
}

/** One line per stage: tasks, duration, rows, shuffle. */
export function formatJob(job: JobMetrics): string {
  const lines = [`Job ${job.jobId} (${job.action}) on ${job.executor}: ${job.durationMs.toFixed(1)} ms`];
  for (const s of job.stages) {
    const d = s.tasks.map((t) => t.durationMs).sort((a, b) => a - b);
    const med = d.length ? d[d.length >> 1] : 0;
    lines.push(
      `  Stage ${s.stageId} ${s.kind}: ${s.numTasks} tasks, ${s.durationMs.toFixed(1)} ms ` +
        `(task min/median/max ${(d[0] ?? 0).toFixed(1)}/${med.toFixed(1)}/${(d[d.length - 1] ?? 0).toFixed(1)} ms), ` +
        `rows in ${s.inputRows} out ${s.outputRows}, ` +
        (s.inputBytes !== undefined ? `read ${s.inputBytes} B from files, ` : '') +
        `shuffle write ${s.shuffleWriteRecords} rec / ${s.shuffleWriteBytes} B, read ${s.shuffleReadRecords} rec / ${s.shuffleReadBytes} B` +
        (s.failedAttempts ? `, ${s.failedAttempts} failed attempts retried` : '') +
        executorsOf(s) +
        (s.merge ? `; partial states ${s.merge.where}: ${s.merge.groups} groups out in ${s.merge.ms.toFixed(1)} ms ` +
          `(${s.merge.phases.map((p) => `${p.name} ${p.ms.toFixed(1)}${p.on ? ` on ${p.on}` : ''}`).join(', ')})` : '') +
        (s.placement ? `; placed on ${s.placement.reason}` : ''),
    );
  }
  return lines.join('\n');
}

/** Which executors ran a stage's tasks, and how much of the task time they spent running them. */
function executorsOf(s: StageMetrics): string {
  const ids = [...new Set(s.tasks.map((t) => t.executorId).filter((x) => x !== undefined))].sort();
  if (!ids.length) return '';
  const run = s.tasks.reduce((a, t) => a + (t.executorRunMs ?? 0), 0);
  const total = s.tasks.reduce((a, t) => a + t.durationMs, 0);
  return `, executors ${ids.join(' ')}` + (run > 0 ? ` (running ${run.toFixed(1)} of ${total.toFixed(1)} task ms)` : '');
}
