import { describe, expect, it } from 'vitest';
import { formatBenchHtml } from '../../bench/bench-html.ts';
import { syntheticBench, syntheticJob } from '../support/synthetic-job.ts';

const benchReport = () => syntheticBench([{ label: 'q2 gpu (median run)', job: syntheticJob() }]);

const barOf = (html: string, q: string, engine: string): string =>
  html.match(new RegExp(`<g class="bar" data-query="${q}" data-engine="${engine}"[^>]*>.*?</g>`, 's'))![0];

describe('formatBenchHtml', () => {
  it('draws a bar per query × engine, labelled with ms and the ratio to DuckDB; skipped and failed ones as such', () => {
    const html = formatBenchHtml(benchReport());
    expect(html.match(/<g class="bar" /g)).toHaveLength(8);
    expect(barOf(html, 'q1', 'cpu')).toContain('120 ms · 0.78× DuckDB');
    expect(barOf(html, 'q1', 'duckdb')).toContain('154 ms · DuckDB (reference)');
    expect(barOf(html, 'q1', 'gpu')).toContain('data-status="failed"');
    expect(barOf(html, 'q1', 'gpu')).toContain('failed: GpuDeviceError: no adapter &lt;&amp;&gt;');
    expect(barOf(html, 'q1', 'gpu-cached')).toContain('data-status="skipped"');
    expect(barOf(html, 'q2', 'cpu')).toContain('wrong result');
    // Bars share the query's scale: the slowest is the longest.
    const width = (q: string, e: string) => Number(barOf(html, q, e).match(/<rect x="[^"]*" y="[^"]*" width="([^"]*)"/)![1]);
    expect(width('q2', 'cpu')).toBeGreaterThan(width('q2', 'duckdb'));
    expect(width('q2', 'duckdb')).toBeGreaterThan(width('q2', 'gpu'));
    expect(html).toContain('sum by &lt;id1&gt;');
    expect(html).toContain('test machine &lt;16 cores&gt;');
  });

  it('adds the job timelines with the job report pieces', () => {
    const html = formatBenchHtml(benchReport());
    expect(html).toContain('q2 gpu (median run)');
    expect(html.match(/<g class="stage" /g)).toHaveLength(2);
    expect(html.match(/<g class="task" /g)).toHaveLength(7);
    expect(html).not.toMatch(/<script|<link|\bsrc=/);
  });
});
