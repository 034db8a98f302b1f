/**
 * Strings by code point (the order of their UTF-8 bytes, as Spark and DuckDB sort), not by UTF-16
 * code units as JS `<` does: a surrogate (U+D800..DFFF, half of a code point beyond U+FFFF) must
 * sort after U+E000..FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i), y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

const codePointRank = (u: number): number => (u >= 0xd800 && u <= 0xdfff ? u + 0x2000 : u >= 0xe000 ? u - 0x800 : u);
