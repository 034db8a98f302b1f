/**
 * The README's picture of a job report: runs a small real job (groupBy + agg over 2e6 rows on two
 * executor threads; the median of five runs), renders formatJobHtml and screenshots it with headless chromium, cropped to
 * the page's content.
 *
 *   npx tsx bench/report-screenshot.ts docs/report.png [--scale 2] [--html out.html]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import { PNG } from 'pngjs';
import { Session, avg, col, count, sum } from '../src/index.ts';
import { formatJobHtml } from '../src/report/job-html.ts';
import { findChromium, screenshot } from './chromium.ts';

const WIDTH = 1200;

/** Rows below the last one that differs from the page background are cut, keeping a margin. */
function cropToContent(png: PNG, margin: number): PNG {
  const { width, data } = png;
  const [r, g, b] = [data[0]!, data[1]!, data[2]!];
  let last = 0;
  for (let y = png.height - 1; y >= 0 && last === 0; y--) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      if (data[i] !== r || data[i + 1] !== g || data[i + 2] !== b) { last = y; break; }
    }
  }
  const height = Math.min(png.height, last + 1 + margin);
  const out = new PNG({ width, height });
  data.copy(out.data, 0, 0, width * height * 4);
  return out;
}

function table(n: number): arrow.Table {
  let seed = 42;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const id4 = new Int32Array(n);
  const v1 = new Int32Array(n);
  const v3 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    id4[i] = 1 + Math.floor(rnd() * 100);
    v1[i] = 1 + Math.floor(rnd() * 5);
    v3[i] = rnd() * 100;
  }
  return arrow.tableFromArrays({ id4, v1, v3 });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args.splice(i, 2)[1] : undefined; };
  const scale = Number(opt('--scale') ?? 1);
  const htmlOut = opt('--html');
  const out = args[0];
  if (!out) throw new Error('usage: npx tsx bench/report-screenshot.ts OUT.png [--scale 2] [--html out.html]');
  const bin = findChromium();
  if (!bin) throw new Error('chromium not found: apt-get install -y chromium');

  const session = await Session.create({ executor: 'cpu', cores: 2, shufflePartitions: 6 });
  let html: string;
  try {
    const df = session.fromArrow(table(2_000_000), { partitions: 8 })
      .filter(col('v1').gt(1))
      .groupBy('id4')
      .agg(sum('v1'), avg('v3'), count())
      .orderBy('id4');
    await df.collect(); // warm-up: the threads compile the kernel once
    const jobs = [];
    for (let i = 0; i < 5; i++) {
      await df.collect();
      jobs.push(session.lastJob!);
    }
    const typical = jobs.sort((a, b) => a.durationMs - b.durationMs)[2]!;
    html = formatJobHtml(typical, { title: 'gpuframe job report', explain: df.explain() });
  } finally {
    await session.close();
  }

  const dir = mkdtempSync(path.join(tmpdir(), 'gpuframe-report-'));
  try {
    const file = htmlOut ?? path.join(dir, 'report.html');
    writeFileSync(file, html);
    const raw = path.join(dir, 'raw.png');
    await screenshot(bin, file, raw, { width: WIDTH, height: 3000, scale });
    const png = cropToContent(PNG.sync.read(readFileSync(raw)), Math.round(8 * scale));
    writeFileSync(out, PNG.sync.write(png, { colorType: 2 }));
    console.log(`wrote ${out}: ${png.width}×${png.height}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
