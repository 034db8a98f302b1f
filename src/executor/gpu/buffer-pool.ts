/**
 * GPU buffers pooled by (size, usage): a task takes what it needs and gives it back at the end,
 * so repeated tasks allocate nothing. Sizes round up to a power of two (at least 4 KiB).
 */
/** GPUBufferUsage's flags (the `webgpu` package defines no globals for them). */
export const USAGE = { MAP_READ: 1, COPY_SRC: 4, COPY_DST: 8, UNIFORM: 64, STORAGE: 128, QUERY_RESOLVE: 512 } as const;

export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  private readonly all = new Set<GPUBuffer>();
  constructor(private readonly device: GPUDevice) {}

  static roundSize(bytes: number): number {
    return Math.max(4096, 2 ** Math.ceil(Math.log2(Math.max(1, bytes))));
  }

  acquire(bytes: number, usage: number): GPUBuffer {
    const size = BufferPool.roundSize(bytes);
    const hit = this.free.get(`${size}|${usage}`)?.pop();
    if (hit) return hit;
    const b = this.device.createBuffer({ size, usage });
    this.all.add(b);
    return b;
  }

  release(b: GPUBuffer): void {
    const k = `${b.size}|${b.usage}`;
    let list = this.free.get(k);
    if (!list) this.free.set(k, (list = []));
    list.push(b);
  }

  destroy(): void {
    for (const b of this.all) b.destroy();
    this.all.clear();
    this.free.clear();
  }
}

/** Buffers one task takes from a pool, all given back at its end. */
export class BufferLease {
  private readonly taken: GPUBuffer[] = [];
  constructor(private readonly pool: BufferPool) {}

  readonly take = (bytes: number, usage: number): GPUBuffer => {
    const b = this.pool.acquire(bytes, usage);
    this.taken.push(b);
    return b;
  };

  release(): void {
    for (const b of this.taken) this.pool.release(b);
    this.taken.length = 0;
  }
}
