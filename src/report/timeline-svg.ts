/**
 * The event timeline of a job, as the Spark UI draws it: a time axis in ms from the job's start,
 * a band per stage, and one lane per executor (thread, GPU device, or `driver`) with a bar per
 * task attempt. A GPU map task's bar holds its upload / kernels / readback segments, placed at the
 * end of the bar (the task waits for the device first); its decode is drawn on the thread that
 * decoded it. Overlapping attempts on one lane are stacked in rows.
 */
import type { JobMetrics, StageMetrics, TaskMetrics } from '../driver/metrics.ts';
import { FAIL, SEGMENT_COLORS, stageColor, type SegmentKind } from './colors.ts';
import { legend, type LegendItem } from './page.ts';
import { stageSummary } from './stage-dag-svg.ts';
import { bytes, count, ms } from './units.ts';
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
  /** GPU segments inside the bar, and the decode when it ran on another lane. */
  readonly segments: readonly { readonly kind: SegmentKind; readonly start: number; readonly end: number }[];
  readonly decode?: { readonly lane: string; readonly start: number; readonly end: number };
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
  const g = task.gpu;
  if (!g) return { stage, task, lane, start, end, segments: [] };
  // Laid out backwards from the task's end: decode, readback, kernels, upload.
  const away = g.mergedOn !== undefined && g.mergedOn !== lane;
  const spans: [SegmentKind, number][] = [['decode', g.mergeMs], ['readback', g.readbackMs], ['kernels', g.kernelMs], ['upload', g.uploadMs]];
  const segments: { kind: SegmentKind; start: number; end: number }[] = [];
  let decode: Placed['decode'];
  let t = end;
  for (const [kind, d] of spans) {
    const s = Math.max(start, t - Math.max(0, d));
    if (kind === 'decode' && away) decode = { lane: g.mergedOn!, start: s, end: t };
    else if (t > s) segments.push({ kind, start: s, end: t });
    t = s;
  }
  return { stage, task, lane, start, end, segments: segments.reverse(), decode };
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
  const g = t.gpu;
  if (g) {
    lines.push(`GPU ${g.adapter}, ${g.mode}: upload ${ms(g.uploadMs)} (${bytes(g.uploadBytes)}), kernels ${ms(g.kernelMs)}${g.deviceKernelMs !== undefined ? ` (device ${ms(g.deviceKernelMs)})` : ''}, readback ${ms(g.readbackMs)}`);
    lines.push(`decode ${ms(g.mergeMs)}${g.mergedOn ? ` on ${g.mergedOn}` : ''}`);
  }
  if (t.fallbackReason) lines.push(`ran on the CPU: ${t.fallbackReason}`);
  return lines.join('\n');
}

export function timelineSvg(job: JobMetrics): string {
  const placed = job.stages.flatMap((s) => s.tasks.map((t) => place(s, t)));
  const lanes = new Map<string, Item[]>();
  const itemsOf = (lane: string): Item[] => lanes.get(lane) ?? (lanes.set(lane, []), lanes.get(lane)!);
  const barItem = new Map<Placed, Item>();
  const decodeItem = new Map<Placed, Item>();
  for (const p of placed) {
    const it: Item = { start: p.start, end: p.end, row: 0 };
    itemsOf(p.lane).push(it);
    barItem.set(p, it);
    if (p.decode) {
      const d: Item = { start: p.decode.start, end: p.decode.end, row: 0 };
      itemsOf(p.decode.lane).push(d);
      decodeItem.set(p, d);
    }
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
      rect({ class: 'bar', x: bx, y: by, width: bw, height: BAR, rx: 2, fill: color, 'fill-opacity': p.task.gpu ? 0.35 : undefined, stroke: retried ? FAIL : '#fff', 'stroke-width': retried ? 1.5 : 0.75 }),
      ...p.segments.map((s) => rect({ class: `segment ${s.kind}`, x: x(s.start), y: by + 2, width: Math.max(1, x(s.end) - x(s.start)), height: BAR - 4 })),
    ];
    const label = `${p.task.partition}`;
    if (!p.task.gpu && textWidth(label, 10) + 6 <= bw) parts.push(text(bx + bw / 2, by + BAR - 4, label, { 'text-anchor': 'middle', class: 'on-color', style: 'font-size:10px' }));
    const d = decodeItem.get(p);
    if (d && p.decode) {
      const dx = x(d.start);
      parts.push(rect({ class: 'segment decode', x: dx, y: rowY(p.decode.lane, d) + 2, width: Math.max(1, x(d.end) - dx), height: BAR - 4 }));
    }
    return el('g', { class: 'task', 'data-stage-id': p.stage.stageId, 'data-partition': p.task.partition, 'data-attempt': p.task.attempt }, parts.join(''));
  });

  const body = [...laneParts, ...ticks, bandTitle, ...bands, ...tasks, jobEnd, axisTitle].join('');
  return svg(WIDTH, lanesEnd + 46, body, { class: 'timeline', role: 'img', 'aria-label': `event timeline of job ${job.jobId}` });
}

/** The colours the timeline uses, and what the metrics cannot show. */
export function timelineLegend(job: JobMetrics): string {
  const tasks = job.stages.flatMap((s) => s.tasks);
  const items: LegendItem[] = job.stages.map((s) => ({ label: `Stage ${s.stageId} (${s.kind})`, color: stageColor(s.stageId) }));
  if (tasks.some((t) => t.gpu)) {
    items.push(...(Object.keys(SEGMENT_COLORS) as SegmentKind[]).map((k) => ({ label: k === 'decode' ? 'decode (on its thread)' : `GPU ${k}`, color: SEGMENT_COLORS[k] })));
    items.push({ label: 'waiting for the device', color: `${stageColor(1)}59` });
  }
  if (tasks.some((t) => t.attempt > 1)) items.push({ label: 'retried attempt', color: FAIL, outline: true });
  const failed = job.stages.reduce((a, s) => a + s.failedAttempts, 0);
  const note = failed ? `<p class="note">${failed} failed attempt${failed === 1 ? ' is' : 's are'} not drawn: the metrics keep successful attempts only.</p>` : '';
  return legend(items) + note;
}
