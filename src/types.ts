/**
 * The engine's logical types and their mapping to and from Arrow. Dictionary<Utf8>, Utf8 and
 * LargeUtf8 are one logical type, `utf8`: the physical encoding is a property of each batch.
 */
import * as arrow from 'apache-arrow';
import { UnsupportedTypeError } from './errors.ts';

export type TypeId =
  | 'int8' | 'int16' | 'int32' | 'int64'
  | 'uint8' | 'uint16' | 'uint32' | 'uint64'
  | 'float32' | 'float64' | 'bool' | 'utf8'
  | 'date32' | 'date64' | 'timestamp' | 'decimal';

export type TimeUnit = 's' | 'ms' | 'us' | 'ns';

export interface DType {
  readonly id: TypeId;
  /** Timestamp unit; absent for other types. */
  readonly unit?: TimeUnit;
  readonly tz?: string | null;
  /** Decimal: total digits (1..38) and digits after the point; absent for other types. */
  readonly precision?: number;
  readonly scale?: number;
}

/** decimal(p, s): unscaled integers of at most p digits, s of them after the point. */
export const decimalType = (precision: number, scale: number): DType => ({ id: 'decimal', precision, scale });
export const isDecimal = (t: DType | null): boolean => t?.id === 'decimal';
/** Decimals wider than 18 digits: 128-bit unscaled values (decimal.ts), computed on exactly on the CPU executor. */
export const DECIMAL64_PRECISION = 18;
export const isDecimal128 = (t: DType | null): boolean => t?.id === 'decimal' && t.precision! > DECIMAL64_PRECISION;
/** Key columns held as text: strings, and 128-bit decimals as their canonical decimal text. */
export const isTextKey = (t: DType): boolean => t.id === 'utf8' || isDecimal128(t);
/** The largest precision a Decimal128 holds. */
export const MAX_DECIMAL_PRECISION = 38;

export const INT_TYPES = new Set<TypeId>(['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64']);

export const isInteger = (t: DType): boolean => INT_TYPES.has(t.id);
export const isFloat = (t: DType): boolean => t.id === 'float32' || t.id === 'float64';
export const isNumeric = (t: DType): boolean => isInteger(t) || isFloat(t);
export const isTemporal = (t: DType): boolean => t.id === 'date32' || t.id === 'date64' || t.id === 'timestamp';
/** Types whose values are 64-bit integers (read as two 32-bit words on every executor); decimals up to 18 digits as their unscaled values. */
export const isWide = (t: DType): boolean =>
  t.id === 'int64' || t.id === 'uint64' || t.id === 'date64' || t.id === 'timestamp' || (t.id === 'decimal' && !isDecimal128(t));

export function typeName(t: DType): string {
  if (t.id === 'decimal') return `decimal(${t.precision}, ${t.scale})`;
  return t.id === 'timestamp' ? `timestamp[${t.unit}${t.tz ? `, ${t.tz}` : ''}]` : t.id;
}

export function sameType(a: DType, b: DType): boolean {
  return a.id === b.id && a.unit === b.unit && (a.tz ?? null) === (b.tz ?? null) && a.precision === b.precision && a.scale === b.scale;
}

/** Inclusive value range of an integer type, as numbers (64-bit bounds are approximate; used for static bounds only). */
export function intRange(t: DType): [number, number] {
  switch (t.id) {
    case 'int8': return [-128, 127];
    case 'int16': return [-32768, 32767];
    case 'int32': case 'date32': return [-2147483648, 2147483647];
    case 'uint8': case 'bool': return [0, 255];
    case 'uint16': return [0, 65535];
    case 'uint32': return [0, 4294967295];
    case 'uint64': return [0, 2 ** 64];
    case 'decimal': { const m = 10 ** t.precision! - 1; return [-m, m]; }
    default: return [-(2 ** 63), 2 ** 63];
  }
}

const UNITS: Record<number, TimeUnit> = {
  [arrow.TimeUnit.SECOND]: 's',
  [arrow.TimeUnit.MILLISECOND]: 'ms',
  [arrow.TimeUnit.MICROSECOND]: 'us',
  [arrow.TimeUnit.NANOSECOND]: 'ns',
};

/** The logical type of an Arrow field, or UnsupportedTypeError naming the column and type. */
export function fromArrowType(column: string, type: arrow.DataType): DType {
  switch (type.typeId) {
    case arrow.Type.Int: {
      const t = type as arrow.Int;
      return { id: `${t.isSigned ? 'int' : 'uint'}${t.bitWidth}` as TypeId };
    }
    case arrow.Type.Float: {
      const p = (type as arrow.Float).precision;
      if (p === arrow.Precision.SINGLE) return { id: 'float32' };
      if (p === arrow.Precision.DOUBLE) return { id: 'float64' };
      break;
    }
    case arrow.Type.Bool: return { id: 'bool' };
    case arrow.Type.Utf8:
    case arrow.Type.LargeUtf8: return { id: 'utf8' };
    case arrow.Type.Dictionary: {
      const d = type as arrow.Dictionary;
      if (d.dictionary.typeId === arrow.Type.Utf8 || d.dictionary.typeId === arrow.Type.LargeUtf8) return { id: 'utf8' };
      break;
    }
    case arrow.Type.Date: {
      const u = (type as arrow.Date_).unit;
      return { id: u === arrow.DateUnit.DAY ? 'date32' : 'date64' };
    }
    case arrow.Type.Timestamp: {
      const t = type as arrow.Timestamp;
      return { id: 'timestamp', unit: UNITS[t.unit], tz: t.timezone ?? null };
    }
    case arrow.Type.Decimal: {
      const t = type as arrow.Decimal;
      return decimalType(t.precision, t.scale);
    }
  }
  throw new UnsupportedTypeError(column, String(type));
}

const ARROW_UNIT: Record<TimeUnit, arrow.TimeUnit> = {
  s: arrow.TimeUnit.SECOND,
  ms: arrow.TimeUnit.MILLISECOND,
  us: arrow.TimeUnit.MICROSECOND,
  ns: arrow.TimeUnit.NANOSECOND,
};

export function toArrowType(t: DType): arrow.DataType {
  switch (t.id) {
    case 'int8': return new arrow.Int8();
    case 'int16': return new arrow.Int16();
    case 'int32': return new arrow.Int32();
    case 'int64': return new arrow.Int64();
    case 'uint8': return new arrow.Uint8();
    case 'uint16': return new arrow.Uint16();
    case 'uint32': return new arrow.Uint32();
    case 'uint64': return new arrow.Uint64();
    case 'float32': return new arrow.Float32();
    case 'float64': return new arrow.Float64();
    case 'bool': return new arrow.Bool();
    case 'utf8': return new arrow.Utf8();
    case 'date32': return new arrow.DateDay();
    case 'date64': return new arrow.DateMillisecond();
    case 'timestamp': return new arrow.Timestamp(ARROW_UNIT[t.unit ?? 'ms'], t.tz ?? null);
    case 'decimal': return new arrow.Decimal(t.scale!, t.precision!, 128);
  }
}

/** The typed-array constructor that holds values of a fixed-width type. */
export function valuesArrayFor(t: DType): Int8ArrayConstructor | Int16ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor
  | Uint16ArrayConstructor | Uint32ArrayConstructor | Float32ArrayConstructor | Float64ArrayConstructor
  | BigInt64ArrayConstructor | BigUint64ArrayConstructor {
  switch (t.id) {
    case 'int8': return Int8Array;
    case 'int16': return Int16Array;
    case 'int32': case 'date32': return Int32Array;
    case 'uint8': case 'bool': return Uint8Array;
    case 'uint16': return Uint16Array;
    case 'uint32': return Uint32Array;
    case 'float32': return Float32Array;
    case 'float64': return Float64Array;
    case 'uint64': return BigUint64Array;
    case 'int64': case 'date64': case 'timestamp': case 'decimal': return BigInt64Array;
    case 'utf8': throw new Error('utf8 has no fixed-width values array');
  }
}
