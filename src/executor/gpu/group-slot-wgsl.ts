/**
 * The map kernel's code finding a row's group slot `g`, in WGSL: a dense composite index over the
 * keys' codes, or a slot of the open-addressing hash table the kernel shares with every other
 * invocation of the task.
 */
import type { TExpr } from '../../expr/resolve.ts';
import type { CodegenContext } from '../../expr/codegen-context.ts';
import { gNum, gStr, GpuUnsupported, u32Lit, type GVal } from '../../expr/to-wgsl.ts';
import type { KeyInfo } from '../../plan/aggregation-spec.ts';
import { TABLE_SEED } from '../../shuffle/hash.ts';
import { lowWordWgsl, MAX_TABLE_KEY_WORDS, storedWordWgsl } from './hash-table-slot.ts';

/** Looks at a hash slot whose key words are not all visible yet, before giving up (CPU rerun). */
const SPIN_LIMIT = 1 << 16;

function keyValue(k: KeyInfo, ctx: CodegenContext): GVal {
  const e: TExpr = { kind: 'col', name: k.column, dtype: k.dtype };
  return k.kind === 'str' ? gStr(e, ctx) : gNum(e, ctx);
}

/** WGSL binding `code`, then `g`, to a row's dense slot: Σ (value − kmin)·kstride, null as knull. */
export function denseSlotWgsl(keys: readonly KeyInfo[], ctx: CodegenContext): string[] {
  const out = ['var code = 0u;'];
  keys.forEach((k, j) => {
    const x = keyValue(k, ctx);
    const rel = x.t === 'i' ? `bitcast<u32>(${x.v} - bitcast<i32>(kmin${j}))` : x.t === 'u' ? `(${x.v} - kmin${j})` : null;
    if (!rel) throw new GpuUnsupported(`dense key of form ${x.t}`);
    out.push(...ctx.stmts.splice(0), `code = code + ${x.n === 'false' ? rel : `select(${rel}, knull${j}, ${x.n})`} * kstride${j};`);
  });
  out.push('let g = code;');
  return out;
}

/**
 * WGSL binding `g` to a row's slot of the open-addressing hash table `tab` (claimed on first
 * sight, words stored as hash-table-slot.ts says); a row that finds none sets the status word and
 * is skipped (the task reruns on the CPU).
 */
export function hashSlotWgsl(keys: readonly KeyInfo[], keyNullable: readonly boolean[], ctx: CodegenContext): string[] {
  const out: string[] = [];
  const words: string[] = [];
  keys.forEach((k, j) => {
    const x = keyValue(k, ctx);
    out.push(...ctx.stmts.splice(0));
    let vs: string[];
    if (x.t === 'i') vs = [`bitcast<u32>(${x.v})`];
    else if (x.t === 'u') vs = [x.v];
    else if (x.t === 'w') vs = [x.l, `bitcast<u32>(${x.h})`];
    else if (x.t === 'f') {
      // The CPU's canonical float key: -0 as 0, every NaN as the one NaN; words (lo, hi).
      const c = ctx.tmp();
      out.push(
        `var ${c} = vec2<u32>(${x.h}, ${x.l});`,
        `if ((${x.h} & 0x7ff00000u) == 0x7ff00000u && ((${x.h} & 0xfffffu) | ${x.l}) != 0u) { ${c} = vec2<u32>(0x7ff80000u, 0u); }`,
        `if ((${x.h} & 0x7fffffffu) == 0u && ${x.l} == 0u) { ${c} = vec2<u32>(0u, 0u); }`,
      );
      vs = [`${c}.y`, `${c}.x`];
    } else throw new GpuUnsupported(`hash key of form ${x.t}`);
    for (const w of vs) {
      const name = `kw${words.length}`;
      out.push(`let ${name} = ${x.n === 'false' ? w : `select(${w}, 0u, ${x.n})`};`);
      words.push(name);
    }
    if (keyNullable[j]) {
      const name = `kw${words.length}`;
      out.push(`let ${name} = ${x.n === 'false' ? '0u' : `select(0u, 1u, ${x.n})`};`);
      words.push(name);
    }
  });
  out.push(...hashProbeWgsl(words, { miss: 'atomicOr(&acc[status], 1u); continue;' }));
  return out;
}

/**
 * WGSL binding `g` to the slot of the open-addressing hash table `tab` (params `mask`, `lim`) whose
 * key words are `words` (claimed on first sight, stored as hash-table-slot.ts says); `claim` runs
 * in the lane that claims a new slot, `miss` where no slot was found (the probe or spin bound hit).
 */
export function hashProbeWgsl(words: readonly string[], on: { readonly miss: string; readonly claim?: string }): string[] {
  if (words.length > MAX_TABLE_KEY_WORDS) throw new GpuUnsupported(`a hash key of ${words.length} words (at most ${MAX_TABLE_KEY_WORDS})`);
  const tableWidth = words.length + 1;
  const stored = [...words.map(storedWordWgsl), lowWordWgsl(words)];
  const rest = stored.map((_, i) => i).slice(1);
  return [
    `var hh = ${u32Lit(TABLE_SEED)};`,
    ...words.map((w) => `hh = mm_mix(hh, ${w});`),
    `hh = mm_finish(hh, ${words.length}u);`,
    ...stored.map((e, i) => `let e${i} = ${e};`),
    'var s = hh & mask;',
    'var g = 0xffffffffu;',
    // Probe steps are bounded by lim; looks at a slot whose words are not visible yet by
    // SPIN_LIMIT. Either bound hit is a miss.
    // No branch leaves the loop from inside: the lane that claims a slot stores its words in the
    // same iteration as a lane of its SIMD group that waits for them (a store on a loop-exit path
    // may be deferred until every lane has left the loop, and the waiting lane never would).
    'var steps = 0u;',
    'var spins = 0u;',
    'loop {',
    `  if (g != 0xffffffffu || steps >= lim || spins >= ${SPIN_LIMIT}u) { break; }`,
    `  let tb = s * ${tableWidth}u;`,
    '  let r = atomicCompareExchangeWeak(&tab[tb], 0u, e0);',
    '  var next = r.old_value != e0;',
    '  if (r.exchanged) {',
    ...rest.map((i) => `    atomicStore(&tab[tb + ${i}u], e${i});`),
    ...(on.claim ? [`    ${on.claim}`] : []),
    '    g = s;',
    '    next = false;',
    '  } else if (r.old_value == 0u) {',
    '    spins = spins + 1u;',
    '    next = false;',
    '  } else if (!next) {',
    ...rest.map((i) => `    let v${i} = atomicLoad(&tab[tb + ${i}u]);`),
    `    if (${rest.map((i) => `v${i} == 0u`).join(' || ')}) { spins = spins + 1u; }`,
    `    else if (${rest.map((i) => `v${i} == e${i}`).join(' && ')}) { g = s; }`,
    '    else { next = true; }',
    '  }',
    '  if (next) {',
    '    s = (s + 1u) & mask;',
    '    steps = steps + 1u;',
    '  }',
    '}',
    `if (g == 0xffffffffu) { ${on.miss} }`,
  ];
}
