/**
 * WGSL operations on the map kernel's slot words, which the accumulator rows (gpu-accumulators.ts)
 * are written in. The kernel's arrays of slot words are named: `acc` the task's slot array (global,
 * atomic), `W` workgroup memory (atomic), `L` an invocation's private array and `slot` the row's
 * slot of its region (words of the invocation's own: plain loads and stores, no atomics).
 */

/** Whether `array` holds words of the invocation's own (plain loads and stores, no atomics). */
export const isOwnArray = (array: string): boolean => array === 'L' || array === 'slot';

/** One update of word i of `array` by v: atomic on shared arrays, plain on the invocation's own. */
export const wordUpdate = (name: 'Add' | 'Or' | 'Min' | 'Max', array: string, i: string, v: string): string => {
  if (!isOwnArray(array)) return `atomic${name}(&${array}[${i}], ${v});`;
  const x = `${array}[${i}]`;
  const e = { Add: `${x} + ${v}`, Or: `${x} | ${v}`, Min: `min(${x}, ${v})`, Max: `max(${x}, ${v})` }[name];
  return `${x} = ${e};`;
};

/** The WGSL function `add{words}_{array}`: a multi-word add with carries into `array` at word b, skipping zero addends. */
export function addWordsFn(array: string, words: number): string {
  const args = Array.from({ length: words }, (_, w) => `a${w}: u32`).join(', ');
  const lines = [`fn add${words}_${array}(b: u32, ${args}) {`, '  var c = 0u;', '  var t = 0u;'];
  for (let w = 0; w < words; w++) {
    lines.push(`  t = a${w} + c;`, `  c = select(0u, 1u, t < c);`);
    // Private words: branch-free; shared words: an atomic only for a nonzero addend.
    const x = `${array}[b + ${w}u]`;
    if (isOwnArray(array)) lines.push(w < words - 1 ? `  { let o = ${x}; ${x} = o + t; c = c + select(0u, 1u, o + t < o); }` : `  ${x} = ${x} + t;`);
    else if (w < words - 1) lines.push(`  if (t != 0u) { let o = atomicAdd(&${array}[b + ${w}u], t); c = c + select(0u, 1u, o + t < o); }`);
    else lines.push(`  if (t != 0u) { atomicAdd(&${array}[b + ${w}u], t); }`);
  }
  lines.push('}');
  return lines.join('\n');
}

/** The fold kernel's add of a region's words x[at..at+n) into the slot's a[at..at+n), carrying from each word into the next. */
export function foldAddWithCarry(at: number, n: number): string[] {
  const out = ['{ var c = 0u;'];
  for (let w = 0; w < n; w++) {
    const i = at + w;
    out.push(`  { let t = x${i} + c; c = select(0u, 1u, t < c); let o = a[${i}]; a[${i}] = o + t; c = c + select(0u, 1u, o + t < o); }`);
  }
  out.push('}');
  return out;
}
