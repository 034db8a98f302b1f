/**
 * The read-bandwidth yardstick of the benchmark: it runs on the adapter at hand and says how it
 * timed (the GPU's timestamps where the device has them, else the host clock).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { measureReadBandwidth } from '../../../src/executor/gpu/read-bandwidth.ts';
import { GpuDeviceError } from '../../../src/index.ts';
import { openBareDevice } from './gpu-harness.ts';

const { dev, reason } = await openBareDevice();
afterAll(() => dev?.device.destroy());

describe.skipIf(!dev)(`GPU read bandwidth${dev ? '' : ` (${reason})`}`, () => {
  it('reads the bytes asked for (rounded down to 16) and reports a finite, positive rate', async () => {
    const bw = await measureReadBandwidth(dev!, (4 << 20) + 9, 3);
    expect(bw.bytes).toBe(4 << 20);
    expect(bw.timing).toBe(dev!.timestamps ? 'timestamps' : 'wall clock');
    expect(Number.isFinite(bw.gbPerS) && bw.gbPerS > 0).toBe(true);
  });

  it('a failed device rejects with GpuDeviceError', async () => {
    dev!.failure = 'device lost: test';
    try {
      await expect(measureReadBandwidth(dev!, 1 << 20, 1)).rejects.toThrow(GpuDeviceError);
    } finally {
      dev!.failure = null;
    }
  });
});
