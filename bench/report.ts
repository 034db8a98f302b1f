/**
 * Plain-text formatting for the benchmark: aligned tables, numbers, job metrics.
 */

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
  if (!Number.isFinite(x)) return String(n);
  const a = Math.abs(x);
  if (a >= 1e9) return `${(x / 1e9).toFixed(2)}G`;
  if (a >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  return String(x);
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
}

export interface JobMetricsLike {
  readonly jobId: number;
  readonly action: string;
  readonly durationMs: number;
  readonly stages: readonly StageMetricsLike[];
}

/** Plain-data copy of a job's metrics (without per-task detail) for the JSON output. */
export function jobToJson(job: JobMetricsLike): Record<string, unknown> {
  const num = (v: number | bigint | undefined): number | undefined => (v === undefined ? undefined : Number(v));
  return {
    jobId: job.jobId,
    action: job.action,
    durationMs: job.durationMs,
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
    })),
  };
}

/** One line per stage, e.g. `stage 0 ShuffleMap  4 tasks  812ms  in 10.0M -> out 400  shuffle write 400 rec / 9.4KiB`. */
export function formatJob(job: JobMetricsLike, indent = '    '): string {
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
    lines.push(`${indent}  ${parts.join('  ')}`);
  }
  return lines.join('\n');
}
