import { PassThrough } from 'node:stream';
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { ProgressBar, progressWanted } from '../../src/cli/progress-bar.ts';
import { Session, sum } from '../../src/index.ts';
import type { ProgressEvent } from '../../src/driver/progress.ts';

/** A stream that says it is a terminal, capturing what is drawn. */
function terminal() {
  let out = '';
  const s = Object.assign(new PassThrough(), { isTTY: true, columns: 200, text: () => out });
  s.on('data', (d: Buffer) => (out += d.toString()));
  return s;
}

const table = arrow.tableFromArrays({
  k: Int32Array.from({ length: 200_000 }, (_, i) => i % 100),
  v: Int32Array.from({ length: 200_000 }, (_, i) => i % 7),
});

describe('ProgressBar', () => {
  it('draws stage, tasks done / total and rows/s on a terminal, and erases itself at the end', async () => {
    const stream = terminal();
    const bar = new ProgressBar({ stream: stream as unknown as NodeJS.WriteStream, minMs: 0 });
    bar.label = 'q1';
    const events: ProgressEvent[] = [];
    const session = await Session.create({ executor: 'cpu', cores: 2, onProgress: (e) => { events.push(e); bar.listener(e); } });
    await session.fromArrow(table, { partitions: 4 }).groupBy('k').agg(sum('v')).collect();
    await session.close();
    const text = stream.text();
    expect(text).toMatch(/q1 {2}stage [12]\/2 (ShuffleMap|Result) \[[#.]{24}\] \d+\/\d+ tasks {2}\d+\.\d Mrows\/s {2}\d+\.\d s/);
    expect(events.at(-1)!.type).toBe('jobEnd');
    // Erased: the last thing written after the last frame clears the line (ESC [2K).
    expect(text.lastIndexOf('\x1b[2K')).toBeGreaterThan(text.lastIndexOf('tasks'));
  });

  it('shows nothing for jobs shorter than minMs, and never throws from the listener', async () => {
    const stream = terminal();
    const bar = new ProgressBar({ stream: stream as unknown as NodeJS.WriteStream, minMs: 60_000 });
    const session = await Session.create({ executor: 'cpu', workers: false, onProgress: bar.listener });
    await session.fromArrow(table).groupBy('k').agg(sum('v')).collect();
    await session.close();
    expect(stream.text()).toBe('');
    expect(() => bar.listener({ type: 'taskEnd' } as unknown as ProgressEvent)).not.toThrow();
  });

  it('is wanted on a terminal, or when asked', () => {
    expect(progressWanted(undefined, { isTTY: true })).toBe(true);
    expect(progressWanted(undefined, { isTTY: false })).toBe(false);
    expect(progressWanted(false, { isTTY: true })).toBe(false);
    expect(progressWanted(true, {})).toBe(true);
  });
});
