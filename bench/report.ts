/**
 * Plain-text formatting for the benchmark: aligned tables, numbers, job metrics.
 */

import { count } from '../src/units.ts';
import { gpuBreakdown } from './gpu-breakdown.ts';

export type Align = 'left' | 'right';

/** Render rows as an aligned, pipe-separated table with a header rule. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], align?: readonly Align[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const al = (i: number): Align => align?.[i] ?? (i === 0 ? 'left' : 'right');
  const cell = (s: string, i: number): string => (al(i) === 'left' ? s.padEnd(widths[i]!) : s.padStart(widths[i]!));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => cell(c, i)).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (al(i) === 'left' ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(headers), rule, ...rows.map((r) => line(headers.map((_, i) => r[i] ?? '')))].join('\n');
}

export function fmtMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms >= 1000) return ms.toFixed(0);
  if (ms >= 100) return ms.toFixed(1);
  if (ms >= 10) return ms.toFixed(2);
  return ms.toFixed(3);
}

export function fmtNum(x: number, digits = 1): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '-';
}

/** 1234567 -> '1.23M' */
export function fmtCount(n: number | bigint | undefined): string {
  if (n === undefined) return '-';
  const x = Number(n);
  return Number.isFinite(x) ? count(x) : String(n);
}

export function fmtBytes(n: number | bigint | undefined): string {
  if (n === undefined) return '-';
  const x = Number(n);
  if (!Number.isFinite(x)) return String(n);
  if (x >= 1 << 30) return `${(x / (1 << 30)).toFixed(2)}GiB`;
  if (x >= 1 << 20) return `${(x / (1 << 20)).toFixed(1)}MiB`;
  if (x >= 1 << 10) return `${(x / (1 << 10)).toFixed(1)}KiB`;
  return `${x}B`;
}

/** Input rows per second, in millions, for `rows` processed in `ms`. */
export function mrowsPerSec(rows: number, ms: number): number {
  return rows / (ms * 1e3);
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Index (into the unsorted list) of the run whose time is the (lower) median. */
export function medianIndex(xs: readonly number[]): number {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  return order[(order.length - 1) >> 1]?.[1] ?? -1;
}

// ---------------------------------------------------------------------------
// Job metrics (the shape of session.lastJob), kept structural so this file does
// not depend on the engine's module.

export interface TaskMetricsLike {
  readonly durationMs: number;
  /** The executor (thread or device) the attempt ran on. */
  readonly executorId?: string;
  /** Time the task spent inside its executor thread (absent where the executor does not measure it). */
  readonly executorRunMs?: number;
}

export interface StageMetricsLike {
  readonly stageId: number;
  readonly kind: string;
  readonly numTasks: number;
  readonly durationMs: number;
  readonly inputRows?: number | bigint;
  readonly outputRows?: number | bigint;
  readonly shuffleWriteRecords?: number | bigint;
  readonly shuffleWriteBytes?: number | bigint;
  readonly shuffleReadRecords?: number | bigint;
  readonly shuffleReadBytes?: number | bigint;
  readonly failedAttempts?: number;
  /** The stage's successful task attempts. */
  readonly tasks?: readonly TaskMetricsLike[];
}

export interface JobMetricsLike {
  readonly jobId: number;
  readonly action: string;
  readonly executor?: string;
  readonly durationMs: number;
  readonly stages: readonly StageMetricsLike[];
}

const sumOf = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** Distinct executor ids that ran a stage's tasks, sorted. */
export function stageExecutors(s: StageMetricsLike): string[] {
  return [...new Set((s.tasks ?? []).map((t) => t.executorId).filter((x): x is string => typeof x === 'string'))].sort();
}

/**
 * Where a job's core-time went, for a job run on `slots` task slots (cores × executors):
 *
 *   overhead = 1 − Σ_tasks executorRunMs / (slots × job duration)
 *
 * the share of the job's core-time not spent running task code. It splits into
 *   idle     = 1 − Σ_tasks durationMs / (slots × job)  — slot time with no task in flight: stage
 *              barriers, tail imbalance, driver-side planning / Arrow assembly / sort, too few tasks;
 *   dispatch = Σ_tasks (durationMs − executorRunMs) / (slots × job) — a task in flight but not running
 *              on its thread: queueing, posting the task, shuffle blocks and results crossing threads.
 * Undefined when some task did not report executorRunMs (e.g. an executor that does not measure it).
 */
export interface Overhead {
  readonly slots: number;
  readonly jobMs: number;
  readonly runMs: number;
  readonly taskMs: number;
  /** Fractions of slots × jobMs, 0..1 (idle may go slightly negative from timer granularity). */
  readonly overhead: number;
  readonly idle: number;
  readonly dispatch: number;
}

export function jobOverhead(job: JobMetricsLike, slots: number): Overhead | undefined {
  const tasks = job.stages.flatMap((s) => s.tasks ?? []);
  if (tasks.length === 0 || !(slots > 0) || !(job.durationMs > 0)) return undefined;
  if (!tasks.every((t) => typeof t.executorRunMs === 'number' && Number.isFinite(t.executorRunMs))) return undefined;
  const runMs = sumOf(tasks.map((t) => t.executorRunMs!));
  const taskMs = sumOf(tasks.map((t) => t.durationMs));
  const capacity = slots * job.durationMs;
  return {
    slots,
    jobMs: job.durationMs,
    runMs,
    taskMs,
    overhead: 1 - runMs / capacity,
    idle: 1 - taskMs / capacity,
    dispatch: (taskMs - runMs) / capacity,
  };
}

export function fmtPct(x: number | undefined, digits = 1): string {
  return x === undefined || !Number.isFinite(x) ? '-' : `${(x * 100).toFixed(digits)}%`;
}

/** Plain-data copy of a job's metrics (per-stage sums, without per-task detail) for the JSON output. */
export function jobToJson(job: JobMetricsLike, slots?: number): Record<string, unknown> {
  const num = (v: number | bigint | undefined): number | undefined => (v === undefined ? undefined : Number(v));
  const tasksOf = (s: StageMetricsLike): readonly TaskMetricsLike[] => s.tasks ?? [];
  const allRun = (s: StageMetricsLike): boolean => tasksOf(s).length > 0 && tasksOf(s).every((t) => typeof t.executorRunMs === 'number');
  return {
    jobId: job.jobId,
    action: job.action,
    executor: job.executor,
    durationMs: job.durationMs,
    overhead: slots !== undefined ? jobOverhead(job, slots) : undefined,
    gpu: gpuBreakdown(job),
    stages: job.stages.map((s) => ({
      stageId: s.stageId,
      kind: s.kind,
      numTasks: s.numTasks,
      durationMs: s.durationMs,
      inputRows: num(s.inputRows),
      outputRows: num(s.outputRows),
      shuffleWriteRecords: num(s.shuffleWriteRecords),
      shuffleWriteBytes: num(s.shuffleWriteBytes),
      shuffleReadRecords: num(s.shuffleReadRecords),
      shuffleReadBytes: num(s.shuffleReadBytes),
      failedAttempts: s.failedAttempts,
      executors: stageExecutors(s),
      taskMs: tasksOf(s).length > 0 ? sumOf(tasksOf(s).map((t) => t.durationMs)) : undefined,
      executorRunMs: allRun(s) ? sumOf(tasksOf(s).map((t) => t.executorRunMs!)) : undefined,
    })),
  };
}

/**
 * One line per stage, e.g.
 * `stage 1 ShuffleMap  4 tasks  812 ms  rows 10.0M -> 400  shuffle write 400 rec / 9.4KiB  on executor-1.1,1.2 running 1590 of 1610 task ms`,
 * and, given the job's slot count, a line with its overhead (see jobOverhead).
 */
export function formatJob(job: JobMetricsLike, indent = '    ', slots?: number): string {
  const lines = [`${indent}job ${job.jobId} (${job.action}) ${fmtMs(job.durationMs)} ms`];
  for (const s of job.stages) {
    const kind = s.kind.replace(/Stage$/, '');
    const parts = [
      `stage ${s.stageId} ${kind.padEnd(10)}`,
      `${String(s.numTasks).padStart(3)} tasks`,
      `${fmtMs(s.durationMs).padStart(8)} ms`,
      `rows ${fmtCount(s.inputRows)} -> ${fmtCount(s.outputRows)}`,
    ];
    if (Number(s.shuffleReadRecords ?? 0) > 0 || Number(s.shuffleReadBytes ?? 0) > 0) {
      parts.push(`shuffle read ${fmtCount(s.shuffleReadRecords)} rec / ${fmtBytes(s.shuffleReadBytes)}`);
    }
    if (Number(s.shuffleWriteRecords ?? 0) > 0 || Number(s.shuffleWriteBytes ?? 0) > 0) {
      parts.push(`shuffle write ${fmtCount(s.shuffleWriteRecords)} rec / ${fmtBytes(s.shuffleWriteBytes)}`);
    }
    if ((s.failedAttempts ?? 0) > 0) parts.push(`${s.failedAttempts} failed attempts retried`);
    const ids = stageExecutors(s);
    const tasks = s.tasks ?? [];
    if (ids.length > 0 || tasks.length > 0) {
      const taskMs = sumOf(tasks.map((t) => t.durationMs));
      const run = tasks.every((t) => typeof t.executorRunMs === 'number') ? sumOf(tasks.map((t) => t.executorRunMs!)) : undefined;
      parts.push(
        (ids.length > 0 ? `on ${compactIds(ids)} ` : '') +
          (run !== undefined ? `running ${fmtMs(run)} of ${fmtMs(taskMs)} task ms` : `${fmtMs(taskMs)} task ms`),
      );
    }
    lines.push(`${indent}  ${parts.join('  ')}`);
  }
  const g = gpuBreakdown(job);
  if (g) {
    lines.push(
      `${indent}  gpu ${g.adapter}: map stage (${g.tasks} tasks) upload ${fmtMs(g.uploadMs)} + kernels ${fmtMs(g.kernelMs)} + ` +
        `readback ${fmtMs(g.readbackMs)} + merge ${fmtMs(g.mergeMs)} ms`,
    );
  }
  const o = slots !== undefined ? jobOverhead(job, slots) : undefined;
  if (o) {
    lines.push(
      `${indent}  overhead ${fmtPct(o.overhead)} of ${o.slots} slot${o.slots === 1 ? '' : 's'} x ${fmtMs(o.jobMs)} ms = ` +
        `${fmtPct(o.idle)} idle slots + ${fmtPct(o.dispatch)} dispatch/transfer (tasks ran ${fmtMs(o.runMs)} ms in executor threads)`,
    );
  }
  return lines.join('\n');
}

/** ['executor-1.1', 'executor-1.2'] -> 'executor-1.1,1.2' (common prefix written once). */
function compactIds(ids: readonly string[]): string {
  if (ids.length < 2) return ids.join(',');
  const m = /^(.*?-)[^-]*$/.exec(ids[0]!);
  const prefix = m?.[1];
  if (prefix && ids.every((id) => id.startsWith(prefix))) return prefix + ids.map((id) => id.slice(prefix.length)).join(',');
  return ids.join(',');
}

/** An error as one line for the report: its name and message. */
export function errMessage(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

/** 10000000 -> '1e7', 1234567 -> '1234567' */
export function fmtCount10(n: number): string {
  const exp = Math.log10(n);
  return Number.isInteger(exp) && exp >= 3 ? `1e${exp}` : String(n);
}
