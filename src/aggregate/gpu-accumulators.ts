/**
 * The GPU form of the registry's states (registry.ts): one row per accumulator kind, holding all
 * of its slot words — their initial values, which ones a task keeps, the WGSL that accumulates a
 * row's value into them, merges a workgroup's copy and folds an invocation's region into the task's
 * slot, and the host decode back into the registry's partial state. Every word is a u32 updated
 * with atomics or, in words of an invocation's own, plain integer arithmetic, so results never
 * depend on the order rows arrive in. A kind's words, after the slot's word 0 (its rows):
 *
 *   countRows     none: the slot's rows
 *   distinct      none: countDistinct's argument is a group key, its state unused
 *   count         [nulls]
 *   isum          [nulls, s0, s1, s2]            96-bit two's complement sum, carried word to word
 *                                                 (an invocation's own words of 32-bit values: s0, s1
 *                                                 only; the fold kernel extends them)
 *   dsum          as isum                        a decimal sum, decoded into the registry's 4 limbs
 *   fsum          [nulls, flags, p0..p3, n0..n3] fixed point Σ|x|·2^S of positive / negative values,
 *                                                 flags: 1 NaN, 2 +Inf, 4 -Inf
 *   min/max 32    [nulls, key]                   order-preserving u32 key
 *   min/max 64    [nulls, keyHi, keyLo]          hi word in pass 0, lo word in pass 1 (an
 *                                                 invocation's own words: the pair in one pass)
 *   dmin/dmax 64  as min/max 64                  a wide decimal's (its task's values fit 64
 *                                                 bits), decoded into the registry's 44-bit limbs
 *   hll<p>        [nulls, r0 .. r(2^p − 1)]       approxCountDistinct: a register a word, raised by
 *                                                 atomicMax (global slots only: see gpu-plan.ts)
 *   ivar          [nulls, Σa², Σab, Σb², Σx]      integers of at most 32 bits (x = a·2^16 + b): four
 *                                                 96-bit sums as isum's, decoded into the registry's
 *                                                 exact limbs (Σx² = Σa²·2^32 + 2Σab·2^16 + Σb²)
 *
 * Null counts rather than non-null counts, so that columns without nulls cost nothing
 * (non-null = rows - nulls when states are emitted, as on the CPU). The null count word is handled
 * alike for every kind by the kernels; a row holds what differs: its value words (w ≥ 1).
 */
import { ArithmeticOverflowError } from '../errors.ts';
import { GpuUnsupported, type GVal } from '../expr/to-wgsl.ts';
import { isHll, normalizeSquaresAt, type AggSpec, type HllKind, type State } from './registry.ts';
import { HLL_MAX_P, HLL_MIN_P, HLL_SEEDS, REGISTER_PLACE } from './hyperloglog.ts';
import { u32Lit } from '../expr/to-wgsl.ts';
import { foldAddWithCarry, isOwnArray, wordUpdate } from './gpu-word-ops.ts';
import { fixedToF64, keyToF64, slotWord } from './gpu-word-values.ts';

export type GpuAccKind = 'countRows' | 'count' | 'isum' | 'dsum' | 'fsum' | 'min32' | 'max32' | 'min64' | 'max64' | 'dmin64' | 'dmax64' | 'distinct' | 'ivar' | HllKind;

/** Value form of an aggregate's argument in WGSL (to-wgsl.ts); 'none' for count(*). */
export type ArgForm = GVal['t'] | 'none';

/** One aggregate's words in a GPU slot (gpu-acc-layout.ts places them). */
export interface GpuAggField {
  readonly kind: GpuAccKind;
  readonly form: ArgForm;
  /** Word of the null count, then the value words. */
  readonly at: number;
  readonly words: number;
  /**
   * An aggregate with the same state over the same argument as an earlier one (sum(x) and avg(x)):
   * it owns no words and reads the earlier one's (the kernel accumulates them once).
   */
  readonly alias: boolean;
}

/** What a task's data says of one aggregate's argument (which words its slot arrays keep). */
export interface ArgFacts {
  /** Some row's argument may be null (its null count word is written). */
  readonly nullable: boolean;
  /** A float column argument with no NaN or ±Inf in the task (no flags word; no flag check). */
  readonly finite: boolean;
  /** A float column argument with no negative value in the task (no negative half). */
  readonly nonNegative: boolean;
}

/** How a float sum's kernel may treat its values (ArgFacts' finite, nonNegative). */
export interface SumFacts { readonly finite: boolean; readonly nonNegative: boolean }

/** One aggregate's update in the map kernel. */
export interface WordUpdate {
  /** The row's argument. */
  readonly value: GVal;
  /** The slot word array rows accumulate into (gpu-word-ops.ts names them). */
  readonly array: string;
  /** The index expression of the aggregate's word w (0: its null count) in the row's slot. */
  word(w: number): string;
  /** Pass 1 updates only the low words of 64-bit keys whose high word is final. */
  readonly pass: 0 | 1;
  /** Pass 1 of a privatized kernel: the final high words are in the workgroup's plain copy `H`. */
  readonly highWordsCopied: boolean;
  readonly sum: SumFacts;
  /** The WGSL param holding a float sum's fixed-point shift. */
  readonly shift: string;
}

/** One aggregate's merge of a workgroup's slot (`W` at wb) into the task's (`acc` at gb). */
export interface WordMerge {
  /** Whether both keep word w. */
  has(w: number): boolean;
  /** WGSL loading the workgroup's word w. */
  workgroup(w: number): string;
  /** The index expression of the task's word w. */
  global(w: number): string;
}

/** One aggregate's words in the used slots of a slot array read back. */
export interface WordSlots {
  readonly acc: Uint32Array;
  /** Words per slot. */
  readonly stride: number;
  readonly slots: Int32Array;
  /** Where the aggregate's word w lies in a slot (-1 where the slot array drops it: it is 0). */
  offset(w: number): number;
  readonly form: ArgForm;
}

/** One aggregate's decode: slot slots[i]'s state goes to index dest[i]. */
export interface WordDecode extends WordSlots {
  readonly dest: Int32Array;
  /** The registry state's fields, to fill; its non-null counts are decoded already. */
  readonly state: State;
  readonly nonNull: Float64Array;
  /** A float sum's fixed-point shift. */
  readonly shift: number;
  /** The initial value of the state's first field (a min / max of no value). */
  readonly init0: number;
}

export interface GpuAccumulator {
  /** Initial value of each of its words, the null count first; count(*) has none (the slot's rows are its count). */
  readonly init: readonly number[];
  /** The value words (offsets ≥ 1) a task's slot arrays keep, given its data; `own`: words of an invocation's own. */
  keptValueWords(form: ArgForm, facts: ArgFacts, own: boolean): number[];
  /** WGSL updating the value words from a row's value; absent where the null count is all there is. */
  update?(u: WordUpdate): string[];
  /** Pass 1 updates it (the low word of a 64-bit key). */
  readonly lowWordPass?: boolean;
  /** WGSL merging a workgroup slot's value words into the task's slot. */
  mergeWorkgroup(m: WordMerge): string[];
  /** The fold kernel's WGSL adding a region's value words `x{i}` into the slot's `a[i]` (at: the null count word). */
  fold(at: number): string[];
  /** A value word regions drop but imply, and its WGSL from the kept words `x{i}` (at: the null count word). */
  regionImplied?(form: ArgForm, at: number): [number, string] | null;
  /** Host: the state's value fields from the slot words. */
  decode(d: WordDecode): void;
  /** Host: why some slot's value may miss the accuracy bound where the task's values are not exact (null: none). */
  inexact?(d: WordSlots): string | null;
}

const TWO32 = 4294967296;
const zeros = (n: number): number[] => Array.from({ length: n }, () => 0);

/** The one word of a min / max of a value of at most 32 bits: its order-preserving u32 key. */
function minMax32(which: 'Min' | 'Max'): GpuAccumulator {
  return {
    init: which === 'Min' ? [0, 0xffffffff] : [0, 0],
    keptValueWords: () => [1],
    update: ({ value: v, array, word }) => {
      const k = v.t === 'i' ? `(bitcast<u32>(${v.v}) ^ 0x80000000u)` : v.t === 'u' ? v.v : null;
      if (!k) throw new GpuUnsupported('min/max of this value form');
      return [wordUpdate(which, array, word(1), k)];
    },
    mergeWorkgroup: ({ workgroup, global }) => [`atomic${which}(&acc[${global(1)}], ${workgroup(1)});`],
    fold: (at) => [`a[${at + 1}] = ${which.toLowerCase()}(a[${at + 1}], x${at + 1});`],
    decode: ({ acc, stride, slots, dest, offset, state: [s0], nonNull, form, init0 }) => {
      const u = form === 'u', o1 = offset(1);
      for (let i = 0; i < slots.length; i++) {
        const j = dest[i];
        if (nonNull[j] === 0) { s0[j] = init0; continue; }
        const x = acc[slots[i] * stride + o1];
        s0[j] = u ? x : (x ^ 0x80000000) | 0;
      }
    },
  };
}

/**
 * The (hi, lo) key of a min / max of a 64-bit value: shared words take the high word in pass 0 and
 * the low word in pass 1; words of an invocation's own take the exact pair in one pass.
 */
function minMax64(which: 'Min' | 'Max'): GpuAccumulator {
  const lowInit = which === 'Min' ? '0xffffffffu' : '0u';
  const lower = which === 'Min' ? '<' : '>';
  return {
    init: which === 'Min' ? [0, 0xffffffff, 0xffffffff] : [0, 0, 0],
    keptValueWords: () => [1, 2],
    lowWordPass: true,
    update: ({ value: v, array, word, pass, highWordsCopied }) => {
      const k = v.t === 'f' ? `fkey(${v.h}, ${v.l})` : v.t === 'w' ? `vec2<u32>(bitcast<u32>(${v.h}) ^ 0x80000000u, ${v.l})` : null;
      if (!k) throw new GpuUnsupported('float arithmetic in min/max has no GPU kernel yet (double-float is not exact)');
      const body = [`let k = ${k};`];
      if (pass === 1) {
        body.push(`if (k.x == ${highWordsCopied ? `H[${word(1)}]` : `atomicLoad(&${array}[${word(1)}])`}) { atomic${which}(&${array}[${word(2)}], k.y); }`);
      } else if (isOwnArray(array)) {
        // Words no other invocation writes: the exact (hi, lo) pair in one pass.
        const hi = `${array}[${word(1)}]`, lo = `${array}[${word(2)}]`;
        body.push(`let o = vec2<u32>(${hi}, ${lo});`, `let m = select(o, k, key_lt(${which === 'Min' ? 'k, o' : 'o, k'}));`, `${hi} = m.x;`, `${lo} = m.y;`);
      } else if (array !== 'acc') {
        body.push(wordUpdate(which, array, word(1), 'k.x'));
      } else {
        // A new high word invalidates the low word gathered for the old one (pass 1 refills it).
        body.push(`let old = atomic${which}(&acc[${word(1)}], k.x);`, `if (k.x ${lower} old) { atomicStore(&acc[${word(2)}], ${lowInit}); }`);
      }
      return body;
    },
    // Workgroup memory holds only the high word in pass 0; a new global high word resets its low word.
    mergeWorkgroup: ({ workgroup, global }) => [
      `{ let k = ${workgroup(1)}; let old = atomic${which}(&acc[${global(1)}], k); if (k ${lower} old) { atomicStore(&acc[${global(2)}], ${lowInit}); } }`,
    ],
    fold: (at) => {
      const hi = at + 1, lo = at + 2;
      return [`if (x${hi} ${lower} a[${hi}] || (x${hi} == a[${hi}] && x${lo} ${lower} a[${lo}])) { a[${hi}] = x${hi}; a[${lo}] = x${lo}; }`];
    },
    decode: ({ acc, stride, slots, dest, offset, state: [s0, s1], nonNull, form, init0 }) => {
      const fl = form === 'f', o1 = offset(1), o2 = offset(2);
      for (let i = 0; i < slots.length; i++) {
        const j = dest[i];
        if (nonNull[j] === 0) { s0[j] = init0; continue; }
        const b = slots[i] * stride;
        const hi = acc[b + o1], lo = acc[b + o2];
        if (fl) s0[j] = keyToF64(hi, lo);
        else { s0[j] = (hi ^ 0x80000000) | 0; s1[j] = lo; }
      }
    },
  };
}

const nothing = (): string[] => [];

/**
 * approxCountDistinct's sketch of precision p: its 2^p registers a word each. A row hashes its
 * value's two words as the CPU kernel does (hyperloglog.ts: the same MurmurHash3s, so sketches
 * from both executors merge), then raises one register to its rank. Registers are decoded into
 * the registry's fields, 8 to a Float64.
 */
function hllAccumulator(p: number): GpuAccumulator {
  const m = 1 << p;
  const registers = Array.from({ length: m }, (_, r) => 1 + r);
  return {
    init: zeros(1 + m),
    keptValueWords: () => registers,
    update: ({ value: v, array, word }) => {
      // The value's words: an integer's (low, high); a float's bits, with -0 as 0 and one NaN.
      let body: string[];
      if (v.t === 'i') body = [`let w0 = bitcast<u32>(${v.v});`, `let w1 = bitcast<u32>(${v.v} >> 31u);`];
      else if (v.t === 'u') body = [`let w0 = ${v.v};`, 'let w1 = 0u;'];
      else if (v.t === 'w') body = [`let w0 = ${v.l};`, `let w1 = bitcast<u32>(${v.h});`];
      else if (v.t === 'f') {
        body = [
          `let nan = (${v.h} & 0x7ff00000u) == 0x7ff00000u && ((${v.h} & 0xfffffu) | ${v.l}) != 0u;`,
          `let zero = (${v.h} & 0x7fffffffu) == 0u && ${v.l} == 0u;`,
          `let w0 = select(select(${v.l}, 0u, zero), 0u, nan);`,
          `let w1 = select(select(${v.h}, 0u, zero), 0x7ff80000u, nan);`,
        ];
      } else throw new GpuUnsupported('approxCountDistinct of float arithmetic has no GPU kernel yet');
      return [
        ...body,
        `let ha = mm_finish(mm_mix(mm_mix(${u32Lit(HLL_SEEDS[0])}, w0), w1), 2u);`,
        `let hb = mm_finish(mm_mix(mm_mix(${u32Lit(HLL_SEEDS[1])}, w0), w1), 2u);`,
        `let rest = ha << ${p}u;`,
        `let rank = select(${32 - p}u + countLeadingZeros(hb) + 1u, countLeadingZeros(rest) + 1u, rest != 0u);`,
        wordUpdate('Max', array, `${word(1)} + (ha >> ${32 - p}u)`, 'rank'),
      ];
    },
    mergeWorkgroup: ({ workgroup, global }) => registers.map((w) => `atomicMax(&acc[${global(w)}], ${workgroup(w)});`),
    fold: (at) => registers.map((w) => `a[${at + w}] = max(a[${at + w}], x${at + w});`),
    decode: ({ acc, stride, slots, dest, offset, state }) => {
      const o = offset(1);
      for (let i = 0; i < slots.length; i++) {
        const b = slots[i] * stride + o, j = dest[i];
        for (let f = 0; f < m / 8; f++) {
          let x = 0;
          for (let k = 0; k < 8; k++) x += acc[b + 8 * f + k] * REGISTER_PLACE[k];
          state[f][j] = x;
        }
      }
    },
  };
}

/** min / max of a decimal of more than 18 digits whose task's values fit 64 bits: decoded into dmin / dmax's limbs. */
function minMaxLimbs(which: 'Min' | 'Max'): GpuAccumulator {
  return {
    ...minMax64(which),
    decode: ({ acc, stride, slots, dest, offset, state: [la, lb, lc], nonNull, init0 }) => {
      const o1 = offset(1), o2 = offset(2);
      for (let i = 0; i < slots.length; i++) {
        const j = dest[i];
        if (nonNull[j] === 0) { la[j] = init0; continue; }
        const b = slots[i] * stride, hi = (acc[b + o1] ^ 0x80000000) | 0, lo = acc[b + o2];
        // hi·2^32 + lo sign-extended to 128 bits, as a·2^88 + b·2^44 + c (registry.ts).
        lc[j] = (hi & 4095) * TWO32 + lo;
        lb[j] = (hi >>> 12) + (hi < 0 ? 16777215 * 1048576 : 0);
        la[j] = hi < 0 ? -1 : 0;
      }
    },
  };
}

const isum: GpuAccumulator = {
  init: zeros(4),
  keptValueWords: (form, _facts, own) => (own && form !== 'w' ? [1, 2] : [1, 2, 3]),
  update: ({ value: v, array, word }) => {
    if (isOwnArray(array) && (v.t === 'i' || v.t === 'u')) {
      // Words of the invocation's own hold at most 2^32 rows of 32-bit values: a 64-bit sum is
      // exact, and the fold kernel extends it to the 96-bit word of the slot array.
      return [`add2_${array}(${word(1)}, ${v.t === 'i' ? `bitcast<u32>(${v.v}), bitcast<u32>(${v.v} >> 31u)` : `${v.v}, 0u`});`];
    }
    const w = v.t === 'i' ? [`bitcast<u32>(${v.v})`, `bitcast<u32>(${v.v} >> 31u)`, `bitcast<u32>(${v.v} >> 31u)`]
      : v.t === 'u' ? [v.v, '0u', '0u']
        : v.t === 'w' ? [v.l, `bitcast<u32>(${v.h})`, `bitcast<u32>(${v.h} >> 31u)`] : null;
    if (!w) throw new GpuUnsupported('integer sum of a non-integer value');
    return [`add3_${array}(${word(1)}, ${w.join(', ')});`];
  },
  mergeWorkgroup: ({ workgroup, global }) => [`add3_acc(${global(1)}, ${workgroup(1)}, ${workgroup(2)}, ${workgroup(3)});`],
  fold: (at) => foldAddWithCarry(at + 1, 3),
  // A region's 64-bit sum of 32-bit values: its top word is the sign extension of the one below.
  regionImplied: (form, at) => (form === 'i' ? [at + 3, `select(0u, 0xffffffffu, (x${at + 2} >> 31u) != 0u)`] : form === 'u' ? [at + 3, '0u'] : null),
  decode: ({ acc, stride, slots, dest, offset, state: [s0, s1] }) => {
    const o1 = offset(1), o2 = offset(2), o3 = offset(3);
    for (let i = 0; i < slots.length; i++) {
      const b = slots[i] * stride, j = dest[i];
      const hi = (slotWord(acc, b, o3) | 0) * TWO32 + slotWord(acc, b, o2);
      if (Math.abs(hi) > 2 ** 52) throw new ArithmeticOverflowError('integer sum exceeds the exact range of its accumulator (|sum| > 2^84)');
      s0[j] = hi;
      s1[j] = slotWord(acc, b, o1);
    }
  },
};

export const GPU_ACCUMULATORS: Record<GpuAccKind, GpuAccumulator> = {
  ...(Object.fromEntries(Array.from({ length: HLL_MAX_P - HLL_MIN_P + 1 }, (_, i) => [`hll${HLL_MIN_P + i}`, hllAccumulator(HLL_MIN_P + i)])) as Record<HllKind, GpuAccumulator>),
  countRows: {
    init: [],
    keptValueWords: () => [],
    mergeWorkgroup: nothing,
    fold: nothing,
    decode: ({ acc, stride, slots, dest, state: [s0] }) => {
      for (let i = 0; i < slots.length; i++) s0[dest[i]] = acc[slots[i] * stride];
    },
  },
  distinct: {
    init: [],
    keptValueWords: () => [],
    mergeWorkgroup: nothing,
    fold: nothing,
    decode: () => undefined,
  },
  ivar: {
    init: zeros(13),
    keptValueWords: () => Array.from({ length: 12 }, (_, i) => 1 + i),
    update: ({ value: v, array, word }) => {
      if (v.t !== 'i' && v.t !== 'u') throw new GpuUnsupported('variance of a value wider than 32 bits has no GPU kernel yet');
      const signed = v.t === 'i';
      // |a| <= 2^15 and 0 <= b < 2^16: a², a·b and b² each fit 32 bits (a·b signed when x is).
      const ext = (x: string) => (signed ? [`bitcast<u32>(${x})`, `bitcast<u32>(${x} >> 31u)`, `bitcast<u32>(${x} >> 31u)`] : [x, '0u', '0u']);
      return [
        `let a = ${v.v} >> 16u;`,
        `let b = ${v.v} & ${signed ? '0xffff' : '0xffffu'};`,
        `add3_${array}(${word(1)}, ${signed ? 'bitcast<u32>(a * a)' : 'a * a'}, 0u, 0u);`,
        `let m = a * b;`,
        `add3_${array}(${word(4)}, ${ext('m').join(', ')});`,
        `add3_${array}(${word(7)}, ${signed ? 'bitcast<u32>(b) * bitcast<u32>(b)' : 'b * b'}, 0u, 0u);`,
        `add3_${array}(${word(10)}, ${ext(v.v).join(', ')});`,
      ];
    },
    mergeWorkgroup: ({ workgroup: w, global: g }) => [0, 3, 6, 9].map((k) => `add3_acc(${g(1 + k)}, ${w(1 + k)}, ${w(2 + k)}, ${w(3 + k)});`),
    fold: (at) => [0, 3, 6, 9].flatMap((k) => foldAddWithCarry(at + 1 + k, 3)),
    decode: ({ acc, stride, slots, dest, offset, state }) => {
      const o = Array.from({ length: 13 }, (_, w) => offset(w));
      const word = (b: number, w: number) => slotWord(acc, b, o[w]!);
      const signedTop = (b: number, w: number) => word(b, w) | 0;
      const [q2, q1, qm, q0, hi, lo] = state;
      const at = [0, 0, 0, 0, 0, 0];
      for (let i = 0; i < slots.length; i++) {
        const b = slots[i] * stride, j = dest[i];
        // Σb² + Σa²·2^32 + 2Σab·2^16, word by word into the limbs (q2·2^64 + q1·2^32 + qm·2^16 + q0), then carried.
        q0[j] = word(b, 7);
        qm[j] = 2 * word(b, 4);
        q1[j] = word(b, 8) + word(b, 1) + word(b, 5) * 2 ** 17;
        q2[j] = word(b, 9) + word(b, 2) + word(b, 3) * TWO32 + signedTop(b, 6) * 2 ** 17;
        lo[j] = word(b, 10);
        hi[j] = word(b, 11) + signedTop(b, 12) * TWO32;
        at.fill(j);
        normalizeSquaresAt(state, at);
      }
    },
  },
  count: {
    init: [0],
    keptValueWords: () => [],
    mergeWorkgroup: nothing,
    fold: nothing,
    decode: () => undefined,
  },
  isum,
  dsum: {
    ...isum,
    decode: ({ acc, stride, slots, dest, offset, state: [x3, x2, x1, x0] }) => {
      const o1 = offset(1), o2 = offset(2), o3 = offset(3);
      for (let i = 0; i < slots.length; i++) {
        const b = slots[i] * stride, j = dest[i];
        x3[j] = 0;
        x2[j] = slotWord(acc, b, o3) | 0;
        x1[j] = slotWord(acc, b, o2);
        x0[j] = slotWord(acc, b, o1);
      }
    },
  },
  fsum: {
    init: zeros(10),
    keptValueWords: (form, facts) => {
      const column = form === 'f';
      // NaN / ±Inf flags (double-float values are finite), then both halves or the positive one.
      const out = column && !facts.finite ? [1] : [];
      for (let w = 0; w < (column && facts.nonNegative ? 4 : 8); w++) out.push(2 + w);
      return out;
    },
    update: ({ value: v, array, word, sum, shift }) => {
      if (v.t === 'f') {
        // Into the half of the value's sign (-0 adds nothing to either).
        const half = sum.nonNegative ? word(2) : `${word(2)} + select(0u, 4u, (${v.h} >> 31u) != 0u)`;
        const add = [`let q = fixed64(${v.h}, ${v.l}, ${shift});`, `add4_${array}(${half}, q.x, q.y, q.z, q.w);`];
        if (sum.finite) return add;
        return [
          `if ((${v.h} & 0x7ff00000u) == 0x7ff00000u) {`,
          `  ${wordUpdate('Or', array, word(1), `select(select(2u, 4u, (${v.h} >> 31u) != 0u), 1u, ((${v.h} & 0xfffffu) | ${v.l}) != 0u)`)}`,
          '} else {',
          ...add.map((l) => `  ${l}`),
          '}',
        ];
      }
      if (v.t === 'd') {
        // hi and lo combined in registers: one multi-word add per row, into the half of its sign.
        return [
          `let q = dfixed(bitcast<u32>(${v.v}.x), bitcast<u32>(${v.v}.y), ${shift});`,
          'let neg = (q.w >> 31u) != 0u;',
          'let m = select(q, neg128(q), neg);',
          `add4_${array}(${word(2)} + select(0u, 4u, neg), m.x, m.y, m.z, m.w);`,
        ];
      }
      throw new GpuUnsupported('float sum of a non-float value');
    },
    mergeWorkgroup: ({ has, workgroup: w, global: g }) => [
      ...(has(1) ? [`{ let x = ${w(1)}; if (x != 0u) { atomicOr(&acc[${g(1)}], x); } }`] : []),
      `add4_acc(${g(2)}, ${w(2)}, ${w(3)}, ${w(4)}, ${w(5)});`,
      ...(has(6) ? [`add4_acc(${g(6)}, ${w(6)}, ${w(7)}, ${w(8)}, ${w(9)});`] : []),
    ],
    fold: (at) => [`a[${at + 1}] = a[${at + 1}] | x${at + 1};`, ...foldAddWithCarry(at + 2, 4), ...foldAddWithCarry(at + 6, 4)],
    /**
     * A float sum adds each row's value truncated to the task's fixed-point grid
     * (src/executor/gpu/float-sum-scale.ts), losing less than one grid unit a row (two for a double-float argument,
     * its hi and lo parts); a group's error is held to 1e-13 · its Σ|x| (which is at least the
     * grid units its halves hold): a group of values far below the task's largest fails.
     */
    inexact: ({ acc, stride, slots, offset: o, form }) => {
      const nullsAt = o(0), flagsAt = o(1), halves = [2, 3, 4, 5, 6, 7, 8, 9].map(o);
      const perRow = form === 'd' ? 2 : 1;
      for (let i = 0; i < slots.length; i++) {
        const b = slots[i] * stride;
        if (slotWord(acc, b, flagsAt) !== 0) continue; // NaN / ±Inf: no grid involved
        let units = 0;
        for (let k = 0; k < 8; k++) units += slotWord(acc, b, halves[k]) * 2 ** (32 * (k & 3));
        if ((acc[b] - slotWord(acc, b, nullsAt)) * perRow > 1e-13 * units) return 'a group\'s values lie too far below the task\'s largest for the GPU\'s fixed-point float sum';
      }
      return null;
    },
    decode: ({ acc, stride, slots, dest, offset: o, state: [s0, s1], shift }) => {
      const half = Math.trunc(shift / 2), sa = 2 ** -half, sb = 2 ** -(shift - half);
      const flagsAt = o(1), pos0 = o(2), pos1 = o(3), pos2 = o(4), pos3 = o(5), neg0 = o(6), neg1 = o(7), neg2 = o(8), neg3 = o(9);
      for (let i = 0; i < slots.length; i++) {
        const b = slots[i] * stride, j = dest[i];
        const flags = slotWord(acc, b, flagsAt);
        if (flags) s0[j] = flags & 1 || (flags & 6) === 6 ? NaN : flags & 2 ? Infinity : -Infinity;
        else {
          fixedToF64(slotWord(acc, b, pos0) - slotWord(acc, b, neg0), slotWord(acc, b, pos1) - slotWord(acc, b, neg1),
            slotWord(acc, b, pos2) - slotWord(acc, b, neg2), slotWord(acc, b, pos3) - slotWord(acc, b, neg3), sa, sb, s0, s1, j);
        }
      }
    },
  },
  min32: minMax32('Min'),
  max32: minMax32('Max'),
  min64: minMax64('Min'),
  max64: minMax64('Max'),
  dmin64: minMaxLimbs('Min'),
  dmax64: minMaxLimbs('Max'),
};

/** The accumulator kind of an aggregate whose argument takes this form. */
export function gpuAccKind(a: AggSpec, form: ArgForm): GpuAccKind {
  switch (a.state) {
    case 'countRows': case 'count': case 'isum': case 'dsum': case 'fsum': return a.state;
    case 'dmin': case 'dmax':
      if (form !== 'w') throw new GpuUnsupported(`${a.display}: decimal values beyond 64 bits have no GPU kernel yet`);
      return a.state === 'dmin' ? 'dmin64' : 'dmax64';
    // Double-float values ('d') take the 64-bit path, whose generator says they have no kernel yet.
    case 'min': case 'wmin': return form === 'f' || form === 'w' || form === 'd' ? 'min64' : 'min32';
    case 'max': case 'wmax': return form === 'f' || form === 'w' || form === 'd' ? 'max64' : 'max32';
    case 'distinct': return 'distinct';
    case 'ivar': return 'ivar';
    case 'fvar': throw new GpuUnsupported(`${a.display}: variance and standard deviation of floats and 64-bit integers have no GPU kernel yet`);
    default:
      if (!isHll(a.state)) throw new Error(`no GPU accumulator for state ${a.state}`);
      return a.state;
  }
}
