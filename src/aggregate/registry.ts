/**
 * The one registry of aggregate functions. Each function's accumulator state is a fixed list of
 * Float64 fields per group; the registry says how to initialise, update (as generated JS), merge
 * and finalize it. Partial aggregation emits these states; the final stage merges, then finalizes.
 *
 *   count      [n]                          n exact up to 2^53
 *   isum       [hi, lo, n]   sum = hi·2^32 + lo, both exact integers; lo is renormalised into
 *                            [0, 2^32) every `chunkRows` rows so it never leaves 53 bits
 *   fsum       [s, c, n]     Neumaier-compensated sum s + c
 *   min / max  [m, n]        NaN is the greatest value (min starts at NaN, max at -Infinity)
 *   wmin/wmax  [h, l, n]     64-bit integers compared exactly as (hi, lo) words
 *   dsum       [x3, x2, x1, x0, n]   decimal sums, exact to 38 digits and beyond: Σ = x3·2^96 +
 *                            x2·2^64 + x1·2^32 + x0, each limb an exact integer fed a 32-bit word
 *                            of each value, renormalised (x0..x2 into [0, 2^32)) as isum is
 *   dmin/dmax  [a, b, c, n]  decimals beyond 64 bits: a·2^88 + b·2^44 + c, compared as
 *                            (a, b, c) with b, c in [0, 2^44), all exact doubles
 *   ivar       [q2, q1, qm, q0, hi, lo, n]   integers of at most 32 bits (variance, stddev): Σx
 *                            exact as isum's (hi, lo), Σx² exact as q2·2^64 + q1·2^32 + qm·2^16 + q0
 *                            (x = a·2^16 + b adds a² to q1, 2ab to qm, b² to q0), renormalised as
 *                            isum is; the variance is computed from the exact sums
 *   fvar       [mean, m2, n] other numbers: Welford's update per row, Chan's merge
 *   hll<p>     2^p/8 fields  approxCountDistinct: a HyperLogLog sketch, 8 registers a field (hyperloglog.ts)
 *   distinct   [unused]      countDistinct, and min / max of strings: the argument is a group key
 *                            of the map side (the query's keys, then these arguments); the reduce
 *                            counts them, or keeps the least or greatest
 */
import { ArithmeticOverflowError, TypeMismatchError } from '../errors.ts';
import { decimalAsFloat, intBound, isExactValued, resolve, type Schema, type TExpr } from '../expr/resolve.ts';
import { bigintWords } from '../expr/to-js.ts';
import { decimalType, isDecimal, isInteger, isNumeric, isTemporal, isWide, MAX_DECIMAL_PRECISION, typeName, type DType } from '../types.ts';
import type { Aggregate, AggFn } from './aggregate.ts';
import { HLL_MAX_P, HLL_MIN_P, hllFields, hllMerge, hllPrecision } from './hyperloglog.ts';

export type StateKind = 'countRows' | 'count' | 'isum' | 'dsum' | 'fsum' | 'min' | 'max' | 'wmin' | 'wmax' | 'dmin' | 'dmax' | 'ivar' | 'fvar' | 'distinct' | HllKind;
/** approxCountDistinct's sketch of precision p: 2^p / 8 fields (hyperloglog.ts). */
export type HllKind = 'hll4' | 'hll5' | 'hll6' | 'hll7' | 'hll8' | 'hll9' | 'hll10' | 'hll11' | 'hll12' | 'hll13' | 'hll14';
export const isHll = (k: StateKind): k is HllKind => k.startsWith('hll');
export const hllP = (k: HllKind): number => Number(k.slice(3));

/** An aggregate bound to the input schema: what it reads, its state and its result type. */
export interface AggSpec {
  /** Output column name (the alias, or the default). */
  readonly name: string;
  /** The call as Spark prints it: `sum(v1)`, `count(1)`. */
  readonly display: string;
  readonly fn: AggFn;
  readonly arg: TExpr | null;
  readonly state: StateKind;
  readonly input: DType | null;
  readonly result: DType;
  /** isum only: the largest |value| one row adds, which bounds how many rows fit before renormalising. */
  readonly bound: number;
  /** countDistinct: the (computed) key column that holds its argument. */
  readonly distinctKey?: string;
}

export type State = Float64Array[];

interface StateDef {
  /** Initial value of each field. */
  readonly init: readonly number[];
  /** How the kernel evaluates the argument: `words` as the four 32-bit words of its 128-bit value. */
  readonly input: 'none' | 'num' | 'wide' | 'words';
  /** JS statements updating the current group's fields (lvalues `f`) from value `x` (`x.h`, `x.l` for wide input, `x.w` for words). */
  update(f: readonly string[], x: UpdateInput): string;
  /** Index of the non-null count field, which kernels count nulls in; -1 when the state has none or counts its values itself. */
  readonly nonNull: number;
  /** Folds group s of src into group d of dst. */
  merge(dst: State, d: number, src: State, s: number): void;
}

const TWO32 = 4294967296;

/**
 * A row's value as an update reads it: `v` a number; `h`, `l` 64-bit words; `w` the four words of
 * a 128-bit value; `exact` a value exact in the double `d` where `ok` holds, else the BigInt `big`.
 */
export interface UpdateInput { v: string; h: string; l: string; n: string; w?: readonly string[]; exact?: { d: string; ok: string; big: string } }

/** dmin / dmax over (a, b, c) limbs: `better(x, y)` is x's limbs before y's (min) or after (max). */
function decimalExtreme(dir: '<' | '>'): StateDef {
  const better = (a: string, b: string, c: string, fa: string, fb: string, fc: string) =>
    `${a} ${dir} ${fa} || (${a} === ${fa} && (${b} ${dir} ${fb} || (${b} === ${fb} && ${c} ${dir} ${fc})))`;
  return {
    nonNull: 3,
    init: [dir === '<' ? Infinity : -Infinity, 0, 0, 0],
    input: 'words',
    update: (f, x) => {
      const [w0, w1, w2, w3] = x.w!;
      return ifValid(x.n,
        `const d0 = (${w1} & 4095) * 4294967296 + (${w0} >>> 0), d1 = (${w2} & 16777215) * 1048576 + (${w1} >>> 12), d2 = ${w3} * 256 + (${w2} >>> 24); ` +
        `if (${better('d2', 'd1', 'd0', f[0], f[1], f[2])}) { ${f[0]} = d2; ${f[1]} = d1; ${f[2]} = d0; } ${f[3]}++;`);
    },
    merge: (d, i, s, j) => {
      if (s[3][j] === 0) return;
      if (dir === '<' ? lessLimbs(s, j, d, i) : lessLimbs(d, i, s, j)) { d[0][i] = s[0][j]; d[1][i] = s[1][j]; d[2][i] = s[2][j]; }
      d[3][i] += s[3][j];
    },
  };
}

/** Is x's group i (a, b, c) less than y's group j? */
const lessLimbs = (x: State, i: number, y: State, j: number): boolean =>
  x[0][i] < y[0][j] || (x[0][i] === y[0][j] && (x[1][i] < y[1][j] || (x[1][i] === y[1][j] && x[2][i] < y[2][j])));

/** A dmin / dmax's limbs as the value's BigInt. */
export const limbsValue = (st: State, g: number): bigint => (BigInt(st[0][g]) << 88n) + (BigInt(st[1][g]) << 44n) + BigInt(st[2][g]);

const ifValid = (n: string, body: string): string => (n === 'false' ? `{ ${body} }` : `if (!${n}) { ${body} }`);

/** A sketch's StateDef: its update is generated by the kernels themselves (hllUpdateSource). */
const hllState = (p: number): StateDef => ({
  nonNull: -1,
  init: new Array<number>(hllFields(p)).fill(0),
  input: 'none',
  update: () => { throw new Error('a sketch is updated by hllUpdateSource'); },
  merge: hllMerge,
});

export const STATES: Record<StateKind, StateDef> = {
  ...(Object.fromEntries(Array.from({ length: HLL_MAX_P - HLL_MIN_P + 1 }, (_, i) => [`hll${HLL_MIN_P + i}`, hllState(HLL_MIN_P + i)])) as Record<HllKind, StateDef>),
  distinct: {
    nonNull: -1,
    init: [0],
    input: 'none',
    update: () => '',
    merge: () => undefined,
  },
  countRows: {
    nonNull: -1,
    init: [0],
    input: 'none',
    update: (f) => `${f[0]}++;`,
    merge: (d, i, s, j) => { d[0][i] += s[0][j]; },
  },
  count: {
    nonNull: -1,
    init: [0],
    input: 'num',
    update: (f, x) => ifValid(x.n, `${f[0]}++;`),
    merge: (d, i, s, j) => { d[0][i] += s[0][j]; },
  },
  isum: {
    nonNull: 2,
    init: [0, 0, 0],
    input: 'num',
    update: (f, x) => ifValid(x.n, `${f[1]} += ${x.v}; ${f[2]}++;`),
    merge: (d, i, s, j) => {
      d[0][i] += s[0][j];
      d[1][i] += s[1][j];
      d[2][i] += s[2][j];
      normalizeOne(d, i);
    },
  },
  dsum: {
    nonNull: 4,
    init: [0, 0, 0, 0, 0],
    input: 'words',
    // A 64-bit value adds its signed high word to x1 and its low word to x0; a wider one each word to its limb.
    update: (f, x) => {
      const words = (w: readonly string[]) => `${f[3]} += ${w[0]} >>> 0; ${f[2]} += ${w[1]} >>> 0; ${f[1]} += ${w[2]} >>> 0; ${f[0]} += ${w[3]};`;
      if (x.w) return ifValid(x.n, `${words(x.w)} ${f[4]}++;`);
      if (!x.exact) return ifValid(x.n, `${f[2]} += ${x.h}; ${f[3]} += ${x.l}; ${f[4]}++;`);
      const { d, ok, big } = x.exact;
      const split = `const h = Math.floor(${d} / 4294967296); ${f[2]} += h; ${f[3]} += ${d} - h * 4294967296;`;
      const beyond = `const q = ${big}; ${words(bigintWords('q'))}`;
      return ifValid(x.n, `${ok === 'true' ? split : `if (${ok}) { ${split} } else { ${beyond} }`} ${f[4]}++;`);
    },
    merge: (d, i, s, j) => {
      for (let k = 0; k < 5; k++) d[k][i] += s[k][j];
      normalizeDecimalSumAt(d, dsumAt.fill(i));
    },
  },
  fsum: {
    nonNull: 2,
    init: [0, 0, 0],
    input: 'num',
    update: (f, x) => ifValid(x.n,
      `const x = ${x.v}, s = ${f[0]}, t = s + x; ` +
      `${f[1]} += Math.abs(s) >= Math.abs(x) ? (s - t) + x : (x - t) + s; ${f[0]} = t; ${f[2]}++;`),
    merge: (d, i, s, j) => {
      const a = d[0][i], b = s[0][j], t = a + b;
      d[1][i] += s[1][j] + (Math.abs(a) >= Math.abs(b) ? (a - t) + b : (b - t) + a);
      d[0][i] = t;
      d[2][i] += s[2][j];
    },
  },
  min: {
    nonNull: 1,
    init: [NaN, 0],
    input: 'num',
    update: (f, x) => ifValid(x.n, `const x = ${x.v}; if (x < ${f[0]} || ${f[0]} !== ${f[0]}) ${f[0]} = x; ${f[1]}++;`),
    merge: (d, i, s, j) => {
      if (s[1][j] === 0) return;
      const x = s[0][j];
      if (x < d[0][i] || d[0][i] !== d[0][i]) d[0][i] = x;
      d[1][i] += s[1][j];
    },
  },
  max: {
    nonNull: 1,
    init: [-Infinity, 0],
    input: 'num',
    update: (f, x) => ifValid(x.n, `const x = ${x.v}; if (x > ${f[0]} || x !== x) ${f[0]} = x; ${f[1]}++;`),
    merge: (d, i, s, j) => {
      if (s[1][j] === 0) return;
      const x = s[0][j];
      if (x > d[0][i] || x !== x) d[0][i] = x;
      d[1][i] += s[1][j];
    },
  },
  wmin: {
    nonNull: 2,
    init: [Infinity, 0, 0],
    input: 'wide',
    update: (f, x) => ifValid(x.n,
      `if (${x.h} < ${f[0]} || (${x.h} === ${f[0]} && ${x.l} < ${f[1]})) { ${f[0]} = ${x.h}; ${f[1]} = ${x.l}; } ${f[2]}++;`),
    merge: (d, i, s, j) => {
      if (s[2][j] === 0) return;
      if (s[0][j] < d[0][i] || (s[0][j] === d[0][i] && s[1][j] < d[1][i])) { d[0][i] = s[0][j]; d[1][i] = s[1][j]; }
      d[2][i] += s[2][j];
    },
  },
  wmax: {
    nonNull: 2,
    init: [-Infinity, 0, 0],
    input: 'wide',
    update: (f, x) => ifValid(x.n,
      `if (${x.h} > ${f[0]} || (${x.h} === ${f[0]} && ${x.l} > ${f[1]})) { ${f[0]} = ${x.h}; ${f[1]} = ${x.l}; } ${f[2]}++;`),
    merge: (d, i, s, j) => {
      if (s[2][j] === 0) return;
      if (s[0][j] > d[0][i] || (s[0][j] === d[0][i] && s[1][j] > d[1][i])) { d[0][i] = s[0][j]; d[1][i] = s[1][j]; }
      d[2][i] += s[2][j];
    },
  },
  dmin: decimalExtreme('<'),
  dmax: decimalExtreme('>'),
  ivar: {
    nonNull: 6,
    init: [0, 0, 0, 0, 0, 0, 0],
    input: 'num',
    update: (f, x) => ifValid(x.n,
      `const x = ${x.v}, a = Math.floor(x / 65536), b = x - a * 65536; ` +
      `${f[1]} += a * a; ${f[2]} += 2 * a * b; ${f[3]} += b * b; ${f[5]} += x; ${f[6]}++;`),
    merge: (d, i, s, j) => {
      for (let k = 0; k < 7; k++) d[k][i] += s[k][j];
      normalizeSquares(d, i);
    },
  },
  fvar: {
    nonNull: -1,
    init: [0, 0, 0],
    input: 'num',
    update: (f, x) => ifValid(x.n,
      `const x = ${x.v}, n = ++${f[2]}, d = x - ${f[0]}; ${f[0]} += d / n; ${f[1]} += d * (x - ${f[0]});`),
    merge: (d, i, s, j) => {
      const nb = s[2][j];
      if (nb === 0) return;
      const na = d[2][i], n = na + nb, delta = s[0][j] - d[0][i];
      if (na === 0) { d[0][i] = s[0][j]; d[1][i] = s[1][j]; d[2][i] = nb; return; }
      d[0][i] += delta * (nb / n);
      d[1][i] += s[1][j] + delta * delta * ((na * nb) / n);
      d[2][i] = n;
    },
  },
};

/** Per-row bound of every ivar field: |2ab| < 2^33 for |x| ≤ 2^32. */
export const IVAR_ROW_BOUND = 2 ** 33;
/** Integer arguments up to this bound take the exact ivar state; wider ones fvar. */
export const IVAR_MAX_BOUND = 2 ** 32;

const TWO16 = 65536;

/**
 * Carries an ivar's qm and q0 into q1 and q1 into q2 (q0 and q1 end in [0, 2^32)), and Σx's lo
 * into hi. Field k of the group is arrays[k][at[k]] (states and kernels' interleaved rows alike).
 */
export function normalizeSquaresAt(arrays: readonly Float64Array[], at: readonly number[]): void {
  const [a2, a1, am, a0, ah, al] = arrays;
  const [i2, i1, im, i0, ih, il] = at;
  const mh = Math.floor(am[im] / TWO16);
  a0[i0] += (am[im] - mh * TWO16) * TWO16;
  a1[i1] += mh;
  am[im] = 0;
  let c = Math.floor(a0[i0] / TWO32);
  a0[i0] -= c * TWO32;
  a1[i1] += c;
  c = Math.floor(a1[i1] / TWO32);
  a1[i1] -= c * TWO32;
  a2[i2] += c;
  if (a2[i2] > 2 ** 52) throw new ArithmeticOverflowError('a sum of squares exceeds the exact range of its accumulator (> 2^116)');
  normalizeAt(ah, ih, al, il);
}

const dsumAt = [0, 0, 0, 0];

/**
 * Carries a dsum's x0 into x1, x1 into x2 and x2 into x3 (x0..x2 end in [0, 2^32)). Field k of
 * the group is arrays[k][at[k]].
 */
export function normalizeDecimalSumAt(arrays: readonly Float64Array[], at: readonly number[]): void {
  for (let k = 3; k > 0; k--) {
    const lo = arrays[k], hi = arrays[k - 1], x = lo[at[k]];
    if (x >= 0 && x < TWO32) continue;
    const c = Math.floor(x / TWO32);
    lo[at[k]] = x - c * TWO32;
    hi[at[k - 1]] += c;
  }
  if (Math.abs(arrays[0][at[0]]) > 2 ** 52) throw new ArithmeticOverflowError('a decimal sum exceeds the exact range of its accumulator (|sum| > 2^148)');
}

/** A dsum's exact value. */
export const decimalSumValue = (st: State, g: number): bigint =>
  (BigInt(st[0][g]) << 96n) + (BigInt(st[1][g]) << 64n) + (BigInt(st[2][g]) << 32n) + BigInt(st[3][g]);

const scratchAt = [0, 0, 0, 0, 0, 0];
function normalizeSquares(st: State, g: number): void {
  scratchAt.fill(g);
  normalizeSquaresAt(st, scratchAt);
}

/** Integer sums of 64-bit words add (hi, lo) directly; other integers add their value to lo. */
export function isumUpdate(f: readonly string[], x: { v: string; h: string; l: string; n: string }, wide: boolean): string {
  return wide
    ? ifValid(x.n, `${f[0]} += ${x.h}; ${f[1]} += ${x.l}; ${f[2]}++;`)
    : STATES.isum.update(f, x);
}

/** Per-row bound of an isum fed (hi, lo) words: lo < 2^32, |hi| < 2^32. */
export const ISUM_WIDE_BOUND = TWO32;
/** Values beyond this bound are split into (hi, lo) words per row rather than added to lo. */
export const ISUM_SPLIT_ABOVE = 2 ** 36;

/** How many rows an isum can take between renormalisations without lo or hi losing exactness. */
export const isumChunkRows = (bound: number): number =>
  Math.max(1, Math.floor(2 ** 52 / (bound > ISUM_SPLIT_ABOVE ? ISUM_WIDE_BOUND : Math.max(1, bound))));

/** Renormalises one isum (hi at a[h], lo at b[l]) so that lo is in [0, 2^32). */
function normalizeAt(a: Float64Array, h: number, b: Float64Array, l: number): void {
  const lo = b[l];
  if (lo < 0 || lo >= TWO32) {
    const c = Math.floor(lo / TWO32);
    a[h] += c;
    b[l] = lo - c * TWO32;
  }
  if (Math.abs(a[h]) > 2 ** 52) throw new ArithmeticOverflowError('integer sum exceeds the exact range of its accumulator (|sum| > 2^84)');
}

function normalizeOne(st: State, g: number): void {
  if (st[1][g] < 0 || st[1][g] >= TWO32 || Math.abs(st[0][g]) > 2 ** 52) {
    const pair = new Float64Array([st[0][g], st[1][g]]);
    normalizeAt(pair, 0, pair, 1);
    st[0][g] = pair[0];
    st[1][g] = pair[1];
  }
}

/** Renormalises an isum over interleaved rows: hi at hiAt of each hiWidth-row of `hi`, lo likewise. */
export function normalizeIntSum(
  hi: Float64Array, hiWidth: number, hiAt: number, lo: Float64Array, loWidth: number, loAt: number, groups: number,
): void {
  for (let g = 0; g < groups; g++) normalizeAt(hi, g * hiWidth + hiAt, lo, g * loWidth + loAt);
}

/**
 * Folds rows 0..n of src into the groups ids[base + r] of dst: the reduce side's merge, with the
 * per-kind loops written out so that the hot path makes no call per row.
 */
export function mergeRows(kind: StateKind, dst: State, ids: Int32Array, base: number, src: State, n: number): void {
  switch (kind) {
    case 'countRows':
    case 'count': {
      const d = dst[0], s = src[0];
      for (let r = 0; r < n; r++) d[ids[base + r]] += s[r];
      return;
    }
    case 'isum': {
      const [dh, dl, dn] = dst, [sh, sl, sn] = src;
      for (let r = 0; r < n; r++) {
        const g = ids[base + r];
        dh[g] += sh[r];
        dl[g] += sl[r];
        dn[g] += sn[r];
        if (dl[g] >= TWO32 * 2 ** 19) normalizeOne(dst, g);
      }
      for (let r = 0; r < n; r++) normalizeOne(dst, ids[base + r]);
      return;
    }
    case 'fsum': {
      const [ds, dc, dn] = dst, [ss, sc, sn] = src;
      for (let r = 0; r < n; r++) {
        const g = ids[base + r];
        const a = ds[g], b = ss[r], t = a + b;
        dc[g] += sc[r] + (Math.abs(a) >= Math.abs(b) ? (a - t) + b : (b - t) + a);
        ds[g] = t;
        dn[g] += sn[r];
      }
      return;
    }
    default: {
      const merge = STATES[kind].merge;
      for (let r = 0; r < n; r++) merge(dst, ids[base + r], src, r);
    }
  }
}

export function newState(kind: StateKind, capacity: number): State {
  return STATES[kind].init.map((v) => new Float64Array(capacity).fill(v));
}


const INT64: DType = { id: 'int64' };
const FLOAT64: DType = { id: 'float64' };

/** Binds an aggregate call to the schema: checks its argument type and picks its state. */
export function bindAggregate(a: Aggregate, schema: Schema): AggSpec {
  if (a.arg === null) return { name: a.name, display: a.defaultName, fn: a.fn, arg: null, state: 'countRows', input: null, result: INT64, bound: 0 };
  const arg = resolve(a.arg, schema);
  const t = arg.dtype;
  const what = a.defaultName;
  if (a.fn === 'count') return { name: a.name, display: a.defaultName, fn: 'count', arg, state: 'count', input: t, result: INT64, bound: 0 };
  if (a.fn === 'approxCountDistinct') {
    if (t === null) throw new TypeMismatchError(`${what} of a null literal has no type`);
    const state = `hll${hllPrecision(a.relativeError ?? 0.05)}` as HllKind;
    return { name: a.name, display: a.defaultName, fn: a.fn, arg, state, input: t, result: INT64, bound: 0 };
  }
  if (a.fn === 'countDistinct') {
    if (t === null) throw new TypeMismatchError(`${what} of a null literal has no type`);
    // Its argument is read as a group key (physical-plan.ts); the state holds nothing.
    return { name: a.name, display: a.defaultName, fn: a.fn, arg: null, state: 'distinct', input: t, result: INT64, bound: 0 };
  }
  if (t === null) throw new TypeMismatchError(`${what} of a null literal has no type`);
  if (isDecimal(t)) return bindDecimal(a, arg, t);
  if (a.fn === 'sum' || a.fn === 'avg') {
    if (!isNumeric(t)) throw new TypeMismatchError(`${what}: ${a.fn} needs a numeric argument, got ${typeName(t)}`);
    if (isInteger(t)) {
      return { name: a.name, display: a.defaultName, fn: a.fn, arg, state: 'isum', input: t, result: a.fn === 'sum' ? INT64 : FLOAT64, bound: isWide(t) ? ISUM_WIDE_BOUND : intBound(arg) };
    }
    return { name: a.name, display: a.defaultName, fn: a.fn, arg, state: 'fsum', input: t, result: FLOAT64, bound: 0 };
  }
  if (a.fn === 'stddev' || a.fn === 'stddevPop' || a.fn === 'variance' || a.fn === 'varPop') {
    if (!isNumeric(t)) throw new TypeMismatchError(`${what}: ${a.fn} needs a numeric argument, got ${typeName(t)}`);
    // Bounded integer arithmetic is typed Int64 but holds exact numbers within its bound.
    const bound = isInteger(t) && (arg.kind === 'arith' || !isWide(t)) ? intBound(arg) : Infinity;
    const state: StateKind = bound <= IVAR_MAX_BOUND ? 'ivar' : 'fvar';
    return { name: a.name, display: a.defaultName, fn: a.fn, arg, state, input: t, result: FLOAT64, bound: state === 'ivar' ? IVAR_ROW_BOUND : 0 };
  }
  // Strings take the countDistinct route: grouped by on the map side, least or greatest kept by the reduce.
  if ((a.fn === 'min' || a.fn === 'max') && t.id === 'utf8') return { name: a.name, display: a.defaultName, fn: a.fn, arg: null, state: 'distinct', input: t, result: t, bound: 0 };
  if (!isNumeric(t) && !isTemporal(t) && t.id !== 'bool') {
    throw new TypeMismatchError(`${what}: ${a.fn} needs a numeric, boolean, string or temporal argument, got ${typeName(t)}`);
  }
  const wide = isWide(t) && arg.kind !== 'arith';
  const state: StateKind = a.fn === 'min' ? (wide ? 'wmin' : 'min') : wide ? 'wmax' : 'max';
  return { name: a.name, display: a.defaultName, fn: a.fn, arg, state, input: t, result: t, bound: 0 };
}


/**
 * Aggregates of decimals, on their unscaled values: sum exact as decimal(min(38, p + 10), s)
 * (Spark's and DuckDB's widening), avg as Float64, min / max as the decimal (64-bit columns by
 * their words, values within 2^53 as doubles, wider ones by limbs), spread in Float64.
 */
function bindDecimal(a: Aggregate, arg: TExpr, t: DType): AggSpec {
  const base = { name: a.name, display: a.defaultName, fn: a.fn, input: t };
  switch (a.fn) {
    case 'sum':
    case 'avg':
      return { ...base, arg, state: 'dsum', result: a.fn === 'sum' ? decimalType(Math.min(MAX_DECIMAL_PRECISION, t.precision! + 10), t.scale!) : FLOAT64, bound: ISUM_WIDE_BOUND };
    case 'min':
    case 'max': {
      const kind = isExactValued(arg) ? 'd' : arg.kind !== 'arith' ? 'w' : '';
      return { ...base, arg, state: `${kind}${a.fn}` as StateKind, result: t, bound: 0 };
    }
    default:
      return { ...base, arg: decimalAsFloat(arg), state: 'fvar', input: FLOAT64, result: FLOAT64, bound: 0 };
  }
}
