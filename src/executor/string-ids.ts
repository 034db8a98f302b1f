/**
 * Task-wide string ids, so that equal strings from different dictionaries compare and group equal
 * (both executors' map tasks use them), and string predicates' match tables over those ids.
 */
import { stringMatcher, type StrMatchOp } from '../expr/string-match.ts';

export class StringIds {
  readonly ids = new Map<string, number>();
  /** The strings by id. */
  private readonly byId: string[] = [];
  private readonly remaps = new Map<readonly string[], Int32Array>();
  private readonly matches = new Map<string, { test: (s: string) => boolean; table: Uint8Array; done: number }>();

  id(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      this.ids.set(s, (id = this.ids.size));
      this.byId.push(s);
    }
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

  /**
   * 1 at each id whose string satisfies the predicate: each distinct string of the task is
   * tested once, however many rows and dictionaries hold it (the table grows with the ids).
   */
  matchTable(op: StrMatchOp, pattern: string): Uint8Array {
    const key = `${op}\u0000${pattern}`;
    let m = this.matches.get(key);
    if (!m) this.matches.set(key, (m = { test: stringMatcher(op, pattern), table: new Uint8Array(0), done: 0 }));
    const n = this.byId.length;
    if (m.done < n) {
      if (m.table.length < n) {
        const grown = new Uint8Array(Math.max(n, m.table.length * 2));
        grown.set(m.table.subarray(0, m.done));
        m.table = grown;
      }
      for (let id = m.done; id < n; id++) m.table[id] = m.test(this.byId[id]) ? 1 : 0;
      m.done = n;
    }
    return m.table;
  }
}
