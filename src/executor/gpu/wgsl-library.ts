/** The hand-written WGSL helpers in shaders/, read once; generated kernels include them verbatim. */
import { readFileSync } from 'node:fs';

const load = (name: string): string => readFileSync(new URL(`../../../shaders/${name}`, import.meta.url), 'utf8');

/** MurmurHash3 over words (mm_mix, mm_finish). */
export const MURMUR3_WGSL = load('murmur3.wgsl');
/** Float64-as-bits helpers: order keys, exact int → f64, fixed point, double-float arithmetic. */
export const F64_WGSL = load('f64.wgsl');
