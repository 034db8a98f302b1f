/**
 * Differential tests: random Arrow tables × random queries, each answered by
 * the engine and by DuckDB (same data, same query as SQL), compared as
 * multisets of rows.
 *
 * Every case is named `<tableSeed>/<queryIndex>`; the table, the query and
 * the session options are all derived from those two numbers, so a failure
 * replays with
 *   DIFF_CASE=<tableSeed>/<queryIndex> npx vitest run test/differential.test.ts
 * (DIFF_CASE=<tableSeed> runs all queries of one table). DIFF_TABLES=<n>
 * changes how many random tables run (default 300, 4 queries each).
 * DIFF_SHRINK=1 together with DIFF_CASE=<seed>/<query> also prints a shrunk
 * replay (fewest rows that still fail). DIFF_NO_DICT_NULLS=1 stops the
 * generator from putting null entries inside dictionaries (triage only).
 *
 * Comparison rules are documented in support/compare.ts; what the query
 * generator avoids on purpose is documented in support/sql.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as A from 'apache-arrow';
import {
  Dictionary,
  Field,
  Float64,
  Int32,
  RecordBatch,
  Schema,
  Struct,
  Table as ArrowTable,
  Utf8,
  makeData,
  makeVector,
  vectorFromArray,
} from 'apache-arrow';
import {
  ArithmeticOverflowError,
  Session,
  avg,
  col,
  count,
  desc,
  lit,
  max,
  min,
  sum,
} from '../src/index.ts';
import { DuckDb, type Cell, type SqlResult } from './support/duckdb.ts';
import { deriveSeed, describeTable, generateTable, generatorFlags, rebuildArrow, Rng, type TableModel } from './support/random.ts';
import {
  genQuery,
  outputColumns,
  toCode,
  toSql,
  type Agg,
  type Expr,
  type Lit,
  type Pred,
  type Query,
} from './support/sql.ts';
import { arrowRows, compareResults, showCell } from './support/compare.ts';

// ---------------------------------------------------------------- query → DataFrame calls

type Column = ReturnType<typeof col>;
type Operand = Parameters<Column['eq']>[0];
type AggArg = Parameters<typeof sum>[0];
type AggExpr = ReturnType<typeof sum>;

function jsLit(l: Lit): Operand {
  switch (l.t) {
    case 'null': return null;
    case 'bool': return l.v;
    case 'str': return l.v;
    case 'date': return new Date(l.days * 86_400_000);
    case 'int': return l.js === 'bigint' ? l.v : Number(l.v);
    case 'float': return l.v;
  }
}

function operand(e: Expr): Operand {
  if (e.op === 'lit' && !e.wrap) return jsLit(e.lit);
  return column(e);
}

function column(e: Expr): Column {
  switch (e.op) {
    case 'col': return col(e.name);
    case 'lit': return lit(jsLit(e.lit) as Parameters<typeof lit>[0]);
    case 'arith': return column(e.l)[e.fn](operand(e.r));
  }
}

function predicate(p: Pred): Column {
  switch (p.op) {
    case 'cmp': return column(p.l)[p.fn](operand(p.r));
    case 'isNull': return column(p.e).isNull();
    case 'isNotNull': return column(p.e).isNotNull();
    case 'in': return column(p.e).isIn(p.list.map(jsLit));
    case 'between': return column(p.e).between(jsLit(p.lo), jsLit(p.hi));
    case 'and': return predicate(p.l).and(predicate(p.r));
    case 'or': return predicate(p.l).or(predicate(p.r));
    case 'not': return predicate(p.p).not();
    case 'boolCol': return col(p.name);
    case 'boolLit': return lit(p.v);
  }
}

function aggregate(a: Agg): AggExpr {
  const arg: AggArg | undefined = !a.arg ? undefined : a.byName && a.arg.op === 'col' ? a.arg.name : column(a.arg);
  const fns = { sum, avg, min, max };
  const x = a.fn === 'count' ? (arg === undefined ? count() : count(arg)) : fns[a.fn](arg!);
  return x.as(a.alias);
}

type Outcome = { kind: 'table'; table: A.Table } | { kind: 'count'; n: number } | { kind: 'error'; error: unknown };

async function runEngine(session: Session, t: TableModel, q: Query, partitions: number): Promise<Outcome> {
  try {
    let df = session.fromArrow(t.input, { partitions });
    if (q.filter) df = df.filter(predicate(q.filter));
    if (q.mode === 'count') return { kind: 'count', n: await df.count() };
    if (q.mode === 'collect') return { kind: 'table', table: await df.collect() };
    const aggs = q.aggs.map(aggregate);
    let out = q.keys.length ? df.groupBy(...q.keys).agg(...aggs) : df.agg(...aggs);
    if (q.orderBy) {
      const { name, desc: isDesc, style } = q.orderBy;
      out = style === 'name' ? out.orderBy(name) : style === 'desc()' ? out.orderBy(desc(name)) : out.orderBy(isDesc ? col(name).desc() : col(name).asc());
    }
    return { kind: 'table', table: await out.collect() };
  } catch (error) {
    return { kind: 'error', error };
  }
}

function isOverflow(e: unknown): boolean {
  for (let x = e, depth = 0; x && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    if (x instanceof ArithmeticOverflowError) return true;
  }
  return false;
}

function describeError(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    return `${e.name}: ${e.message}${cause instanceof Error ? ` [cause ${cause.name}: ${cause.message}]` : ''}\n      ${(e.stack ?? '').split('\n').slice(1, 4).join('\n      ')}`;
  }
  return String(e);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Integer sums: DuckDB sums exactly in HUGEINT. If a group's sum does not fit
 * int64 the engine must raise ArithmeticOverflowError. If the sum fits but
 * sum(|x|) does not, a partial sum may have overflowed on the way, so an
 * ArithmeticOverflowError is accepted as well as the exact result.
 */
function overflowExpectation(q: Query, t: TableModel, expected: SqlResult): 'none' | 'required' | 'allowed' {
  let result: 'none' | 'required' | 'allowed' = 'none';
  const idx = new Map(expected.names.map((n, i) => [n, i]));
  for (const c of outputColumns(q, t)) {
    if (!c.absCol || c.kind !== 'int') continue;
    for (const r of expected.rows) {
      const v = r[idx.get(c.name)!] as bigint | null;
      const abs = r[idx.get(c.absCol)!] as bigint | null;
      if (v !== null && (v < INT64_MIN || v > INT64_MAX)) return 'required';
      if (abs !== null && abs > INT64_MAX) result = 'allowed';
    }
  }
  return result;
}

export interface CaseReport {
  id: string;
  problems: string[];
  rows: number;
  overflow: 'none' | 'required' | 'allowed';
}

/** runs one query on one table; the DuckDB table `t` must already hold `t`'s data */
async function runCase(
  db: DuckDb,
  sessionFor: (shufflePartitions: number) => Promise<Session>,
  t: TableModel,
  q: Query,
  id: string,
  opts: { partitions: number; shufflePartitions: number },
): Promise<CaseReport> {
  const sql = toSql(q);
  const expected = await db.query(sql);
  const session = await sessionFor(opts.shufflePartitions);
  const outcome = await runEngine(session, t, q, opts.partitions);
  const overflow = q.mode === 'agg' ? overflowExpectation(q, t, expected) : 'none';
  const problems: string[] = [];
  if (outcome.kind === 'error') {
    if (!(overflow !== 'none' && isOverflow(outcome.error))) problems.push(`engine threw ${describeError(outcome.error)}`);
  } else if (overflow === 'required') {
    problems.push('expected ArithmeticOverflowError (a group sum exceeds int64; DuckDB HUGEINT result: ' +
      expected.rows.map((r) => r.map(showCell).join(',')).slice(0, 3).join(' / ') + '), got a result');
  } else if (outcome.kind === 'count') {
    const n = expected.rows[0]![0] as bigint;
    if (BigInt(outcome.n) !== n || typeof outcome.n !== 'number') problems.push(`count(): expected ${n}, got ${String(outcome.n)}`);
  } else {
    const out = outputColumns(q, t);
    const got = arrowRows(outcome.table);
    const cmp = compareResults(out, expected, got, { checkTypes: true });
    problems.push(...cmp.problems);
    if (q.orderBy) problems.push(...checkOrder(q, t, got.names, got.rows));
  }
  if (problems.length === 0) return { id, problems, rows: expected.rows.length, overflow };
  const header = [
    `case ${id} (partitions=${opts.partitions}, shufflePartitions=${opts.shufflePartitions})`,
    describeTable(t).replace(/^/gm, '  '),
    `  code: ${toCode(q)}`,
    `  sql:  ${sql}`,
  ];
  return { id, problems: [header.join('\n') + '\n  ' + problems.join('\n  ')], rows: expected.rows.length, overflow };
}

/**
 * orderBy on an integer, date or float column (key or aggregate): the non-null values must be
 * monotone (NaN greatest, as the spec says). Null placement is not checked (unspecified).
 */
function checkOrder(q: Query, t: TableModel, names: string[], rows: Cell[][]): string[] {
  const ob = q.orderBy!;
  const oc = outputColumns(q, t).find((c) => c.name === ob.name)!;
  if (!['int', 'date', 'float', 'numeric'].includes(oc.kind)) return [];
  const i = names.indexOf(ob.name);
  const vals = rows.map((r) => r[i]!).filter((v): v is bigint | number => v !== null);
  const cmp = (a: bigint | number, b: bigint | number): number => {
    if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
    const x = Number(a), y = Number(b);
    if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : -1;
    return x < y ? -1 : x > y ? 1 : 0;
  };
  for (let k = 1; k < vals.length; k++) {
    const c = cmp(vals[k - 1]!, vals[k]!);
    if (ob.desc ? c < 0 : c > 0) return [`orderBy ${ob.name}${ob.desc ? ' desc' : ''}: ${showCell(vals[k - 1]!)} before ${showCell(vals[k]!)}`];
  }
  return [];
}

// ---------------------------------------------------------------- the suite

const FIRST_TABLE_SEED = 1000;
const TABLES = Number(process.env.DIFF_TABLES ?? 300);
const QUERIES_PER_TABLE = 4;
const GROUPS = 8;
const ONLY = process.env.DIFF_CASE; // "<tableSeed>" or "<tableSeed>/<query>"
// triage: DIFF_NO_DICT_NULLS=1 turns null entries inside dictionaries into plain nulls
if (process.env.DIFF_NO_DICT_NULLS) generatorFlags.dictNullEntries = false;

let db: DuckDb;
const sessions = new Map<number, Session>();
async function sessionFor(shufflePartitions: number): Promise<Session> {
  let s = sessions.get(shufflePartitions);
  if (!s) {
    s = await Session.create({ executor: 'cpu', cores: 2, shufflePartitions });
    sessions.set(shufflePartitions, s);
  }
  return s;
}

beforeAll(async () => {
  db = await DuckDb.create();
});

afterAll(async () => {
  for (const s of sessions.values()) await s.close();
  db?.close();
});

function caseOptions(tableSeed: number, qi: number) {
  const rng = new Rng(deriveSeed(tableSeed, 'query', qi));
  const partitions = rng.weighted<number>([[8, rng.int(1, 5)], [2, rng.int(6, 12)]]);
  const shufflePartitions = rng.weighted<number>([[8, rng.int(1, 9)], [2, rng.int(10, 16)]]);
  return { rng, partitions, shufflePartitions };
}

async function runTable(tableSeed: number, onlyQuery: number | null): Promise<CaseReport[]> {
  const t = generateTable(tableSeed, { float32: true });
  await db.load('t', t.columns, t.rows);
  const reports: CaseReport[] = [];
  for (let qi = 0; qi < QUERIES_PER_TABLE; qi++) {
    if (onlyQuery !== null && qi !== onlyQuery) continue;
    const { rng, partitions, shufflePartitions } = caseOptions(tableSeed, qi);
    const q = genQuery(rng, t);
    reports.push(await runCase(db, sessionFor, t, q, `${tableSeed}/${qi}`, { partitions, shufflePartitions }));
  }
  return reports;
}

/** fails with every differing case spelled out (raw text: the code/SQL replays stay copy-pastable) */
function assertAllMatch(reports: CaseReport[]): void {
  const failures = reports.filter((r) => r.problems.length).map((f) => f.problems.join('\n'));
  if (failures.length) expect.fail(`${failures.length} of ${reports.length} cases differ from DuckDB:\n\n${failures.join('\n\n')}\n`);
}

/**
 * Shrinks a failing case (DIFF_SHRINK=1 with DIFF_CASE=<seed>/<query>): drops rows while the
 * case still fails, then tries 1 partition. The shrunk input is made of slices of the original
 * Arrow table (one batch per run of kept rows), so dictionaries, null slots and offsets keep
 * their original physical encoding.
 */
async function shrinkCase(tableSeed: number, qi: number): Promise<string> {
  const t = generateTable(tableSeed, { float32: true });
  const { rng, partitions, shufflePartitions } = caseOptions(tableSeed, qi);
  const q = genQuery(rng, t);
  let opts = { partitions, shufflePartitions };
  const subset = (idx: number[]): TableModel => {
    const batches: A.RecordBatch[] = [];
    for (let k = 0; k < idx.length; ) {
      let e = k + 1;
      while (e < idx.length && idx[e] === idx[e - 1]! + 1) e++;
      batches.push(...t.table.slice(idx[k]!, idx[e - 1]! + 1).batches.filter((b) => b.numRows > 0));
      k = e;
    }
    const table = new ArrowTable(t.table.schema, batches);
    const runs = batches.map((b) => b.numRows).join(',');
    return { ...t, rows: idx.length, table, input: table, layout: `slices of the original table, batches [${runs}]`, columns: t.columns.map((c) => ({ ...c, values: idx.map((i) => c.values[i]!) })) };
  };
  const attempt = async (idx: number[], o = opts): Promise<CaseReport> => {
    const sub = subset(idx);
    await db.load('t', sub.columns, sub.rows);
    return runCase(db, sessionFor, sub, q, `${tableSeed}/${qi} shrunk`, o);
  };
  let idx = [...Array(t.rows).keys()];
  let last = await attempt(idx);
  if (!last.problems.length) return `case ${tableSeed}/${qi}: passes when rebatched (batch-layout-dependent: ${t.layout})`;
  for (let chunk = Math.max(1, idx.length >> 1); ; chunk = chunk >> 1) {
    for (let i = 0; i < idx.length; ) {
      const cand = idx.slice(0, i).concat(idx.slice(i + chunk));
      const r = await attempt(cand);
      if (r.problems.length) [idx, last] = [cand, r];
      else i += chunk;
    }
    if (chunk <= 1) break;
  }
  for (const o of [{ partitions: 1, shufflePartitions: 1 }, { partitions: 1, shufflePartitions }]) {
    const r = await attempt(idx, o);
    if (r.problems.length) {
      [opts, last] = [o, r];
      break;
    }
  }
  return `shrunk to ${idx.length} rows (original rows ${idx.join(', ')}):\n${last.problems.join('\n')}`;
}

describe('differential vs DuckDB: random tables × random queries', () => {
  if (ONLY) {
    const [ts, qs] = ONLY.split('/');
    it(`replay ${ONLY}`, async () => {
      const reports = await runTable(Number(ts), qs === undefined ? null : Number(qs));
      for (const r of reports) console.log(r.problems.length ? r.problems.join('\n') : `case ${r.id}: ok (${r.rows} rows)`);
      if (process.env.DIFF_SHRINK && qs !== undefined && reports.some((r) => r.problems.length)) {
        console.log(await shrinkCase(Number(ts), Number(qs)));
      }
      assertAllMatch(reports);
    });
    return;
  }
  const perGroup = Math.ceil(TABLES / GROUPS);
  for (let g = 0; g < GROUPS; g++) {
    const lo = FIRST_TABLE_SEED + g * perGroup;
    const hi = Math.min(FIRST_TABLE_SEED + TABLES, lo + perGroup);
    if (lo >= hi) continue;
    it(`table seeds ${lo}..${hi - 1} × ${QUERIES_PER_TABLE} queries`, async () => {
      const reports: CaseReport[] = [];
      for (let s = lo; s < hi; s++) reports.push(...(await runTable(s, null)));
      const overflowCases = reports.filter((r) => r.overflow !== 'none').length;
      if (process.env.DIFF_VERBOSE) console.log(`seeds ${lo}..${hi - 1}: ${reports.length} cases, ${overflowCases} with int64 overflow`);
      assertAllMatch(reports);
    });
  }
});

// ---------------------------------------------------------------- deterministic cases

describe('differential vs DuckDB: named edge cases', () => {
  const KINDS = ['dict', 'int8', 'int64', 'float64', 'uint32', 'date32', 'utf8', 'bool'] as const;
  const typedAggs: Agg[] = [
    { fn: 'count', arg: null, byName: false, alias: 'cnt' },
    { fn: 'count', arg: { op: 'col', name: 'f64_3', kind: 'float64' }, byName: true, alias: 'cnt_f' },
    { fn: 'sum', arg: { op: 'col', name: 'i8_1', kind: 'int8' }, byName: true, alias: 'sum_i8' },
    { fn: 'sum', arg: { op: 'col', name: 'u32_4', kind: 'uint32' }, byName: false, alias: 'sum_u32' },
    { fn: 'sum', arg: { op: 'col', name: 'f64_3', kind: 'float64' }, byName: true, alias: 'sum_f' },
    { fn: 'avg', arg: { op: 'col', name: 'i64_2', kind: 'int64' }, byName: true, alias: 'avg_i64' },
    { fn: 'min', arg: { op: 'col', name: 'i8_1', kind: 'int8' }, byName: true, alias: 'min_i8' },
    { fn: 'max', arg: { op: 'col', name: 'u32_4', kind: 'uint32' }, byName: true, alias: 'max_u32' },
    { fn: 'min', arg: { op: 'col', name: 'dt_5', kind: 'date32' }, byName: true, alias: 'min_dt' },
    { fn: 'max', arg: { op: 'col', name: 'f64_3', kind: 'float64' }, byName: false, alias: 'max_f' },
    { fn: 'max', arg: { op: 'col', name: 'i64_2', kind: 'int64' }, byName: false, alias: 'max_i64' },
  ];
  const EXPECTED_TYPES: Record<string, string> = {
    d_0: 'Utf8', s_6: 'Utf8', b_7: 'Bool', cnt: 'Int64', cnt_f: 'Int64', sum_i8: 'Int64', sum_u32: 'Int64', sum_f: 'Float64',
    avg_i64: 'Float64', min_i8: 'Int8', max_u32: 'Uint32', min_dt: 'Date32<DAY>', max_f: 'Float64', max_i64: 'Int64',
  };

  async function named(
    name: string,
    table: TableModel,
    q: Query,
    check: (t: A.Table, expected: SqlResult) => void,
  ): Promise<void> {
    await db.load('t', table.columns, table.rows);
    assertAllMatch([await runCase(db, sessionFor, table, q, name, { partitions: 3, shufflePartitions: 4 })]);
    const outcome = await runEngine(await sessionFor(4), table, q, 3);
    if (outcome.kind !== 'table') throw new Error(`expected a table, got ${outcome.kind}`);
    check(outcome.table, await db.query(toSql(q)));
  }

  const checkTypes = (t: A.Table) => {
    for (const f of t.schema.fields) expect([f.name, f.type.toString()]).toEqual([f.name, EXPECTED_TYPES[f.name]]);
  };

  it('empty table: grouped aggregate is empty and correctly typed', async () => {
    const table = generateTable(1, { rows: 0, kinds: [...KINDS], simpleLayout: true });
    await named('empty/grouped', table, { mode: 'agg', filter: null, keys: ['d_0', 'b_7'], aggs: typedAggs, orderBy: null }, (t) => {
      expect(t.numRows).toBe(0);
      checkTypes(t);
    });
  });

  it('empty table: global aggregate is one row (count 0, the rest null)', async () => {
    const table = generateTable(2, { rows: 0, kinds: [...KINDS] });
    await named('empty/global', table, { mode: 'agg', filter: null, keys: [], aggs: typedAggs, orderBy: null }, (t) => {
      expect(t.numRows).toBe(1);
      checkTypes(t);
      const row = arrowRows(t).rows[0]!;
      expect(row[0]).toBe(0n);
      expect(row.slice(2)).toEqual(row.slice(2).map(() => null));
    });
  });

  it('empty table: collect and count', async () => {
    const table = generateTable(3, { rows: 0, kinds: [...KINDS] });
    await named('empty/collect', table, { mode: 'collect', filter: null, keys: [], aggs: [], orderBy: null }, (t) => {
      expect(t.numRows).toBe(0);
      expect(t.schema.fields.map((f) => f.name)).toEqual(table.columns.map((c) => c.name));
    });
    assertAllMatch([await runCase(db, sessionFor, table, { mode: 'count', filter: null, keys: [], aggs: [], orderBy: null }, 'empty/count', { partitions: 2, shufflePartitions: 3 })]);
  });

  it('one row: grouped and global', async () => {
    const table = generateTable(4, { rows: 1, kinds: [...KINDS], nullRates: [0, 0, 0, 0, 0, 0, 0, 0], simpleLayout: true });
    await named('one/grouped', table, { mode: 'agg', filter: null, keys: ['d_0'], aggs: typedAggs, orderBy: null }, (t, e) => {
      expect(t.numRows).toBe(1);
      expect(e.rows.length).toBe(1);
      checkTypes(t);
    });
    await named('one/global', table, { mode: 'agg', filter: null, keys: [], aggs: typedAggs, orderBy: null }, (t) => {
      expect(t.numRows).toBe(1);
      checkTypes(t);
    });
  });

  it('all-null value columns: count(x) = 0, sum/avg/min/max null', async () => {
    const table = generateTable(5, { rows: 500, kinds: [...KINDS], nullRates: [0, 1, 1, 1, 1, 1, 0, 0] });
    await named('allnull/grouped', table, { mode: 'agg', filter: null, keys: ['d_0'], aggs: typedAggs, orderBy: null }, (t) => {
      expect(t.numRows).toBeGreaterThan(0);
      checkTypes(t);
      for (const row of arrowRows(t).rows) {
        expect(row[2]).toBe(0n); // cnt_f
        expect(row.slice(3)).toEqual(row.slice(3).map(() => null));
      }
    });
  });

  it('all-null key column: one null group', async () => {
    const table = generateTable(6, { rows: 300, kinds: [...KINDS], nullRates: [1, 0, 0, 0, 0, 0, 0, 0], simpleLayout: true });
    await named('nullkey', table, { mode: 'agg', filter: null, keys: ['d_0'], aggs: typedAggs, orderBy: null }, (t) => {
      expect(t.numRows).toBe(1);
      checkTypes(t);
      expect(arrowRows(t).rows[0]!.slice(0, 2)).toEqual([null, 300n]);
    });
  });

  it('dictionary whose values hold a null entry: valid slots pointing at it are null', async () => {
    // d: ["x", null, "", "x", null(validity), ""]: indices [0, 2, 1, 0, garbage, 1] into ["x", null, ""]
    const dict = makeVector(vectorFromArray(['x', null, ''], new Utf8()).data[0]!);
    const type = new Dictionary(new Utf8(), new Int32());
    const d = makeData({ type, length: 6, nullCount: 1, nullBitmap: new Uint8Array([0b101111]), data: new Int32Array([0, 1, 2, 0, 2, 2]), dictionary: dict });
    const v = makeData({ type: new Int32(), length: 6, nullCount: 0, data: new Int32Array([1, 2, 3, 4, 5, 6]) });
    const schema = new Schema([new Field('d_0', type, true), new Field('i32_1', new Int32(), true)]);
    const arrowTable = new ArrowTable(schema, [new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 6, children: [d, v] }))]);
    const table = generateTable(9, { rows: 6, kinds: ['dict', 'int32'], simpleLayout: true });
    table.columns[0]!.values = ['x', null, '', 'x', null, ''];
    table.columns[1]!.values = [1n, 2n, 3n, 4n, 5n, 6n];
    const model: TableModel = { ...table, table: arrowTable, input: arrowTable, layout: 'hand-built: dictionary ["x", null, ""]' };
    const aggs: Agg[] = [
      { fn: 'count', arg: null, byName: false, alias: 'n' },
      { fn: 'sum', arg: { op: 'col', name: 'i32_1', kind: 'int32' }, byName: true, alias: 's' },
      { fn: 'count', arg: { op: 'col', name: 'd_0', kind: 'dict' }, byName: true, alias: 'nd' },
    ];
    // expected groups: x → (2, 5), null → (2, 7), "" → (2, 9)
    await named('dictnull/grouped', model, { mode: 'agg', filter: null, keys: ['d_0'], aggs, orderBy: null }, () => {});
    const isEmpty: Pred = { op: 'cmp', fn: 'eq', l: { op: 'col', name: 'd_0', kind: 'dict' }, r: { op: 'lit', lit: { t: 'str', v: '' }, wrap: false } };
    await named('dictnull/filter', model, { mode: 'agg', filter: isEmpty, keys: [], aggs, orderBy: null }, () => {});
  });

  it('float64 keys: 0 and -0 are one group, NaNs (any payload) are one group', async () => {
    const vals = [0, -0, NaN, NaN, null, 1, -0, 0.5, NaN, 1];
    const f = new Float64Array(vals.map((v) => v ?? 0));
    new Uint32Array(f.buffer)[2 * 3 + 1] = 0xfff80000; // row 3: NaN with the sign bit set
    new Uint32Array(f.buffer)[2 * 8] = 12345; //           row 8: NaN with a payload
    new Uint32Array(f.buffer)[2 * 8 + 1] = 0x7ff80001;
    const fd = makeData({ type: new Float64(), length: 10, nullCount: 1, nullBitmap: new Uint8Array([0b11101111, 0b11]), data: f });
    const v = makeData({ type: new Int32(), length: 10, nullCount: 0, data: Int32Array.from(vals.keys(), (i) => i + 1) });
    const schema = new Schema([new Field('f64_0', new Float64(), true), new Field('i32_1', new Int32(), true)]);
    const arrowTable = new ArrowTable(schema, [new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 10, children: [fd, v] }))]);
    const table = generateTable(10, { rows: 10, kinds: ['float64', 'int32'], simpleLayout: true });
    table.columns[0]!.values = vals;
    table.columns[1]!.values = vals.map((_, i) => BigInt(i + 1));
    const model: TableModel = { ...table, table: arrowTable, input: arrowTable, layout: 'hand-built: 0/-0/NaN payloads' };
    const i32: Expr = { op: 'col', name: 'i32_1', kind: 'int32' };
    const f64: Expr = { op: 'col', name: 'f64_0', kind: 'float64' };
    const aggs: Agg[] = [
      { fn: 'count', arg: null, byName: false, alias: 'n' },
      { fn: 'sum', arg: i32, byName: true, alias: 's' },
      { fn: 'min', arg: f64, byName: true, alias: 'mn' },
      { fn: 'max', arg: f64, byName: true, alias: 'mx' },
    ];
    // groups: 0 → rows 1,2,7 (n 3); NaN → rows 3,4,9 (n 3); null → row 5; 1 → rows 6,10; 0.5 → row 8
    await named('floatkeys/grouped', model, { mode: 'agg', filter: null, keys: ['f64_0'], aggs, orderBy: null }, (t) => expect(t.numRows).toBe(5));
    await named('floatkeys/global', model, { mode: 'agg', filter: null, keys: [], aggs, orderBy: null }, () => {});
    const eqNaN: Pred = { op: 'cmp', fn: 'eq', l: f64, r: { op: 'lit', lit: { t: 'float', v: NaN }, wrap: false } };
    await named('floatkeys/eqNaN', model, { mode: 'collect', filter: eqNaN, keys: [], aggs: [], orderBy: null }, (t) => expect(t.numRows).toBe(3));
  });

  it('filter dropping every row: empty and correctly typed', async () => {
    const table = generateTable(7, { rows: 3000, kinds: [...KINDS] });
    const filter: Pred = { op: 'cmp', fn: 'gt', l: { op: 'col', name: 'i8_1', kind: 'int8' }, r: { op: 'lit', lit: { t: 'int', v: 1000n, js: 'number' }, wrap: false } };
    await named('dropall/grouped', table, { mode: 'agg', filter, keys: ['d_0', 's_6'], aggs: typedAggs, orderBy: null }, (t) => {
      expect(t.numRows).toBe(0);
      checkTypes(t);
    });
    await named('dropall/global', table, { mode: 'agg', filter, keys: [], aggs: typedAggs, orderBy: null }, (t) => {
      expect(t.numRows).toBe(1);
      checkTypes(t);
    });
    await named('dropall/collect', table, { mode: 'collect', filter, keys: [], aggs: [], orderBy: null }, (t) => {
      expect(t.numRows).toBe(0);
    });
  });

  it('int64 extremes: exact min/max, exact sums beyond 2^53, overflow raises', async () => {
    const table = generateTable(8, { rows: 40, kinds: ['int8', 'int64'], nullRates: [0, 0], simpleLayout: true });
    const big = [2n ** 62n, 2n ** 62n, 2n ** 62n, -(2n ** 63n), 2n ** 63n - 1n, 1n];
    table.columns[1]!.values = table.columns[1]!.values.map((_, i) => (i < 6 ? big[i]! : BigInt(i) * (2n ** 53n + 1n)));
    table.columns[0]!.values = table.columns[0]!.values.map((_, i) => BigInt(i % 3));
    const fixed = rebuildArrow(table);
    const i64: Expr = { op: 'col', name: 'i64_1', kind: 'int64' };
    // group 1 holds 2^62 and 2^63-1 → its sum exceeds int64 → must raise ArithmeticOverflowError
    const aggs: Agg[] = [
      { fn: 'min', arg: i64, byName: true, alias: 'mn' },
      { fn: 'max', arg: i64, byName: true, alias: 'mx' },
      { fn: 'count', arg: i64, byName: true, alias: 'n' },
    ];
    await named('extremes/minmax', fixed, { mode: 'agg', filter: null, keys: ['i8_0'], aggs, orderBy: null }, () => {});
    const r = await runCase(db, sessionFor, fixed, { mode: 'agg', filter: null, keys: ['i8_0'], aggs: [{ fn: 'sum', arg: i64, byName: true, alias: 's' }], orderBy: null }, 'extremes/sum-overflow', { partitions: 2, shufflePartitions: 2 });
    expect(r.overflow).toBe('required');
    assertAllMatch([r]);
    // rows 6.. only: exact sums of multiples of 2^53+1 (beyond double precision), no overflow
    const filter: Pred = { op: 'cmp', fn: 'ge', l: { op: 'col', name: 'i64_1', kind: 'int64' }, r: { op: 'lit', lit: { t: 'int', v: 6n * (2n ** 53n + 1n), js: 'bigint' }, wrap: false } };
    const filter2: Pred = { op: 'and', l: filter, r: { op: 'cmp', fn: 'lt', l: i64, r: { op: 'lit', lit: { t: 'int', v: 2n ** 62n, js: 'bigint' }, wrap: true } } };
    const r2 = await runCase(db, sessionFor, fixed, { mode: 'agg', filter: filter2, keys: ['i8_0'], aggs: [{ fn: 'sum', arg: i64, byName: true, alias: 's' }, { fn: 'avg', arg: i64, byName: false, alias: 'a' }], orderBy: null }, 'extremes/sum-exact', { partitions: 3, shufflePartitions: 2 });
    expect(r2.overflow).toBe('none');
    assertAllMatch([r2]);
  });
});
