/**
 * Benchmark data generator.
 *
 * Two tables, generated with a seeded PRNG straight into typed arrays and then
 * wrapped zero-copy as Arrow RecordBatches (the typed arrays are shared by the
 * Arrow side and the DuckDB loader, so both engines see exactly the same data).
 *
 *  x         — the db-benchmark groupby shape (groupby-datagen.R), N rows, K = 100:
 *              id1  Dictionary<Utf8, Int32>  'id001'..'id100'   (K groups)
 *              id4  Int32 1..K                                   (K groups)
 *              id5  Int32 1..K                                   (K groups)
 *              id6  Int32 1..N/K                                 (N/K groups)
 *              v1   Int32 1..5
 *              v2   Int32 1..15
 *              v3   Float64 uniform [0,100) rounded to 6 decimals
 *              id7  Int32 1..N/10                                (N/10 groups; drawn last, so the
 *                                                                 other columns match earlier runs)
 *
 *  lineitem  — TPC-H lineitem, only the columns Q1 touches, N rows:
 *              l_returnflag  Dictionary<Utf8, Int32> 'A' | 'N' | 'R'
 *              l_linestatus  Dictionary<Utf8, Int32> 'F' | 'O'
 *              l_quantity    Float64 1..50 (whole numbers)
 *              l_extendedprice Float64 quantity * retail price (2 decimals)
 *              l_discount    Float64 0.00..0.10
 *              l_tax         Float64 0.00..0.08
 *              l_shipdate    Date32 (days) 1992-01-02 .. 1998-12-01
 *            Flags follow dbgen's rules: linestatus = 'O' when shipdate > 1995-06-17
 *            else 'F'; returnflag = 'R'|'A' (coin flip) when receiptdate
 *            (= shipdate + 1..30) <= 1995-06-17, else 'N'. That gives Q1's four
 *            groups (A/F, N/F, N/O, R/F); the shipdate filter keeps ~96 % of rows.
 */
import {
  DateDay,
  Decimal,
  Dictionary,
  Field,
  Float64,
  Int32,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Utf8,
  makeData,
  vectorFromArray,
  type Data,
  type DataType,
  type Vector,
} from 'apache-arrow';
import { decimalWordsOfIntegers } from '../src/arrow/decimal.ts';

/** One column of generated data, shared by every engine. */
export type ColumnSpec =
  | { readonly name: string; readonly kind: 'int32'; readonly values: Int32Array }
  | { readonly name: string; readonly kind: 'float64'; readonly values: Float64Array }
  /** days since 1970-01-01 */
  | { readonly name: string; readonly kind: 'date32'; readonly values: Int32Array }
  /** decimal(precision, scale): the unscaled integers (exact in a double) */
  | { readonly name: string; readonly kind: 'decimal'; readonly values: Float64Array; readonly precision: number; readonly scale: number }
  /** Dictionary-encoded string: `indices` into `dictionary` (0-based). */
  | {
      readonly name: string;
      readonly kind: 'dict';
      readonly values: Int32Array;
      readonly dictionary: readonly string[];
    };

export interface GeneratedTable {
  readonly name: string;
  readonly rows: number;
  readonly columns: readonly ColumnSpec[];
}

export interface BenchData {
  readonly rows: number;
  readonly seed: number;
  readonly x: GeneratedTable;
  readonly lineitem: GeneratedTable;
  readonly generateMs: number;
}

// ---------------------------------------------------------------------------
// PRNG: sfc32 (small fast counter), seeded through splitmix32. 32-bit integer
// ops only, so V8 keeps everything in registers (see docs/performance.md).

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const splitmix = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = splitmix();
    this.b = splitmix();
    this.c = splitmix();
    this.d = splitmix();
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  /** Uniform unsigned 32-bit integer. */
  nextU32(): number {
    const a = this.a;
    const b = this.b;
    const c = this.c;
    const d = this.d;
    const t = (((a + b) | 0) + d) | 0;
    this.d = (d + 1) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    const r = (c << 21) | (c >>> 11);
    this.c = (r + t) | 0;
    return t >>> 0;
  }

  /** Uniform integer in [lo, hi] (inclusive); range must be < 2^32. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.nextU32() * ((hi - lo + 1) / 4294967296));
  }
}

const TWO32 = 4294967296;

function fillUniformInt(out: Int32Array, rng: Rng, lo: number, hi: number): void {
  const scale = (hi - lo + 1) / TWO32;
  for (let i = 0; i < out.length; i++) out[i] = lo + Math.floor(rng.nextU32() * scale);
}

// ---------------------------------------------------------------------------

export function generateX(rows: number, seed: number, k = 100): GeneratedTable {
  const rng = new Rng(seed);
  const nGroups6 = Math.max(1, Math.floor(rows / k));
  const id1 = new Int32Array(rows);
  const id4 = new Int32Array(rows);
  const id5 = new Int32Array(rows);
  const id6 = new Int32Array(rows);
  const v1 = new Int32Array(rows);
  const v2 = new Int32Array(rows);
  const v3 = new Float64Array(rows);
  fillUniformInt(id1, rng, 0, k - 1); // index into 'id001'..'id100'
  fillUniformInt(id4, rng, 1, k);
  fillUniformInt(id5, rng, 1, k);
  fillUniformInt(id6, rng, 1, nGroups6);
  fillUniformInt(v1, rng, 1, 5);
  fillUniformInt(v2, rng, 1, 15);
  // round(runif(0, 100), 6): an integer count of micro-units in [0, 1e8), divided
  // once, so each value is the double nearest to a 6-decimal number.
  const scaleV3 = 1e8 / TWO32;
  for (let i = 0; i < rows; i++) v3[i] = Math.floor(rng.nextU32() * scaleV3) / 1e6;
  const id7 = new Int32Array(rows);
  fillUniformInt(id7, rng, 1, Math.max(1, Math.floor(rows / 10)));
  const dict: string[] = [];
  for (let i = 1; i <= k; i++) dict.push(`id${String(i).padStart(3, '0')}`);
  return {
    name: 'x',
    rows,
    columns: [
      { name: 'id1', kind: 'dict', values: id1, dictionary: dict },
      { name: 'id4', kind: 'int32', values: id4 },
      { name: 'id5', kind: 'int32', values: id5 },
      { name: 'id6', kind: 'int32', values: id6 },
      { name: 'v1', kind: 'int32', values: v1 },
      { name: 'v2', kind: 'int32', values: v2 },
      { name: 'v3', kind: 'float64', values: v3 },
      { name: 'id7', kind: 'int32', values: id7 },
    ],
  };
}

/** Days since the epoch of a 'YYYY-MM-DD' date (UTC). */
export function epochDays(iso: string): number {
  return Math.round(Date.parse(`${iso}T00:00:00Z`) / 86_400_000);
}

export function generateLineitem(rows: number, seed: number): GeneratedTable {
  const rng = new Rng(seed ^ 0x5bd1e995);
  const returnflag = new Int32Array(rows); // 0 'A', 1 'N', 2 'R'
  const linestatus = new Int32Array(rows); // 0 'F', 1 'O'
  const quantity = new Float64Array(rows);
  const extendedprice = new Float64Array(rows);
  const discount = new Float64Array(rows);
  const tax = new Float64Array(rows);
  const shipdate = new Int32Array(rows);
  const shipLo = epochDays('1992-01-02');
  const shipHi = epochDays('1998-12-01');
  const currentDate = epochDays('1995-06-17');
  const shipScale = (shipHi - shipLo + 1) / TWO32;
  for (let i = 0; i < rows; i++) {
    const q = 1 + Math.floor(rng.nextU32() * (50 / TWO32));
    // dbgen's p_retailprice is in [900.00, 2098.99]; price = quantity * retail, in cents.
    const retailCents = 90000 + Math.floor(rng.nextU32() * (120000 / TWO32));
    const ship = shipLo + Math.floor(rng.nextU32() * shipScale);
    const receipt = ship + 1 + Math.floor(rng.nextU32() * (30 / TWO32));
    const r = rng.nextU32();
    quantity[i] = q;
    extendedprice[i] = (q * retailCents) / 100;
    discount[i] = Math.floor(rng.nextU32() * (11 / TWO32)) / 100;
    tax[i] = Math.floor(rng.nextU32() * (9 / TWO32)) / 100;
    shipdate[i] = ship;
    linestatus[i] = ship > currentDate ? 1 : 0;
    returnflag[i] = receipt <= currentDate ? ((r & 1) === 0 ? 0 : 2) : 1;
  }
  return {
    name: 'lineitem',
    rows,
    columns: [
      { name: 'l_returnflag', kind: 'dict', values: returnflag, dictionary: ['A', 'N', 'R'] },
      { name: 'l_linestatus', kind: 'dict', values: linestatus, dictionary: ['F', 'O'] },
      { name: 'l_quantity', kind: 'float64', values: quantity },
      { name: 'l_extendedprice', kind: 'float64', values: extendedprice },
      { name: 'l_discount', kind: 'float64', values: discount },
      { name: 'l_tax', kind: 'float64', values: tax },
      { name: 'l_shipdate', kind: 'date32', values: shipdate },
    ],
  };
}

/** lineitem with l_quantity, l_extendedprice, l_discount and l_tax as DECIMAL(15, 2), TPC-H's type (the same values). */
export function decimalLineitem(lineitem: GeneratedTable): GeneratedTable {
  const money = new Set(['l_quantity', 'l_extendedprice', 'l_discount', 'l_tax']);
  return {
    name: 'lineitem_dec',
    rows: lineitem.rows,
    columns: lineitem.columns.map((c): ColumnSpec => {
      if (!money.has(c.name)) return c;
      // Whole cents: the generator draws them as integers, so rounding only undoes the division.
      return { name: c.name, kind: 'decimal', precision: 15, scale: 2, values: (c.values as Float64Array).map((v) => Math.round(v * 100)) };
    }),
  };
}

export function generate(rows: number, seed = 42): BenchData {
  if (!Number.isInteger(rows) || rows <= 0) throw new Error(`rows must be a positive integer, got ${rows}`);
  const t0 = performance.now();
  const x = generateX(rows, seed);
  const lineitem = generateLineitem(rows, seed);
  return { rows, seed, x, lineitem, generateMs: performance.now() - t0 };
}

// ---------------------------------------------------------------------------
// Arrow view (zero-copy: every batch's buffers are subarrays of the columns).

let dictionaryIds = 0;

function arrowField(c: ColumnSpec): { field: Field; dictionary?: Vector<Utf8> } {
  switch (c.kind) {
    case 'int32':
      return { field: new Field(c.name, new Int32(), false) };
    case 'float64':
      return { field: new Field(c.name, new Float64(), false) };
    case 'date32':
      return { field: new Field(c.name, new DateDay(), false) };
    case 'decimal':
      return { field: new Field(c.name, new Decimal(c.scale, c.precision, 128), false) };
    case 'dict': {
      const type = new Dictionary(new Utf8(), new Int32(), dictionaryIds++);
      const dictionary = vectorFromArray([...c.dictionary], new Utf8());
      return { field: new Field(c.name, type, false), dictionary };
    }
  }
}

function arrowData(c: ColumnSpec, type: DataType, offset: number, length: number, dictionary?: Vector<Utf8>): Data {
  const end = offset + length;
  switch (c.kind) {
    case 'int32':
      return makeData({ type: type as Int32, length, nullCount: 0, data: c.values.subarray(offset, end) });
    case 'float64':
      return makeData({ type: type as Float64, length, nullCount: 0, data: c.values.subarray(offset, end) });
    case 'date32':
      return makeData({ type: type as DateDay, length, nullCount: 0, data: c.values.subarray(offset, end) });
    case 'decimal':
      // Decimal128 words: a copy (four words a value).
      return makeData({ type: type as Decimal, length, nullCount: 0, data: decimalWordsOfIntegers(c.values, offset, end) });
    case 'dict':
      return makeData({
        type: type as Dictionary<Utf8, Int32>,
        length,
        nullCount: 0,
        data: c.values.subarray(offset, end),
        dictionary: dictionary!,
      });
  }
}

/** RecordBatches of at most `batchRows` rows over the generated columns (zero-copy). */
export function toArrowTable(t: GeneratedTable, batchRows = 1_000_000): Table {
  const parts = t.columns.map(arrowField);
  const schema = new Schema(parts.map((p) => p.field));
  const structType = new Struct(schema.fields);
  const batches: RecordBatch[] = [];
  for (let offset = 0; offset < t.rows; offset += batchRows) {
    const length = Math.min(batchRows, t.rows - offset);
    const children = t.columns.map((c, i) => arrowData(c, schema.fields[i]!.type, offset, length, parts[i]!.dictionary));
    batches.push(new RecordBatch(schema, makeData({ type: structType, length, nullCount: 0, children })));
  }
  return new Table(schema, batches);
}
