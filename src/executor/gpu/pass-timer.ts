/**
 * Times a task's compute passes on the GPU's clock where the device has timestamp queries: every
 * pass begun through it writes a begin and an end timestamp, resolved into the task's readback.
 */
import { USAGE } from './buffer-pool.ts';
import { passTimes } from './timestamps.ts';

/** Timestamp queries a task may use (two per compute pass); a task with more passes goes untimed. */
const MAX_QUERIES = 4096;

export class PassTimer {
  private readonly querySet: GPUQuerySet | null;
  private passes = 0;

  /** `enabled`: the device has timestamp queries; `passCount`: the passes the task will begin. */
  constructor(device: GPUDevice, enabled: boolean, passCount: number) {
    this.querySet = enabled && passCount > 0 && 2 * passCount <= MAX_QUERIES ? device.createQuerySet({ type: 'timestamp', count: 2 * passCount }) : null;
  }

  /** Begins a compute pass, timed when the device can. */
  begin(encoder: GPUCommandEncoder): GPUComputePassEncoder {
    const at = 2 * this.passes++;
    const querySet = this.querySet;
    return encoder.beginComputePass(querySet ? { timestampWrites: { querySet, beginningOfPassWriteIndex: at, endOfPassWriteIndex: at + 1 } } : undefined);
  }

  /** Bytes of the resolved timestamps (0 when untimed). */
  get bytes(): number {
    return this.querySet ? this.passes * 16 : 0;
  }

  /** Resolves the passes' timestamps into `target` at `offset` (`take` lends the resolve buffer). */
  resolveInto(encoder: GPUCommandEncoder, take: (bytes: number, usage: number) => GPUBuffer, target: GPUBuffer, offset: number): void {
    if (!this.querySet) return;
    const resolved = take(this.bytes, USAGE.QUERY_RESOLVE | USAGE.COPY_SRC);
    encoder.resolveQuerySet(this.querySet, 0, 2 * this.passes, resolved, 0);
    encoder.copyBufferToBuffer(resolved, 0, target, offset, this.bytes);
  }

  /** The passes' GPU time in ms from the words resolveInto wrote; null when untimed. */
  deviceMs(words: Uint32Array): number | null {
    return this.querySet ? passTimes(words).reduce((a, b) => a + b, 0) / 1e6 : null;
  }

  destroy(): void {
    this.querySet?.destroy();
  }
}
