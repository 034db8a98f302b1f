/** Numbers as the report prints them: durations, counts and bytes, short and unit-labelled. */

export function ms(x: number): string {
  if (!Number.isFinite(x)) return '–';
  if (x >= 10_000) return `${(x / 1000).toFixed(1)} s`;
  return `${x.toFixed(x >= 100 ? 0 : x >= 10 ? 1 : 2)} ms`;
}

/** 1234567 → '1.23M'. */
export function count(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let x = n;
  let u = 0;
  while (x >= 1024 && u < units.length - 1) { x /= 1024; u++; }
  return u === 0 ? `${n} B` : `${x.toFixed(x >= 100 ? 0 : 1)} ${units[u]}`;
}
