/**
 * The event timeline of a job, as the Spark UI draws it: a time axis in ms from the job's start,
 * a band per stage, and one lane per executor (thread, GPU device, or `driver`) with a bar per
 * task attempt. A task whose executor reports phases (a GPU map task: upload / kernels / readback)
 * holds them as segments, placed at the end of the bar (the task waits for the device first); a
 * phase run on another thread (its decode) is drawn on that thread's lane. Overlapping attempts on
 * one lane are stacked in rows.
 */
import type { JobMetrics, StageMetrics, TaskMetrics } from '../driver/metrics.ts';
import { FAIL, segmentColor, stageColor } from './colors.ts';
import { legend, type LegendItem } from './page.ts';
import { stageSummary } from './stage-dag-svg.ts';
import { bytes, count, ms } from '../units.ts';
import { el, fitText, rect, svg, text, textWidth, tooltip } from './svg.ts';

const WIDTH = 1080;
const LABEL_W = 172;
const X0 = LABEL_W + 14;
const X1 = WIDTH - 14;
const ROW = 20;
const BAR = 15;
const LANE_PAD = 5;
const BAND_Y = 8;
const BAND_H = 20;
const LANES_Y = BAND_Y + BAND_H + 10;

interface Placed {
  readonly stage: StageMetrics;
  readonly task: TaskMetrics;
  readonly lane: string;
  readonly start: number;
  readonly end: number;
  /** The executor's phases inside the bar, and those that ran on another lane (a GPU task's decode). */
  readonly segments: readonly { readonly kind: string; readonly start: number; readonly end: number }[];
  readonly away: readonly { readonly kind: string; readonly lane: string; readonly start: number; readonly end: number }[];
}

/** An interval drawn on a lane: a task's bar, or a decode done there for a GPU task. */
interface Item {
  readonly start: number;
  readonly end: number;
  row: number;
}

const laneOf = (t: TaskMetrics): string => t.executorId ?? 'driver';

function place(stage: StageMetrics, task: TaskMetrics): Placed {
  const start = (stage.startMs ?? 0) + (task.startMs ?? 0);
  const end = start + task.durationMs;
  const lane = laneOf(task);
  const phases = task.details?.phases ?? [];
  // Laid out backwards from the task's end (a GPU task waits for the device first).
  const segments: Placed['segments'][number][] = [];
  const away: Placed['away'][number][] = [];
  let t = end;
  for (const ph of [...phases].reverse()) {
    const s = Math.max(start, t - Math.max(0, ph.ms));
    if (ph.on !== undefined && ph.on !== lane) away.push({ kind: ph.name, lane: ph.on, start: s, end: t });
    else if (t > s) segments.push({ kind: ph.name, start: s, end: t });
    t = s;
  }
  return { stage, task, lane, start, end, segments: segments.reverse(), away };
}

function laneRank(lane: string): number {
  return lane.startsWith('gpu') ? 0 : lane.startsWith('executor') ? 1 : lane === 'driver' ? 2 : 3;
}

function compareLanes(a: string, b: string): number {
  return laneRank(a) - laneRank(b) || a.localeCompare(b, 'en', { numeric: true });
}

/** Greedy interval packing: each item takes the first row free at its start. */
function pack(items: Item[]): number {
  const rowEnds: number[] = [];
  for (const it of [...items].sort((a, b) => a.start - b.start || a.end - b.end)) {
    let r = rowEnds.findIndex((e) => e <= it.start + 1e-6);
    if (r < 0) r = rowEnds.push(0) - 1;
    rowEnds[r] = it.end;
    it.row = r;
  }
  return Math.max(1, rowEnds.length);
}

/** Tick step of 1, 2 or 5 × 10^k giving at most `maxTicks` ticks over [0, span]. */
export function tickStep(span: number, maxTicks: number): number {
  const raw = span / Math.max(1, maxTicks);
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
}

function taskSummary(p: Placed): string {
  const t = p.task;
  const lines = [
    `Stage ${t.stageId}, partition ${t.partition}, attempt ${t.attempt}${t.attempt > 1 ? ` (after ${t.attempt - 1} failed)` : ''}`,
    `on ${p.lane}`,
    `start ${ms(p.start)}, duration ${ms(t.durationMs)}${t.executorRunMs !== undefined ? `, running ${ms(t.executorRunMs)} on the executor` : ''}`,
    `rows in ${count(t.inputRows)} → out ${count(t.outputRows)}`,
  ];
  if (t.shuffleReadRecords || t.shuffleReadBytes) lines.push(`shuffle read ${count(t.shuffleReadRecords)} rec / ${bytes(t.shuffleReadBytes)}`);
  if (t.shuffleWriteRecords || t.shuffleWriteBytes) lines.push(`shuffle write ${count(t.shuffleWriteRecords)} rec / ${bytes(t.shuffleWriteBytes)}`);
  lines.push(...(t.details?.notes ?? []));
  if (t.fallbackReason) lines.push(`ran on the CPU: ${t.fallbackReason}`);
  return lines.join('\n');
}

export function timelineSvg(job: JobMetrics): string {
  const placed = job.stages.flatMap((s) => s.tasks.map((t) => place(s, t)));
  const lanes = new Map<string, Item[]>();
  const itemsOf = (lane: string): Item[] => lanes.get(lane) ?? (lanes.set(lane, []), lanes.get(lane)!);
  const barItem = new Map<Placed, Item>();
  const awayItems = new Map<Placed, Item[]>();
  for (const p of placed) {
    const it: Item = { start: p.start, end: p.end, row: 0 };
    itemsOf(p.lane).push(it);
    barItem.set(p, it);
    awayItems.set(p, p.away.map((a) => {
      const d: Item = { start: a.start, end: a.end, row: 0 };
      itemsOf(a.lane).push(d);
      return d;
    }));
  }
  const order = [...lanes.keys()].sort(compareLanes);
  const laneY = new Map<string, number>();
  let y = LANES_Y;
  const laneParts: string[] = [];
  order.forEach((lane, i) => {
    const rows = pack(lanes.get(lane)!);
    const h = rows * ROW + 2 * LANE_PAD;
    laneY.set(lane, y);
    laneParts.push(el('g', { class: 'lane', 'data-executor': lane }, [
      rect({ x: 0, y, width: WIDTH, height: h, fill: i % 2 ? '#fff' : '#f6f8fa' }),
      text(LABEL_W, y + h / 2 + 4, fitText(lane, LABEL_W - 6, 12), { 'text-anchor': 'end' }),
    ].join('') + tooltip(lane)));
    y += h;
  });
  const lanesEnd = y;
  const span = Math.max(job.durationMs, ...placed.map((p) => p.end), ...job.stages.map((s) => (s.startMs ?? 0) + s.durationMs), 1e-3);
  const x = (t: number) => X0 + (Math.max(0, t) / span) * (X1 - X0);
  const rowY = (lane: string, it: Item) => laneY.get(lane)! + LANE_PAD + it.row * ROW + (ROW - BAR) / 2;

  const step = tickStep(span, Math.floor((X1 - X0) / 90));
  const ticks: string[] = [];
  for (let t = 0; t <= span + step * 1e-9; t += step) {
    const label = step >= 1 ? t.toFixed(0) : t.toFixed(Math.ceil(-Math.log10(step)));
    ticks.push(el('line', { class: 'grid', x1: x(t), x2: x(t), y1: LANES_Y - 4, y2: lanesEnd + 4 }));
    ticks.push(text(x(t), lanesEnd + 18, label, { 'text-anchor': 'middle', class: 'muted' }));
  }
  const axisTitle = text(X1, lanesEnd + 38, 'ms since the job started', { 'text-anchor': 'end', class: 'muted' });
  const jobEnd = el('line', { x1: x(job.durationMs), x2: x(job.durationMs), y1: BAND_Y, y2: lanesEnd + 4, stroke: '#8c959f', 'stroke-dasharray': '3 3' }, tooltip(`job end: ${ms(job.durationMs)}`));

  const bands = job.stages.map((s) => {
    const x0 = x(s.startMs ?? 0);
    const w = Math.max(2, x((s.startMs ?? 0) + s.durationMs) - x0);
    const label = [`Stage ${s.stageId} · ${ms(s.durationMs)}`, `Stage ${s.stageId}`, `${s.stageId}`].find((l) => textWidth(l, 11.5) + 10 <= w);
    return el('g', { class: 'stage-band', 'data-stage-id': s.stageId }, [
      tooltip(stageSummary(s)),
      rect({ x: x0, y: BAND_Y, width: w, height: BAND_H, rx: 3, fill: stageColor(s.stageId), 'fill-opacity': 0.22, stroke: stageColor(s.stageId) }),
      label ? text(x0 + 6, BAND_Y + 14, label, { style: 'font-size:11.5px', 'font-weight': 600 }) : '',
    ].join(''));
  });
  const bandTitle = text(LABEL_W, BAND_Y + 14, 'stages', { 'text-anchor': 'end', class: 'muted' });

  const tasks = placed.map((p) => {
    const it = barItem.get(p)!;
    const by = rowY(p.lane, it);
    const bx = x(p.start);
    const bw = Math.max(1.5, x(p.end) - bx);
    const color = stageColor(p.stage.stageId);
    const retried = p.task.attempt > 1;
    const parts = [
      tooltip(taskSummary(p)),
      // A white edge keeps back-to-back tasks apart.
      rect({ class: 'bar', x: bx, y: by, width: bw, height: BAR, rx: 2, fill: color, 'fill-opacity': p.task.details ? 0.35 : undefined, stroke: retried ? FAIL : '#fff', 'stroke-width': retried ? 1.5 : 0.75 }),
      ...p.segments.map((s) => rect({ class: `segment ${s.kind}`, x: x(s.start), y: by + 2, width: Math.max(1, x(s.end) - x(s.start)), height: BAR - 4, fill: segmentColor(s.kind) })),
    ];
    const label = `${p.task.partition}`;
    if (!p.task.details && textWidth(label, 10) + 6 <= bw) parts.push(text(bx + bw / 2, by + BAR - 4, label, { 'text-anchor': 'middle', class: 'on-color', style: 'font-size:10px' }));
    p.away.forEach((a, i) => {
      const d = awayItems.get(p)![i]!;
      const dx = x(d.start);
      parts.push(rect({ class: `segment ${a.kind}`, x: dx, y: rowY(a.lane, d) + 2, width: Math.max(1, x(d.end) - dx), height: BAR - 4, fill: segmentColor(a.kind) }));
    });
    return el('g', { class: 'task', 'data-stage-id': p.stage.stageId, 'data-partition': p.task.partition, 'data-attempt': p.task.attempt }, parts.join(''));
  });

  const body = [...laneParts, ...ticks, bandTitle, ...bands, ...tasks, jobEnd, axisTitle].join('');
  return svg(WIDTH, lanesEnd + 46, body, { class: 'timeline', role: 'img', 'aria-label': `event timeline of job ${job.jobId}` });
}

/** The colours the timeline uses, and what the metrics cannot show. */
export function timelineLegend(job: JobMetrics): string {
  const tasks = job.stages.flatMap((s) => s.tasks);
  const items: LegendItem[] = job.stages.map((s) => ({ label: `Stage ${s.stageId} (${s.kind})`, color: stageColor(s.stageId) }));
  // Each phase once, named with its executor's kind, or as run on a thread of its own.
  const phases = new Map<string, string>();
  for (const t of tasks) {
    for (const ph of t.details?.phases ?? []) {
      const elsewhere = ph.on !== undefined && ph.on !== t.executorId;
      if (!phases.has(ph.name) || elsewhere) phases.set(ph.name, elsewhere ? `${ph.name} (on its thread)` : `${t.details!.kind.toUpperCase()} ${ph.name}`);
    }
  }
  items.push(...[...phases].map(([name, label]) => ({ label, color: segmentColor(name) })));
  if (tasks.some((t) => t.details)) items.push({ label: 'waiting for the executor', color: `${stageColor(1)}59` });
  if (tasks.some((t) => t.attempt > 1)) items.push({ label: 'retried attempt', color: FAIL, outline: true });
  const failed = job.stages.reduce((a, s) => a + s.failedAttempts, 0);
  const note = failed ? `<p class="note">${failed} failed attempt${failed === 1 ? ' is' : 's are'} not drawn: the metrics keep successful attempts only.</p>` : '';
  return legend(items) + note;
}
