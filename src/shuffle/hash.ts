/**
 * The one key hash of the engine: MurmurHash3 (x86, 32-bit) over a sequence of 32-bit words.
 * The CPU partitioner, the CPU hash tables and the GPU kernels all hash these same words, so a key
 * lands in the same reduce partition whichever executor ran its map task.
 *
 * Words of one key value (see keyWords in key-words.ts): integers up to 32 bits → 1 word (their bits);
 * 64-bit integers, dates and timestamps → 2 words (low, high); floats → the 2 words of the float64 bit
 * pattern with -0 folded into 0 and every NaN into the canonical NaN; booleans → 0/1; strings → the
 * MurmurHash3 of their UTF-16 code units; null → the single word NULL_WORD.
 */
export const SHUFFLE_SEED = 0x5eed;
/** The hash tables use another seed, so that keys of one reduce partition do not share low bits. */
export const TABLE_SEED = 0x7ab1e;
export const NULL_WORD = 0x9e3779b9 | 0;

const C1 = 0xcc9e2d51 | 0;
const C2 = 0x1b873593 | 0;

/** One MurmurHash3 body step: the running hash h after absorbing the word w. */
export function mixWord(h: number, w: number): number {
  let k = Math.imul(w, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** MurmurHash3 finalization of a running hash over `count` words. */
export const finish = (h: number, count: number): number => fmix(h ^ (count * 4));

/** MurmurHash3_x86_32 of words[start .. start+count). Returns a signed 32-bit int. */
export function hashWords(words: Int32Array, start: number, count: number, seed: number): number {
  let h = seed | 0;
  for (let j = 0; j < count; j++) h = mixWord(h, words[start + j]);
  return finish(h, count);
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35 | 0);
  return h ^ (h >>> 16);
}

/** MurmurHash3_x86_32 of a string's UTF-16 code units, one word each (one argument: it is passed to Array.from and map). */
export const hashString = (s: string): number => seededStringHash(s, SHUFFLE_SEED);

/** The same over another seed. */
export function seededStringHash(s: string, seed: number): number {
  let h = seed | 0;
  for (let j = 0; j < s.length; j++) h = mixWord(h, s.charCodeAt(j));
  return finish(h, s.length);
}

/**
 * JS source computing the same hash as hashWords over the given word expressions, inlined into
 * generated kernels; the result is left in the variable named `out`.
 */
export function hashSource(wordExprs: readonly string[], seed: number, out: string): string {
  const lines = [`let ${out} = ${seed | 0}, ${out}k = 0;`];
  for (const w of wordExprs) {
    lines.push(
      `${out}k = Math.imul(${w}, ${C1}); ${out}k = (${out}k << 15) | (${out}k >>> 17); ${out}k = Math.imul(${out}k, ${C2});`,
      `${out} ^= ${out}k; ${out} = (${out} << 13) | (${out} >>> 19); ${out} = (Math.imul(${out}, 5) + 0xe6546b64) | 0;`,
    );
  }
  lines.push(
    `${out} ^= ${wordExprs.length * 4}; ${out} ^= ${out} >>> 16; ${out} = Math.imul(${out}, 0x85ebca6b);`,
    `${out} ^= ${out} >>> 13; ${out} = Math.imul(${out}, ${0xc2b2ae35 | 0}); ${out} ^= ${out} >>> 16;`,
  );
  return lines.join('\n');
}

/** The reduce partition of a key hash. */
export const partitionOf = (hash: number, partitions: number): number => (hash >>> 0) % partitions;
