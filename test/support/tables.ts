/** Small hand-made tables shared by the unit tests. */
import * as arrow from 'apache-arrow';
import { Session, type DataFrame } from '../../src/index.ts';

/** The seed's marble example: bags A, A, B, B, C, C with 10, 20, 5, 5, 25, 25 marbles. */
export function marbles(): arrow.Table {
  return arrow.tableFromArrays({
    bag: ['Bag_A', 'Bag_A', 'Bag_B', 'Bag_B', 'Bag_C', 'Bag_C'],
    marbles: Int32Array.from([10, 20, 5, 5, 25, 25]),
  });
}

/** A table from columns given as JS arrays (null allowed) with explicit Arrow types. */
export function tableOf(columns: Record<string, [arrow.DataType, unknown[]]>): arrow.Table {
  const vectors: Record<string, arrow.Vector> = {};
  for (const [name, [type, values]] of Object.entries(columns)) vectors[name] = arrow.vectorFromArray(values, type);
  return new arrow.Table(vectors);
}

/** Rows of a table as plain objects with bigints turned into numbers where exact. */
export function rowsOf(t: arrow.Table): Record<string, unknown>[] {
  return t.toArray().map((r) => {
    const o: Record<string, unknown> = {};
    for (const f of t.schema.fields) {
      const v = r[f.name];
      o[f.name] = typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
    return o;
  });
}

export async function withSession<T>(fn: (s: Session) => Promise<T>, opts: Parameters<typeof Session.create>[0] = {}): Promise<T> {
  const s = await Session.create({ cores: 2, shufflePartitions: 3, ...opts });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

export async function collectRows(df: DataFrame): Promise<Record<string, unknown>[]> {
  return rowsOf(await df.collect());
}
