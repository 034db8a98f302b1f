/**
 * Seeded randomness for the differential tests: a small PRNG and a random
 * Arrow table generator.
 *
 * Every table is described twice: as a plain JS model (`ColumnModel.values`,
 * the source of truth that is loaded into DuckDB) and as Arrow data handed to
 * the engine. The Arrow side is deliberately awkward: several record batches
 * (some empty), per-batch dictionaries, garbage values under null slots,
 * NaNs with a negative sign bit, and sometimes a sliced table (non-zero
 * array offsets).
 *
 * `generateTable(seed, { extended: true })` (the DuckDB differential suite) also draws Uint64,
 * Date64 and Timestamp columns (every unit, some with a time zone), and (some string columns)
 * strings that JS orders differently from UTF-8 bytes ('！' U+FF01 vs '😀'); the other suites'
 * tables stay as they were.
 * 64-bit temporal values are bigints in the column's own unit (Date64: whole days in ms);
 * `cardinality` gives a column exactly that many distinct values to draw from (big group counts).
 */
import * as A from 'apache-arrow';

// ---------------------------------------------------------------- PRNG

/** splitmix32-style mixer: turns any 32-bit integer into a well-mixed one. */
export function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Derives a child seed from a parent seed and a label (stable across runs). */
export function deriveSeed(seed: number, ...labels: (number | string)[]): number {
  let h = mix32(seed >>> 0);
  for (const l of labels) {
    if (typeof l === 'number') h = mix32(h ^ mix32(l >>> 0));
    else for (let i = 0; i < l.length; i++) h = mix32(h ^ l.charCodeAt(i));
  }
  return h;
}

/** mulberry32: small, fast, good enough for test data; fully determined by the seed. */
export class Rng {
  private state: number;
  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }
  /** uniform in [0, 1) */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  u32(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }
  /** integer in [lo, hi] (inclusive), |lo|,|hi| < 2^53 */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  /** bigint in [lo, hi] (inclusive), any width up to 128 bits */
  bigint(lo: bigint, hi: bigint): bigint {
    const span = hi - lo + 1n;
    let r = 0n;
    for (let i = 0; i < 4; i++) r = (r << 32n) | BigInt(this.u32());
    return lo + (r % span);
  }
  bool(pTrue = 0.5): boolean {
    return this.next() < pTrue;
  }
  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('pick from empty list');
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  /** picks by weight: [[weight, value], ...] */
  weighted<T>(choices: readonly (readonly [number, T])[]): T {
    let total = 0;
    for (const [w] of choices) total += w;
    let r = this.next() * total;
    for (const [w, v] of choices) {
      if ((r -= w) < 0) return v;
    }
    return choices[choices.length - 1]![1];
  }
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  }
  /** k distinct elements (order random) */
  sample<T>(xs: readonly T[], k: number): T[] {
    return this.shuffle(xs.slice()).slice(0, Math.min(k, xs.length));
  }
  fork(...labels: (number | string)[]): Rng {
    return new Rng(deriveSeed(this.u32(), ...labels));
  }
}

// ---------------------------------------------------------------- column model

export type IntKind = 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64';
/** 64-bit temporal kinds: Date64 (ms) and Timestamp in each unit; values are bigints in that unit. */
export type WideTemporalKind = 'date64' | 'ts_s' | 'ts_ms' | 'ts_us' | 'ts_ns';
export type ColKind = IntKind | 'float32' | 'float64' | 'bool' | 'utf8' | 'lutf8' | 'dict' | 'date32' | WideTemporalKind;

export const INT_KINDS: readonly IntKind[] = ['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64'];
export const WIDE_TEMPORAL_KINDS: readonly WideTemporalKind[] = ['date64', 'ts_s', 'ts_ms', 'ts_us', 'ts_ns'];

/** Units of a 64-bit temporal kind per second (Date64 counts milliseconds). */
export const UNITS_PER_SECOND: Record<WideTemporalKind, bigint> = {
  date64: 1000n, ts_s: 1n, ts_ms: 1000n, ts_us: 1_000_000n, ts_ns: 1_000_000_000n,
};

export function isIntKind(k: ColKind): k is IntKind {
  return (INT_KINDS as readonly string[]).includes(k);
}
export function isNumericKind(k: ColKind): boolean {
  return isIntKind(k) || isFloatKind(k);
}
export function isFloatKind(k: ColKind): boolean {
  return k === 'float64' || k === 'float32';
}
export function isStringKind(k: ColKind): boolean {
  return k === 'utf8' || k === 'lutf8' || k === 'dict';
}
export function isWideTemporalKind(k: ColKind): k is WideTemporalKind {
  return (WIDE_TEMPORAL_KINDS as readonly string[]).includes(k);
}
export function isTemporalKind(k: ColKind): boolean {
  return k === 'date32' || isWideTemporalKind(k);
}

/** Model value: ints are bigint, floats are numbers, date32 is a day number, 64-bit temporals are bigints in their unit, strings, booleans. */
export type Value = null | bigint | number | string | boolean;

export const INT_RANGE: Record<IntKind, readonly [bigint, bigint]> = {
  int8: [-128n, 127n],
  int16: [-32768n, 32767n],
  int32: [-2147483648n, 2147483647n],
  int64: [-9223372036854775808n, 9223372036854775807n],
  uint8: [0n, 255n],
  uint16: [0n, 65535n],
  uint32: [0n, 4294967295n],
  uint64: [0n, 18446744073709551615n],
};

/**
 * 'small': |v| <= min(max/4, 2^40), so a+b, a-b (signed only), a*2 fit the
 * type and every sum over ~3000 rows stays below 2^53 (exact as a double too).
 * 'wide': int64 only: |v| <= 2^50, sums of 3000 rows exceed 2^53 but fit int64.
 * 'full': anything, extremes included (int64 sums may overflow).
 */
export type IntProfile = 'small' | 'wide' | 'full';

export const SMALL_RANGE: Record<IntKind, readonly [bigint, bigint]> = {
  int8: [-31n, 31n],
  int16: [-8191n, 8191n],
  int32: [-(1n << 20n), 1n << 20n],
  int64: [-(1n << 40n), 1n << 40n],
  uint8: [0n, 63n],
  uint16: [0n, 16383n],
  uint32: [0n, 1n << 20n],
  uint64: [0n, 1n << 20n],
};

export interface ColumnModel {
  name: string;
  kind: ColKind;
  /** ints: value range profile; non-ints: 'small' (meaning: safe for arithmetic) */
  profile: IntProfile;
  lowCardinality: boolean;
  nullRate: number;
  /** floats: whether NaN / ±Infinity / -0 occur */
  specials: boolean;
  /** the distinct non-null values the generator drew from (low cardinality) or a sample */
  pool: Value[];
  values: Value[];
  /** Timestamp columns: the time zone of the Arrow type (null: none) */
  tz?: string | null;
  /** strings: also draw strings whose UTF-16 order differs from their code-point order */
  wideStrings?: boolean;
  /**
   * floats: 'positive' draws uniform [0, 100) with 6 decimals (db-benchmark's v3), whose sums
   * grow with every row: a sum without compensation drifts ~√n·u·Σ|x| (zero-mean data hides it)
   */
  dist?: 'positive';
}

export interface TableModel {
  seed: number;
  rows: number;
  columns: ColumnModel[];
  /** what is handed to session.fromArrow */
  input: A.Table | A.RecordBatch[];
  /** the Arrow table equivalent to `input` */
  table: A.Table;
  /** human-readable notes about the physical layout (batches, slicing, dictionaries) */
  layout: string;
}

export function arrowType(kind: ColKind, dictIndex: 'int8' | 'int16' | 'int32' = 'int32', tz: string | null = null): A.DataType {
  switch (kind) {
    case 'uint64': return new A.Uint64();
    case 'date64': return new A.DateMillisecond();
    case 'ts_s': return new A.Timestamp(A.TimeUnit.SECOND, tz);
    case 'ts_ms': return new A.Timestamp(A.TimeUnit.MILLISECOND, tz);
    case 'ts_us': return new A.Timestamp(A.TimeUnit.MICROSECOND, tz);
    case 'ts_ns': return new A.Timestamp(A.TimeUnit.NANOSECOND, tz);
    case 'int8': return new A.Int8();
    case 'int16': return new A.Int16();
    case 'int32': return new A.Int32();
    case 'int64': return new A.Int64();
    case 'uint8': return new A.Uint8();
    case 'uint16': return new A.Uint16();
    case 'uint32': return new A.Uint32();
    case 'float32': return new A.Float32();
    case 'float64': return new A.Float64();
    case 'bool': return new A.Bool();
    case 'utf8': return new A.Utf8();
    case 'lutf8': return new A.LargeUtf8();
    case 'date32': return new A.DateDay();
    case 'dict': {
      const idx = dictIndex === 'int8' ? new A.Int8() : dictIndex === 'int16' ? new A.Int16() : new A.Int32();
      return new A.Dictionary(new A.Utf8(), idx);
    }
  }
}

// ---------------------------------------------------------------- value generators

const STRING_POOL = [
  '', 'a', 'b', 'c', 'A', 'id001', 'id002', 'id010', 'id100', 'x y', 'a,b', "it's", 'é', 'e\u0301',
  '日本', '😀', 'null', 'NULL', 'zzzzzzzzzzzzzzzzzzzzzzzz', ' a', 'a ', 'Ω≈ç√',
];
const ALPHABET = 'abcdefghij0123456789_ éü日😀';
/** Extended tables: BMP characters above the surrogates sort after '😀' in UTF-8 (and SQL), before it in UTF-16. */
const WIDE_STRING_POOL = ['！', 'ｚ', '\uFFFD', '😀', '😀！', '！😀', 'a😀', 'aｚ', '\uE000'];
const WIDE_ALPHABET = ALPHABET + '！ｚ\uE000';

function randomString(rng: Rng, wide = false): string {
  if (wide && rng.bool(0.15)) return rng.pick(WIDE_STRING_POOL);
  if (rng.bool(0.3)) return rng.pick(STRING_POOL);
  const chars = Array.from(wide ? WIDE_ALPHABET : ALPHABET);
  const n = rng.int(0, 12);
  let s = '';
  for (let i = 0; i < n; i++) s += rng.pick(chars);
  return s;
}

function intValue(rng: Rng, kind: IntKind, profile: IntProfile): bigint {
  const [lo, hi] = INT_RANGE[kind];
  if (profile === 'small') {
    const [slo, shi] = SMALL_RANGE[kind];
    return rng.bool(0.5) ? rng.bigint(slo > -100n ? slo : -100n, shi < 100n ? shi : 100n) : rng.bigint(slo, shi);
  }
  if (profile === 'wide') {
    const m = 1n << 50n;
    if (kind === 'uint64') {
      return rng.weighted<() => bigint>([[3, () => rng.bigint(0n, m)], [1, () => rng.bigint(0n, 1000n)], [1, () => rng.pick([m, (1n << 53n) + 1n, 0n])]])();
    }
    return rng.weighted<() => bigint>([
      [3, () => rng.bigint(-m, m)],
      [1, () => rng.bigint(-1000n, 1000n)],
      [1, () => rng.pick([m, -m, (1n << 53n) + 1n, -(1n << 53n) - 1n, 0n])],
    ])();
  }
  return rng.weighted<() => bigint>([
    [2, () => rng.pick([lo, hi, lo + 1n, hi - 1n, 0n, lo < 0n ? -1n : 1n, 1n, ...(kind === 'uint64' ? [1n << 63n, (1n << 63n) - 1n] : [])])],
    [4, () => rng.bigint(lo > -1000n ? lo : -1000n, hi < 1000n ? hi : 1000n)],
    [4, () => rng.bigint(lo, hi)],
  ])();
}

function floatValue(rng: Rng, specials: boolean): number {
  if (specials && rng.bool(0.15)) return rng.pick([NaN, Infinity, -Infinity, -0, 0, NaN]);
  return rng.weighted<() => number>([
    [3, () => rng.int(-100, 100)],
    [3, () => (rng.next() - 0.5) * 2e6],
    [1, () => (rng.next() - 0.5) * 2e15],
    [1, () => (rng.next() - 0.5) * 1e-300],
    [1, () => rng.int(-100, 100) / 8],
    [1, () => rng.pick([0.1, 0.2, 0.3, -0.1, 1e15, -1e15, 5e-324, 2 ** 53, -(2 ** 53) - 2])],
  ])();
}

function dateValue(rng: Rng): number {
  return rng.weighted<() => number>([
    [4, () => rng.int(-40000, 40000)],
    [2, () => rng.int(18000, 20000)],
    [1, () => rng.pick([0, -1, 1, 19000, -719162 /* 0001-01-01 */, 2932896 /* 9999-12-31 */])],
  ])();
}

/** A few fixed instants (seconds); values clustered a few units around them tie or nearly tie. */
const CLUSTER_SECONDS = [0n, 951782400n, 1600000000n, -86400n];

/** A 64-bit temporal value in the column's unit: ~1780..2190 (so every unit converts to ns in int64), clusters, edges. */
function wideTemporalValue(rng: Rng, k: WideTemporalKind): bigint {
  const per = UNITS_PER_SECOND[k];
  if (k === 'date64') return BigInt(rng.weighted<() => number>([[4, () => rng.int(-69000, 80000)], [2, () => rng.int(18000, 20000)], [1, () => rng.pick([0, -1, 1, 19000])]])()) * 86_400_000n;
  return rng.weighted<() => bigint>([
    [4, () => BigInt(rng.int(-6_000_000_000, 7_000_000_000)) * per + rng.bigint(0n, per - 1n)],
    [2, () => BigInt(rng.int(1_500_000_000, 1_800_000_000)) * per + rng.bigint(0n, per - 1n)],
    [3, () => rng.pick(CLUSTER_SECONDS) * per + BigInt(rng.int(-3, 3))],
    [1, () => rng.pick([0n, -1n, 1n, per, -per, 86400n * per])],
  ])();
}

type ValueShape = Pick<ColumnModel, 'kind' | 'profile' | 'specials' | 'wideStrings' | 'dist'>;

function freshValue(rng: Rng, c: ValueShape): Value {
  const k = c.kind;
  if (isIntKind(k)) return intValue(rng, k, c.profile);
  if (isWideTemporalKind(k)) return wideTemporalValue(rng, k);
  if (c.dist === 'positive' && isFloatKind(k) && !(c.specials && rng.bool(0.02))) {
    const v = Math.round(rng.next() * 100e6) / 1e6;
    return k === 'float32' ? Math.fround(v) : v;
  }
  switch (k) {
    case 'float64': return floatValue(rng, c.specials);
    case 'float32': return Math.fround(floatValue(rng, c.specials));
    case 'bool': return rng.bool();
    case 'utf8':
    case 'lutf8':
    case 'dict': return randomString(rng, !!c.wideStrings);
    case 'date32': return dateValue(rng);
  }
  throw new Error(`unreachable kind ${k}`);
}

function valueKey(v: Value): string {
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : String(v);
  return typeof v + ':' + String(v);
}

function distinctValues(rng: Rng, c: ValueShape, k: number): Value[] {
  const seen = new Map<string, Value>();
  for (let tries = 0; seen.size < k && tries < k * 20; tries++) {
    const v = freshValue(rng, c);
    seen.set(valueKey(v), v);
  }
  return [...seen.values()];
}

// ---------------------------------------------------------------- table generation

export interface TableOptions {
  rows?: number;
  kinds?: ColKind[];
  nullRates?: number[];
  /** force single batch, no slicing, Table input */
  simpleLayout?: boolean;
  /** random kinds: each float64 column is float32 instead with probability 1/2 */
  float32?: boolean;
  /** random kinds: also Uint64, Date64 and Timestamp columns, and wide strings (see the module comment) */
  extended?: boolean;
  /** per column: draw from exactly this many distinct values (a big group count); otherwise random */
  cardinality?: (number | undefined)[];
  /** per column: the integer profile (otherwise random) */
  profiles?: (IntProfile | undefined)[];
  /** per column: float distribution (otherwise: extended tables draw 'positive' for some float columns) */
  dists?: ('positive' | undefined)[];
}

const KIND_NAMES: Record<ColKind, string> = {
  int8: 'i8', int16: 'i16', int32: 'i32', int64: 'i64', uint8: 'u8', uint16: 'u16', uint32: 'u32',
  float32: 'f32', float64: 'f64', bool: 'b', utf8: 's', lutf8: 'ls', dict: 'd', date32: 'dt',
  uint64: 'u64', date64: 'dt64', ts_s: 'tss', ts_ms: 'tsms', ts_us: 'tsus', ts_ns: 'tsns',
};

const EXTENDED_KINDS: readonly ColKind[] = ['uint64', 'date64', 'ts_s', 'ts_ms', 'ts_us', 'ts_ns'];

export function randomRowCount(rng: Rng): number {
  return rng.weighted<() => number>([
    [5, () => 0],
    [8, () => 1],
    [42, () => rng.int(2, 50)],
    [17, () => rng.int(51, 400)],
    [28, () => rng.int(2500, 3500)],
  ])();
}

export function generateTable(seed: number, opts: TableOptions = {}): TableModel {
  const rng = new Rng(seed);
  const rows = opts.rows ?? randomRowCount(rng);
  let kinds = opts.kinds;
  if (!kinds) {
    const n = rng.int(3, 8);
    const all: ColKind[] = ['int8', 'int16', 'int32', 'int64', 'int64', 'uint8', 'uint32', 'float64', 'float64', 'bool', 'utf8', 'dict', 'dict', 'date32'];
    if (rng.bool(0.3)) all.push(rng.pick<ColKind>(['uint16', 'lutf8']));
    kinds = [];
    // always something to group on and something to aggregate
    kinds.push(rng.pick<ColKind>(['dict', 'utf8', 'int32', 'int8', 'int64', 'bool', 'date32', 'uint8']));
    kinds.push(rng.pick<ColKind>(['int64', 'int32', 'float64', 'int16', 'uint32', 'int8']));
    while (kinds.length < n) kinds.push(rng.pick(all));
    // A generator of its own, so that the tables without the option stay as they were.
    if (opts.float32) kinds = kinds.map((k, i) => (k === 'float64' && new Rng(deriveSeed(seed, 'float32', i)).bool() ? 'float32' : k));
    // Likewise: each column becomes a Uint64 / Date64 / Timestamp column with probability 0.3
    // (the aggregated second column only ever a Uint64).
    if (opts.extended) {
      kinds = kinds.map((k, i) => {
        const r = new Rng(deriveSeed(seed, 'extended', i));
        if (!r.bool(0.3)) return k;
        return i === 1 ? 'uint64' : r.pick(EXTENDED_KINDS);
      });
    }
  }
  const slice = !opts.simpleLayout && rows > 0 && rng.bool(0.15);
  const prefix = slice ? rng.int(1, 20) : 0;
  const suffix = slice ? rng.int(0, 20) : 0;
  const physRows = prefix + rows + suffix;

  const columns: ColumnModel[] = kinds.map((kind, i) => {
    const crng = rng.fork('col', i);
    let profile: IntProfile = kind === 'int64' || kind === 'uint64'
      ? crng.weighted<IntProfile>([[4, 'small'], [3, 'wide'], [3, 'full']])
      : isIntKind(kind)
        ? crng.weighted<IntProfile>([[6, 'small'], [4, 'full']])
        : 'small';
    profile = opts.profiles?.[i] ?? profile;
    const specials = isFloatKind(kind) && crng.bool(0.35);
    const card = opts.cardinality?.[i];
    const lowCardinality = card !== undefined || kind === 'bool' || crng.bool(isFloatKind(kind) ? 0.3 : 0.65);
    const nullRate = opts.nullRates?.[i] ?? crng.weighted<number>([[40, 0], [30, 0.1], [20, 0.5], [10, 1]]);
    const extra = isWideTemporalKind(kind) && kind !== 'date64' ? { tz: new Rng(deriveSeed(seed, 'tz', i)).pick([null, null, 'UTC', 'America/New_York']) } : {};
    const wide = opts.extended && isStringKind(kind) && new Rng(deriveSeed(seed, 'wide-strings', i)).bool(0.3);
    const positive = isFloatKind(kind) && (opts.dists?.[i] === 'positive' || (opts.extended && new Rng(deriveSeed(seed, 'positive', i)).bool(0.35)));
    const base = { kind, profile, specials, ...(wide ? { wideStrings: true } : {}), ...(positive ? { dist: 'positive' as const } : {}), ...extra };
    const pool = lowCardinality
      ? distinctValues(crng, base, card ?? (kind === 'bool' ? 2 : crng.weighted<number>([[2, 1], [5, crng.int(2, 8)], [2, crng.int(9, 40)]])))
      : [];
    const values: Value[] = [];
    for (let r = 0; r < physRows; r++) {
      if (nullRate > 0 && crng.next() < nullRate) values.push(null);
      else values.push(lowCardinality ? crng.pick(pool) : freshValue(crng, base));
    }
    if (!lowCardinality) {
      const seen = new Map<string, Value>();
      for (const v of values) if (v !== null && seen.size < 30) seen.set(valueKey(v), v);
      pool.push(...seen.values());
    }
    return { name: `${KIND_NAMES[kind]}_${i}`, ...base, lowCardinality, nullRate, pool, values };
  });

  const { table: physTable, layout } = buildArrow(rng.fork('arrow'), columns, physRows, !!opts.simpleLayout);
  let table = physTable;
  let layoutNote = layout;
  if (slice) {
    table = physTable.slice(prefix, prefix + rows);
    layoutNote += `; sliced [${prefix}, ${prefix + rows}) of ${physRows}`;
    for (const c of columns) c.values = c.values.slice(prefix, prefix + rows);
  }
  let input: A.Table | A.RecordBatch[] = table;
  if (!opts.simpleLayout && table.batches.length > 0 && rng.bool(0.25)) {
    input = table.batches.slice();
    layoutNote += '; passed as RecordBatch[]';
  }
  return { seed, rows, columns, input, table, layout: layoutNote };
}

// ---------------------------------------------------------------- Arrow building

/** switches for triage: turning a feature off leaves every other random draw unchanged */
export const generatorFlags = { dictNullEntries: true };

function validity(values: Value[]): { bitmap: Uint8Array; nullCount: number } {
  const bitmap = new Uint8Array(((values.length + 63) >> 6) << 3);
  let nullCount = 0;
  values.forEach((v, i) => {
    if (v === null) nullCount++;
    else bitmap[i >> 3]! |= 1 << (i & 7);
  });
  return { bitmap, nullCount };
}

const utf8 = new TextEncoder();

function utf8Data(type: A.Utf8, strings: (string | null)[], nulls: { bitmap: Uint8Array; nullCount: number }, garbage: (i: number) => string): A.Data<A.Utf8> {
  const parts: Uint8Array[] = [];
  const offsets = new Int32Array(strings.length + 1);
  let total = 0;
  strings.forEach((s, i) => {
    const bytes = utf8.encode(s ?? garbage(i));
    parts.push(bytes);
    total += bytes.length;
    offsets[i + 1] = total;
  });
  const data = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return A.makeData({ type, length: strings.length, nullCount: nulls.nullCount, nullBitmap: nulls.nullCount ? nulls.bitmap : undefined, valueOffsets: offsets, data });
}

function utf8Vector(strings: (string | null)[]): A.Vector<A.Utf8> {
  return A.makeVector(utf8Data(new A.Utf8(), strings, validity(strings), () => ''));
}

/** builds one column chunk; `garbage` fills null slots with random bytes of the right type */
function buildChunk(rng: Rng, c: ColumnModel, type: A.DataType, values: Value[], sharedDict: string[] | null, simple: boolean): A.Data {
  const n = values.length;
  const nulls = validity(values);
  const nullBitmap = nulls.nullCount ? nulls.bitmap : undefined;
  const garbageish = rng.bool(0.7);
  const k = c.kind;
  if (isIntKind(k) && k !== 'uint64') {
    const range = INT_RANGE[k];
    const arr = k === 'int64' ? new BigInt64Array(n)
      : k === 'int8' ? new Int8Array(n) : k === 'int16' ? new Int16Array(n) : k === 'int32' ? new Int32Array(n)
        : k === 'uint8' ? new Uint8Array(n) : k === 'uint16' ? new Uint16Array(n) : new Uint32Array(n);
    values.forEach((v, i) => {
      const x = v === null ? (garbageish ? rng.pick([range[0], range[1], rng.bigint(range[0], range[1])]) : 0n) : (v as bigint);
      if (arr instanceof BigInt64Array) arr[i] = x;
      else arr[i] = Number(x);
    });
    return A.makeData({ type: type as A.Int, length: n, nullCount: nulls.nullCount, nullBitmap, data: arr });
  }
  switch (k) {
    case 'float32':
    case 'float64': {
      const single = k === 'float32';
      const arr = single ? new Float32Array(n) : new Float64Array(n);
      const bits = new Uint32Array(arr.buffer);
      values.forEach((v, i) => {
        if (v === null) arr[i] = garbageish ? rng.pick([NaN, Infinity, single ? 3e38 : 1e300, -5, 0]) : 0;
        else arr[i] = v as number;
        // NaN with the sign bit set and a payload: must still be "the" NaN
        if (v !== null && Number.isNaN(v as number) && rng.bool(0.5)) {
          if (single) bits[i] = 0xffc00000 | (rng.u32() & 0x3fffff);
          else {
            bits[2 * i] = rng.u32();
            bits[2 * i + 1] = 0xfff80000 | (rng.u32() & 0x7ffff);
          }
        }
      });
      return A.makeData({ type: type as A.Float, length: n, nullCount: nulls.nullCount, nullBitmap, data: arr });
    }
    case 'bool': {
      const arr = new Uint8Array(((n + 63) >> 6) << 3);
      values.forEach((v, i) => {
        const b = v === null ? garbageish && rng.bool() : (v as boolean);
        if (b) arr[i >> 3]! |= 1 << (i & 7);
      });
      return A.makeData({ type: type as A.Bool, length: n, nullCount: nulls.nullCount, nullBitmap, data: arr });
    }
    case 'date32': {
      const arr = new Int32Array(n);
      values.forEach((v, i) => {
        arr[i] = v === null ? (garbageish ? rng.int(-2147483648, 2147483647) : 0) : (v as number);
      });
      return A.makeData({ type: type as A.DateDay, length: n, nullCount: nulls.nullCount, nullBitmap, data: arr });
    }
    case 'uint64':
    case 'date64':
    case 'ts_s':
    case 'ts_ms':
    case 'ts_us':
    case 'ts_ns': {
      const arr = k === 'uint64' ? new BigUint64Array(n) : new BigInt64Array(n);
      values.forEach((v, i) => {
        arr[i] = v === null ? (garbageish ? rng.bigint(k === 'uint64' ? 0n : -(2n ** 63n), k === 'uint64' ? 2n ** 64n - 1n : 2n ** 63n - 1n) : 0n) : (v as bigint);
      });
      return A.makeData({ type: type as A.Uint64, length: n, nullCount: nulls.nullCount, nullBitmap, data: arr as BigUint64Array });
    }
    case 'utf8':
      return utf8Data(type as A.Utf8, values as (string | null)[], nulls, () => (garbageish ? randomString(rng) : ''));
    case 'lutf8': {
      const d = utf8Data(new A.Utf8(), values as (string | null)[], nulls, () => (garbageish ? randomString(rng) : ''));
      const offsets = BigInt64Array.from(d.valueOffsets, (x) => BigInt(x));
      return A.makeData({ type: type as A.LargeUtf8, length: n, nullCount: nulls.nullCount, nullBitmap, valueOffsets: offsets, data: d.values });
    }
    case 'dict': {
      const dtype = type as A.Dictionary<A.Utf8, A.Int8 | A.Int16 | A.Int32>;
      let dict: string[];
      if (sharedDict) dict = sharedDict;
      else {
        // per-batch dictionary: this batch's strings, shuffled, plus a few unused entries
        const set = new Set<string>();
        for (const v of values) if (v !== null) set.add(v as string);
        const extra = rng.int(0, 3);
        for (let e = 0; e < extra; e++) set.add('unused_' + rng.int(0, 99));
        dict = rng.shuffle([...set]);
        if (dict.length === 0) dict = ['only_unused'];
      }
      const pos = new Map(dict.map((s, i) => [s, i]));
      const bitWidth = dtype.indices.bitWidth;
      const arr = bitWidth === 8 ? new Int8Array(n) : bitWidth === 16 ? new Int16Array(n) : new Int32Array(n);
      values.forEach((v, i) => {
        arr[i] = v === null ? (garbageish ? rng.int(0, dict.length - 1) : 0) : pos.get(v as string)!;
      });
      // Sometimes (per-batch dictionaries only) the dictionary itself holds a null entry and some
      // null rows are *valid* slots pointing at it: logically still null (Arrow allows this).
      if (!simple && !sharedDict && nulls.nullCount > 0 && rng.bool(0.15)) {
        const dictWithNull: (string | null)[] = [...dict, null];
        const nullIdx = dictWithNull.length - 1;
        let nullCount = nulls.nullCount;
        const bitmap = nulls.bitmap.slice();
        values.forEach((v, i) => {
          if (v === null && rng.bool(0.5)) {
            arr[i] = nullIdx;
            bitmap[i >> 3]! |= 1 << (i & 7);
            nullCount--;
          }
        });
        if (generatorFlags.dictNullEntries) {
          return A.makeData({ type: dtype, length: n, nullCount, nullBitmap: nullCount ? bitmap : undefined, data: arr, dictionary: utf8Vector(dictWithNull) });
        }
      }
      return A.makeData({ type: dtype, length: n, nullCount: nulls.nullCount, nullBitmap, data: arr, dictionary: utf8Vector(dict) });
    }
  }
  throw new Error(`unreachable kind ${k}`);
}

function buildArrow(rng: Rng, columns: ColumnModel[], rows: number, simple: boolean): { table: A.Table; layout: string } {
  // dictionary index width: int8 only when the dictionary surely fits
  const types = columns.map((c) => {
    if (c.kind !== 'dict') return arrowType(c.kind, 'int32', c.tz ?? null);
    const distinct = new Set(c.values.filter((v) => v !== null)).size;
    const idx = distinct + 4 < 120 && rng.bool(0.3) ? rng.pick(['int8', 'int16'] as const) : 'int32';
    return arrowType('dict', idx);
  });
  const schema = new A.Schema(columns.map((c, i) => new A.Field(c.name, types[i]!, true)));
  // shared dictionaries (one for all batches) or per-batch ones
  const sharedDicts = columns.map((c) => {
    if (c.kind !== 'dict' || rng.bool(0.5)) return null;
    const set = new Set<string>();
    for (const v of c.values) if (v !== null) set.add(v as string);
    if (rng.bool(0.3)) set.add('unused_shared');
    const d = rng.shuffle([...set]);
    return d.length ? d : ['only_unused'];
  });
  // batch boundaries
  const cuts: number[] = [0];
  if (!simple && rows > 0) {
    const nb = rng.weighted<number>([[4, 1], [4, rng.int(2, 4)], [2, rng.int(5, 10)]]);
    const inner = new Set<number>();
    for (let b = 1; b < nb; b++) inner.add(rng.int(0, rows)); // may repeat 0/rows: empty batches
    const sorted = [...inner].sort((a, b) => a - b);
    cuts.push(...sorted);
    if (rng.bool(0.1)) cuts.push(sorted.length ? sorted[sorted.length - 1]! : 0); // an explicit empty batch
  }
  cuts.push(rows);
  const batches: A.RecordBatch[] = [];
  const noBatches = rows === 0 && !simple && rng.bool(0.4); // a Table with a schema and zero batches
  for (let b = 0; !noBatches && b + 1 < cuts.length; b++) {
    const lo = cuts[b]!;
    const hi = cuts[b + 1]!;
    const children = columns.map((c, i) => buildChunk(rng, c, types[i]!, c.values.slice(lo, hi), sharedDicts[i]!, simple));
    const data = A.makeData({ type: new A.Struct(schema.fields), length: hi - lo, nullCount: 0, children });
    batches.push(new A.RecordBatch(schema, data));
  }
  const sizes = batches.map((b) => b.numRows);
  const dictNote = columns.some((c) => c.kind === 'dict')
    ? `; dictionaries: ${columns.map((c, i) => (c.kind === 'dict' ? `${c.name}=${sharedDicts[i] ? 'shared' : 'per-batch'}/${String((types[i] as A.Dictionary).indices)}` : '')).filter(Boolean).join(',')}`
    : '';
  return { table: new A.Table(schema, batches), layout: `batches [${sizes.join(',')}]${dictNote}` };
}

/** rebuilds the Arrow side (one batch, no slicing) after a model's values were edited by hand */
export function rebuildArrow(t: TableModel): TableModel {
  const { table, layout } = buildArrow(new Rng(deriveSeed(t.seed, 'rebuild')), t.columns, t.rows, true);
  return { ...t, table, input: table, layout };
}

// ---------------------------------------------------------------- description for replays

export function showValue(v: Value): string {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : String(v);
  return JSON.stringify(v);
}

export function describeTable(t: TableModel, maxRows = 40): string {
  const head = `table seed=${t.seed} rows=${t.rows} (${t.layout})\n  columns: ${t.columns
    .map((c) => `${c.name}:${c.kind}${c.tz ? `[${c.tz}]` : ''}${isIntKind(c.kind) ? '/' + c.profile : ''}${c.dist ? '/' + c.dist : ''}${c.specials ? '/specials' : ''}${c.wideStrings ? '/wide' : ''} nulls=${c.nullRate}`)
    .join(', ')}`;
  if (t.rows > maxRows) return head + `\n  (rows omitted; regenerate with generateTable(${t.seed}))`;
  const lines: string[] = [];
  for (let r = 0; r < t.rows; r++) lines.push('  [' + t.columns.map((c) => showValue(c.values[r]!)).join(', ') + ']');
  return head + '\n' + lines.join('\n');
}
