/**
 * How a hash-table slot holds its key on the GPU: WGSL atomics are relaxed, so a lane that sees
 * one word of a slot written may still read another word of it as 0. So no stored word is ever 0:
 *
 *   words 0 … k-1: (w_j >> 1) | 0x80000000        word k: 0x80000000 | Σ (w_j & 1) << j
 *
 * Each word goes once from 0 to its final value, so a reader that finds a 0 knows the word is not
 * visible yet (and looks again) instead of taking it for a key word of 0. Word 0 is the claim: the
 * lane whose compare-exchange puts it there owns the slot; a different word 0 means another key,
 * so most probes are decided by that one atomic. k ≤ 31.
 */
export const MAX_TABLE_KEY_WORDS = 31;

/** WGSL: the stored form of key word `w` (never 0). */
export const storedWordWgsl = (w: string): string => `((${w} >> 1u) | 0x80000000u)`;

/** WGSL: the stored low-bits word of the key words `ws`. */
export const lowWordWgsl = (ws: readonly string[]): string =>
  ['0x80000000u', ...ws.map((w, j) => `((${w} & 1u) << ${j}u)`)].join(' | ');

/** WGSL: key word j back from its stored word and the slot's low-bits word. */
export const keyWordWgsl = (stored: string, low: string, j: number): string => `((${stored} << 1u) | ((${low} >> ${j}u) & 1u))`;

/** Host: key word j of the slot whose words start at `b` in a table of k key words per slot. */
export const keyWordAt = (table: Uint32Array, b: number, j: number, k: number): number =>
  ((table[b + j] << 1) | ((table[b + k] >>> j) & 1)) >>> 0;
