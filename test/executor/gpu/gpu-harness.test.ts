/**
 * The GPU suites skip only where they may: a missing adapter (GpuUnavailableError) skips them with
 * the reason, unless the run must have one (GPUFRAME_REQUIRE_GPU=1, as CI sets it): then it fails
 * them. Any other error opening the device fails them everywhere. No GPU needed.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { GpuDeviceError, GpuUnavailableError } from '../../../src/index.ts';
import { gpuRequired, probe } from './gpu-harness.ts';

const missing = () => Promise.reject(new GpuUnavailableError('no WebGPU adapter found. install mesa'));

describe('probe (opening a GPU for a test file)', () => {
  const saved = process.env.GPUFRAME_REQUIRE_GPU;
  afterEach(() => {
    if (saved === undefined) delete process.env.GPUFRAME_REQUIRE_GPU;
    else process.env.GPUFRAME_REQUIRE_GPU = saved;
  });

  it('gives what it opened', async () => {
    expect(await probe(async () => 42, true)).toEqual({ value: 42, reason: '' });
  });

  it('skips on a missing adapter, with its reason, where the run may skip', async () => {
    const p = await probe(missing, false);
    expect(p.value).toBeNull();
    expect(p.reason).toBe('GPU tests SKIPPED: no WebGPU adapter found. install mesa');
  });

  it('fails on a missing adapter where the run must have one (GPUFRAME_REQUIRE_GPU=1)', async () => {
    await expect(probe(missing, true)).rejects.toThrow(/^GPUFRAME_REQUIRE_GPU=1, but there is no GPU: no WebGPU adapter found/);
    process.env.GPUFRAME_REQUIRE_GPU = '1';
    expect(gpuRequired()).toBe(true);
    await expect(probe(missing)).rejects.toThrow(/GPUFRAME_REQUIRE_GPU=1/);
    process.env.GPUFRAME_REQUIRE_GPU = '0';
    expect(gpuRequired()).toBe(false);
    delete process.env.GPUFRAME_REQUIRE_GPU;
    expect(gpuRequired()).toBe(false);
  });

  it('fails on any other error, required or not (a bug of ours is never a skip)', async () => {
    for (const required of [false, true]) {
      await expect(probe(() => Promise.reject(new TypeError('x is not a function')), required)).rejects.toThrow(TypeError);
      await expect(probe(() => Promise.reject(new GpuDeviceError('device lost')), required)).rejects.toThrow(GpuDeviceError);
      await expect(probe(() => { throw new RangeError('sync'); }, required)).rejects.toThrow(RangeError);
    }
  });
});

describe('a GPU test file run where no adapter can be found', () => {
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  /** vitest on one GPU test file in a child process whose adapters are hidden (no EGL display, no Vulkan driver). */
  const runHidden = (require: boolean) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'GPUFRAME_REQUIRE_GPU'));
    Object.assign(env, { EGL_PLATFORM: 'none', VK_ICD_FILENAMES: '/nonexistent.json', VK_DRIVER_FILES: '/nonexistent.json', NO_COLOR: '1', ...(require ? { GPUFRAME_REQUIRE_GPU: '1' } : {}) });
    const r = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', 'test/executor/gpu/read-bandwidth.test.ts'], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, out: `${r.stdout}\n${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '') };
  };

  it('is skipped, saying why, where the run may skip; fails under GPUFRAME_REQUIRE_GPU=1', (ctx) => {
    const free = runHidden(false);
    // Where some adapter is not hidden this way (say, a GPU through another backend) there is nothing to show.
    if (/Tests\s+2 passed/.test(free.out)) ctx.skip();
    expect(free.status, free.out).toBe(0);
    expect(free.out).toMatch(/GPU tests SKIPPED: no WebGPU adapter found/);
    expect(free.out).toMatch(/Tests\s+2 skipped/);
    const required = runHidden(true);
    expect(required.status, required.out).not.toBe(0);
    expect(required.out).toMatch(/FAIL\s+test\/executor\/gpu\/read-bandwidth\.test\.ts/);
    expect(required.out).toMatch(/GPUFRAME_REQUIRE_GPU=1, but there is no GPU: no WebGPU adapter found/);
  });
});
