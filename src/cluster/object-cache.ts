/**
 * What an executor process keeps of the objects it read or wrote (input partitions, map outputs),
 * by name, up to a byte budget, the least recently used dropped first: a reduce task on the
 * process that made a map output reads it from memory, and a cached input is fetched once per process.
 */
export class ObjectCache<T> {
  private readonly entries = new Map<string, { value: Promise<T>; bytes: number }>();
  private bytes = 0;

  constructor(private readonly budget: number) {}

  /** The value named `name`, made (fetched and decoded) by `make` where none is kept. */
  get(name: string, make: () => Promise<{ value: T; bytes: number }>): Promise<T> {
    const hit = this.entries.get(name);
    if (hit) {
      this.entries.delete(name);
      this.entries.set(name, hit);
      return hit.value;
    }
    const entry = { value: make().then((m) => { entry.bytes = m.bytes; this.bytes += m.bytes; this.trim(); return m.value; }), bytes: 0 };
    this.entries.set(name, entry);
    entry.value.catch(() => { if (this.entries.get(name) === entry) this.entries.delete(name); });
    return entry.value;
  }

  /** Keeps a value made here (a map output this process wrote). */
  put(name: string, value: T, bytes: number): void {
    this.drop(name);
    this.entries.set(name, { value: Promise.resolve(value), bytes });
    this.bytes += bytes;
    this.trim();
  }

  drop(name: string): void {
    const e = this.entries.get(name);
    if (!e) return;
    this.entries.delete(name);
    this.bytes -= e.bytes;
  }

  /** Drops every entry whose name starts with `prefix` (a finished job's blocks). */
  dropPrefix(prefix: string): void {
    for (const name of [...this.entries.keys()]) if (name.startsWith(prefix)) this.drop(name);
  }

  private trim(): void {
    for (const [name] of this.entries) {
      if (this.bytes <= this.budget || this.entries.size <= 1) return;
      this.drop(name);
    }
  }
}
