/** The benchmark's summary: one row per query × engine (skipped engines last), and its legend. */
import type { Engine } from './engine.ts';
import type { Measurement } from './measurement.ts';
import type { SkippedEngine } from './open-engines.ts';
import { fmtCount10, fmtMs, fmtNum, fmtPct, formatTable } from './report.ts';

export const RATIO_TO_DUCKDB = 'x duckdb';

interface Column {
  header: string;
  align: 'left' | 'right';
  cell(m: Measurement): string;
  /** The cell of a skipped engine's row (default '-'). */
  skipped?: string;
  show?: boolean;
}

export function summaryTable(measurements: readonly Measurement[], skipped: readonly SkippedEngine[], engines: readonly Engine[], threads: number): string {
  const hasCpuRatio = measurements.some((m) => m.ratioToCpu !== undefined);
  const hasOverhead = measurements.some((m) => m.medianOverhead !== undefined);
  const columns: Column[] = [
    { header: 'query', align: 'left', cell: (m) => m.query, skipped: '*' },
    { header: 'engine', align: 'left', cell: (m) => m.engine },
    { header: 'rows', align: 'right', cell: (m) => fmtCount10(m.inputRows) },
    { header: 'median ms', align: 'right', cell: (m) => (m.medianMs !== undefined ? fmtMs(m.medianMs) : '-') },
    { header: 'Mrows/s', align: 'right', cell: (m) => (m.mrowsPerSec !== undefined ? fmtNum(m.mrowsPerSec, 1) : '-') },
    {
      header: RATIO_TO_DUCKDB,
      align: 'right',
      cell: (m) => (m.ratioToDuckdb !== undefined ? fmtNum(m.ratioToDuckdb, 2) : m.engine === 'duckdb' && m.medianMs !== undefined ? '1.00' : '-'),
    },
    {
      header: 'x cpu',
      align: 'right',
      show: hasCpuRatio,
      cell: (m) => (m.ratioToCpu !== undefined ? fmtNum(m.ratioToCpu, 2) : m.engine === 'cpu' && m.medianMs !== undefined ? '1.00' : '-'),
    },
    { header: 'cores busy', align: 'right', cell: (m) => (m.medianCoresBusy !== undefined ? fmtNum(m.medianCoresBusy, 2) : '-') },
    { header: 'overhead', align: 'right', show: hasOverhead, cell: (m) => fmtPct(m.medianOverhead) },
    { header: 'max stall', align: 'right', cell: (m) => (m.maxStallMs !== undefined ? fmtMs(m.maxStallMs) : '-') },
    { header: 'peak RSS', align: 'right', cell: (m) => (m.peakRssBytes !== undefined ? `${(m.peakRssBytes / 2 ** 20).toFixed(0)} MiB` : '-') },
    { header: 'others', align: 'right', cell: (m) => (m.otherProcessesCores !== undefined ? fmtNum(m.otherProcessesCores, 2) : '-') },
    { header: 'groups', align: 'right', cell: (m) => (m.resultRows !== undefined ? String(m.resultRows) : '-') },
    { header: 'check', align: 'left', cell: (m) => m.check, skipped: 'SKIPPED' },
  ];
  const shown = columns.filter((c) => c.show !== false);
  const rows = measurements.map((m) => shown.map((c) => c.cell(m)));
  for (const s of skipped) rows.push(shown.map((c) => (c.header === 'engine' ? s.name : (c.skipped ?? '-'))));
  const table = formatTable(
    shown.map((c) => c.header),
    rows,
    shown.map((c) => c.align),
  );
  const legend = [
    `${RATIO_TO_DUCKDB} = engine median / DuckDB median; > 1 means slower than DuckDB. Mrows/s = input rows / median.`,
    ...(hasCpuRatio ? ['x cpu = engine median / median of `cpu` (the CPU executor on all cores); for cpu1 it is the core-scaling speedup below.'] : []),
    `cores busy = process CPU time / wall time of the run, median: how many of the ${threads} cores the engine kept busy.`,
    ...(hasOverhead
      ? [
          'overhead = 1 - (sum over the job\'s tasks of the time each spent running inside its executor thread) / (task slots x job time), ' +
            'median over the runs, slots = cores x executors of the engine ' +
            `(${engines.filter((e) => e.slots !== undefined).map((e) => `${e.name}: ${e.slots}`).join(', ')}): the share of the job's core-time not spent running task code ` +
            '(driver-side scheduling, posting tasks and moving shuffle blocks / results between threads, Arrow assembly of the result on the driver, ' +
            'and cores left idle at stage barriers or by uneven tasks). Per run it splits into idle slots + dispatch/transfer (job detail above).',
        ]
      : []),
    "max stall = the driver's longest event-loop stall (ms) over the warm-up and timed runs: how long a timer or an abort could wait (DuckDB's calls block the loop while they run).",
    'peak RSS = the process\'s highest resident memory (sampled every 10 ms) while this engine ran the query; one process holds every engine (and the in-memory tables with --source memory), so it is the process\'s RSS while that engine ran.',
    'others = cores used meanwhile by other processes on the machine.',
  ];
  return `${table}\n${legend.map((l, i) => `${i === 0 ? '(' : ' '}${l}${i === legend.length - 1 ? ')' : ''}`).join('\n')}`;
}
