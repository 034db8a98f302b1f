/** Turns merged accumulator states into the aggregate's result column (plain arrays, Arrow-ready). */
import { ArithmeticOverflowError } from '../errors.ts';
import { formatDecimal, toDecimal128Words } from '../arrow/decimal.ts';
import type { KeyColumn } from '../shuffle/key-column.ts';
import { isWide, valuesArrayFor } from '../types.ts';
import { decimalSumValue, hllP, isHll, limbsValue, type AggSpec, type State } from './registry.ts';
import { hllEstimate } from './hyperloglog.ts';

const TWO32 = 4294967296n;

const words = (a: BigInt64Array | BigUint64Array): Int32Array => new Int32Array(a.buffer, a.byteOffset, a.length * 2);

/** p / q for a non-negative BigInt p and positive q, as a double within 1 ulp of it. */
function ratio(p: bigint, q: bigint): number {
  // Shifted so that the integer quotient keeps at least 64 significant bits, then rounded once to a double.
  const k = Math.max(0, 64 - (p.toString(2).length - q.toString(2).length));
  return Number((p << BigInt(k)) / q) / 2 ** k;
}

/** ±p / q for a BigInt p and positive q, as a double within 1 ulp of it. */
const signedRatio = (p: bigint, q: bigint): number => (p < 0n ? -ratio(-p, q) : ratio(p, q));

/**
 * A decimal sum, exact as decimal(min(38, p + 10), s) (Decimal128 words, 4 a row), and an error
 * where it needs more digits; or its average, the exact sum over n·10^s rounded once.
 */
function decimalSum(a: AggSpec, st: State, n: number, valid: Uint8Array | null): KeyColumn {
  const total = (g: number): bigint => decimalSumValue(st, g);
  if (a.fn === 'avg') {
    const out = new Float64Array(n), unit = 10n ** BigInt(a.input!.scale!);
    for (let g = 0; g < n; g++) if (valid === null || valid[g] === 1) out[g] = signedRatio(total(g), BigInt(st[4][g]) * unit);
    return { dtype: a.result, values: out, valid };
  }
  const limit = 10n ** BigInt(a.result.precision!);
  const sums: bigint[] = new Array(n).fill(0n);
  for (let g = 0; g < n; g++) {
    if (valid !== null && valid[g] === 0) continue;
    const x = total(g);
    if (x >= limit || -x >= limit) {
      throw new ArithmeticOverflowError(`${a.name} = ${formatDecimal(x, a.result.scale!)} does not fit its result type decimal(${a.result.precision}, ${a.result.scale})`);
    }
    sums[g] = x;
  }
  return { dtype: a.result, values: toDecimal128Words(sums), valid };
}

export function finalizeAggregate(a: AggSpec, st: State, n: number): KeyColumn {
  const nonNull = st[st.length - 1];
  let valid: Uint8Array | null = null;
  if (isHll(a.state)) {
    const out = new BigInt64Array(n);
    const p = hllP(a.state);
    for (let g = 0; g < n; g++) out[g] = BigInt(hllEstimate(st, g, p));
    return { dtype: a.result, values: out, valid: null };
  }
  if (a.state !== 'countRows' && a.state !== 'count') {
    for (let g = 0; g < n; g++) {
      if (nonNull[g] === 0) (valid ??= new Uint8Array(n).fill(1))[g] = 0;
    }
  }
  const ok = (g: number) => valid === null || valid[g] === 1;
  switch (a.state) {
    case 'countRows':
    case 'count': {
      const out = new BigInt64Array(n);
      const w = words(out);
      for (let g = 0; g < n; g++) {
        const c = st[0][g];
        w[2 * g] = c % 4294967296 | 0;
        w[2 * g + 1] = Math.floor(c / 4294967296);
      }
      return { dtype: a.result, values: out, valid: null };
    }
    case 'dsum': return decimalSum(a, st, n, valid);
    case 'dmin':
    case 'dmax': {
      const out: bigint[] = new Array(n).fill(0n);
      for (let g = 0; g < n; g++) if (ok(g)) out[g] = limbsValue(st, g);
      return { dtype: a.result, values: toDecimal128Words(out), valid };
    }
    case 'isum': {
      if (a.fn === 'avg') {
        const out = new Float64Array(n);
        for (let g = 0; g < n; g++) if (ok(g)) out[g] = (st[0][g] * 4294967296 + st[1][g]) / st[2][g];
        return { dtype: a.result, values: out, valid };
      }
      // hi·2^32 + lo with lo in [0, 2^32) is an Int64 exactly when hi fits 32 signed bits:
      // then (lo, hi) are its two's-complement words.
      const out = new BigInt64Array(n);
      const w = words(out);
      for (let g = 0; g < n; g++) {
        if (!ok(g)) continue;
        const hi = st[0][g], lo = st[1][g];
        if (hi < -2147483648 || hi > 2147483647) {
          throw new ArithmeticOverflowError(`${a.name} = ${BigInt(hi) * TWO32 + BigInt(lo)} overflows Int64`);
        }
        w[2 * g] = lo | 0;
        w[2 * g + 1] = hi;
      }
      return { dtype: a.result, values: out, valid };
    }
    case 'fsum': {
      const out = new Float64Array(n);
      for (let g = 0; g < n; g++) {
        if (!ok(g)) continue;
        const s = st[0][g];
        const total = Number.isFinite(s) ? s + st[1][g] : s;
        out[g] = a.fn === 'avg' ? total / st[2][g] : total;
      }
      return { dtype: a.result, values: out, valid };
    }
    case 'min':
    case 'max': {
      const out = new (valuesArrayFor(a.result))(n) as Float64Array;
      // Integer expressions typed Int64 hold exact numbers (their bound fits 53 bits).
      const wide = isWide(a.result);
      // `+ 0` turns -0 into 0: which of two equal zeros a group met first must not show (DuckDB gives 0).
      for (let g = 0; g < n; g++) if (ok(g)) (out as unknown as unknown[])[g] = wide ? BigInt(st[0][g]) : st[0][g] + 0;
      return { dtype: a.result, values: out, valid };
    }
    case 'ivar': {
      const out = new Float64Array(n);
      const sample = a.fn === 'stddev' || a.fn === 'variance', root = a.fn === 'stddev' || a.fn === 'stddevPop';
      const [q2, q1, qm, q0, hi, lo, cnt] = st;
      for (let g = 0; g < n; g++) {
        const c = BigInt(cnt[g]);
        if (!ok(g) || (sample && c < 2n)) { (valid ??= new Uint8Array(n).fill(1))[g] = 0; continue; }
        // n·Σx² − (Σx)², exact; the variance is it over n² or n(n − 1), rounded once each way.
        const squares = ((BigInt(q2[g]) << 64n) + (BigInt(q1[g]) << 32n)) + (BigInt(qm[g]) << 16n) + BigInt(q0[g]);
        const total = (BigInt(hi[g]) << 32n) + BigInt(lo[g]);
        const v = ratio(c * squares - total * total, sample ? c * (c - 1n) : c * c);
        out[g] = root ? Math.sqrt(v) : v;
      }
      return { dtype: a.result, values: out, valid };
    }
    case 'fvar': {
      const out = new Float64Array(n);
      const sample = a.fn === 'stddev' || a.fn === 'variance', root = a.fn === 'stddev' || a.fn === 'stddevPop';
      const [, m2, cnt] = st;
      for (let g = 0; g < n; g++) {
        if (!ok(g) || (sample && cnt[g] < 2)) { (valid ??= new Uint8Array(n).fill(1))[g] = 0; continue; }
        // Rounding can leave a tiny negative m2 for equal values: a variance is never below 0.
        const v = Math.max(0, m2[g]) / (sample ? cnt[g] - 1 : cnt[g]);
        out[g] = root ? Math.sqrt(v) : v;
      }
      return { dtype: a.result, values: out, valid };
    }
    case 'distinct': throw new Error('countDistinct and min / max of strings are computed by the reduce task, not finalized from a state');
    case 'wmin':
    case 'wmax': {
      const out = new (valuesArrayFor(a.result))(n) as BigInt64Array;
      const w = words(out);
      for (let g = 0; g < n; g++) {
        if (!ok(g)) continue;
        w[2 * g] = st[1][g] | 0;
        w[2 * g + 1] = st[0][g] | 0;
      }
      return { dtype: a.result, values: out, valid };
    }
  }
}
