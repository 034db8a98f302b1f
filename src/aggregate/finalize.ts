/** Turns merged accumulator states into the aggregate's result column (plain arrays, Arrow-ready). */
import { ArithmeticOverflowError } from '../errors.ts';
import type { KeyColumn } from '../shuffle/key-column.ts';
import { isWide, valuesArrayFor } from '../types.ts';
import type { AggSpec, State } from './registry.ts';

const TWO32 = 4294967296n;
const I64_MIN = -(2n ** 63n), I64_MAX = 2n ** 63n - 1n;

export function finalizeAggregate(a: AggSpec, st: State, n: number): KeyColumn {
  const nonNull = st[st.length - 1];
  let valid: Uint8Array | null = null;
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
      for (let g = 0; g < n; g++) out[g] = BigInt(st[0][g]);
      return { dtype: a.result, values: out, valid: null };
    }
    case 'isum': {
      if (a.fn === 'avg') {
        const out = new Float64Array(n);
        for (let g = 0; g < n; g++) if (ok(g)) out[g] = (st[0][g] * 4294967296 + st[1][g]) / st[2][g];
        return { dtype: a.result, values: out, valid };
      }
      const out = new BigInt64Array(n);
      for (let g = 0; g < n; g++) {
        if (!ok(g)) continue;
        const total = BigInt(st[0][g]) * TWO32 + BigInt(st[1][g]);
        if (total < I64_MIN || total > I64_MAX) {
          throw new ArithmeticOverflowError(`${a.name} = ${total} overflows Int64`);
        }
        out[g] = total;
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
      for (let g = 0; g < n; g++) if (ok(g)) (out as unknown as unknown[])[g] = wide ? BigInt(st[0][g]) : st[0][g];
      return { dtype: a.result, values: out, valid };
    }
    case 'wmin':
    case 'wmax': {
      const out = new (valuesArrayFor(a.result))(n) as BigInt64Array;
      for (let g = 0; g < n; g++) if (ok(g)) out[g] = BigInt(st[0][g]) * TWO32 + BigInt(st[1][g]);
      return { dtype: a.result, values: out, valid };
    }
  }
}
