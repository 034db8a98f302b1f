import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { Session, avg, count, sum } from '../../src/index.ts';
import { formatJobHtml } from '../../src/report/job-html.ts';
import { esc } from '../../src/report/svg.ts';
import { tickStep } from '../../src/report/timeline-svg.ts';
import { syntheticJob } from '../support/synthetic-job.ts';

const countOf = (html: string, re: RegExp): number => html.match(new RegExp(re.source, 'g'))?.length ?? 0;

/** The rects of class `segment KIND` inside the task group of (stage, partition). */
function segmentsOf(html: string, stage: number, partition: number): { kind: string; y: number }[] {
  const g = html.match(new RegExp(`<g class="task" data-stage-id="${stage}" data-partition="${partition}"[^>]*>(.*?)</g>`, 's'))![1]!;
  return [...g.matchAll(/<rect class="segment (\w+)" x="[^"]*" y="([^"]*)"/g)].map((m) => ({ kind: m[1]!, y: Number(m[2]) }));
}

/** [top, bottom) of the lane of an executor. */
function laneOf(html: string, executor: string): [number, number] {
  const m = html.match(new RegExp(`<g class="lane" data-executor="${executor}"><rect x="0" y="([^"]*)" width="[^"]*" height="([^"]*)"`))!;
  return [Number(m[1]), Number(m[1]) + Number(m[2])];
}

describe('formatJobHtml', () => {
  it('escapes every text it shows', () => {
    expect(esc(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
    const job = syntheticJob();
    job.stages[0]!.tasks[0]!.fallbackReason = 'column <v&1> is "odd"';
    const html = formatJobHtml(job, { title: 'report <b>&</b>', explain: 'Filter (<col> > 5) & <script>x</script>' });
    expect(html).toContain('<title>report &lt;b&gt;&amp;&lt;/b&gt;</title>');
    expect(html).toContain('Filter (&lt;col&gt; &gt; 5) &amp; &lt;script&gt;x&lt;/script&gt;');
    expect(html).toContain('ran on the CPU: column &lt;v&amp;1&gt; is &quot;odd&quot;');
    expect(html).toContain('gpu Test &lt;adapter&gt;');
    expect(html).not.toMatch(/<script|report <b>|<col>|<adapter>|<v&/);
  });

  it('is one self-contained document: no scripts, links or external resources', () => {
    const html = formatJobHtml(syntheticJob());
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|@import|url\(/i);
    expect(html.match(/https?:\/\/[^"]*/g)?.every((u) => u === 'http://www.w3.org/2000/svg')).toBe(true);
  });

  it('draws one stage box per stage, one bar per task attempt and the shuffle arrow', () => {
    const job = syntheticJob();
    const html = formatJobHtml(job);
    expect(countOf(html, /<g class="stage" data-stage-id="\d+"/)).toBe(2);
    expect(countOf(html, /<g class="task" /)).toBe(7);
    for (const s of job.stages) {
      for (const t of s.tasks) expect(html).toContain(`<g class="task" data-stage-id="${s.stageId}" data-partition="${t.partition}" data-attempt="${t.attempt}">`);
    }
    expect(countOf(html, /<g class="shuffle">/)).toBe(1);
    expect(html).toContain('1 failed attempt retried');
    // A task with no executor id runs on the driver's lane.
    expect(html).toContain('data-executor="driver"');
    expect(countOf(html, /<g class="lane" /)).toBe(4); // gpu, executor-1.1, executor-1.2, driver
  });

  it('splits GPU map tasks into upload, kernels and readback, and draws the decode on the thread that did it', () => {
    const html = formatJobHtml(syntheticJob());
    const away = segmentsOf(html, 1, 0);
    expect(away.map((s) => s.kind)).toEqual(['upload', 'kernels', 'readback', 'decode']);
    const [top, bottom] = laneOf(html, 'executor-1.1');
    const decode = away.find((s) => s.kind === 'decode')!;
    expect(decode.y).toBeGreaterThanOrEqual(top);
    expect(decode.y).toBeLessThan(bottom);
    expect(away[0]!.y).toBeLessThan(top); // the gpu lane comes first
    // Without mergedOn the decode stays inside the bar.
    const here = segmentsOf(html, 1, 2);
    expect(here.map((s) => s.kind)).toEqual(['upload', 'kernels', 'readback', 'decode']);
    expect(new Set(here.map((s) => s.y)).size).toBe(1);
    expect(html).toContain('GPU upload');
  });

  it('takes several jobs', () => {
    const a = syntheticJob();
    const html = formatJobHtml([a, { ...a, jobId: 4 }]);
    expect(countOf(html, /<section class="card job"/)).toBe(2);
    expect(html).toContain('<title>gpuframe jobs 3, 4</title>');
  });

  it('picks round tick steps', () => {
    expect(tickStep(17, 10)).toBe(2);
    expect(tickStep(1000, 10)).toBe(100);
    expect(tickStep(0.3, 10)).toBeCloseTo(0.05);
  });

  it('reports a real job: every stage and task attempt, stages timed from the job start', async () => {
    const n = 20_000;
    const t = arrow.tableFromArrays({
      k: Int32Array.from({ length: n }, (_, i) => i % 37),
      v: Float64Array.from({ length: n }, (_, i) => i / 7),
    });
    const session = await Session.create({ executor: 'cpu', cores: 2, shufflePartitions: 3 });
    try {
      const df = session.fromArrow(t, { partitions: 4 }).groupBy('k').agg(sum('v'), avg('v'), count());
      await df.collect();
      const job = session.lastJob!;
      const [map, result] = job.stages;
      expect(map!.startMs).toBeGreaterThanOrEqual(0);
      expect(result!.startMs).toBeGreaterThanOrEqual(map!.startMs + map!.durationMs);
      expect(result!.startMs + result!.durationMs).toBeLessThanOrEqual(job.durationMs);
      const html = formatJobHtml(job, { explain: df.explain() });
      expect(countOf(html, /<g class="stage" /)).toBe(2);
      expect(countOf(html, /<g class="task" /)).toBe(map!.tasks.length + result!.tasks.length);
      expect(map!.tasks.length).toBe(4);
      expect(html).toContain('HashAggregate(keys=[k]');
      expect(html).toMatch(/data-executor="executor-1\.1"/);
    } finally {
      await session.close();
    }
  });
});
