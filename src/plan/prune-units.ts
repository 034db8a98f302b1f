/**
 * Predicate pushdown: whether a file unit (a Parquet row group) may hold a row that passes a filter,
 * judged from its columns' min/max and null counts. `false` only where no row can pass under the
 * engine's own rules (SQL nulls; NaN greater than every number, which statistics leave out), so
 * skipping never changes an answer; anything it cannot judge may match.
 */
import type { CmpOp } from '../expr/expr.ts';
import type { TExpr } from '../expr/resolve.ts';
import { isFloat, isInteger, type DType } from '../types.ts';
import type { ColumnStats, FileUnit } from '../io/file-source.ts';

type Scalar = number | bigint | string;
const FLIP: Record<CmpOp, CmpOp> = { eq: 'eq', ne: 'ne', lt: 'gt', le: 'ge', gt: 'lt', ge: 'le' };

/** Types whose statistics compare as the engine compares values (strings: equality only). */
const judged = (t: DType): boolean => isInteger(t) || isFloat(t) || t.id === 'date32' || t.id === 'utf8';

/** -1, 0, 1; null where the two cannot be compared. Strings compare as UTF-8 bytes, as Parquet orders them. */
function order(a: Scalar, b: Scalar): number | null {
  if (typeof a === 'string' || typeof b === 'string') {
    return typeof a === 'string' && typeof b === 'string' ? Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))) : null;
  }
  if (typeof a === 'number' && Number.isNaN(a)) return null;
  if (typeof b === 'number' && Number.isNaN(b)) return null;
  // Mixed number / bigint: compare exactly (Number() could round a 64-bit value).
  if (typeof a !== typeof b) {
    const x = typeof a === 'bigint' ? a : Number.isInteger(a) ? BigInt(a) : null;
    const y = typeof b === 'bigint' ? b : Number.isInteger(b) ? BigInt(b) : null;
    if (x === null || y === null) return null;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether `column op value` may hold for a row of the unit. */
function cmpMayMatch(op: CmpOp, column: TExpr & { kind: 'col' }, value: unknown, s: ColumnStats | undefined, rows: number): boolean {
  if (!s) return true;
  if (s.nullCount !== undefined && s.nullCount >= rows && rows > 0) return false; // every row null: the comparison is null
  if (value === null) return false; // x op NULL is null
  if (!judged(column.dtype) || s.min === undefined || s.max === undefined) return true;
  if (typeof value !== 'number' && typeof value !== 'bigint' && typeof value !== 'string') return true;
  if (typeof value === 'number' && Number.isNaN(value)) return true;
  // A float column's NaN rows pass >, >= and != of any number but do not show in min / max.
  if (isFloat(column.dtype) && (op === 'gt' || op === 'ge' || op === 'ne')) return true;
  if (column.dtype.id === 'utf8' && op !== 'eq' && op !== 'ne') return true;
  const lo = order(value, s.min), hi = order(value, s.max);
  if (lo === null || hi === null) return true;
  switch (op) {
    case 'eq': return lo >= 0 && hi <= 0;
    case 'ne': return !(lo === 0 && hi === 0);
    case 'lt': return lo > 0; // some value < v: min < v
    case 'le': return lo >= 0;
    case 'gt': return hi < 0; // max > v
    case 'ge': return hi <= 0;
  }
}

export function mayMatch(e: TExpr, unit: FileUnit): boolean {
  switch (e.kind) {
    case 'logic':
      return e.op === 'and' ? mayMatch(e.left, unit) && mayMatch(e.right, unit) : mayMatch(e.left, unit) || mayMatch(e.right, unit);
    case 'isNull': {
      if (e.arg.kind !== 'col') return true;
      const n = unit.stats[e.arg.name]?.nullCount;
      if (n === undefined) return true;
      return e.negated ? n < unit.rows : n > 0;
    }
    case 'cmp': {
      if (e.left.kind === 'col' && e.right.kind === 'lit') return cmpMayMatch(e.op, e.left, e.right.value, unit.stats[e.left.name], unit.rows);
      if (e.right.kind === 'col' && e.left.kind === 'lit') return cmpMayMatch(FLIP[e.op], e.right, e.left.value, unit.stats[e.right.name], unit.rows);
      return true;
    }
    case 'in': {
      if (e.arg.kind !== 'col') return true;
      const arg = e.arg;
      return e.list.some((x) => x.kind !== 'lit' || cmpMayMatch('eq', arg, x.value, unit.stats[arg.name], unit.rows));
    }
    case 'strMatch': {
      const prefix = likePrefix(e);
      if (prefix === null || e.arg.kind !== 'col') return true;
      return prefixMayMatch(prefix, unit.stats[e.arg.name], unit.rows);
    }
    case 'lit':
      return e.value !== false && e.value !== null;
    default:
      return true;
  }
}

/** The literal prefix every matching string starts with (startsWith, or LIKE up to its first % or _); null where there is none. */
function likePrefix(e: TExpr & { kind: 'strMatch' }): string | null {
  if (e.op === 'startsWith') return e.pattern === '' ? null : e.pattern;
  if (e.op !== 'like') return null;
  const cut = e.pattern.search(/[%_]/);
  const prefix = cut < 0 ? e.pattern : e.pattern.slice(0, cut);
  return prefix === '' ? null : prefix;
}

/**
 * Whether a unit whose strings lie in [min, max] (UTF-8 byte order) may hold one starting with
 * `prefix`: not if max < prefix, nor if min's first bytes already exceed it. Writers that truncate
 * statistics keep min below and max above the true values, so this stays safe.
 */
function prefixMayMatch(prefix: string, s: ColumnStats | undefined, rows: number): boolean {
  if (!s) return true;
  if (s.nullCount !== undefined && s.nullCount >= rows && rows > 0) return false;
  if (typeof s.min !== 'string' || typeof s.max !== 'string') return true;
  const p = Buffer.from(prefix);
  if (Buffer.compare(Buffer.from(s.max), p) < 0) return false;
  return Buffer.compare(Buffer.from(s.min).subarray(0, p.length), p) <= 0;
}

/** Whether statistics can ever rule a unit out for this filter (it is a pushed filter). */
export function pushable(e: TExpr): boolean {
  switch (e.kind) {
    case 'logic': return e.op === 'and' ? pushable(e.left) || pushable(e.right) : pushable(e.left) && pushable(e.right);
    case 'isNull': return e.arg.kind === 'col';
    case 'cmp': return (e.left.kind === 'col' && e.right.kind === 'lit') || (e.right.kind === 'col' && e.left.kind === 'lit');
    case 'in': return e.arg.kind === 'col' && e.list.every((x) => x.kind === 'lit');
    case 'strMatch': return e.arg.kind === 'col' && likePrefix(e) !== null;
    default: return false;
  }
}
