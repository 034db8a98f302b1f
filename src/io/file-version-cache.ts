/**
 * What a scan thread keeps of a file version (path, modification time, size) across its tasks: a
 * parsed footer or layout, so that each task of a file does not read it again. A few at most, the
 * least recently used dropped (and handed to `evicted`); a value whose making failed is not kept.
 */
import type { Stats } from 'node:fs';

export class FileVersionCache<T> {
  private readonly entries = new Map<string, Promise<T>>();

  constructor(private readonly max: number, private readonly evicted: (value: T) => void = () => {}) {}

  /** The value for `path` as `stats` describe it, made by `make` where none is kept. */
  get(path: string, stats: Pick<Stats, 'mtimeMs' | 'size'>, make: () => Promise<T>): Promise<T> {
    const key = `${path}\0${stats.mtimeMs}\0${stats.size}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const made = make();
    this.entries.set(key, made);
    made.catch(() => { if (this.entries.get(key) === made) this.entries.delete(key); });
    if (this.entries.size > this.max) {
      const [oldest, value] = this.entries.entries().next().value!;
      this.entries.delete(oldest);
      value.then(this.evicted, () => undefined);
    }
    return made;
  }
}
