/**
 * Random DataFrames over a random table (random.ts): an optional Kleene filter of comparisons,
 * IN, IS NULL and boolean columns, 0-2 group keys, and 1-3 aggregates fitting each column's type.
 */
import { avg, col, count, max, min, sum, type DataFrame } from '../../src/index.ts';
import { isNumericKind, type ColumnModel, type Rng, type TableModel } from './random.ts';

type Column = ReturnType<typeof col>;

function literalOf(c: ColumnModel, rng: Rng): unknown {
  const v = rng.pick(c.pool.length ? c.pool : [null]);
  if (typeof v === 'bigint') return c.kind === 'int64' ? v : Number(v);
  if (c.kind === 'date32' && typeof v === 'number') return new Date(v * 86_400_000);
  return v;
}

function predicate(t: TableModel, rng: Rng, depth = 0): Column {
  if (depth < 2 && rng.bool(0.35)) {
    const a = predicate(t, rng, depth + 1), b = predicate(t, rng, depth + 1);
    return rng.pick(['and', 'or'] as const) === 'and' ? a.and(b) : a.or(b);
  }
  const c = rng.pick(t.columns);
  if (rng.bool(0.15)) return rng.bool() ? col(c.name).isNull() : col(c.name).isNotNull();
  const x = col(c.name);
  if (c.kind === 'bool') return rng.bool() ? x : x.not();
  const lit = literalOf(c, rng) as never;
  if (c.kind === 'utf8' || c.kind === 'lutf8' || c.kind === 'dict') return rng.bool() ? x.eq(lit) : x.isIn([lit, literalOf(c, rng) as never]);
  const op = rng.pick(['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const);
  return x[op](lit);
}

export function randomFrame(df: DataFrame, t: TableModel, rng: Rng): DataFrame {
  let d = rng.bool(0.6) ? df.filter(predicate(t, rng)) : df;
  const aggs = [count().as('n')];
  for (const c of rng.sample(t.columns, rng.int(1, 3))) {
    const numeric = isNumericKind(c.kind);
    const fns = numeric ? ['sum', 'avg', 'min', 'max'] : c.kind === 'date32' || c.kind === 'bool' ? ['min', 'max', 'count'] : ['count'];
    const fn = rng.pick(fns);
    const name = `${fn}_${c.name}_${aggs.length}`;
    aggs.push(({ sum, avg, min, max, count } as Record<string, (x: string) => ReturnType<typeof sum>>)[fn](c.name).as(name));
  }
  const keys = rng.sample(t.columns, rng.weighted([[2, 0], [5, 1], [3, 2]])).map((c) => c.name);
  return keys.length ? d.groupBy(...keys).agg(...aggs) : d.agg(...aggs);
}
