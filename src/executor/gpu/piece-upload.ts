/**
 * Puts each piece of a GPU map task on the device before its dispatch: a packed piece writes all
 * its columns into the task's one input buffer; a cached one reads its chunk in the resident
 * cache (resident-cache.ts) and writes only the columns the chunk does not hold yet. String
 * columns then get the task's code → id tables, once per piece (per chunk, for cached chunks).
 */
import { USAGE, type BufferLease } from './buffer-pool.ts';
import { writeRemap, type ColumnPlace, type PackedChunk } from './chunk-upload.ts';
import type { GpuMapPlan } from './gpu-map-plan.ts';
import type { ResidentChunk } from './resident-cache.ts';

export class PieceUploader {
  /** Bytes written to the device so far. */
  uploadBytes = 0;
  /** The task's input buffer for packed pieces (big enough for the biggest). */
  private readonly input: GPUBuffer | null;
  /** The cached chunk of the last piece: its remap tables are written. */
  private resident: ResidentChunk | null = null;

  constructor(private readonly queue: GPUQueue, private readonly task: GpuMapPlan, lease: BufferLease) {
    const { packs } = task;
    this.input = packs.some((x) => x) ? lease.take(Math.max(16, ...packs.map((x) => (x ? x.words * 4 : 0))), USAGE.STORAGE | USAGE.COPY_DST) : null;
  }

  /** Writes piece `index` and returns the buffer and layout its dispatch reads. */
  upload(index: number): { buffer: GPUBuffer; packed: PackedChunk } {
    const { task, queue } = this;
    const { cached } = task.pieces[index];
    const columns = task.kernel.shader.columns;
    let buffer: GPUBuffer, packed: PackedChunk;
    const remap = (place: ColumnPlace) => {
      if (place.remap) this.uploadBytes += writeRemap(place, task.shape.strings.remap(place.remap.dictionary), buffer, queue);
    };
    if (cached) {
      // The chunk was made or found when the task was planned (gpu-map-plan.ts).
      ({ buffer, packed } = cached.chunk);
      if (cached.created) this.uploadBytes += packed.writeOnes(buffer, queue);
      // Columns on first read; remap tables once per chunk and task (they are the task's).
      const fresh = cached.chunk !== this.resident;
      this.resident = cached.chunk;
      for (const { name } of columns) {
        const place = packed.places.get(name)!;
        if (!cached.chunk.loaded.has(name)) { this.uploadBytes += place.write(buffer, queue); cached.chunk.loaded.add(name); }
        if (fresh) remap(place);
      }
    } else {
      buffer = this.input!;
      packed = task.packs[index]!;
      this.uploadBytes += packed.writeOnes(buffer, queue);
      for (const place of packed.places.values()) this.uploadBytes += place.write(buffer, queue);
      for (const { name } of columns) remap(packed.places.get(name)!);
    }
    return { buffer, packed };
  }
}
