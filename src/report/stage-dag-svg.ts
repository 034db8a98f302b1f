/**
 * The stage DAG of a job: one box per stage, an arrow from each ShuffleMapStage to the stage that
 * reads its shuffle. A job's stages run in id order, each reading the previous one's shuffle:
 *
 *   [Stage 1 ShuffleMapStage] ──shuffle──► [Stage 2 ResultStage]
 */
import type { JobMetrics, StageMetrics } from '../driver/metrics.ts';
import { stageColor } from './colors.ts';
import { bytes, count, ms } from '../units.ts';
import { el, fitText, rect, svg, text, tooltip } from './svg.ts';

const BOX_W = 260;
const GAP = 120;
const HEAD = 26;
const LINE = 18;

interface Line {
  readonly text: string;
  readonly fail?: boolean;
}

function linesOf(s: StageMetrics): Line[] {
  const lines: Line[] = [
    { text: `${s.numTasks} task${s.numTasks === 1 ? '' : 's'} · ${ms(s.durationMs)}` },
    { text: `rows in ${count(s.inputRows)} → out ${count(s.outputRows)}` },
  ];
  if (s.shuffleReadRecords || s.shuffleReadBytes) lines.push({ text: `shuffle read ${count(s.shuffleReadRecords)} rec · ${bytes(s.shuffleReadBytes)}` });
  if (s.shuffleWriteRecords || s.shuffleWriteBytes) lines.push({ text: `shuffle write ${count(s.shuffleWriteRecords)} rec · ${bytes(s.shuffleWriteBytes)}` });
  if (s.failedAttempts) lines.push({ text: `${s.failedAttempts} failed attempt${s.failedAttempts === 1 ? '' : 's'} retried`, fail: true });
  return lines;
}

/** The numbers of a stage, for its tooltip. */
export function stageSummary(s: StageMetrics): string {
  return [
    `Stage ${s.stageId} (${s.kind})`,
    `${s.numTasks} tasks, ${s.tasks.length} successful attempts, ${s.failedAttempts} failed`,
    `start ${ms(s.startMs)} after job start, duration ${ms(s.durationMs)}`,
    `rows in ${s.inputRows}, out ${s.outputRows}`,
    `shuffle read ${s.shuffleReadRecords} records / ${bytes(s.shuffleReadBytes)}`,
    `shuffle write ${s.shuffleWriteRecords} records / ${bytes(s.shuffleWriteBytes)}`,
  ].join('\n');
}

export function stageDagSvg(job: JobMetrics): string {
  const stages = job.stages;
  const lines = stages.map(linesOf);
  const boxH = HEAD + 10 + Math.max(1, ...lines.map((l) => l.length)) * LINE;
  const pad = 2;
  const width = pad * 2 + stages.length * BOX_W + Math.max(0, stages.length - 1) * GAP;
  const height = pad * 2 + boxH;
  const xOf = (i: number) => pad + i * (BOX_W + GAP);
  const parts: string[] = [];
  stages.forEach((s, i) => {
    const x = xOf(i);
    const color = stageColor(s.stageId);
    const body = [
      rect({ x, y: pad, width: BOX_W, height: boxH, rx: 8, fill: '#fff', stroke: '#d0d7de' }),
      // The header band: a rounded top over a square bottom edge.
      rect({ x, y: pad, width: BOX_W, height: HEAD, rx: 8, fill: color }),
      rect({ x, y: pad + HEAD - 8, width: BOX_W, height: 8, fill: color }),
      text(x + 12, pad + 17.5, fitText(`Stage ${s.stageId} · ${s.kind}`, BOX_W - 24, 12.5), { class: 'on-color', 'font-weight': 600, style: 'font-size:12.5px' }),
      ...lines[i]!.map((l, j) => text(x + 12, pad + HEAD + 6 + LINE * (j + 0.75), fitText(l.text, BOX_W - 24, 12), l.fail ? { class: 'fail' } : {})),
    ];
    parts.push(el('g', { class: 'stage', 'data-stage-id': s.stageId }, tooltip(stageSummary(s)) + body.join('')));
    const next = stages[i + 1];
    if (s.kind === 'ShuffleMapStage' && next) parts.push(shuffleArrow(x + BOX_W, xOf(i + 1), pad + boxH / 2, s));
  });
  return svg(width, height, parts.join(''), { class: 'dag', role: 'img', 'aria-label': `stage DAG of job ${job.jobId}` });
}

function shuffleArrow(x0: number, x1: number, y: number, from: StageMetrics): string {
  const tip = x1 - 2;
  const mid = (x0 + x1) / 2;
  return el('g', { class: 'shuffle' }, [
    el('line', { x1: x0 + 2, y1: y, x2: tip - 8, y2: y, stroke: '#8c959f', 'stroke-width': 2 }),
    el('path', { d: `M${tip},${y} l-10,-5 v10 z`, fill: '#8c959f' }),
    text(mid, y - 8, 'shuffle', { 'text-anchor': 'middle', class: 'muted' }),
    text(mid, y + 17, `${count(from.shuffleWriteRecords)} rec · ${bytes(from.shuffleWriteBytes)}`, { 'text-anchor': 'middle', class: 'muted', style: 'font-size:11px' }),
  ].join(''));
}
