/**
 * TPC-H LINEITEM, exactly as the official `dbgen` (v2.14.0) generates it, limited to the
 * columns TPC-H Query 1 reads.
 *
 * Ported from TPC's dbgen 2.14.0 (mirror: github.com/electrum/tpch-dbgen, the same code
 * DuckDB vendors under extension/tpch/dbgen/):
 *  - rnd.c / rnd.h   NextRand, UnifInt, dss_random (RANDOM), row_start/row_stop, Seed[]
 *  - speed_seed.c    NthElement (the skip row_stop does at the end of every order)
 *  - build.c         mk_order (the order + lineitem loop), rpb_routine (P_RETAILPRICE)
 *  - bm_utils.c      pick_str (the returnflag draw), julian
 *  - dss.h           the column constants (L_QTY_MIN.., STARTDATE, CURRENTDATE, ...)
 *  - driver.c        gen_tbl (order keys 1..count, one row_start/row_stop per order),
 *                    the fractional scale-factor rule (-s below 1)
 *  - dists.dss       `rflag` distribution: R|1, A|1 (cumulative weights 1, 2)
 *
 * How the streams work.  Every column of every table has its own Park–Miller stream
 * (Seed[i].value, multiplier 16807, modulus 2^31-1), seeded from the fixed Seed[] table.
 * After each order (`row_stop(ORDER_LINE)`) every ORDER and LINE stream is advanced to its
 * fixed per-order budget `boundary` (1 for the order streams, O_LCNT_MAX = 7 for the
 * lineitem streams), however many numbers the order actually drew.  So stream i at order
 * n (1-based) starts exactly at Seed[i] advanced (n-1)·boundary steps, independently of
 * every other stream: the streams Q1 does not need (custkey, priority, clerk, comments,
 * suppkey, commitdate, shipinstruct, shipmode, ...) share no state with the ones it does
 * and need not be run at all.  None of the streams used here can exceed its budget
 * (each line draws each lineitem stream at most once, at most 7 lines), so row_stop's
 * "SEED CHANGE" branch (only with set_seeds anyway) never applies.
 *
 * Per order (mk_order), in draw order, the parts that matter here:
 *   o_orderdate = RANDOM(STARTDATE .. STARTDATE+TOTDATE-(121+30)-1, O_ODATE_SD=13)
 *   o_lines     = RANDOM(1..7, O_LCNT_SD=43)
 *   per line:   quantity  RANDOM(1..50,  L_QTY_SD=14)
 *               discount  RANDOM(0..10,  L_DCNT_SD=15)
 *               tax       RANDOM(0..8,   L_TAX_SD=16)
 *               partkey   RANDOM(1..200000·SF, L_PKEY_SD=19)  -> extendedprice = retail·qty
 *               shipdate  orderdate + RANDOM(1..121, L_SDTE_SD=21)
 *               receipt   shipdate  + RANDOM(1..30,  L_RDTE_SD=23)
 *               returnflag: receipt <= CURRENTDATE ? pick_str(rflag, L_RFLG_SD=24) : 'N'
 *               linestatus: shipdate <= CURRENTDATE ? 'F' : 'O'
 * Dates are dbgen's linear day numbers STARTDATE + offset (offset 0 = 1992-01-01);
 * `julian(d) <= CURRENTDATE (95168 = 1995-06-17)` is `d - STARTDATE <= 1263`.
 *
 * The generator's products stay exact in doubles: a state is < 2^31 and 16807 < 2^15, so
 * state·16807 < 2^46 < 2^53.  UnifInt's `(long)((double)v / dM * dRange)` is reproduced
 * with the same IEEE operations.
 */
import { DateDay, Decimal, Dictionary, Int32, makeData, makeVector, Table, Utf8, vectorFromArray, type Vector } from 'apache-arrow';
import { decimalWordsOfIntegers } from '../src/arrow/decimal.ts';

export interface TpchLineitem {
  readonly rows: number;
  /** unscaled, scale 2 (DECIMAL(15,2)): 17.00 is 1700 */
  readonly quantity: Int32Array;
  readonly extendedprice: Float64Array; // unscaled cents, integers (exact in a double)
  readonly discount: Int32Array; // unscaled, scale 2 (0.04 is 4)
  readonly tax: Int32Array; // unscaled, scale 2
  readonly returnflag: Uint8Array; // char codes 'A' | 'N' | 'R'
  readonly linestatus: Uint8Array; // char codes 'F' | 'O'
  readonly shipdate: Int32Array; // days since 1970-01-01
}

// ---- rnd.h: Seed[] (value column) and boundary of the streams used here ----
const O_ODATE_SEED = 1066728069; // Seed[13], boundary 1
const O_LCNT_SEED = 1434868289; // Seed[43], boundary 1
const L_QTY_SEED = 209208115; // Seed[14], boundary O_LCNT_MAX
const L_DCNT_SEED = 554590007; // Seed[15]
const L_TAX_SEED = 721958466; // Seed[16]
const L_PKEY_SEED = 1808217256; // Seed[19]
const L_SDTE_SEED = 1769349045; // Seed[21]
const L_RDTE_SEED = 373135028; // Seed[23]
const L_RFLG_SEED = 717419739; // Seed[24]

// ---- dss.h ----
const STARTDATE = 92001;
const TOTDATE = 2557;
const O_LCNT_MIN = 1;
const O_LCNT_MAX = 7; // also the per-order budget of every lineitem stream
const L_QTY_MIN = 1;
const L_QTY_MAX = 50;
const L_DCNT_MIN = 0;
const L_DCNT_MAX = 10;
const L_TAX_MIN = 0;
const L_TAX_MAX = 8;
const L_SDTE_MIN = 1;
const L_SDTE_MAX = 121;
const L_RDTE_MIN = 1;
const L_RDTE_MAX = 30;
const O_ODATE_MIN = STARTDATE;
const O_ODATE_MAX = STARTDATE + TOTDATE - (L_SDTE_MAX + L_RDTE_MAX) - 1;
/** julian(d) <= CURRENTDATE (95168, i.e. 1995-06-17)  <=>  d - STARTDATE <= 1263 */
const CURRENT_OFFSET = 366 + 365 + 365 + 168 - 1;
/** build.c JDAY_BASE: day number of 1992-01-01 counted from 1970-01-01 */
const JDAY_BASE = 8035;

// ---- driver.c tdefs[].base, ORDERS_PER_CUST applied ----
const ORDER_BASE = 150000 * 10;
const PART_BASE = 200000;

// ---- rnd.c ----
const MODULUS = 2147483647; // nM = 2^31 - 1
const DM = 2147483647.0; // dM

/** NextRand: (nSeed * 16807) % 2147483647, exact (product < 2^46). */
function nextRand(s: number): number {
  const x = s * 16807;
  // floor(x / M) can only overshoot by one (x is never a multiple of the prime M)
  const r = x - Math.floor(x / MODULUS) * MODULUS;
  return r < 0 ? r + MODULUS : r;
}

/** (a * b) mod M for 0 <= a, b < 2^31, exact in doubles (b split in 16-bit halves). */
function mulMod(a: number, b: number): number {
  const bh = Math.floor(b / 65536);
  const bl = b - bh * 65536;
  return ((((a * bh) % MODULUS) * 65536 + a * bl) % MODULUS);
}

/** 16807^k mod M for k = 0..O_LCNT_MAX: NthElement(k) as a single multiply. */
const SKIP: number[] = (() => {
  const out = [1];
  for (let k = 1; k <= O_LCNT_MAX; k++) out.push((out[k - 1]! * 16807) % MODULUS);
  return out;
})();

/** Row counts as dbgen's driver.c computes them for `-s sf`. */
function tableSizes(sf: number): { orders: number; parts: number } {
  if (!(sf > 0) || !Number.isFinite(sf)) throw new RangeError(`tpchLineitem: bad scale factor ${sf}`);
  let scale: number;
  let orderBase = ORDER_BASE;
  let partBase = PART_BASE;
  if (sf < 1) {
    // driver.c: scale = 1; int_scale = (int)(1000 * flt_scale); base = int_scale * base / 1000 (min 1)
    scale = 1;
    const intScale = Math.trunc(1000 * sf);
    orderBase = Math.max(1, Math.floor((intScale * orderBase) / 1000));
    partBase = Math.max(1, Math.floor((intScale * partBase) / 1000));
  } else {
    scale = Math.trunc(sf); // scale = (long) flt_scale
  }
  // At scale >= 30000 dbgen switches l_partkey (and o_custkey) to its 64-bit RNG (RANDOM64),
  // which is not ported here.
  if (scale >= 30000) throw new RangeError('tpchLineitem: scale factors >= 30000 use dbgen\'s RNG64, not ported');
  return { orders: orderBase * scale, parts: partBase * scale };
}

/** LINEITEM rows of TPC-H at scale factor sf (dbgen's order: orders 1..1500000·sf, each with its 1..7 lines). */
export function tpchLineitem(sf: number): TpchLineitem {
  const { orders, parts } = tableSizes(sf);

  // Pass 1: the O_LCNT stream alone (independent of all others) gives the row count.
  let rows = 0;
  {
    let s = O_LCNT_SEED;
    const range = O_LCNT_MAX - O_LCNT_MIN + 1;
    for (let o = 0; o < orders; o++) {
      s = nextRand(s);
      rows += O_LCNT_MIN + Math.trunc((s / DM) * range);
    }
  }

  const quantity = new Int32Array(rows);
  const extendedprice = new Float64Array(rows);
  const discount = new Int32Array(rows);
  const tax = new Int32Array(rows);
  const returnflag = new Uint8Array(rows);
  const linestatus = new Uint8Array(rows);
  const shipdate = new Int32Array(rows);

  const R_ODATE = O_ODATE_MAX - O_ODATE_MIN + 1;
  const R_LCNT = O_LCNT_MAX - O_LCNT_MIN + 1;
  const R_QTY = L_QTY_MAX - L_QTY_MIN + 1;
  const R_DCNT = L_DCNT_MAX - L_DCNT_MIN + 1;
  const R_TAX = L_TAX_MAX - L_TAX_MIN + 1;
  const R_PKEY = parts; // L_PKEY_MAX - L_PKEY_MIN + 1
  const R_SDTE = L_SDTE_MAX - L_SDTE_MIN + 1;
  const R_RDTE = L_RDTE_MAX - L_RDTE_MIN + 1;
  const R_RFLG = 2; // rflag: R|1, A|1 -> RANDOM(j, 1, 2); j == 1 -> 'R', j == 2 -> 'A'
  const CH_R = 82; // 'R'
  const CH_A = 65; // 'A'
  const CH_N = 78; // 'N'
  const CH_F = 70; // 'F'
  const CH_O = 79; // 'O'

  // Stream states at the start of the current order.
  let sOdate = O_ODATE_SEED;
  let sLcnt = O_LCNT_SEED;
  let sQty = L_QTY_SEED;
  let sDcnt = L_DCNT_SEED;
  let sTax = L_TAX_SEED;
  let sPkey = L_PKEY_SEED;
  let sSdte = L_SDTE_SEED;
  let sRdte = L_RDTE_SEED;
  let sRflg = L_RFLG_SEED;

  let row = 0;
  for (let o = 0; o < orders; o++) {
    // mk_order(index = o + 1): o_orderdate, then o_lines (other order columns use other streams)
    sOdate = nextRand(sOdate);
    const odate = O_ODATE_MIN + Math.trunc((sOdate / DM) * R_ODATE) - STARTDATE; // offset from 1992-01-01
    sLcnt = nextRand(sLcnt);
    const lines = O_LCNT_MIN + Math.trunc((sLcnt / DM) * R_LCNT);

    let qS = sQty, dS = sDcnt, tS = sTax, pS = sPkey, shS = sSdte, rS = sRdte, fS = sRflg;
    let rflagUsed = 0;
    for (let l = 0; l < lines; l++, row++) {
      qS = nextRand(qS);
      const qty = L_QTY_MIN + Math.trunc((qS / DM) * R_QTY);
      dS = nextRand(dS);
      const disc = L_DCNT_MIN + Math.trunc((dS / DM) * R_DCNT);
      tS = nextRand(tS);
      const tx = L_TAX_MIN + Math.trunc((tS / DM) * R_TAX);
      pS = nextRand(pS);
      const pkey = 1 + Math.trunc((pS / DM) * R_PKEY);
      // rpb_routine (P_RETAILPRICE, in cents)
      const rprice = 90000 + (Math.floor(pkey / 10) % 20001) + (pkey % 1000) * 100;
      shS = nextRand(shS);
      const sdate = odate + L_SDTE_MIN + Math.trunc((shS / DM) * R_SDTE);
      rS = nextRand(rS);
      const rdate = sdate + L_RDTE_MIN + Math.trunc((rS / DM) * R_RDTE);

      quantity[row] = qty * 100;
      discount[row] = disc;
      tax[row] = tx;
      extendedprice[row] = rprice * qty;
      shipdate[row] = sdate + JDAY_BASE;
      if (rdate <= CURRENT_OFFSET) {
        fS = nextRand(fS);
        rflagUsed++;
        returnflag[row] = Math.trunc((fS / DM) * R_RFLG) === 0 ? CH_R : CH_A;
      } else {
        returnflag[row] = CH_N;
      }
      linestatus[row] = sdate <= CURRENT_OFFSET ? CH_F : CH_O;
    }

    // row_stop(ORDER_LINE): every stream advances to its budget (NthElement(boundary - usage)).
    // The order streams (budget 1) are already there; lineitem streams move to 7 per order.
    const skip = SKIP[O_LCNT_MAX - lines]!;
    sQty = mulMod(skip, qS);
    sDcnt = mulMod(skip, dS);
    sTax = mulMod(skip, tS);
    sPkey = mulMod(skip, pS);
    sSdte = mulMod(skip, shS);
    sRdte = mulMod(skip, rS);
    sRflg = mulMod(SKIP[O_LCNT_MAX - rflagUsed]!, fS);
  }

  return { rows, quantity, extendedprice, discount, tax, returnflag, linestatus, shipdate };
}


/** Unscaled integers as a Decimal128 vector of decimal(15, 2), TPC-H's money and quantity type. */
const money = (values: ArrayLike<number>): Vector =>
  makeVector(makeData({ type: new Decimal(2, 15, 128), length: values.length, data: decimalWordsOfIntegers(values) }));

/** Single-character flags as Dictionary<Utf8> over their distinct characters. */
function flags(codes: Uint8Array, alphabet: string): Vector {
  const index = new Int32Array(codes.length);
  for (let i = 0; i < codes.length; i++) index[i] = alphabet.indexOf(String.fromCharCode(codes[i]!));
  return makeVector(makeData({ type: new Dictionary(new Utf8(), new Int32()), length: codes.length, data: index, dictionary: vectorFromArray([...alphabet], new Utf8()) }));
}

/**
 * The Q1 columns of LINEITEM as an Arrow table, typed as TPC-H defines them: l_quantity,
 * l_extendedprice, l_discount, l_tax as DECIMAL(15, 2), the flags as strings, l_shipdate a date.
 */
export function tpchLineitemTable(sf: number): Table {
  const l = tpchLineitem(sf);
  return new Table({
    l_returnflag: flags(l.returnflag, 'ANR'),
    l_linestatus: flags(l.linestatus, 'FO'),
    l_quantity: money(l.quantity),
    l_extendedprice: money(l.extendedprice),
    l_discount: money(l.discount),
    l_tax: money(l.tax),
    l_shipdate: makeVector(makeData({ type: new DateDay(), length: l.rows, data: l.shipdate })),
  });
}
