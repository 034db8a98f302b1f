/**
 * A one-line progress bar on stderr, fed by a session's `onProgress` events and drawn by
 * `cli-progress`: `q2 cpu run 3/5  stage 1/2 ShuffleMap [######......] 3/4 tasks  41.2 Mrows/s  1.4 s`.
 *
 * Jobs shorter than `minMs` never show it, it erases itself when the job ends (the next line
 * starts clean), and it draws nothing where the stream is not a terminal (cli-progress's rule).
 */
import cliProgress from 'cli-progress';
import type { ProgressEvent } from '../driver/progress.ts';

export interface ProgressBarOptions {
  /** Where to draw (default process.stderr). */
  readonly stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Jobs shorter than this never show a bar (default 1000 ms). */
  readonly minMs?: number;
  /** Width of the bar itself in characters (default 24). */
  readonly barWidth?: number;
}

/** Whether to draw: an explicit flag decides, otherwise only when the stream is a terminal. */
export function progressWanted(flag: boolean | undefined, stream: { isTTY?: boolean } = process.stderr): boolean {
  return flag ?? stream.isTTY === true;
}

interface JobState {
  readonly jobId: number;
  readonly t0: number;
  /** Stage ids in the order the job announced them. */
  readonly stageIds: number[];
  stageId?: number;
  stageKind: string;
  total: number;
  done: number;
  failed: number;
  /** Input rows of the job's finished tasks (map tasks read the input). */
  rows: number;
  /** Starts the bar once the job has run for minMs. */
  delay: ReturnType<typeof setTimeout>;
}

export class ProgressBar {
  /** Printed before the stage, e.g. `q1 cpu run 2/5`; set before each job. */
  label = '';
  private readonly bar: cliProgress.SingleBar;
  private readonly minMs: number;
  private job: JobState | undefined;
  private drawing = false;

  constructor(options: ProgressBarOptions = {}) {
    this.minMs = options.minMs ?? 1000;
    this.bar = new cliProgress.SingleBar({
      stream: options.stream ?? process.stderr,
      // A function, so the elapsed time and rate stay live between task ends.
      format: (opts, params) => this.line(cliProgress.Format.BarFormat(params.progress, opts)),
      barsize: options.barWidth ?? 24,
      barCompleteChar: '#',
      barIncompleteChar: '.',
      hideCursor: true,
      clearOnComplete: true,
      fps: 5,
    });
  }

  /** Pass as `onProgress` to Session.create (bound, safe to hand around). */
  readonly listener = (ev: ProgressEvent): void => {
    try {
      this.onEvent(ev);
    } catch {
      // a progress bar must never fail the job it reports on
    }
  };

  private onEvent(ev: ProgressEvent): void {
    if (ev.type === 'jobStart') {
      this.stop();
      const delay = setTimeout(() => this.startDrawing(), this.minMs);
      delay.unref();
      this.job = { jobId: ev.jobId, t0: performance.now(), stageIds: ev.stages.map((s) => s.stageId), stageKind: '', total: 0, done: 0, failed: 0, rows: 0, delay };
      return;
    }
    const j = this.job;
    if (!j || j.jobId !== ev.jobId) return;
    if (ev.type === 'stageStart') {
      j.stageId = ev.stageId;
      j.stageKind = ev.kind.replace(/Stage$/, '');
      j.done = 0;
      j.failed = 0;
      j.total = ev.numTasks;
      if (!j.stageIds.includes(ev.stageId)) j.stageIds.push(ev.stageId);
    } else if (ev.type === 'taskEnd' && ev.stageId === j.stageId) {
      if (ev.error === undefined) j.done++;
      else j.failed++;
      j.rows += ev.task.inputRows;
    } else if (ev.type === 'jobEnd') {
      this.stop();
      return;
    }
    if (!this.drawing) return;
    if (ev.type === 'stageStart') this.bar.setTotal(j.total);
    this.bar.update(j.done);
  }

  private startDrawing(): void {
    const j = this.job;
    if (!j) return;
    this.drawing = true;
    this.bar.start(j.total, j.done);
  }

  private line(bar: string): string {
    const j = this.job;
    if (!j) return '';
    const seconds = (performance.now() - j.t0) / 1000;
    const stage = j.stageId !== undefined ? j.stageIds.indexOf(j.stageId) + 1 : 0;
    return (
      `${this.label ? `${this.label}  ` : ''}stage ${stage}/${j.stageIds.length} ${j.stageKind} [${bar}] ` +
      `${j.done}/${j.total} tasks${j.failed > 0 ? ` (${j.failed} failed)` : ''}  ` +
      `${(j.rows / Math.max(seconds, 1e-3) / 1e6).toFixed(1)} Mrows/s  ${seconds.toFixed(1)} s`
    );
  }

  /** Erases the bar (also done at jobEnd). */
  stop(): void {
    if (this.job) clearTimeout(this.job.delay);
    this.job = undefined;
    if (this.drawing) this.bar.stop();
    this.drawing = false;
  }
}
