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
    return this.extend(this.hashes, 2, (table, id, s) => {
      table[2 * id] = seededStringHash(s, HLL_SEEDS[0]);
      table[2 * id + 1] = seededStringHash(s, HLL_SEEDS[1]);
    });
  }

  /**
   * 1 at each id whose string satisfies the predicate: each distinct string of the task is
   * tested once, however many rows and dictionaries hold it (the table grows with the ids).
   */
  matchTable(op: StrMatchOp, pattern: string): Uint8Array {
    const key = `${op}\u0000${pattern}`;
    let m = this.matches.get(key);
    if (!m) this.matches.set(key, (m = { test: stringMatcher(op, pattern), table: new Uint8Array(0), done: 0 }));
    const test = m.test;
    return this.extend(m, 1, (table, id, s) => { table[id] = test(s) ? 1 : 0; });
  }

  /** A per-id table (`width` values an id) with the ids it has not seen yet filled in, grown as needed. */
  private extend<T extends Uint8Array | Int32Array>(t: { table: T; done: number }, width: number, fill: (table: T, id: number, s: string) => void): T {
    const n = this.byId.length;
    if (t.done < n) {
      if (t.table.length < width * n) {
        const grown = new (t.table.constructor as new (length: number) => T)(Math.max(width * n, t.table.length * 2));
        grown.set(t.table.subarray(0, width * t.done));
        t.table = grown;
      }
      for (let id = t.done; id < n; id++) fill(t.table, id, this.byId[id]!);
      t.done = n;
    }
    return t.table;
  }
}
