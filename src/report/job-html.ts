/**
 * A job report people can look at: one self-contained HTML file (inline CSS and SVG, no scripts,
 * no network) with, per job, its header, the plan when given, the stage DAG and the task timeline.
 */
import type { JobMetrics } from '../driver/metrics.ts';
import { facts, htmlPage } from './page.ts';
import { stageDagSvg } from './stage-dag-svg.ts';
import { timelineLegend, timelineSvg } from './timeline-svg.ts';
import { el, esc } from './svg.ts';
import { ms } from '../units.ts';

export interface JobHtmlOptions {
  /** The page's title (default: the jobs' ids). */
  readonly title?: string;
  /** The plan (df.explain()), shown in each job's section. */
  readonly explain?: string;
}

export function formatJobHtml(job: JobMetrics | readonly JobMetrics[], options: JobHtmlOptions = {}): string {
  const jobs: readonly JobMetrics[] = Array.isArray(job) ? job : [job as JobMetrics];
  const title = options.title ?? `gpuframe ${jobs.length === 1 ? `job ${jobs[0]!.jobId}` : `jobs ${jobs.map((j) => j.jobId).join(', ')}`}`;
  return htmlPage(title, 'Stage DAG and event timeline of every task attempt', jobs.map((j) => jobSection(j, { explain: options.explain })).join('\n'));
}

/** One job's card: header, plan, stage DAG, timeline. `heading` replaces the job's own title. */
export function jobSection(job: JobMetrics, opts: { readonly heading?: string; readonly explain?: string } = {}): string {
  const tasks = job.stages.reduce((a, s) => a + s.tasks.length, 0);
  const executors = new Set(job.stages.flatMap((s) => s.tasks.map((t) => t.executorId ?? 'driver')));
  const header = [
    el('h2', {}, esc(opts.heading ?? `Job ${job.jobId} · ${job.action}`)),
    facts([
      ['job', String(job.jobId)],
      ['action', job.action],
      ['executor', job.executor],
      ['duration', ms(job.durationMs)],
      ['stages', String(job.stages.length)],
      ['task attempts', String(tasks)],
      ['executors', String(executors.size)],
    ]),
  ];
  const plan = opts.explain ? [el('h3', {}, 'Plan'), el('pre', { class: 'explain' }, esc(opts.explain))] : [];
  return el('section', { class: 'card job', 'data-job-id': job.jobId }, [
    ...header,
    ...plan,
    el('h3', {}, 'Stages'),
    stageDagSvg(job),
    el('h3', {}, 'Event timeline'),
    timelineSvg(job),
    timelineLegend(job),
  ].join('\n'));
}
