import { describe, expect, it } from 'vitest';
import { checkAnswer } from '../../bench/answer-check.ts';
import type { Rows } from '../../bench/compare-rows.ts';
import { QUERIES } from '../../bench/queries.ts';

const q1 = QUERIES.find((q) => q.id === 'q1')!;

/** DuckDB's answer to q1 as its JS rows come: INTEGER keys as numbers, HUGEINT sums and BIGINT counts as bigints. */
const duckdb: Rows = {
  names: ['id4', 'sum_v1', 'cnt', 'avg_v3', 'min_v3', 'max_v3'],
  types: ['INTEGER', 'HUGEINT', 'BIGINT', 'DOUBLE', 'DOUBLE', 'DOUBLE'],
  rows: [
    [1, 30n, 10n, 50.123456, 0.5, 99.25],
    [2, 12n, 4n, 1e6 / 3, 1.75, 98],
  ],
};

/** The same answer as gpuframe's Arrow result reads (Int32 keys as bigints, groups in another order). */
const engine = (patch: (rows: Rows['rows']) => void = () => {}): Rows => {
  const rows: Rows['rows'] = [
    [2n, 12n, 4n, 1e6 / 3, 1.75, 98],
    [1n, 30n, 10n, 50.123456, 0.5, 99.25],
  ];
  patch(rows);
  return { names: [...duckdb.names], types: ['Int32', 'Int64', 'Int64', 'Float64', 'Float64', 'Float64'], rows };
};

describe('checkAnswer (the benchmark against DuckDB, through bench/compare-rows.ts)', () => {
  it('accepts the same groups in any order, integers of any width, floats within 1e-9 relative', () => {
    expect(checkAnswer(q1, engine(), duckdb)).toEqual({ ok: true });
    expect(checkAnswer(q1, engine((r) => (r[0]![3] = (1e6 / 3) * (1 + 5e-10))), duckdb)).toEqual({ ok: true });
  });

  it('reports a float beyond the tolerance, an integer off by one, a missing and an extra group', () => {
    const far = checkAnswer(q1, engine((r) => (r[0]![3] = (1e6 / 3) * (1 + 1e-8))), duckdb);
    expect(far.ok).toBe(false);
    if (!far.ok) expect(far.details.join('\n')).toMatch(/group 2n column avg_v3/);
    const int = checkAnswer(q1, engine((r) => (r[1]![1] = 31n)), duckdb);
    expect(int.ok).toBe(false);
    if (!int.ok) expect(int.details.join('\n')).toMatch(/column sum_v1: expected 30n, got 31n/);
    const moved = checkAnswer(q1, engine((r) => (r[0]![0] = 3n)), duckdb);
    expect(moved.ok).toBe(false);
    if (!moved.ok) expect(moved.details.join('\n')).toMatch(/missing group 2n[\s\S]*unexpected group 3n/);
  });
});
