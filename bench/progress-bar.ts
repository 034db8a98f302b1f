/**
 * A one-line progress bar for the benchmark CLI, fed by a session's `onProgress`
 * events: `q2 cpu1 run 3/5  stage 1/2 ShuffleMap [######......] 3/4 tasks  1.4 s`.
 *
 * It writes to stderr only (stdout keeps the table), redraws in place with `\r`,
 * shows nothing for jobs shorter than `minMs` (1 s), and erases itself when the
 * job ends, so that whatever is printed next starts on a clean line.
 */
import type { ProgressEvent } from '../src/index.ts';

export interface ProgressBarOptions {
  /** Where to draw (default process.stderr). */
  readonly stream?: NodeJS.WriteStream;
  /** Jobs shorter than this never show a bar (default 1000 ms). */
  readonly minMs?: number;
  /** Redraw period while a job runs (default 200 ms). */
  readonly intervalMs?: number;
  /** Width of the bar itself in characters (default 24). */
  readonly barWidth?: number;
}

/** Whether to draw: `--progress` (true) / `--no-progress` (false) decide, otherwise only when the stream is a terminal. */
export function progressWanted(flag: boolean | undefined, stream: NodeJS.WriteStream = process.stderr): boolean {
  return flag ?? stream.isTTY === true;
}

interface JobState {
  readonly jobId: number;
  readonly t0: number;
  /** Stage ids in the order the job announced them. */
  readonly stageIds: number[];
  stageId?: number;
  stageKind: string;
  done: number;
  total: number;
  failed: number;
}

export class ProgressBar {
  /** Printed before the stage, e.g. `q1 cpu run 2/5`; set by the runner before each job. */
  label = '';
  private readonly stream: NodeJS.WriteStream;
  private readonly minMs: number;
  private readonly intervalMs: number;
  private readonly barWidth: number;
  private job: JobState | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Length of what is on the line now (0: nothing drawn). */
  private shown = 0;
  private lastDraw = 0;

  constructor(options: ProgressBarOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.minMs = options.minMs ?? 1000;
    this.intervalMs = options.intervalMs ?? 200;
    this.barWidth = options.barWidth ?? 24;
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
    switch (ev.type) {
      case 'jobStart': {
        this.stop();
        this.job = {
          jobId: ev.jobId,
          t0: performance.now(),
          stageIds: ev.stages.map((s) => s.stageId),
          stageKind: '',
          done: 0,
          total: 0,
          failed: 0,
        };
        this.timer = setInterval(() => this.draw(), this.intervalMs);
        this.timer.unref();
        return;
      }
      case 'stageStart': {
        const j = this.current(ev.jobId);
        if (!j) return;
        j.stageId = ev.stageId;
        j.stageKind = ev.kind;
        j.done = 0;
        j.total = ev.numTasks;
        if (!j.stageIds.includes(ev.stageId)) j.stageIds.push(ev.stageId);
        this.draw();
        return;
      }
      case 'taskEnd': {
        const j = this.current(ev.jobId);
        if (!j || ev.stageId !== j.stageId) return;
        if (ev.error === undefined) j.done++;
        else j.failed++;
        this.draw(true);
        return;
      }
      case 'stageEnd':
        return;
      case 'jobEnd':
        if (this.current(ev.jobId)) this.stop();
        return;
      default:
        return;
    }
  }

  /** Erases the bar and stops redrawing (also called at jobEnd). */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.job = undefined;
    this.clear();
  }

  private current(jobId: number): JobState | undefined {
    return this.job !== undefined && this.job.jobId === jobId ? this.job : undefined;
  }

  private clear(): void {
    if (this.shown === 0) return;
    this.stream.write(`\r${' '.repeat(this.shown)}\r`);
    this.shown = 0;
  }

  /** Redraws the line; `throttled`: not more often than every 50 ms (task ends can come in bursts). */
  private draw(throttled = false): void {
    const j = this.job;
    if (!j) return;
    const now = performance.now();
    const elapsed = now - j.t0;
    if (elapsed < this.minMs || (throttled && now - this.lastDraw < 50)) return;
    this.lastDraw = now;
    const k = j.stageId !== undefined ? j.stageIds.indexOf(j.stageId) + 1 : 0;
    const n = j.stageIds.length;
    const frac = j.total > 0 ? Math.min(1, j.done / j.total) : 0;
    const filled = Math.round(frac * this.barWidth);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(this.barWidth - filled)}]`;
    let line =
      `${this.label ? `${this.label}  ` : ''}stage ${k}/${n} ${j.stageKind.replace(/Stage$/, '')} ${bar} ` +
      `${j.done}/${j.total} tasks${j.failed > 0 ? ` (${j.failed} failed)` : ''}  ${(elapsed / 1000).toFixed(1)} s`;
    const cols = this.stream.isTTY ? this.stream.columns : undefined;
    if (cols !== undefined && cols > 1 && line.length > cols - 1) line = line.slice(0, cols - 1);
    const pad = this.shown > line.length ? ' '.repeat(this.shown - line.length) : '';
    this.stream.write(`\r${line}${pad}`);
    this.shown = line.length;
  }
}
