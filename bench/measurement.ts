/**
 * One query on one engine, as the report shows it: the timed runs' median and spread, the ratios
 * to DuckDB and to the CPU executor, the job overhead, the GPU map-stage breakdown and the
 * answer's check against DuckDB's.
 */
import { checkAnswer } from './answer-check.ts';
import { gpuBreakdown, type GpuBreakdown } from './gpu-breakdown.ts';
import type { QueryDef } from './queries.ts';
import { fmtMs, fmtNum, fmtPct, formatJob, jobOverhead, median, medianIndex, mrowsPerSec, type JobMetricsLike } from './report.ts';
import type { EngineTimings } from './time-query.ts';

export interface Measurement {
  readonly query: string;
  readonly engine: string;
  readonly inputRows: number;
  readonly warmupMs?: number;
  readonly timesMs: readonly number[];
  /** Process CPU time (all threads) / wall time, per timed run: the cores the run kept busy. */
  readonly coresBusy: readonly number[];
  readonly medianCoresBusy?: number;
  /** CPU used by other processes on the machine during the timed runs, in cores (/proc/stat, 10 ms ticks; absent when the runs were too short to tell). */
  readonly otherProcessesCores?: number;
  readonly medianMs?: number;
  readonly mrowsPerSec?: number;
  readonly ratioToDuckdb?: number;
  /** Engine median / the `cpu` engine's median (absent for cpu itself or where cpu did not run). */
  readonly ratioToCpu?: number;
  /** Task slots of the engine's session (CPU executor only), the denominator of the overhead. */
  readonly slots?: number;
  /** Per timed run: 1 − Σ task executorRunMs / (slots × job ms), see jobOverhead in report.ts. */
  readonly overheadPerRun?: number[];
  readonly medianOverhead?: number;
  /** Median over the timed runs of Σ task executorRunMs: the task code's own time, all cores together. */
  readonly medianTaskRunMs?: number;
  /** GPU executor: map-stage upload / kernels / readback / merge sums of the median run. */
  readonly gpu?: GpuBreakdown;
  readonly resultRows?: number;
  readonly check: 'OK' | 'MISMATCH' | 'reference' | 'n/a' | 'ERROR';
  readonly error?: string;
  readonly mismatch?: { reason: string; details: string[] };
  readonly metrics?: JobMetricsLike;
  /** The driver's longest event-loop stall over the warm-up and timed runs (ms). */
  readonly maxStallMs?: number;
  /** The process's peak RSS (bytes) while this engine ran the query (warm-up and timed runs). */
  readonly peakRssBytes?: number;
}

const medianOf = (t: EngineTimings | undefined): number | undefined =>
  t && t.error === undefined && t.times.length > 0 ? median(t.times) : undefined;

/** The measurements of query `q` over `inputRows` rows, one per engine, checked against the `duckdb` engine's answer. */
export function toMeasurements(q: QueryDef, inputRows: number, timings: readonly EngineTimings[]): Measurement[] {
  const ref = timings.find((t) => t.engine.name === 'duckdb');
  const cpu = timings.find((t) => t.engine.name === 'cpu');
  const duckMedian = medianOf(ref);
  const cpuMedian = medianOf(cpu);
  return timings.map((t): Measurement => {
    const { engine: e, times, answer, error } = t;
    const med = times.length > 0 ? median(times) : undefined;
    const medMetrics = times.length > 0 ? t.metrics[medianIndex(times)] : undefined;
    const perRun = e.slots !== undefined ? t.metrics.map((jm) => (jm ? jobOverhead(jm, e.slots!) : undefined)).filter((x) => x !== undefined) : [];
    const overheads = perRun.map((o) => o.overhead);
    let check: Measurement['check'] = error !== undefined ? 'ERROR' : 'n/a';
    let mismatch: Measurement['mismatch'];
    if (error === undefined && answer) {
      if (t === ref) check = 'reference';
      else if (ref?.answer) {
        const c = checkAnswer(q, answer, ref.answer);
        check = c.ok ? 'OK' : 'MISMATCH';
        if (!c.ok) mismatch = { reason: c.reason, details: c.details };
      }
    }
    return {
      query: q.id,
      engine: e.name,
      inputRows,
      warmupMs: t.warmupMs,
      timesMs: times,
      coresBusy: t.busy,
      medianCoresBusy: t.busy.length > 0 ? median(t.busy) : undefined,
      otherProcessesCores: t.otherProcessesCores,
      medianMs: med,
      mrowsPerSec: med !== undefined ? mrowsPerSec(inputRows, med) : undefined,
      ratioToDuckdb: med !== undefined && duckMedian !== undefined && t !== ref ? med / duckMedian : undefined,
      ratioToCpu: med !== undefined && cpuMedian !== undefined && t !== cpu ? med / cpuMedian : undefined,
      slots: e.slots,
      overheadPerRun: overheads.length > 0 ? overheads : undefined,
      medianOverhead: overheads.length > 0 ? median(overheads) : undefined,
      medianTaskRunMs: perRun.length > 0 ? median(perRun.map((o) => o.runMs)) : undefined,
      gpu: medMetrics ? gpuBreakdown(medMetrics) : undefined,
      resultRows: answer?.rows.length,
      check,
      error,
      mismatch,
      metrics: medMetrics,
      maxStallMs: error === undefined ? t.maxStallMs : undefined,
      peakRssBytes: error === undefined ? t.peakRssBytes : undefined,
    };
  });
}

/** The lines the run prints for a measurement as it is taken: timings, check, mismatches, the median run's job. */
export function measurementLines(m: Measurement): string[] {
  const timing =
    m.medianMs !== undefined
      ? `median ${fmtMs(m.medianMs)} ms (${m.timesMs.map((t) => fmtMs(t)).join(', ')}), warm-up ${fmtMs(m.warmupMs)} ms, cores busy ${m.coresBusy.map((b) => fmtNum(b, 2)).join(' ')}` +
        (m.overheadPerRun ? `, overhead ${m.overheadPerRun.map((o) => fmtPct(o, 0)).join(' ')}` : '') +
        (m.otherProcessesCores !== undefined ? `, other processes ${fmtNum(m.otherProcessesCores, 2)} cores` : '')
      : '';
  const lines = [`  ${m.engine.padEnd(10)} ${m.check.padEnd(9)} ${timing}${m.error !== undefined ? `  ${m.error}` : ''}`];
  if (m.mismatch) lines.push(`         ${m.mismatch.reason}`, ...m.mismatch.details.map((d) => `         ${d}`));
  if (m.metrics) lines.push(formatJob(m.metrics, '         ', m.slots));
  return lines;
}
