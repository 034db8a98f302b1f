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
 *   ivar       [q2, q1, qm, q0, hi, lo, n]   integers of at most 32 bits (variance, stddev): Σx
 *                            exact as isum's (hi, lo), Σx² exact as q2·2^64 + q1·2^32 + qm·2^16 + q0
 *                            (x = a·2^16 + b adds a² to q1, 2ab to qm, b² to q0), renormalised as
 *                            isum is; the variance is computed from the exact sums
 *   fvar       [mean, m2, n] other numbers: Welford's update per row, Chan's merge
 *   distinct   [unused]      countDistinct: its argument is a group key of the map side (the
 *                            query's keys, then the distinct arguments); the reduce counts
 */
import { ArithmeticOverflowError, TypeMismatchError } from '../errors.ts';
import { intBound, resolve, type Schema, type TExpr } from '../expr/resolve.ts';
import { isInteger, isNumeric, isTemporal, isWide, typeName, type DType } from '../types.ts';
import type { Aggregate, AggFn } from './aggregate.ts';

export type StateKind = 'countRows' | 'count' | 'isum' | 'fsum' | 'min' | 'max' | 'wmin' | 'wmax' | 'ivar' | 'fvar' | 'distinct';

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
  /** How the kernel evaluates the argument. */
  readonly input: 'none' | 'num' | 'wide';
  /** JS statements updating the current group's fields (lvalues `f`) from value `x` (`x.h`, `x.l` for wide input). */
  update(f: readonly string[], x: { v: string; h: string; l: string; n: string }): string;
  /** Index of the non-null count field, which kernels count nulls in; -1 when the state has none or counts its values itself. */
  readonly nonNull: number;
  /** Folds group s of src into group d of dst. */
  merge(dst: State, d: number, src: State, s: number): void;
}

const TWO32 = 4294967296;

const ifValid = (n: string, body: string): string => (n === 'false' ? `{ ${body} }` : `if (!${n}) { ${body} }`);

export const STATES: Record<StateKind, StateDef> = {
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
  if (a.fn === 'countDistinct') {
    if (t === null) throw new TypeMismatchError(`${what} of a null literal has no type`);
    // Its argument is read as a group key (physical-plan.ts); the state holds nothing.
    return { name: a.name, display: a.defaultName, fn: a.fn, arg: null, state: 'distinct', input: t, result: INT64, bound: 0 };
  }
  if (t === null) throw new TypeMismatchError(`${what} of a null literal has no type`);
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
  if (!isNumeric(t) && !isTemporal(t) && t.id !== 'bool') {
    throw new TypeMismatchError(`${what}: ${a.fn} needs a numeric, boolean or temporal argument, got ${typeName(t)}`);
  }
  const wide = isWide(t) && arg.kind !== 'arith';
  const state: StateKind = a.fn === 'min' ? (wide ? 'wmin' : 'min') : wide ? 'wmax' : 'max';
  return { name: a.name, display: a.defaultName, fn: a.fn, arg, state, input: t, result: t, bound: 0 };
}

