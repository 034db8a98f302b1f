/**
 * Device failures surface as typed errors, never as hangs: a validation error inside a task's
 * error scopes, a device already marked failed (lost, or an error outside any scope), and a closed
 * executor all reject with GpuDeviceError, with a message that says which.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { count, GpuDeviceError } from '../../../src/index.ts';
import { withErrorScopes } from '../../../src/executor/gpu/device.ts';
import { CpuExecutor } from '../../../src/executor/cpu/cpu-executor.ts';
import { GpuExecutor } from '../../../src/executor/gpu/gpu-executor.ts';
import { openBareDevice, planner, specOf } from './gpu-harness.ts';
import { marbles } from '../../support/tables.ts';

const { dev, reason } = await openBareDevice();
afterAll(async () => { dev?.device.destroy(); await (await planner()).close(); });

describe.skipIf(!dev)(`GPU device errors${dev ? '' : ` (${reason})`}`, () => {
  it('a validation error inside the scopes rejects with GpuDeviceError naming it', async () => {
    const d = dev!;
    // MAP_READ may only be combined with COPY_DST: this buffer is invalid.
    const work = withErrorScopes(d, async () => { d.device.createBuffer({ size: 16, usage: 1 | 128 }); return 'done'; });
    await expect(work).rejects.toThrow(GpuDeviceError);
    await expect(withErrorScopes(d, async () => { d.device.createBuffer({ size: 16, usage: 1 | 128 }); })).rejects.toThrow(/GPU validation error/);
    // The scopes were popped: valid work afterwards succeeds.
    await expect(withErrorScopes(d, async () => 7)).resolves.toBe(7);
  });

  it('a device marked failed fails the next call at once, with the recorded reason', async () => {
    const d = dev!;
    d.failure = 'device lost: test';
    try {
      let ran = false;
      await expect(withErrorScopes(d, async () => { ran = true; })).rejects.toThrow(/device lost: test/);
      expect(ran).toBe(false);
    } finally {
      d.failure = null;
    }
  });

  it('a closed GPU executor rejects map tasks with GpuDeviceError', async () => {
    const gpu = await GpuExecutor.create({ cpu: new CpuExecutor() });
    await gpu.close();
    const spec = specOf((await planner()).fromArrow(marbles()).groupBy('bag').agg(count()), 1);
    await expect(gpu.runMap(spec, marbles().batches)).rejects.toThrow(/the GPU executor is closed/);
    await expect(gpu.runMap(spec, marbles().batches)).rejects.toThrow(GpuDeviceError);
  });
});
