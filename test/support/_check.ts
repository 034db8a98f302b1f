import { DuckDb } from './duckdb.ts';
import { generateTable, deriveSeed, Rng, describeTable } from './random.ts';
import { genQuery, toSql, toCode, outputColumns } from './sql.ts';
import { arrowRows } from './compare.ts';
const db = await DuckDb.create();
let n = 0, errs = 0, empty = 0, rowsTot = 0, overflow = 0, allowed = 0;
const t0 = Date.now();
const N = Number(process.argv[2] ?? 200);
for (let s = 1000; s < 1000 + N; s++) {
  const t = generateTable(s);
  // arrow vs model
  const got = arrowRows(t.table);
  if (got.rows.length !== t.rows) throw new Error(`seed ${s}: arrow rows ${got.rows.length} vs ${t.rows}`);
  for (let r = 0; r < t.rows; r++) t.columns.forEach((c, i) => {
    const m = c.values[r]; const a = got.rows[r]![i];
    const same = m === a || (typeof m === 'number' && typeof a === 'number' && Number.isNaN(m) && Number.isNaN(a));
    if (!same) throw new Error(`seed ${s} row ${r} col ${c.name}: model ${String(m)} arrow ${String(a)} ${t.layout}`);
  });
  await db.load('t', t.columns, t.rows);
  for (let qi = 0; qi < 4; qi++) {
    const rng = new Rng(deriveSeed(s, 'query', qi)); rng.int(1,5); rng.int(1,9);
    const q = genQuery(rng, t);
    const sql = toSql(q);
    n++;
    try {
      const res = await db.query(sql);
      outputColumns(q, t);
      if (res.rows.length === 0) empty++;
      rowsTot += res.rows.length;
      const idx = new Map(res.names.map((x, i) => [x, i]));
      let req = false, al = false;
      for (const c of outputColumns(q, t)) if (c.absCol && c.kind === 'int') for (const r of res.rows) {
        const v = r[idx.get(c.name)!] as bigint | null; const ab = r[idx.get(c.absCol)!] as bigint | null;
        if (v !== null && (v > 2n**63n-1n || v < -(2n**63n))) req = true; else if (ab !== null && ab > 2n**63n-1n) al = true;
      }
      if (req) overflow++; else if (al) allowed++;
    } catch (e) { errs++; console.log(`seed ${s}/${qi}: ${(e as Error).message}\n  ${sql}\n  ${toCode(q)}`); }
  }
}
console.log({ n, errs, empty, rowsTot, overflow, allowed, ms: Date.now() - t0 });
console.log(describeTable(generateTable(1003)));
const t = generateTable(1003);
for (let qi = 0; qi < 4; qi++) { const rng = new Rng(deriveSeed(1003, 'query', qi)); rng.int(1,5); rng.int(1,9); const q = genQuery(rng, t); console.log(toCode(q)); console.log(toSql(q)); }
