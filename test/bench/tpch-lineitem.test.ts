/**
 * TPC-H Query 1 over a Decimal lineitem, generated as TPC's dbgen generates it at scale factor 1
 * (6,001,215 rows), against TPC's own answer file (answers/q1.out) to the cent: the exact decimal
 * sums rounded half-up to 2 places as the answer file prints them, the averages (Float64) rounded
 * to 2 places. Both executors run the same plan.
 */
import { describe, expect, it } from 'vitest';
import * as GF from '../../src/index.ts';
import { decimalCells, type DataFrame } from '../../src/index.ts';
import { tpchLineitemTable } from '../../bench/tpch-lineitem.ts';
import { QUERIES } from '../../bench/queries.ts';
import { withSession } from '../support/tables.ts';

/** answers/q1.out of TPC-H (dbgen 2.14.0, SF 1), its columns as printed. */
const ANSWER = `
A|F|37734107.00|56586554400.73|53758257134.87|55909065222.83|25.52|38273.13|0.05|1478493
N|F|991417.00|1487504710.38|1413082168.05|1469649223.19|25.52|38284.47|0.05|38854
N|O|74476040.00|111701729697.74|106118230307.61|110367043872.50|25.50|38249.12|0.05|2920374
R|F|37719753.00|56568041380.90|53741292684.60|55889619119.83|25.51|38250.85|0.05|1478870`.trim().split('\n').map((l) => l.split('|'));

/** TPC-H Q1 with its validation parameter DELTA = 90 days (l_shipdate <= 1998-09-02): the benchmark's q10. */
const q1 = (df: DataFrame): DataFrame => QUERIES.find((q) => q.id === 'q10')!.frame(GF as never, df as never).orderBy('l_returnflag', 'l_linestatus') as DataFrame;

/** Exact decimal text rounded half-up to 2 places, as the answer file prints (every value here is positive). */
function cents(text: string): string {
  const [whole, frac = ''] = text.split('.');
  if (frac.length <= 2) return `${whole}.${frac.padEnd(2, '0')}`;
  const scaled = BigInt(whole + frac.slice(0, 2)) + (Number(frac[2]) >= 5 ? 1n : 0n);
  const s = scaled.toString().padStart(3, '0');
  return `${s.slice(0, -2)}.${s.slice(-2)}`;
}

describe('TPC-H Q1 over a Decimal lineitem (dbgen, SF 1)', () => {
  it("matches TPC's answer file to the cent, on the CPU and the GPU executor", async () => {
    const lineitem = tpchLineitemTable(1);
    expect(lineitem.numRows).toBe(6_001_215);
    for (const executor of ['cpu', 'gpu'] as const) {
      await withSession(async (s) => {
        const r = await q1(s.fromArrow(lineitem, { partitions: 4 })).collect();
        expect(r.schema.fields.map((f) => String(f.type))).toEqual([
          'Utf8', 'Utf8', 'Decimal[25e+2]', 'Decimal[25e+2]', 'Decimal[38e+4]', 'Decimal[38e+6]', 'Float64', 'Float64', 'Float64', 'Int64',
        ]);
        const got = Array.from({ length: r.numRows }, (_, i) => [
          r.getChild('l_returnflag')!.get(i), r.getChild('l_linestatus')!.get(i),
          ...['sum_qty', 'sum_base_price', 'sum_disc_price', 'sum_charge'].map((n) => cents(decimalCells(r.getChild(n)!)![i]!)),
          ...['avg_qty', 'avg_price', 'avg_disc'].map((n) => (Math.round((r.getChild(n)!.get(i) as number) * 100) / 100).toFixed(2)),
          String(r.getChild('count_order')!.get(i)),
        ]);
        expect(got, executor).toEqual(ANSWER);
      }, { executor, cores: 2 });
    }
  }, 120_000);
});
