/**
 * Task-wide string ids, so that equal strings from different dictionaries compare and group equal
 * (both executors' map tasks use them), and string predicates' match tables over those ids.
 */
import { stringMatcher, type StrMatchOp } from '../expr/string-match.ts';
import { HLL_SEEDS } from '../aggregate/hyperloglog.ts';
import { seededStringHash } from '../shuffle/hash.ts';

export class StringIds {
  readonly ids = new Map<string, number>();
  /** The strings by id. */
  private readonly byId: string[] = [];
  private readonly remaps = new Map<readonly string[], Int32Array>();
  private readonly matches = new Map<string, { test: (s: string) => boolean; table: Uint8Array; done: number }>();
  private hashes = { table: new Int32Array(0), done: 0 };

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

  /** Two words per id (words 2·id and 2·id + 1): its string's two seeded hashes, for approxCountDistinct (each string hashed once). */
  hllWords(): Int32Array {
    const n = this.byId.length, h = this.hashes;
    if (h.done < n) {
      if (h.table.length < 2 * n) {
        const grown = new Int32Array(Math.max(2 * n, h.table.length * 2));
        grown.set(h.table.subarray(0, 2 * h.done));
        h.table = grown;
      }
      for (let id = h.done; id < n; id++) {
        h.table[2 * id] = seededStringHash(this.byId[id]!, HLL_SEEDS[0]);
        h.table[2 * id + 1] = seededStringHash(this.byId[id]!, HLL_SEEDS[1]);
      }
      h.done = n;
    }
    return h.table;
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
