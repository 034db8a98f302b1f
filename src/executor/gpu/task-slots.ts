/**
 * A GPU map task's accumulator buffers, from their initial words to the one copy the host reads:
 *
 *   acc            the slot array: each slot's kept words, then the trash slot (rows a dense or
 *                  global kernel filtered out), then the status word (set when the hash table
 *                  overflowed)
 *   table          the hash table (hash mode)
 *   part           the invocations' regions (software adapters' privatization)
 *   partitionIds   each slot's reduce partition (partitioned tasks)
 *
 *   readback: acc | table | partitionIds | pass timestamps, one mapped buffer
 */
import { USAGE, type BufferLease } from './buffer-pool.ts';
import { keptInit } from './gpu-acc-layout.ts';
import type { GpuMapPlan } from './gpu-map-plan.ts';
import type { PassTimer } from './pass-timer.ts';

export class TaskSlots {
  readonly acc: GPUBuffer;
  readonly accWords: number;
  readonly table: GPUBuffer | null;
  readonly tableWords: number;
  readonly part: GPUBuffer | null;
  readonly partitionIds: GPUBuffer | null;
  private readonly slotCount: number;

  constructor(private readonly device: GPUDevice, private readonly lease: BufferLease, task: GpuMapPlan) {
    const { plan, shape: { sharedWords } } = task;
    const slotCount = (this.slotCount = plan.slots);
    const take = lease.take;
    this.accWords = (slotCount + 1) * sharedWords.length + 1;
    this.acc = take(this.accWords * 4, USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST);
    this.tableWords = plan.mode === 'hash' ? slotCount * plan.tableWidth : 0;
    this.table = plan.mode === 'hash' ? take(this.tableWords * 4, USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST) : null;
    this.partitionIds = task.partitioned ? take(slotCount * 4, USAGE.STORAGE | USAGE.COPY_SRC) : null;
    this.part = task.regions ? take(task.regions * task.regionWords * 4, USAGE.STORAGE | USAGE.COPY_DST) : null;

    this.clear(task);
  }

  /**
   * Initial slot words (min keys start at all-ones), an empty table; so too a region kernel's
   * regions (per-invocation kernels write their whole regions). A task that merges its slots into
   * its stage's table in rounds clears them after each.
   */
  clear(task: GpuMapPlan): void {
    const { device } = this;
    const { plan, shape: { layout, sharedWords, ownWords } } = task;
    const encoder = device.createCommandEncoder();
    const initSlots = (buffer: GPUBuffer, words: number, slot: readonly number[]) => {
      if (slot.every((x) => x === 0)) { encoder.clearBuffer(buffer, 0, words * 4); return; }
      const init = new Uint32Array(words);
      for (let s = 0; s + slot.length <= words; s += slot.length) init.set(slot, s);
      device.queue.writeBuffer(buffer, 0, init);
    };
    initSlots(this.acc, this.accWords, keptInit(layout, sharedWords));
    if (this.part && plan.privatized === 'region') initSlots(this.part, task.regions * task.regionWords, keptInit(layout, ownWords, task.regionStride));
    if (this.table) encoder.clearBuffer(this.table, 0, this.tableWords * 4);
    device.queue.submit([encoder.finish()]);
  }

  /**
   * Copies what the host needs after `encoder`'s passes, submits them, waits for the device and
   * maps the copy: the words, when the device's work was done, and the passes' GPU time.
   */
  async readBack(encoder: GPUCommandEncoder, timer: PassTimer): Promise<{ words: Uint32Array; workDoneAt: number; readbackMs: number; deviceMs: number | null }> {
    const { device } = this;
    const accBytes = this.accWords * 4, tableBytes = this.tableWords * 4;
    const partitionBytes = this.partitionIds ? this.slotCount * 4 : 0;
    const stampBytes = timer.bytes;
    const bytes = accBytes + tableBytes + partitionBytes + stampBytes;
    const readback = this.lease.take(bytes, USAGE.MAP_READ | USAGE.COPY_DST);
    encoder.copyBufferToBuffer(this.acc, 0, readback, 0, accBytes);
    if (this.table) encoder.copyBufferToBuffer(this.table, 0, readback, accBytes, tableBytes);
    if (this.partitionIds) encoder.copyBufferToBuffer(this.partitionIds, 0, readback, accBytes + tableBytes, partitionBytes);
    timer.resolveInto(encoder, this.lease.take, readback, bytes - stampBytes);
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    const workDoneAt = performance.now();
    await readback.mapAsync(1, 0, bytes);
    const words = new Uint32Array(readback.getMappedRange(0, bytes).slice(0));
    readback.unmap();
    const readbackMs = performance.now() - workDoneAt;
    return { words, workDoneAt, readbackMs, deviceMs: timer.deviceMs(words.subarray((bytes - stampBytes) / 4)) };
  }
}
