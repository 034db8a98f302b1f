/**
 * Times one query on every engine: one warm-up each (its answer is the one checked), then the
 * timed runs, engine after engine (default), or with --interleave round-robin across the engines,
 * so that drift in machine load hits all alike (but then each engine also runs while the previous
 * one's garbage is being collected). Each timed run records its wall time, the cores this process
 * kept busy and the CPU other processes used meanwhile.
 */
import type { ProgressBar } from '../src/cli/progress-bar.ts';
import type { Rows } from './compare-rows.ts';
import type { Engine } from './engine.ts';
import { startLoadSample } from './machine-load.ts';
import { startStallSample } from './event-loop-stall.ts';
import { startRssSample } from './peak-rss.ts';
import type { QueryDef } from './queries.ts';
import { errMessage, type JobMetricsLike } from './report.ts';

export interface EngineTimings {
  readonly engine: Engine;
  readonly warmupMs?: number;
  /** Wall time of each timed run. */
  readonly times: readonly number[];
  /** Process CPU time (all threads) / wall time, per timed run. */
  readonly busy: readonly number[];
  /** Cores other processes used during the timed runs; undefined below ~0.3 s of runs (/proc/stat counts 10 ms ticks) or without /proc/stat. */
  readonly otherProcessesCores?: number;
  /** The job metrics of each timed run (gpuframe engines). */
  readonly metrics: readonly (JobMetricsLike | undefined)[];
  /** The driver's longest event-loop stall (ms) over the warm-up and the timed runs. */
  readonly maxStallMs: number;
  /** The process's peak RSS (bytes) over the warm-up and the timed runs (peak-rss.ts). */
  readonly peakRssBytes: number;
  /** The warm-up run's answer. */
  readonly answer?: Rows;
  readonly error?: string;
}

interface State {
  readonly engine: Engine;
  warmupMs?: number;
  times: number[];
  busy: number[];
  othersMs: number;
  othersWallMs: number;
  metrics: (JobMetricsLike | undefined)[];
  maxStallMs: number;
  peakRssBytes: number;
  answer?: Rows;
  error?: string;
}

/** Below this much timed wall time the other processes' share is noise (10 ms ticks). */
const MIN_JUDGED_MS = 300;

export async function timeQuery(
  q: QueryDef,
  engines: readonly Engine[],
  opts: { readonly runs: number; readonly interleave: boolean },
  progress: ProgressBar | undefined,
): Promise<EngineTimings[]> {
  const state: State[] = engines.map((engine) => ({ engine, times: [], busy: [], othersMs: 0, othersWallMs: 0, metrics: [], maxStallMs: 0, peakRssBytes: 0 }));
  const fail = (st: State, err: unknown): void => {
    st.error = errMessage(err);
    if (err instanceof Error && err.stack) console.error(`  ${st.engine.name}: ${err.stack}`);
  };
  const label = (st: State, what: string): void => {
    if (progress) progress.label = `${q.id} ${st.engine.name} ${what}`;
  };
  const warmUp = async (st: State): Promise<void> => {
    label(st, 'warm-up');
    try {
      const t0 = performance.now();
      const stall = startStallSample();
      const rss = startRssSample();
      const warm = await st.engine.run(q);
      st.maxStallMs = Math.max(st.maxStallMs, stall());
      st.peakRssBytes = Math.max(st.peakRssBytes, rss());
      st.warmupMs = performance.now() - t0;
      st.answer = await warm.result();
    } catch (err) {
      fail(st, err);
    }
  };
  const timedRun = async (st: State): Promise<void> => {
    if (st.error !== undefined) return;
    label(st, `run ${st.times.length + 1}/${opts.runs}`);
    try {
      const stop = startLoadSample();
      const stall = startStallSample();
      const rss = startRssSample();
      const r = await st.engine.run(q);
      st.maxStallMs = Math.max(st.maxStallMs, stall());
      st.peakRssBytes = Math.max(st.peakRssBytes, rss());
      const s = stop();
      st.times.push(s.wallMs);
      st.busy.push(s.ownMs / s.wallMs);
      if (s.othersMs !== undefined) {
        st.othersMs += s.othersMs;
        st.othersWallMs += s.wallMs;
      }
      st.metrics.push(r.metrics);
    } catch (err) {
      fail(st, err);
    }
  };
  if (opts.interleave) {
    for (const st of state) await warmUp(st);
    for (let i = 0; i < opts.runs; i++) for (const st of state) await timedRun(st);
  } else {
    for (const st of state) {
      await warmUp(st);
      for (let i = 0; i < opts.runs; i++) await timedRun(st);
    }
  }
  return state.map(({ othersMs, othersWallMs, ...st }) => ({
    ...st,
    otherProcessesCores: othersWallMs >= MIN_JUDGED_MS ? Math.max(0, othersMs / othersWallMs) : undefined,
  }));
}
