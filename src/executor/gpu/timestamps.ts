/**
 * Compute-pass times from resolved timestamp queries: each pass writes a begin and an end
 * timestamp, 64-bit nanoseconds on the GPU's clock, read back as pairs of u32 words.
 */

/** Nanoseconds of each pass, from (begin, end) timestamp pairs; a clock that stepped back counts 0. */
export function passTimes(words: Uint32Array): number[] {
  const at = (i: number) => words[2 * i] + words[2 * i + 1] * 2 ** 32;
  const out: number[] = [];
  for (let i = 0; 2 * i + 3 < words.length; i += 2) out.push(Math.max(0, at(i + 1) - at(i)));
  return out;
}
