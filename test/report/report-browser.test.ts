/**
 * The reports in a real browser: headless chromium loads the HTML files, and the test checks the
 * rendered DOM (every stage's and task attempt's SVG element) and that a screenshot shows them.
 * Without chromium the suite says so in its name and skips, except on CI, where it fails.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session, col, count, sum, type JobMetrics } from '../../src/index.ts';
import { formatJobHtml } from '../../src/report/job-html.ts';
import { stageColor, seriesColor } from '../../src/report/colors.ts';
import { formatBenchHtml } from '../../bench/bench-html.ts';
import { dumpDom, findChromium, screenshot } from '../../bench/chromium.ts';
import { syntheticBench } from '../support/synthetic-job.ts';

const chromium = findChromium();
const INSTALL = 'apt-get install -y chromium';
const title = chromium
  ? `report in a real browser (${chromium})`
  : `report in a real browser (${process.env.CI ? 'fails on CI' : 'skipped'}: chromium not found; ${INSTALL})`;
const TIMEOUT = 60_000;

function requireChromium(): string {
  if (!chromium) throw new Error(`chromium not found on PATH or at /usr/bin/chromium, and CI is set: ${INSTALL}`);
  return chromium;
}

const countOf = (s: string, needle: string): number => s.split(needle).length - 1;

/** Every stage box and task bar of `jobs` is an element of the rendered DOM, and nothing else is. */
function expectJobsRendered(dom: string, jobs: readonly JobMetrics[]): void {
  const stages = jobs.flatMap((j) => j.stages);
  const tasks = stages.flatMap((s) => s.tasks);
  expect(countOf(dom, '<g class="stage" ')).toBe(stages.length);
  expect(countOf(dom, '<g class="task" ')).toBe(tasks.length);
  for (const s of stages) expect(dom).toContain(`<g class="stage" data-stage-id="${s.stageId}">`);
  for (const t of tasks) expect(dom).toContain(`<g class="task" data-stage-id="${t.stageId}" data-partition="${t.partition}" data-attempt="${t.attempt}">`);
}

const hex = (c: string): [number, number, number] => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)) as [number, number, number];

/** Decoded screenshot: share of drawn (non-light) pixels, distinct colours, pixels near each of `colors`. */
function pixels(file: string, colors: readonly string[]): { ink: number; distinct: number; near: number[] } {
  const png = PNG.sync.read(readFileSync(file));
  const d = png.data;
  const targets = colors.map(hex);
  const near = targets.map(() => 0);
  const seen = new Set<number>();
  let ink = 0;
  for (let i = 0; i < d.length; i += 4) {
    const [r, g, b] = [d[i]!, d[i + 1]!, d[i + 2]!];
    if (Math.min(r, g, b) < 215) ink++;
    seen.add(((r >> 4) << 8) | ((g >> 4) << 4) | (b >> 4));
    targets.forEach(([tr, tg, tb], k) => { if (Math.abs(r - tr) + Math.abs(g - tg) + Math.abs(b - tb) <= 24) near[k]!++; });
  }
  return { ink: ink / (png.width * png.height), distinct: seen.size, near };
}

describe.skipIf(!chromium && !process.env.CI)(title, () => {
  let dir: string;
  let job: JobMetrics;
  let jobPage: string;
  let benchPage: string;
  const bench = () => syntheticBench([{ label: 'q1 cpu (median run)', job }]);

  beforeAll(async () => {
    requireChromium();
    dir = mkdtempSync(path.join(tmpdir(), 'gpuframe-report-test-'));
    const n = 300_000;
    const t = arrow.tableFromArrays({
      k: Int32Array.from({ length: n }, (_, i) => (i * 7919) % 20011), // enough partial groups for 4 reduce tasks
      v: Int32Array.from({ length: n }, (_, i) => i % 13),
    });
    const session = await Session.create({ executor: 'cpu', cores: 2, shufflePartitions: 4 });
    try {
      const df = session.fromArrow(t, { partitions: 6 }).filter(col('v').gt(2)).groupBy('k').agg(sum('v'), count());
      await df.collect();
      job = session.lastJob!;
      jobPage = path.join(dir, 'job.html');
      writeFileSync(jobPage, formatJobHtml(job, { title: 'job <report> & co', explain: df.explain() }));
      benchPage = path.join(dir, 'bench.html');
      writeFileSync(benchPage, formatBenchHtml(bench()));
    } finally {
      await session.close();
    }
    expect(job.stages.map((s) => s.tasks.length)).toEqual([6, 4]);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the job report renders every stage box and task bar of a real job', async () => {
    const dom = await dumpDom(requireChromium(), jobPage, { width: 1200, height: 900, timeoutMs: TIMEOUT });
    expectJobsRendered(dom, [job]);
    expect(countOf(dom, '<svg ')).toBe(2);
    expect(dom).toContain('<title>job &lt;report&gt; &amp; co</title>');
    expect(dom).not.toContain('<script');
  }, 2 * TIMEOUT);

  it('the job report screenshot shows the stages and tasks in their colours', async () => {
    const png = path.join(dir, 'job.png');
    await screenshot(requireChromium(), jobPage, png, { width: 1200, height: 900, timeoutMs: TIMEOUT });
    const p = pixels(png, [stageColor(1), stageColor(2)]);
    expect(p.ink).toBeGreaterThan(0.02);
    expect(p.distinct).toBeGreaterThan(12);
    expect(p.near[0]).toBeGreaterThan(500); // map task bars and the stage 1 header
    expect(p.near[1]).toBeGreaterThan(200);
  }, 2 * TIMEOUT);

  it('the benchmark report renders its bars and the job timeline', async () => {
    const bin = requireChromium();
    const report = bench();
    const dom = await dumpDom(bin, benchPage, { width: 1200, height: 900, timeoutMs: TIMEOUT });
    expect(countOf(dom, '<g class="bar" ')).toBe(report.queries.length * report.engines.length);
    expectJobsRendered(dom, [job]);
    const png = path.join(dir, 'bench.png');
    await screenshot(bin, benchPage, png, { width: 1200, height: 900, timeoutMs: TIMEOUT });
    const p = pixels(png, [seriesColor(0), seriesColor(1)]); // the cpu and gpu bars
    expect(p.ink).toBeGreaterThan(0.02);
    expect(p.distinct).toBeGreaterThan(12);
    expect(p.near[0]).toBeGreaterThan(500);
    expect(p.near[1]).toBeGreaterThan(50);
  }, 3 * TIMEOUT);
});
