/**
 * The benchmark as one self-contained HTML page: per query a bar chart of every engine's median
 * time, labelled with the ratio to DuckDB, then the job timelines (the job report's pieces).
 */
import type { JobMetrics } from '../src/driver/metrics.ts';
import { FAIL, seriesColor } from '../src/report/colors.ts';
import { jobSection } from '../src/report/job-html.ts';
import { htmlPage } from '../src/report/page.ts';
import { el, esc, fitText, rect, svg, text, tooltip } from '../src/report/svg.ts';
import { ms } from '../src/units.ts';

export interface BenchResult {
  readonly engine: string;
  readonly medianMs?: number;
  readonly ratioToDuckdb?: number;
  readonly check: string;
  readonly error?: string;
}

export interface BenchQuery {
  readonly id: string;
  readonly title: string;
  readonly results: readonly BenchResult[];
}

export interface BenchReport {
  /** e.g. 'gpuframe benchmark, 1e7 rows' */
  readonly title: string;
  /** One line. */
  readonly machine: string;
  /** Column order, e.g. ['cpu', 'cpu1', 'gpu', 'gpu-cached', 'duckdb']. */
  readonly engines: readonly string[];
  readonly queries: readonly BenchQuery[];
  /** Timelines to show (one per query × engine). */
  readonly jobs?: readonly { readonly label: string; readonly job: JobMetrics }[];
}

const WIDTH = 1080;
const NAME_W = 110;
const BAR_X = NAME_W + 12;
const BAR_MAX = 660;
const ROW = 26;
const BAR_H = 16;
const REFERENCE = 'duckdb';

type Status = 'ok' | 'mismatch' | 'failed' | 'skipped';

function statusOf(r: BenchResult | undefined): Status {
  if (!r) return 'skipped';
  if (r.error !== undefined || r.check === 'ERROR') return 'failed';
  if (r.medianMs === undefined) return 'skipped';
  return r.check === 'MISMATCH' ? 'mismatch' : 'ok';
}

function barLabel(r: BenchResult | undefined, status: Status): string {
  if (status === 'skipped') return 'skipped';
  if (status === 'failed') return `failed: ${r!.error ?? r!.check}`;
  const vs = r!.engine === REFERENCE ? 'DuckDB (reference)' : r!.ratioToDuckdb !== undefined ? `${r!.ratioToDuckdb.toFixed(2)}× DuckDB` : '';
  return [ms(r!.medianMs!), vs, status === 'mismatch' ? 'wrong result' : ''].filter(Boolean).join(' · ');
}

/** Engines in the report's order, then any that only the results name. */
function enginesOf(report: BenchReport, q: BenchQuery): string[] {
  return [...new Set([...report.engines, ...q.results.map((r) => r.engine)])];
}

const engineColor = (report: BenchReport, engine: string): string =>
  engine === REFERENCE ? '#8c959f' : seriesColor(Math.max(0, report.engines.filter((e) => e !== REFERENCE).indexOf(engine)));

/** One query's chart: a bar per engine, scaled to the query's slowest. */
export function queryBarsSvg(report: BenchReport, q: BenchQuery): string {
  const engines = enginesOf(report, q);
  const slowest = Math.max(1e-9, ...q.results.map((r) => r.medianMs ?? 0));
  const rows = engines.map((engine, i) => {
    const r = q.results.find((x) => x.engine === engine);
    const status = statusOf(r);
    const y = 4 + i * ROW;
    const w = status === 'ok' || status === 'mismatch' ? Math.max(2, (r!.medianMs! / slowest) * BAR_MAX) : 0;
    const label = barLabel(r, status);
    const tip = `${q.id} on ${engine}: ${label}${r ? ` (check: ${r.check})` : ''}`;
    const faint = status === 'skipped' || status === 'failed';
    return el('g', { class: 'bar', 'data-query': q.id, 'data-engine': engine, 'data-status': status }, [
      tooltip(tip),
      text(NAME_W, y + BAR_H - 3, fitText(engine, NAME_W - 4, 12), { 'text-anchor': 'end', 'font-weight': 600 }),
      faint
        ? rect({ x: BAR_X, y, width: BAR_MAX, height: BAR_H, rx: 2, fill: 'none', stroke: '#d0d7de', 'stroke-dasharray': '4 3' })
        : rect({ x: BAR_X, y, width: w, height: BAR_H, rx: 2, fill: engineColor(report, engine), stroke: status === 'mismatch' ? FAIL : undefined, 'stroke-width': 1.5 }),
      text(faint ? BAR_X + 8 : BAR_X + w + 8, y + BAR_H - 3, fitText(label, WIDTH - BAR_X - (faint ? 8 : w + 8), 12), {
        class: status === 'ok' ? undefined : status === 'skipped' ? 'muted' : 'fail',
      }),
    ].join(''));
  });
  return svg(WIDTH, 8 + engines.length * ROW, rows.join(''), { class: 'bars', role: 'img', 'aria-label': `median time per engine, ${q.id}` });
}

export function formatBenchHtml(report: BenchReport): string {
  const charts = report.queries.map((q) => [
    el('h3', { class: 'query' }, `${esc(q.id)} · ${esc(q.title)}`),
    queryBarsSvg(report, q),
  ].join('\n'));
  const summary = el('section', { class: 'card' }, [
    el('h2', {}, 'Median time per query'),
    el('p', { class: 'sub' }, esc(`Shorter is faster; the ratio is the engine's median over DuckDB's in the same run. Engines: ${report.engines.join(', ')}.`)),
    ...charts,
  ].join('\n'));
  const jobs = (report.jobs ?? []).map((j) => jobSection(j.job, { heading: j.label }));
  return htmlPage(report.title, report.machine, [summary, ...jobs].join('\n'));
}
