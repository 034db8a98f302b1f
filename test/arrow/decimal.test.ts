/**
 * Decimal128 columns: the text and literal helpers, reading Parquet and Arrow IPC files written by
 * real writers (DuckDB's COPY, parquet-wasm), the CLI's output, 128-bit values and exact arithmetic
 * and sums beyond 64 bits, and the failure modes: a Decimal256 value beyond 128 bits, arithmetic
 * and sums beyond 38 digits, and comparisons that have no meaning.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { approxCountDistinct, ArithmeticOverflowError, avg, col, count, countDistinct, max, min, type Session, sum, TypeMismatchError } from '../../src/index.ts';
import { gpuDetails } from '../../src/executor/gpu/gpu-task-details.ts';
import { decimalCells, formatDecimal, fromWords, scaledLiteral, toDecimal128Words, unscaled128, unscaledInt64 } from '../../src/arrow/decimal.ts';
import { formatResult } from '../../src/cli/write-result.ts';
import { DuckDb } from '../support/duckdb.ts';
import { writeParquet } from '../support/parquet-files.ts';
import { withSession } from '../support/tables.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'gpuframe-decimal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Unscaled integers as Decimal256 data words (8 per value, two's complement). */
function toDecimal256Words(values: bigint[]): Uint32Array {
  const out = new Uint32Array(values.length * 8);
  values.forEach((v, i) => { let x = BigInt.asUintN(256, v); for (let k = 0; k < 8; k++, x >>= 32n) out[8 * i + k] = Number(x & 0xffffffffn); });
  return out;
}

function decimals(values: (bigint | null)[], precision: number, scale: number): arrow.Vector {
  const bitmap = new Uint8Array(((values.length + 63) >> 6) << 3);
  values.forEach((v, i) => { if (v !== null) bitmap[i >> 3] |= 1 << (i & 7); });
  return arrow.makeVector(arrow.makeData({
    type: new arrow.Decimal(scale, precision, 128), length: values.length, nullCount: values.filter((v) => v === null).length,
    nullBitmap: bitmap, data: toDecimal128Words(values.map((v) => v ?? 0n)),
  }));
}

describe('decimal text and literals', () => {
  it('formats unscaled integers at their scale, negative and below one included', () => {
    expect(formatDecimal(12345n, 2)).toBe('123.45');
    expect(formatDecimal(-5n, 2)).toBe('-0.05');
    expect(formatDecimal(0n, 3)).toBe('0.000');
    expect(formatDecimal(-170141183460469231731687303715884105727n, 38)).toBe('-1.70141183460469231731687303715884105727');
    expect(formatDecimal(7n, 0)).toBe('7');
  });

  it('scales literals exactly: the floor at the scale, and whether it is exact', () => {
    expect(scaledLiteral(1.05, 2)).toEqual({ floor: 105n, exact: true });
    expect(scaledLiteral(0.1, 3)).toEqual({ floor: 100n, exact: true });
    expect(scaledLiteral(1.055, 2)).toEqual({ floor: 105n, exact: false });
    expect(scaledLiteral(-1.055, 2)).toEqual({ floor: -106n, exact: false });
    expect(scaledLiteral(1e-7, 7)).toEqual({ floor: 1n, exact: true });
    expect(scaledLiteral(2.5e3, 0)).toEqual({ floor: 2500n, exact: true });
    expect(scaledLiteral(123456789012345678901234567890n, 2)).toEqual({ floor: 12345678901234567890123456789000n, exact: true });
    expect(scaledLiteral(NaN, 2)).toBeNull();
  });

  it('reads Decimal128 and Decimal256 values as Int64 or as 128-bit words, sliced too, and names a column whose value is beyond', () => {
    const v = decimals([1n, -2n, null, (1n << 63n) - 1n, -(1n << 63n)], 18, 4);
    expect([...unscaledInt64(v.data[0]!)]).toEqual([1n, -2n, 0n, (1n << 63n) - 1n, -(1n << 63n)]);
    expect([...unscaledInt64(v.slice(1, 3).data[0]!)]).toEqual([-2n, 0n]);
    const wide = arrow.makeData({ type: new arrow.Decimal(2, 76, 256), length: 2, data: Uint32Array.from([5, 0, 0, 0, 0, 0, 0, 0, 0xfffffffb, ~0, ~0, ~0, ~0, ~0, ~0, ~0].map((x) => x >>> 0)) });
    expect([...unscaledInt64(wide)]).toEqual([5n, -5n]);
    const beyond = decimals([1n, 10n ** 20n], 38, 2).data[0]!;
    expect(() => unscaledInt64(beyond, 'price')).toThrow(ArithmeticOverflowError);
    expect(() => unscaledInt64(beyond, 'price')).toThrow(/column 'price' \(decimal\(38, 2\)\) holds 1000000000000000000\.00 at row 1/);
    // A Decimal256 of up to 38 digits narrows to 128 bits; a value beyond is an error naming the column.
    const big = (1n << 126n) + 7n;
    const d256 = (xs: bigint[]) => arrow.makeData({ type: new arrow.Decimal(0, 76, 256), length: xs.length, data: toDecimal256Words(xs) });
    const w = unscaled128(d256([big, -big, 3n]));
    expect([0, 1, 2].map((i) => fromWords(w.subarray(4 * i, 4 * i + 4)))).toEqual([big, -big, 3n]);
    expect(() => unscaled128(d256([1n, 1n << 130n]), 'huge')).toThrow(/column 'huge' \(decimal\(76, 0\)\) holds 1361129467683753853853498429727072845824 at row 1: it is beyond the 128 bits of a Decimal128/);
  });

  it('writes results with their scale in every output format', () => {
    const t = new arrow.Table({ d: decimals([1250n, null, -1n], 10, 2) });
    expect(decimalCells(t.getChild('d')!)).toEqual(['12.50', null, '-0.01']);
    expect(formatResult(t, 'csv')).toBe('d\n12.50\n\n-0.01\n');
    expect(formatResult(t, 'json')).toBe('[\n  {"d": 12.50},\n  {"d": null},\n  {"d": -0.01}\n]\n');
    expect(formatResult(t, 'table')).toContain('|12.50|');
  });
});

describe('128-bit decimals and exact arithmetic', () => {
  const cells = (t: arrow.Table) => t.schema.fields.map((f) => decimalCells(t.getChild(f.name)!) ?? [...t.getChild(f.name)!].map(String));

  it('computes on values beyond 64 bits exactly: keys, comparisons, sum, avg, min, max, countDistinct; the GPU executor falls back and says why', async () => {
    const big = 10n ** 37n, mid = (1n << 64n) + 3n;
    const t = new arrow.Table({
      k: arrow.vectorFromArray([1, 1, 2, 2, 1, 2, 1, 2], new arrow.Int32()),
      w: decimals([big, -(10n ** 30n), 5n, mid, -(1n << 70n), null, 5n, mid], 38, 2),
    });
    for (const executor of ['cpu', 'gpu'] as const) {
      await withSession(async (s) => {
        const df = s.fromArrow(t);
        expect(cells(await df.groupBy('k').agg(sum('w'), min('w'), max('w'), count('w'), countDistinct('w')).orderBy('k').collect())).toEqual([
          ['1', '2'],
          [formatDecimal(big - 10n ** 30n - (1n << 70n) + 5n, 2), formatDecimal(5n + 2n * mid, 2)],
          [formatDecimal(-(10n ** 30n), 2), '0.05'], [formatDecimal(big, 2), formatDecimal(mid, 2)], ['4', '3'], ['4', '2'],
        ]);
        if (executor === 'gpu') expect(s.lastJob!.stages[0].placement!.reason).toMatch(/a group key of more than 18 digits \(w, decimal\(38, 2\)\) has no GPU kernel yet/);
        // Without a wide key the stage is the GPU's, and each task whose values do not fit 64 bits runs on the CPU, saying why.
        expect(cells(await df.groupBy('k').agg(sum('w'), max('w')).orderBy('k').collect())[1]).toEqual([formatDecimal(big - 10n ** 30n - (1n << 70n) + 5n, 2), formatDecimal(5n + 2n * mid, 2)]);
        if (executor === 'gpu') {
          const tasks = s.lastJob!.stages[0].tasks;
          expect(tasks.length).toBeGreaterThan(0);
          for (const task of tasks) expect(task.fallbackReason).toMatch(/decimal column 'w' holds values beyond 64 bits/);
        }
        expect(cells(await df.groupBy('w').agg(count()).orderBy('w').collect())).toEqual([
          [null, formatDecimal(-(10n ** 30n), 2), formatDecimal(-(1n << 70n), 2), '0.05', formatDecimal(mid, 2), formatDecimal(big, 2)],
          ['1', '1', '1', '2', '2', '1'],
        ]);
        // mid is 184467440737095516.19: a literal one digit finer than the column lies between two of its values.
        const n = async (f: ReturnType<typeof col>) => Number((await df.filter(f).agg(count()).collect()).getChild('count(1)')!.get(0));
        expect([await n(col('w').eq('184467440737095516.19')), await n(col('w').gt('184467440737095516.185')), await n(col('w').lt('184467440737095516.195')),
          await n(col('w').isIn(['184467440737095516.19', 1e35])), await n(col('w').ge(1e35)), await n(col('w').gt(col('w').sub('0.01')))]).toEqual([2, 3, 6, 3, 1, 7]);
        const a = await df.agg(avg('w')).collect();
        expect(a.getChild('avg(w)')!.get(0)).toBe(Number(big - 10n ** 30n - (1n << 70n) + 10n + 2n * mid) / 700);
      }, { executor });
    }
  });

  it('on the GPU, a decimal of more than 18 digits whose values fit 64 bits is read as 64-bit words: sums, min / max, filters, sketches; as the CPU computes them', async () => {
    const xs = Array.from({ length: 5000 }, (_, i) => (i % 7 === 0 ? null : BigInt(i * 7919 % 4001 - 2000) * 10n ** 14n + BigInt(i)));
    const t = new arrow.Table({ k: arrow.vectorFromArray(xs.map((_, i) => i % 5), new arrow.Int32()), w: decimals(xs, 38, 4) });
    const q = (df: ReturnType<Session['fromArrow']>) => df.filter(col('w').gt('-1000000000000.0000').and(col('w').ne(0))).groupBy('k')
      .agg(sum('w'), avg('w'), min('w'), max('w'), count('w'), approxCountDistinct('w')).orderBy('k').collect();
    const answers: (string | null)[][][] = [];
    for (const executor of ['cpu', 'gpu'] as const) {
      await withSession(async (s) => {
        answers.push(cells(await q(s.fromArrow(t, { partitions: 3 }))));
        if (executor === 'gpu') {
          expect(s.lastJob!.stages[0].placement!.on).not.toBe('cpu');
          for (const task of s.lastJob!.stages[0].tasks) expect([task.fallbackReason, gpuDetails(task) !== undefined]).toEqual([undefined, true]);
        }
      }, { executor });
    }
    expect(answers[1]).toEqual(answers[0]);
    // Against BigInts: per k, the rows the filter keeps (w > -10^12 at scale 4, w != 0).
    const kept = [0, 1, 2, 3, 4].map((k) => xs.filter((x, i): x is bigint => i % 5 === k && x !== null && x > -(10n ** 16n) && x !== 0n));
    const [, sums, , mins, maxs, counts] = answers[0]!;
    expect([sums, mins, maxs, counts]).toEqual([
      kept.map((g) => formatDecimal(g.reduce((a, x) => a + x, 0n), 4)),
      kept.map((g) => formatDecimal(g.reduce((m, x) => (x < m ? x : m)), 4)),
      kept.map((g) => formatDecimal(g.reduce((m, x) => (x > m ? x : m)), 4)),
      kept.map((g) => String(g.length)),
    ]);
  });

  it('arithmetic beyond 2^53 (unscaled) is exact, and one beyond 38 digits fails with ArithmeticOverflowError naming the expression, on both executors', async () => {
    const x = [2n ** 53n + 3n, -(2n ** 60n) - 5n];
    const t = new arrow.Table({ a: decimals([10n ** 9n, 3n], 12, 2), b: decimals([10n ** 8n, 4n], 12, 2), w: decimals([10n ** 20n, 1n], 38, 0), x: decimals(x, 18, 0), x38: decimals(x, 38, 0) });
    for (const executor of ['cpu', 'gpu'] as const) {
      await withSession(async (s) => {
        // 12 digits × 12 digits has no static bound within 53 bits; this data's products are 10^17 + 12.
        const r = await s.fromArrow(t).agg(sum(col('a').mul(col('b'))), max(col('a').mul(col('b')).mul(col('a')))).collect();
        expect(cells(r)).toEqual([[formatDecimal(10n ** 17n + 12n, 4)], [formatDecimal(10n ** 26n, 6)]]);
        // Column values between 2^53 and 2^63 (a double would round them) in arithmetic and against each other.
        const y = await s.fromArrow(t).agg(sum(col('x').add(1)), max(col('x38').mul(3)), count().as('n')).collect();
        expect(cells(y)).toEqual([[String(x[0]! + x[1]! + 2n)], [String(3n * x[0]!)], ['2']]);
        const eq = await s.fromArrow(t).filter(col('x38').add(0).eq(col('x').add(0))).agg(count()).collect();
        expect(eq.getChild('count(1)')!.get(0)).toBe(2n);
        const err = await s.fromArrow(t).agg(sum(col('w').mul(col('w')))).collect().then(() => null, (e: unknown) => e);
        expect(err).toBeInstanceOf(ArithmeticOverflowError);
        expect(String(err)).toMatch(/\(w \* w\) = 10{40} needs more than 38 digits/);
      }, { executor });
    }
  });

  it('a 128-bit column times a small integer, and a sum across scales (the other side times 10^8), are exact on words over the whole range; beyond 38 digits they fail', async () => {
    // Random magnitudes up to 2^99 (w) and 2^85 (n), both signs, with nulls; and rows at the edge of 38 digits.
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
    const magnitude = (bits: number) => { let x = 0n; for (let b = 0; b < bits; b += 30) x = (x << 30n) | BigInt(next()); return x % (2n ** BigInt(bits)); };
    const signed = (x: bigint) => (next() % 2 ? -x : x);
    const rows = 3000;
    const w = Array.from({ length: rows }, (_, i) => (i % 50 === 7 ? null : signed(magnitude(1 + (next() % 99)))));
    const n = Array.from({ length: rows }, (_, i) => (i % 61 === 5 ? null : signed(magnitude(1 + (next() % 85)))));
    const edge = 10n ** 37n - 1n, nine = 9n * 10n ** 29n;
    const ew = [edge, -edge, edge, 2n ** 100n, -1n, 0n], en = [nine, -nine, -nine, -(2n ** 90n), 10n ** 29n, -1n];
    const both = (ws: bigint[], ns: bigint[]) => new arrow.Table({ w: decimals(ws, 38, 10), n: decimals(ns, 38, 2) });
    const rescaledSum = (ws: (bigint | null)[], ns: (bigint | null)[], sign: bigint) => ws.map((x, i) => (x === null || ns[i] === null ? null : x + sign * ns[i]! * 10n ** 8n));
    const sumOf = (xs: (bigint | null)[]) => formatDecimal(xs.reduce<bigint>((a, x) => a + (x ?? 0n), 0n), 10);
    const text = (xs: (bigint | null)[]) => xs.map((x) => (x === null ? null : formatDecimal(x, 10)));
    const times7 = (xs: (bigint | null)[]) => xs.map((x) => (x === null ? null : 7n * x));
    for (const executor of ['cpu', 'gpu'] as const) {
      await withSession(async (s) => {
        const df = s.fromArrow(new arrow.Table({ w: decimals(w, 38, 10), n: decimals(n, 38, 2) }), { partitions: 3 });
        const r = await df.agg(sum(col('w').add(col('n'))), sum(col('n').add(col('w'))), sum(col('w').sub(col('n'))), sum(col('w').mul(7))).collect();
        expect(cells(r)).toEqual([[sumOf(rescaledSum(w, n, 1n))], [sumOf(rescaledSum(w, n, 1n))], [sumOf(rescaledSum(w, n, -1n))], [sumOf(times7(w))]]);
        for (const [ws, ns] of [[w, n], [ew, en]] as const) {
          const each = await s.fromArrow(new arrow.Table({ w: decimals(ws, 38, 10), n: decimals(ns, 38, 2) })).select(col('w').add(col('n')).as('p'), col('w').mul(7).as('m')).collect();
          expect(cells(each)).toEqual([text(rescaledSum(ws, ns, 1n)), text(times7(ws))]);
        }
        // Past 38 digits within 128 bits (7 · 2·10^37), past 128 bits (10^37 · 10^9), and a rescaled side past them (-10^30 · 10^8).
        for (const [t, e] of [[both([1n, 2n * 10n ** 37n], [0n, 0n]), col('w').mul(7)], [both([10n ** 37n], [0n]), col('w').mul(1_000_000_000)], [both([0n], [-(10n ** 30n)]), col('w').add(col('n'))]] as const) {
          const err = await s.fromArrow(t).agg(sum(e)).collect().then(() => null, (x: unknown) => x);
          expect(err).toBeInstanceOf(ArithmeticOverflowError);
          expect(String(err)).toMatch(/\(\w \* \d+\) = -?\d+\.\d+ needs more than 38 digits/);
        }
      }, { executor });
    }
  });

  it('a sum is exact past 2^84 up to its result type, and one beyond it fails with ArithmeticOverflowError', async () => {
    const n = (1 << 22) + 8;
    const data = new Uint32Array(n * 4);
    for (let i = 0; i < n; i++) data[4 * i + 1] = 0x40000000; // 2^62
    const t = new arrow.Table({ w: arrow.makeVector(arrow.makeData({ type: new arrow.Decimal(0, 18, 128), length: n, data })) });
    for (const executor of ['cpu', 'gpu'] as const) {
      await withSession(async (s) => {
        const r = await s.fromArrow(t, { partitions: 2 }).agg(sum('w')).collect();
        expect(decimalCells(r.getChild('sum(w)')!)).toEqual([String((2n ** 62n) * BigInt(n))]);
        expect(String(r.schema.fields[0]!.type)).toBe('Decimal[28e0]');
        // decimal(38, 0) sums are decimal(38, 0): 20 × 9·10^37 needs 39 digits.
        const over = new arrow.Table({ x: decimals(new Array(20).fill(9n * 10n ** 37n), 38, 0) });
        await expect(s.fromArrow(over).agg(sum('x')).collect()).rejects.toThrow(/sum\(x\) = 18{1}0{38} does not fit its result type decimal\(38, 0\)/);
      }, { executor });
    }
  });

  it('refuses comparisons with strings and booleans, and literals that are not numbers', async () => {
    const t = new arrow.Table({ d: decimals([1n], 5, 2), s: arrow.vectorFromArray(['x']) });
    await withSession(async (s) => {
      const df = s.fromArrow(t);
      expect(() => df.filter(col('d').eq(col('s'))).explain()).toThrow(TypeMismatchError);
      expect(() => df.filter(col('d').gt('abc')).explain()).toThrow(TypeMismatchError);
      expect(() => df.filter(col('d').eq(true)).explain()).toThrow(TypeMismatchError);
      expect(() => df.agg(sum(col('d').add(col('s')))).explain()).toThrow(TypeMismatchError);
    });
  });
});

describe('decimal comparisons at the edges', () => {
  it('a literal beyond the Int64 unscaled range orders past every value (Float64 against a 64-bit column, exact against a 128-bit one), on both executors', async () => {
    for (const [executor, p] of [['cpu', 18], ['gpu', 18], ['cpu', 38], ['gpu', 38]] as const) {
      const t = new arrow.Table({ w: decimals([(1n << 62n), -(1n << 62n), null, 5n], p, 2) });
      await withSession(async (s) => {
        const df = s.fromArrow(t);
        const n = async (f: ReturnType<typeof col>) => Number((await df.filter(f).agg(count()).collect()).getChild('count(1)')!.get(0));
        expect([await n(col('w').lt(1e30)), await n(col('w').gt(1e30)), await n(col('w').eq(1e30)), await n(col('w').gt(-1e30)), await n(col('w').ne(-1e30))]).toEqual([3, 0, 0, 3, 3]);
        // Near the values (2^62 unscaled is 46116860184273879.04), exact.
        expect([await n(col('w').ge(4.6e16)), await n(col('w').gt(4.62e16)), await n(col('w').le(-4.6e16))]).toEqual([1, 0, 1]);
      }, { executor });
    }
  });
});

describe('decimal isIn', () => {
  it('matches exactly when one literal is beyond the range: values one unscaled unit apart (one double apart from none) stay apart', async () => {
    const t = new arrow.Table({ b: decimals([-403564558359120700n, -403564558359120701n, -403564558359120699n, null], 18, 13) });
    for (const executor of ['cpu', 'gpu'] as const) {
      await withSession(async (s) => {
        const n = async (f: ReturnType<typeof col>) => Number((await s.fromArrow(t).filter(f).agg(count()).collect()).getChild('count(1)')!.get(0));
        expect(await n(col('b').isIn([-40356.45583591207, 31834585.694]))).toBe(1);
        expect(await n(col('b').isIn([-40356.45583591207]))).toBe(1);
        expect(await n(col('b').isIn([31834585.694, null]))).toBe(0);
      }, { executor });
    }
  });
});

describe('decimal files', () => {
  it('reads DECIMAL columns from Parquet written by DuckDB and by parquet-wasm, and answers as DuckDB does', async () => {
    const db = await DuckDb.create();
    try {
      const file = path.join(dir, 'duck.parquet');
      await db.query(`COPY (SELECT (i % 7)::DECIMAL(4, 1) AS k, (i * 1.25 - 300)::DECIMAL(9, 2) AS p, (i * 123456789012)::DECIMAL(38, 3) AS w,
        (i % 3)::DECIMAL(18, 0) AS z FROM range(1000) t(i)) TO '${file}' (FORMAT PARQUET, ROW_GROUP_SIZE 300)`);
      const want = await db.query(`SELECT k, sum(p), min(p), max(w), count(*), sum(z) FROM '${file}' WHERE p > 1.3 GROUP BY k ORDER BY k`);
      const table = new arrow.Table({ k: decimals([1n, 1n, 25n, null], 4, 1), p: decimals([105n, -3n, 99999n, 1n], 9, 2) });
      const pw = path.join(dir, 'pw.parquet');
      writeParquet(table, pw, { rowGroupRows: 2 });
      await withSession(async (s) => {
        const df = (await s.readParquet(file)).filter(col('p').gt(1.3)).groupBy('k').agg(sum('p'), min('p'), max('w'), count(), sum('z')).orderBy('k');
        const r = await df.collect();
        const rows = Array.from({ length: r.numRows }, (_, i) => r.schema.fields.map((f) => decimalCells(r.getChild(f.name)!)?.[i] ?? String(r.getChild(f.name)!.get(i))));
        expect(rows).toEqual(want.rows.map((row) => row.map(String)));
        const p = await (await s.readParquet(pw)).groupBy('k').agg(sum('p'), avg('p'), max('p')).orderBy('k').collect();
        expect(decimalCells(p.getChild('k')!)).toEqual([null, '0.1', '2.5']);
        expect(decimalCells(p.getChild('sum(p)')!)).toEqual(['0.01', '1.02', '999.99']);
        expect([...p.getChild('avg(p)')!.toArray()]).toEqual([0.01, 0.51, 999.99]);
      });
    } finally {
      db.close();
    }
  });

  it('reads an Arrow IPC file of decimals and writes its result back as one', async () => {
    const file = path.join(dir, 'd.arrow');
    writeFileSync(file, arrow.tableToIPC(new arrow.Table({ d: decimals([1n, 2n, 3n, null], 3, 1) }), 'file'));
    await withSession(async (s) => {
      const r = await (await s.readArrow(file)).agg(sum('d'), min('d'), count('d')).collect();
      const back = arrow.tableFromIPC(formatResult(r, 'arrow') as Uint8Array);
      expect(decimalCells(back.getChild('sum(d)')!)).toEqual(['0.6']);
      expect(decimalCells(back.getChild('min(d)')!)).toEqual(['0.1']);
      expect(Number(back.getChild('count(d)')!.get(0))).toBe(3);
      expect(String(back.schema.fields[0]!.type)).toBe('Decimal[13e+1]');
    });
  });
});

describe('decimal aggregates of expressions', () => {
  it('min / max of decimal arithmetic keep the result scale; variance and stddev are Float64 of the values', async () => {
    const t = new arrow.Table({ a: decimals([150n, 250n, null, -50n], 5, 2), q: arrow.vectorFromArray([1, 2, 3, 4], new arrow.Int32()) });
    await withSession(async (s) => {
      const { variance } = await import('../../src/index.ts');
      const r = await s.fromArrow(t).agg(min(col('a').mul(col('q'))), max(col('a').add(0.005)), variance('a'), count()).collect();
      expect(decimalCells(r.getChild('min((a * q))')!)).toEqual(['-2.00']);
      expect(decimalCells(r.getChild('max((a + 0.005))')!)).toEqual(['2.505']);
      // 1.5, 2.5, -0.5: mean 7/6, sample variance 7/3.
      expect(r.getChild('variance(a)')!.get(0)).toBeCloseTo(7 / 3, 14);
    });
  });
});
