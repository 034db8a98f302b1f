/**
 * Every WGSL source the snapshot test pins (__snapshots__/wgsl-snapshot.test.ts.snap, checked
 * against the generators there) compiles on the adapter at hand: no error in its compilation info,
 * and a compute pipeline made from its `main` entry point (layout 'auto', as pipeline-cache.ts
 * does) with no validation error.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { openBareDevice } from './gpu-harness.ts';

const { dev, reason } = await openBareDevice();
afterAll(() => dev?.device.destroy());

/** The snapshot file's string entries (WGSL sources), by snapshot name. */
function snapshottedSources(): [string, string][] {
  const text = readFileSync(new URL('./__snapshots__/wgsl-snapshot.test.ts.snap', import.meta.url), 'utf8');
  const entries: Record<string, string> = {};
  // The file is a CommonJS module of template literals: exports[`name`] = `serialized value`;
  new Function('exports', text)(entries);
  // A string is serialized as `\n"<string>"\n` (other values, such as the params arrays, are not strings).
  return Object.entries(entries).filter(([, v]) => v.startsWith('\n"') && v.endsWith('"\n')).map(([k, v]) => [k, v.slice(2, -2)]);
}

describe('snapshotted WGSL sources', () => {
  const sources = snapshottedSources();

  it('are read from the snapshot file: every map, fold and partition kernel', () => {
    expect(sources.length).toBeGreaterThanOrEqual(15);
    for (const [name, src] of sources) expect(src, name).toMatch(/@compute @workgroup_size\(\d+\)\s*fn main\(/);
  });

  it.skipIf(!dev)(`compile on the adapter, each into a compute pipeline${dev ? '' : ` (${reason})`}`, async () => {
    const device = dev!.device;
    const failures: string[] = [];
    for (const [name, code] of sources) {
      device.pushErrorScope('validation');
      const module = device.createShaderModule({ code, label: name });
      const info = await module.getCompilationInfo();
      for (const m of info.messages) if (m.type === 'error') failures.push(`${name}: ${m.lineNum}:${m.linePos} ${m.message}`);
      const made = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: name })
        .then(() => null, (e: unknown) => (e instanceof Error ? e.message : String(e)));
      if (made) failures.push(`${name}: pipeline: ${made}`);
      const err = await device.popErrorScope();
      if (err) failures.push(`${name}: ${err.message}`);
    }
    expect(failures).toEqual([]);
  });
});
