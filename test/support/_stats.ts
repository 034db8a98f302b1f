import { DuckDb } from './duckdb.ts';
import { generateTable, deriveSeed, Rng } from './random.ts';
import { genQuery, toSql, toCode } from './sql.ts';
const db = await DuckDb.create();
const N = Number(process.argv[2] ?? 200);
const st: Record<string, number> = {};
const inc = (k: string) => (st[k] = (st[k] ?? 0) + 1);
for (let s = 1000; s < 1000 + N; s++) {
  const t = generateTable(s);
  await db.load('t', t.columns, t.rows);
  inc(`rows:${t.rows === 0 ? '0' : t.rows === 1 ? '1' : t.rows <= 50 ? '2-50' : t.rows <= 400 ? '51-400' : '2500+'}`);
  if (t.layout.includes('sliced')) inc('layout:sliced');
  if (t.layout.includes('RecordBatch[]')) inc('layout:batches[]');
  for (let qi = 0; qi < 4; qi++) {
    const rng = new Rng(deriveSeed(s, 'query', qi)); rng.int(1,5); rng.int(1,9);
    const q = genQuery(rng, t);
    const code = toCode(q);
    inc('mode:' + q.mode + (q.mode === 'agg' ? (q.keys.length ? '/grouped' : '/global') : ''));
    const res = await db.query(toSql(q));
    if (res.rows.length === 0) inc('empty:' + q.mode + (q.keys.length ? '/grouped' : ''));
    if (q.mode === 'count' && res.rows[0]![0] === 0n) inc('count=0');
    for (const k of q.keys) { const c = t.columns.find(c => c.name === k)!; inc('key:' + c.kind); if (c.kind === 'float64' && c.specials) inc('key:float-specials'); }
    for (const a of q.aggs) inc('agg:' + a.fn + (a.arg?.op === 'arith' ? '(expr)' : ''));
    for (const m of code.matchAll(/\.(eq|ne|lt|le|gt|ge|isIn|between|isNull|isNotNull|and|or|not|add|sub|mul|div)\(/g)) inc('op:' + m[1]);
  }
}
console.log(Object.entries(st).sort().map(([k, v]) => `${k}=${v}`).join('\n'));
