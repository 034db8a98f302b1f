/**
 * Core scaling of the CPU executor: `cpu` (all --threads cores) against `cpu1` (one core) over the
 * same input and shuffle partitions, per query, with the target of q1 at 1e7 rows on 2 cores.
 */
import type { Measurement } from './measurement.ts';
import type { QueryDef } from './queries.ts';
import { fmtCount10, fmtMs, fmtNum, fmtPct, formatTable } from './report.ts';

export interface ScalingRun {
  /** Cores of the `cpu` engine. */
  readonly cores: number;
  readonly rows: number;
  readonly partitions: number;
  readonly shufflePartitions: number;
}

/** The section's text; undefined when cpu and cpu1 did not both measure some query. */
export function coreScaling(measurements: readonly Measurement[], queries: readonly QueryDef[], run: ScalingRun): string | undefined {
  const byEngine = (q: string, e: string): Measurement | undefined =>
    measurements.find((m) => m.query === q && m.engine === e && m.medianMs !== undefined && m.error === undefined);
  const cores = run.cores;
  const speedupHeader = `${cores}-core speedup`;
  const scaling = queries
    .map((q) => ({ q, one: byEngine(q.id, 'cpu1'), all: byEngine(q.id, 'cpu') }))
    .filter((x): x is { q: QueryDef; one: Measurement; all: Measurement } => x.one !== undefined && x.all !== undefined);
  if (scaling.length === 0) return undefined;
  const lines = [
    `core scaling of the CPU executor (cpu = ${cores} cores vs cpu1 = 1 core, same ${run.partitions} input / ${run.shufflePartitions} shuffle partitions):`,
    formatTable(
      ['query', 'cpu1 ms', 'cpu ms', speedupHeader, 'per core', 'cpu1 overhead', 'cpu overhead', 'cpu1 task ms', 'cpu task ms', 'task slowdown'],
      scaling.map(({ q, one, all }) => {
        const sp = one.medianMs! / all.medianMs!;
        const slow = one.medianTaskRunMs !== undefined && all.medianTaskRunMs !== undefined ? all.medianTaskRunMs / one.medianTaskRunMs : undefined;
        return [
          q.id,
          fmtMs(one.medianMs),
          fmtMs(all.medianMs),
          fmtNum(sp, 2),
          fmtPct(sp / cores, 0),
          fmtPct(one.medianOverhead),
          fmtPct(all.medianOverhead),
          fmtMs(one.medianTaskRunMs),
          fmtMs(all.medianTaskRunMs),
          slow !== undefined ? fmtNum(slow, 2) : '-',
        ];
      }),
      ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    ),
    `(${speedupHeader} = cpu1 median / cpu median = throughput of ${cores} cores / throughput of 1; per core = speedup / ${cores}, 100% is linear. ` +
      `task ms = sum over the job's tasks of their time inside executor threads (median over runs); task slowdown = cpu task ms / cpu1 task ms, ` +
      `> 1 when the same task code runs slower with ${cores} threads at once (memory bandwidth, shared caches, GC, the driver thread competing for a core). ` +
      `speedup ~= ${cores} x (1 - cpu overhead) / (1 - cpu1 overhead) / task slowdown.)`,
  ];
  const q1 = scaling.find((x) => x.q.id === 'q1');
  if (q1) {
    const sp = q1.one.medianMs! / q1.all.medianMs!;
    const ov = q1.all.medianOverhead;
    const conf = run.rows === 10_000_000 && cores === 2 ? '' : ` (this run: ${fmtCount10(run.rows)} rows, ${cores} cores: not the target's setting)`;
    lines.push(
      `target (q1, 1e7 rows, 2 cores): speedup >= 1.70: ${fmtNum(sp, 2)} ${sp >= 1.7 ? 'met' : 'NOT met'}; ` +
        `cpu overhead < 10%: ${fmtPct(ov)} ${ov === undefined ? 'unknown' : ov < 0.1 ? 'met' : 'NOT met'}${conf}`,
    );
  }
  return lines.join('\n');
}
