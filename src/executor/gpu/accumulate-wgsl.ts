/**
 * The map kernel's accumulator updates in WGSL: one aggregate's slot words from a row's value
 * (atomics on shared arrays: acc global, W workgroup; plain loads and stores on words of the
 * invocation's own: L, its private array, slot, the row's slot of its region), the multi-word adds
 * with carries they call, and the merge of workgroup slots into the global ones.
 */
import type { GpuAccLayout, GpuAggField } from './gpu-acc-layout.ts';
import { GpuUnsupported, type GVal } from './wgsl-expr.ts';

/** Whether `arr` holds words of the invocation's own (plain loads and stores, no atomics). */
const plain = (arr: string): boolean => arr === 'L' || arr === 'slot';
/** One update of word i of `arr` by v: atomic on shared arrays, plain on the invocation's own. */
export const op = (name: 'Add' | 'Or' | 'Min' | 'Max', arr: string, i: string, v: string): string => {
  if (!plain(arr)) return `atomic${name}(&${arr}[${i}], ${v});`;
  const x = `${arr}[${i}]`;
  const e = { Add: `${x} + ${v}`, Or: `${x} | ${v}`, Min: `min(${x}, ${v})`, Max: `max(${x}, ${v})` }[name];
  return `${x} = ${e};`;
};

/** Multi-word add with carries, skipping zero addends, into array `arr` at word b. */
export function addFn(arr: string, words: number): string {
  const args = Array.from({ length: words }, (_, w) => `a${w}: u32`).join(', ');
  const lines = [`fn add${words}_${arr}(b: u32, ${args}) {`, '  var c = 0u;', '  var t = 0u;'];
  for (let w = 0; w < words; w++) {
    lines.push(`  t = a${w} + c;`, `  c = select(0u, 1u, t < c);`);
    // Private words: branch-free; shared words: an atomic only for a nonzero addend.
    const x = `${arr}[b + ${w}u]`;
    if (plain(arr)) lines.push(w < words - 1 ? `  { let o = ${x}; ${x} = o + t; c = c + select(0u, 1u, o + t < o); }` : `  ${x} = ${x} + t;`);
    else if (w < words - 1) lines.push(`  if (t != 0u) { let o = atomicAdd(&${arr}[b + ${w}u], t); c = c + select(0u, 1u, o + t < o); }`);
    else lines.push(`  if (t != 0u) { atomicAdd(&${arr}[b + ${w}u], t); }`);
  }
  lines.push('}');
  return lines.join('\n');
}

/** How a float sum's kernel may treat its values (MapShaderKey.finite, nonNegative). */
export interface SumFacts { readonly finite: boolean; readonly nonNegative: boolean }

/**
 * WGSL updating one aggregate's words of array `arr` from the row value x; `word` gives the index
 * expression of a slot word (its index in the full layout).
 */
export function accumulate(f: GpuAggField, j: number, x: GVal | null, arr: string, word: (w: number) => string, pass: 0 | 1, hiWords: boolean, sum: SumFacts): string[] {
  if (f.alias) return [];
  const at = (w: number) => word(f.at + w);
  const out: string[] = [];
  const n = x ? x.n : 'false';
  if (pass === 0 && f.kind !== 'countRows' && n !== 'false') out.push(`if (${n}) { ${op('Add', arr, at(0), '1u')} }`);
  const body: string[] = [];
  const v = x as GVal;
  switch (f.kind) {
    case 'countRows': case 'count': return out;
    case 'isum': {
      if (plain(arr) && (v.t === 'i' || v.t === 'u')) {
        // Words of the invocation's own hold at most 2^32 rows of 32-bit values: a 64-bit sum is
        // exact, and the fold kernel extends it to the 96-bit word of the slot array.
        body.push(`add2_${arr}(${at(1)}, ${v.t === 'i' ? `bitcast<u32>(${v.v}), bitcast<u32>(${v.v} >> 31u)` : `${v.v}, 0u`});`);
        break;
      }
      const w = v.t === 'i' ? [`bitcast<u32>(${v.v})`, `bitcast<u32>(${v.v} >> 31u)`, `bitcast<u32>(${v.v} >> 31u)`]
        : v.t === 'u' ? [v.v, '0u', '0u']
          : v.t === 'w' ? [v.l, `bitcast<u32>(${v.h})`, `bitcast<u32>(${v.h} >> 31u)`] : null;
      if (!w) throw new GpuUnsupported('integer sum of a non-integer value');
      body.push(`add3_${arr}(${at(1)}, ${w.join(', ')});`);
      break;
    }
    case 'fsum': {
      if (v.t === 'f') {
        // Into the half of the value's sign (-0 adds nothing to either).
        const half = sum.nonNegative ? at(2) : `${at(2)} + select(0u, 4u, (${v.h} >> 31u) != 0u)`;
        const add = [`let q = fixed64(${v.h}, ${v.l}, S${j});`, `add4_${arr}(${half}, q.x, q.y, q.z, q.w);`];
        if (sum.finite) body.push(...add);
        else {
          body.push(
            `if ((${v.h} & 0x7ff00000u) == 0x7ff00000u) {`,
            `  ${op('Or', arr, at(1), `select(select(2u, 4u, (${v.h} >> 31u) != 0u), 1u, ((${v.h} & 0xfffffu) | ${v.l}) != 0u)`)}`,
            '} else {',
            ...add.map((l) => `  ${l}`),
            '}',
          );
        }
      } else if (v.t === 'd') {
        // hi and lo combined in registers: one multi-word add per row, into the half of its sign.
        body.push(
          `let q = dfixed(bitcast<u32>(${v.v}.x), bitcast<u32>(${v.v}.y), S${j});`,
          'let neg = (q.w >> 31u) != 0u;',
          'let m = select(q, neg128(q), neg);',
          `add4_${arr}(${at(2)} + select(0u, 4u, neg), m.x, m.y, m.z, m.w);`,
        );
      } else throw new GpuUnsupported('float sum of a non-float value');
      break;
    }
    case 'min32': case 'max32': {
      const k = v.t === 'i' ? `(bitcast<u32>(${v.v}) ^ 0x80000000u)` : v.t === 'u' ? v.v : null;
      if (!k) throw new GpuUnsupported('min/max of this value form');
      body.push(op(f.kind === 'min32' ? 'Min' : 'Max', arr, at(1), k));
      break;
    }
    case 'min64': case 'max64': {
      const k = v.t === 'f' ? `fkey(${v.h}, ${v.l})` : v.t === 'w' ? `vec2<u32>(bitcast<u32>(${v.h}) ^ 0x80000000u, ${v.l})` : null;
      if (!k) throw new GpuUnsupported('float arithmetic in min/max has no GPU kernel yet (double-float is not exact)');
      const mm = f.kind === 'min64' ? 'Min' : 'Max';
      body.push(`let k = ${k};`);
      if (pass === 1) {
        body.push(`if (k.x == ${hiWords ? `H[${at(1)}]` : `atomicLoad(&${arr}[${at(1)}])`}) { atomic${mm}(&${arr}[${at(2)}], k.y); }`);
      } else if (plain(arr)) {
        // Words no other invocation writes: the exact (hi, lo) pair in one pass.
        const hi = `${arr}[${at(1)}]`, lo = `${arr}[${at(2)}]`;
        body.push(`let o = vec2<u32>(${hi}, ${lo});`, `let m = select(o, k, key_lt(${mm === 'Min' ? 'k, o' : 'o, k'}));`, `${hi} = m.x;`, `${lo} = m.y;`);
      } else if (arr !== 'acc') {
        body.push(op(mm, arr, at(1), 'k.x'));
      } else {
        // A new high word invalidates the low word gathered for the old one (pass 1 refills it).
        body.push(`let old = atomic${mm}(&acc[${at(1)}], k.x);`, `if (k.x ${mm === 'Min' ? '<' : '>'} old) { atomicStore(&acc[${at(2)}], ${mm === 'Min' ? '0xffffffffu' : '0u'}); }`);
      }
      break;
    }
  }
  if (pass === 1 && f.kind !== 'min64' && f.kind !== 'max64') return [];
  return [...(pass === 0 ? out : []), n === 'false' ? `{ ${body.join('\n')} }` : `if (!${n}) {\n${body.join('\n')}\n}`];
}

/**
 * Merge of one aggregate's words of a slot from workgroup memory (W at wb) into the global slots
 * (acc at gb); both keep the words `pos` maps (to their index in the slot), the rest stay initial.
 */
function mergeAgg(f: GpuAggField, pos: ReadonlyMap<number, number>): string[] {
  if (f.alias) return [];
  const has = (i: number) => pos.has(f.at + i);
  const w = (i: number) => `atomicLoad(&W[wb + ${pos.get(f.at + i)}u])`;
  const g = (i: number) => `gb + ${pos.get(f.at + i)}u`;
  const out: string[] = [];
  if (f.kind !== 'countRows' && has(0)) out.push(`{ let x = ${w(0)}; if (x != 0u) { atomicAdd(&acc[${g(0)}], x); } }`);
  switch (f.kind) {
    case 'isum': out.push(`add3_acc(${g(1)}, ${w(1)}, ${w(2)}, ${w(3)});`); break;
    case 'fsum':
      if (has(1)) out.push(`{ let x = ${w(1)}; if (x != 0u) { atomicOr(&acc[${g(1)}], x); } }`);
      out.push(`add4_acc(${g(2)}, ${w(2)}, ${w(3)}, ${w(4)}, ${w(5)});`);
      if (has(6)) out.push(`add4_acc(${g(6)}, ${w(6)}, ${w(7)}, ${w(8)}, ${w(9)});`);
      break;
    case 'min32': out.push(`atomicMin(&acc[${g(1)}], ${w(1)});`); break;
    case 'max32': out.push(`atomicMax(&acc[${g(1)}], ${w(1)});`); break;
    case 'min64': case 'max64': {
      // Workgroup memory holds only the high word in pass 0; a new global high word resets its low word.
      const mm = f.kind === 'min64' ? 'Min' : 'Max';
      out.push(`{ let k = ${w(1)}; let old = atomic${mm}(&acc[${g(1)}], k); if (k ${mm === 'Min' ? '<' : '>'} old) { atomicStore(&acc[${g(2)}], ${mm === 'Min' ? '0xffffffffu' : '0u'}); } }`);
      break;
    }
    default: break;
  }
  return out;
}

/** Every workgroup slot with rows, merged into the global slots, the workgroup's invocations striding over the slots. */
export function mergeSlots(layout: GpuAccLayout, pos: ReadonlyMap<number, number>, slots: number, workgroupSize: number): string[] {
  return [
    `for (var s = lid; s < ${slots}u; s = s + ${workgroupSize}u) {`,
    `  let wb = s * ${pos.size}u;`,
    '  let gb = wb;',
    '  let nrows = atomicLoad(&W[wb]);',
    '  if (nrows == 0u) { continue; }',
    '  atomicAdd(&acc[gb], nrows);',
    ...layout.aggs.flatMap((f) => mergeAgg(f, pos)).map((l) => `  ${l}`),
    '}',
  ];
}
