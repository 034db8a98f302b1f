/**
 * Open-addressing hash table from fixed-width word keys to dense group ids (linear probing,
 * load ≤ 1/2). Used by the final aggregation and to rehash the map kernel's inline table.
 */
import { hashSource, hashWords, TABLE_SEED } from '../../shuffle/hash.ts';
import { countingSortPositions } from '../../shuffle/shuffle-block.ts';

/** Builds a table of `size` slots (a power of two) over the first `groups` keys. */
export function buildTable(keys: Int32Array, width: number, groups: number, size: number): Int32Array {
  const table = new Int32Array(size).fill(-1);
  const mask = size - 1;
  for (let g = 0; g < groups; g++) {
    let s = hashWords(keys, g * width, width, TABLE_SEED) & mask;
    while (table[s] >= 0) s = (s + 1) & mask;
    table[s] = g;
  }
  return table;
}

export interface Grouping {
  /** Group id of each row. */
  readonly ids: Int32Array;
  /** First row of each group. */
  readonly reps: Int32Array;
  readonly groups: number;
}

type HashRowsFn = (words: Int32Array, n: number, out: Int32Array) => void;
type GroupChunkFn = (words: Int32Array, hashes: Int32Array, from: number, to: number, table: Int32Array, mask: number, ids: Int32Array, reps: Int32Array, groups: number) => number;
const compiled = new Map<number, { hashRows: HashRowsFn; groupChunk: GroupChunkFn }>();

/**
 * The hash and grouping loops for keys of `width` words, generated so that the hash is inlined and
 * a table entry holds its group id (plus one; 0 is empty) beside the key's words: a probe reads one
 * cache line, not the entry and then the group's key elsewhere.
 */
function loops(width: number): { hashRows: HashRowsFn; groupChunk: GroupChunkFn } {
  let fn = compiled.get(width);
  if (fn) return fn;
  const stride = width + 1;
  const kw = Array.from({ length: width }, (_, j) => `kw${j}`);
  const load = (row: string) => kw.map((w, j) => `const ${w} = words[${row} * ${width} + ${j}];`);
  const hashRows = new Function('words', 'n', 'out', [
    'for (let r = 0; r < n; r++) {', ...load('r'), hashSource(kw, TABLE_SEED, 'h'), 'out[r] = h;', '}',
  ].join('\n')) as HashRowsFn;
  const groupChunk = new Function('words', 'hashes', 'from', 'to', 'table', 'mask', 'ids', 'reps', 'groups', [
    'for (let r = from; r < to; r++) {',
    ...load('r'),
    '  let s = hashes[r] & mask;',
    '  for (;;) {',
    `    const e = s * ${stride}, g = table[e];`,
    `    if (g === 0) { table[e] = ++groups; ${kw.map((w, j) => `table[e + ${j + 1}] = ${w};`).join(' ')} reps[groups - 1] = r; ids[r] = groups - 1; break; }`,
    `    if (${kw.map((w, j) => `table[e + ${j + 1}] === ${w}`).join(' && ')}) { ids[r] = g - 1; break; }`,
    '    s = (s + 1) & mask;',
    '  }',
    '}',
    'return groups;',
  ].join('\n')) as GroupChunkFn;
  fn = { hashRows, groupChunk };
  compiled.set(width, fn);
  return fn;
}

/** Rows a table of one radix partition holds: its entries (2 per row) then stay in a core's cache. */
const CHUNK_ROWS = 1 << 14;

export interface PartitionedGrouping extends Grouping {
  /**
   * Null when the rows kept their order. Else ids and reps index the rows as the radix partitions
   * ordered them: input row i is row pos[i] there, and row q there is input row order[q].
   */
  readonly pos: Int32Array | null;
  readonly order: Int32Array | null;
}

/**
 * Assigns group ids to n rows of `width` words each (row-major). Beyond CHUNK_ROWS rows, the rows
 * are first split by their hash's top bits into radix partitions of about CHUNK_ROWS rows (as
 * DuckDB's and Velox's aggregations do), each grouped with its own small table: with millions of
 * groups, one table over all of them costs a cache and TLB miss a row. The groups of a partition
 * get consecutive ids, so merging states into them stays in cache too.
 */
export function groupRows(words: Int32Array, width: number, n: number): PartitionedGrouping {
  const { hashRows, groupChunk } = loops(width);
  const hashes = new Int32Array(n);
  hashRows(words, n, hashes);
  const ids = new Int32Array(n), reps = new Int32Array(n);
  if (n <= CHUNK_ROWS) {
    const cap = tableCap(n);
    const groups = groupChunk(words, hashes, 0, n, new Int32Array(cap * (width + 1)), cap - 1, ids, reps, 0);
    return { ids, reps: reps.subarray(0, groups), groups, pos: null, order: null };
  }
  let bits = 1;
  while ((n >> bits) > CHUNK_ROWS && bits < 16) bits++;
  const parts = 1 << bits, shift = 32 - bits;
  const pos = new Int32Array(n);
  for (let r = 0; r < n; r++) pos[r] = hashes[r] >>> shift;
  const offsets = countingSortPositions(pos, n, parts);
  let largest = 0;
  for (let p = 0; p < parts; p++) largest = Math.max(largest, offsets[p + 1] - offsets[p]);
  const order = new Int32Array(n), pw = new Int32Array(n * width), ph = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const q = pos[r];
    order[q] = r;
    ph[q] = hashes[r];
    for (let j = 0; j < width; j++) pw[q * width + j] = words[r * width + j];
  }
  const cap = tableCap(largest);
  const table = new Int32Array(cap * (width + 1));
  let groups = 0;
  for (let p = 0; p < parts; p++) {
    const from = offsets[p], to = offsets[p + 1];
    if (from === to) continue;
    const c = tableCap(to - from);
    table.fill(0, 0, c * (width + 1));
    groups = groupChunk(pw, ph, from, to, table, c - 1, ids, reps, groups);
  }
  return { ids, reps: reps.subarray(0, groups), groups, pos, order };
}

/** Slots of a table over `rows` keys: a power of two at least twice the rows (load at most 1/2), 16 at least. */
export function tableCap(rows: number): number {
  let cap = 16;
  while (cap < 2 * rows) cap <<= 1;
  return cap;
}

/** Slots of groupDense's map (an Int32Array of 16 MiB, within the last-level cache). */
const DENSE_MAP_SLOTS = 1 << 22;

type SmallInts = Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;
const isSmallInts = (v: unknown): v is SmallInts =>
  v instanceof Int8Array || v instanceof Int16Array || v instanceof Int32Array ||
  v instanceof Uint8Array || v instanceof Uint16Array || v instanceof Uint32Array;

/**
 * Group ids by a composite index when every key is a small integer (or boolean) whose combined
 * range is small: slot = Σ (value − min)·stride, null = the extra slot. Null when not applicable.
 */
export function groupDense(keys: readonly { values: unknown; valid: Uint8Array | null }[], n: number): Grouping | null {
  const mins: number[] = [], strides: number[] = [], nulls: number[] = [];
  let slots = 1;
  for (const k of keys) {
    if (!isSmallInts(k.values)) return null;
    const v = k.values;
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = v[i];
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    const range = hi >= lo ? hi - lo + 1 : 1;
    mins.push(Number.isFinite(lo) ? lo : 0);
    nulls.push(range);
    strides.push(slots);
    slots *= range + (k.valid ? 1 : 0);
    // Beyond a core's cache the slot map costs a miss a row: the radix-partitioned hash grouping wins.
    if (slots > Math.min(4 * n + 65536, DENSE_MAP_SLOTS)) return null;
  }
  const map = new Int32Array(slots).fill(-1);
  const ids = new Int32Array(n), reps = new Int32Array(n);
  let groups = 0;
  const code = new Float64Array(n);
  keys.forEach((k, j) => {
    const v = k.values as SmallInts, valid = k.valid, min = mins[j], stride = strides[j], nul = nulls[j];
    for (let i = 0; i < n; i++) code[i] += (valid !== null && valid[i] === 0 ? nul : v[i] - min) * stride;
  });
  for (let i = 0; i < n; i++) {
    let g = map[code[i]];
    if (g < 0) {
      g = map[code[i]] = groups;
      reps[groups++] = i;
    }
    ids[i] = g;
  }
  return { ids, reps: reps.subarray(0, groups), groups };
}
