/**
 * Task-wide string ids, so that equal strings from different dictionaries compare and group equal
 * (both executors' map tasks use them).
 */
export class StringIds {
  readonly ids = new Map<string, number>();
  private readonly remaps = new Map<readonly string[], Int32Array>();
  id(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) this.ids.set(s, (id = this.ids.size));
    return id;
  }
  remap(dictionary: readonly string[]): Int32Array {
    let r = this.remaps.get(dictionary);
    if (!r) {
      r = Int32Array.from(dictionary, (s) => this.id(s));
      this.remaps.set(dictionary, r);
    }
    return r;
  }
}
