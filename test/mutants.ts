/**
 * `npm run test:mutants`: plants one bug at a time in src/ — each a small edit a user would notice —
 * runs the test suite (stopping at its first failure), and restores the file. Every mutant must be
 * caught; the table of which test caught which is docs/testing.md's.
 *
 *   npm run test:mutants                 all mutants
 *   npm run test:mutants -- desc-nulls   only those named
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Mutant {
  readonly id: string;
  readonly what: string;
  readonly file: string;
  readonly find: string;
  readonly replace: string;
}

export const MUTANTS: readonly Mutant[] = [
  {
    id: 'desc-nulls',
    what: 'DESC sorts nulls first (Spark: DESC NULLS LAST)',
    file: 'src/arrow/sort-table.ts',
    find: 'return (a === null ? -1 : 1) * (desc ? -1 : 1);',
    replace: 'return a === null ? -1 : 1;',
  },
  {
    id: 'gpu-inf-swap',
    what: 'the GPU decode swaps +Infinity and -Infinity',
    file: 'src/aggregate/gpu-accumulators.ts',
    find: 'flags & 2 ? Infinity : -Infinity',
    replace: 'flags & 2 ? -Infinity : Infinity',
  },
  {
    id: 'no-compensation',
    what: 'float sums lose their compensation term (plain double adds)',
    file: 'src/aggregate/registry.ts',
    find: '`${f[1]} += Math.abs(s) >= Math.abs(x) ? (s - t) + x : (x - t) + s; ${f[0]} = t; ${f[2]}++;`',
    replace: '`${f[0]} = t; ${f[2]}++;`',
  },
  {
    id: 'retry-counted-twice',
    what: "a retried task's output is counted once per attempt",
    file: 'src/driver/run-stage.ts',
    find: '          addTask(stage, m);',
    replace: '          for (let k = 0; k < attempt; k++) addTask(stage, m);',
  },
  {
    id: 'gpu-partition-off-by-one',
    what: 'the GPU sends each group to the next reduce partition (CPU and GPU disagree)',
    file: 'src/executor/gpu/partition-program.ts',
    find: "'  pid[s] = mm_finish(h, cnt) % parts;',",
    replace: "'  pid[s] = (mm_finish(h, cnt) + 1u) % parts;',",
  },
  {
    id: 'count-nulls',
    what: 'count(x) counts null values too',
    file: 'src/aggregate/registry.ts',
    find: "if (a.fn === 'count') return { name: a.name, display: a.defaultName, fn: 'count', arg, state: 'count',",
    replace: "if (a.fn === 'count') return { name: a.name, display: a.defaultName, fn: 'count', arg: null, state: 'countRows',",
  },
  {
    id: 'radix-merge-unpermuted',
    what: 'a radix-partitioned reduce merges states in input order, not in its partitions\' order',
    file: 'src/executor/cpu/reduce-task.ts',
    find: 'for (let r = 0; r < rows; r++) out[pos[base + r]] = src[r];',
    replace: 'for (let r = 0; r < rows; r++) out[base + r] = src[r];',
  },
  {
    id: 'radix-partition-drops-last',
    what: "a radix-partitioned grouping leaves its last partition's rows ungrouped",
    file: 'src/executor/cpu/hash-grouper.ts',
    find: '  for (let p = 0; p < parts; p++) {\n    const from = offsets[p], to = offsets[p + 1];',
    replace: '  for (let p = 0; p < parts - 1; p++) {\n    const from = offsets[p], to = offsets[p + 1];',
  },
  {
    id: 'never-skip-partial',
    what: 'hash map tasks keep pre-aggregating however many groups their probe makes',
    file: 'src/executor/cpu/map-task.ts',
    find: 'state.groups >= SKIP_RATIO * seen',
    replace: 'state.groups > seen',
  },
  {
    id: 'prune-lt-boundary',
    what: 'pushdown skips a row group whose min equals a `<=` bound (it holds a passing row)',
    file: 'src/plan/prune-units.ts',
    find: "    case 'le': return lo >= 0;",
    replace: "    case 'le': return lo > 0;",
  },
  {
    id: 'scan-drops-last-unit',
    what: "a file's last run of row groups gets no scan task",
    file: 'src/plan/scan-plan.ts',
    find: '  flush();\n  return {',
    replace: '  return {',
  },
  {
    id: 'string-encoder-hash-only',
    what: 'the Utf8 dictionary encoder takes two strings with the same hash and length for one',
    file: 'src/arrow/column-chunk.ts',
    find: '        if (s + k === e) { codes[i] = id; break; }',
    replace: '        codes[i] = id; break;',
  },
  {
    id: 'merge-task-string-ids',
    what: "the device merge takes a task's string ids for the stage's (strings of different tasks mixed up)",
    file: 'src/executor/gpu/merge-program.ts',
    find: 'const str = (w: string) => (key.mapStrings ? `strmap[${w}]` : w);',
    replace: 'const str = (w: string) => w;',
  },
  {
    id: 'merge-null-key-as-zero',
    what: 'the device merge drops a key\'s null flag (a null key merges with the key 0)',
    file: 'src/executor/gpu/merge-program.ts',
    find: "body.push(`let ${flag} = select(0u, 1u, null${j});`);",
    replace: "body.push(`let ${flag} = 0u;`);",
  },
  {
    id: 'grow-forgets-groups',
    what: 'a stage table that grows does not carry over the groups it held',
    file: 'src/executor/gpu/stage-table.ts',
    find: '      if (!old) return;',
    replace: '      return;',
  },
  {
    id: 'stage-scale-unchecked',
    what: "a task whose float values exceed the stage's fixed-point scale is merged anyway",
    file: 'src/executor/gpu/stage-table.ts',
    find: "a.state === 'fsum' && shifts[j] > own[j]",
    replace: 'false',
  },
  {
    id: 'lookup-finds-nothing',
    what: "the stage table's lookup takes every key of a task for new (tasks that repeat keys keep the host path)",
    file: 'src/executor/gpu/merge-program.ts',
    find: "    'var found = false;',",
    replace: "    'var found = false; steps = lim;',",
  },
  {
    id: 'round-not-cleared',
    what: "a map task merging in rounds keeps the last round's slots (they are merged again)",
    file: 'src/executor/gpu/gpu-map-task.ts',
    find: '      slots.clear(task);',
    replace: '',
  },
  {
    id: 'distinct-block-with-others',
    what: 'a reduce task skips grouping when any of its blocks has distinct keys, though others hold the same keys',
    file: 'src/executor/cpu/reduce-task.ts',
    find: 'blocks.every((b) => b.rows === 0 || b.distinct)',
    replace: 'blocks.some((b) => b.distinct === true)',
  },
  {
    id: 'cluster-stored-slice-from-zero',
    what: "a stored map output's partition rows are taken from the start of its block",
    file: 'src/shuffle/shuffle-block.ts',
    find: 'return { ...b, from: b.from + from,',
    replace: 'return { ...b, from: b.from,',
  },
  {
    id: 'cluster-failure-unheard',
    what: "the driver does not hear of a cluster task's failed attempt (it waits on)",
    file: 'src/cluster/cluster-executor.ts',
    find: '} else if (p && p.attempt === o.attempt) {',
    replace: '} else if (p && p.attempt === o.attempt + 1) {',
  },
  {
    id: 'decimal-mul-words-carry-dropped',
    what: "a 128-bit decimal times a small integer (a rescale) drops each 16-bit limb's carry into the next",
    file: 'src/expr/to-js.ts',
    find: "const s = ctx.bind(`${j & 1 ? `(${u} >>> 16)` : `(${u} & 65535)`} * ${f}${carry === '0' ? '' : ` + ${carry}`}`);",
    replace: "const s = ctx.bind(`${j & 1 ? `(${u} >>> 16)` : `(${u} & 65535)`} * ${f}`);",
  },
  {
    id: 'topn-heap-least-child',
    what: "orderBy(...).limit(n)'s per-task heap sifts toward the lesser child (it loses rows that belong in the first n)",
    file: 'src/arrow/sort-table.ts',
    find: 'if (child + 1 < n && cmp(heap[child + 1], heap[child]) > 0) child++;',
    replace: 'if (child + 1 < n && cmp(heap[child + 1], heap[child]) < 0) child++;',
  },
  {
    id: 'cluster-lost-task-waits',
    what: 'the driver waits on for a cluster task that left the work queue with no outcome',
    file: 'src/cluster/cluster-executor.ts',
    find: '    if (queued) return;',
    replace: '    if (queued || p.attempt > 0) return;',
  },
  {
    id: 'cluster-ack-before-run',
    what: 'an executor process acknowledges a task when it takes it, so a process killed mid-task loses it',
    file: 'src/cluster/executor-process.ts',
    find: "    this.log(`started ${what}`);",
    replace: "    msg.ack();\n    this.log(`started ${what}`);",
  },
  {
    id: 'cluster-ack-wait-stale',
    what: "an executor process keeps tasks alive within the ack wait it read at its start, not the driver's shorter one",
    file: 'src/cluster/executor-process.ts',
    find: 'Math.max(50, Math.min(this.ackWait, env.ackWaitMs) / 3)',
    replace: 'Math.max(50, this.ackWait / 3)',
  },
  {
    id: 'cluster-block-chunk-order',
    what: "a stored block's chunks are read back in reverse order",
    file: 'src/cluster/block-store.ts',
    find: 'parts = chunks.map((c) => c!.data);',
    replace: 'parts = chunks.map((c) => c!.data).reverse();',
  },
  {
    id: 'like-underscore-run',
    what: "LIKE's _ matches any run of characters, not exactly one",
    file: 'src/expr/string-match.ts',
    find: "else if (ch === '_') re += '[\\\\s\\\\S]';",
    replace: "else if (ch === '_') re += '[\\\\s\\\\S]*';",
  },
  {
    id: 'match-table-not-extended',
    what: "a task's per-string-id tables (string predicates' matches, sketches' hashes) are not extended to strings it meets after their first use",
    file: 'src/executor/string-ids.ts',
    find: '    if (t.done < n) {',
    replace: '    if (t.done === 0) {',
  },
  {
    id: 'chan-merge-no-delta',
    what: "Chan's merge of two variance states drops the term of their means' difference",
    file: 'src/aggregate/registry.ts',
    find: 'd[1][i] += s[1][j] + delta * delta * ((na * nb) / n);',
    replace: 'd[1][i] += s[1][j];',
  },
  {
    id: 'hll-merge-min',
    what: 'two HyperLogLog sketches merge by register-wise min, not max',
    file: 'src/aggregate/hyperloglog.ts',
    find: 'out += (ra > rb ? ra : rb) * REGISTER_PLACE[j];',
    replace: 'out += (ra < rb ? ra : rb) * REGISTER_PLACE[j];',
  },
  {
    id: 'count-distinct-nulls',
    what: 'countDistinct counts a null argument as a value',
    file: 'src/executor/cpu/reduce-task.ts',
    find: 'if (arg.valid === null || arg.valid[r] === 1) counts[outer.ids[r]!]++;',
    replace: 'counts[outer.ids[r]!]++;',
  },
  {
    id: 'distinct-partitioned-by-argument',
    what: "countDistinct's map tasks partition by its argument too (one value counted in several reduce tasks)",
    file: 'src/executor/cpu/map-task.ts',
    find: 'partitionPositions(keys.slice(0, queryKeys(spec).length), groups, spec.partitions)',
    replace: 'partitionPositions(keys, groups, spec.partitions)',
  },
  {
    id: 'computed-key-first-batch',
    what: "a computed group key is computed over a task's first batch only (the others reuse its column)",
    file: 'src/executor/cpu/map-task.ts',
    find: 'const batches = spec.computed ? input.map((b) => withComputed(spec.computed!, b)) : input;',
    replace: 'const first = spec.computed && input.length ? withComputed(spec.computed, input[0]!) : null;\n  const batches = first ? input.map((b) => (b.rows === first.rows ? { ...b, columns: new Map([...b.columns, ...[...first.columns].filter(([n]) => !b.columns.has(n))]) } : withComputed(spec.computed!, b))) : input;',
  },
  {
    id: 'gpu-software-pieces-unsliced',
    what: "on a software adapter a GPU map task dispatches its whole input at once (llvmpipe runs it on the driver's thread)",
    file: 'src/executor/gpu/gpu-map-task.ts',
    find: 'const SOFTWARE_PIECE_ROWS = 1 << 20;',
    replace: 'const SOFTWARE_PIECE_ROWS = 1 << 26;',
  },
  {
    id: 'decimal-literal-floor',
    what: 'a literal with more digits than a decimal column compares as its floor (no between-rewrite)',
    file: 'src/expr/resolve.ts',
    find: 'if (!scaled.exact) between.add(out);',
    replace: '',
  },
  {
    id: 'decimal-rescale-short',
    what: 'rescaling a decimal to a larger scale multiplies by one power of ten too few',
    file: 'src/expr/resolve.ts',
    find: 'const t = e.dtype!, factor = 10n ** BigInt(k);',
    replace: 'const t = e.dtype!, factor = 10n ** BigInt(k - 1);',
  },
  {
    id: 'decimal-avg-unscaled',
    what: "avg of a decimal divides its unscaled sum by the count alone (forgets the scale)",
    file: 'src/aggregate/finalize.ts',
    find: 'signedRatio(total(g), BigInt(st[4][g]) * unit)',
    replace: 'signedRatio(total(g), BigInt(st[4][g]))',
  },
  {
    id: 'decimal-no-sign-extension',
    what: 'negative Int64 decimals lose their sign when widened to Decimal128 words',
    file: 'src/arrow/decimal.ts',
    find: 'const hi = w[2 * i + 1]!, sign = hi < 0 ? 0xffffffff : 0;',
    replace: 'const hi = w[2 * i + 1]!, sign = 0;',
  },
  {
    id: 'gpu-distinct-partitioned-by-argument',
    what: "the GPU partitions a countDistinct's map output by its argument too (a group's pairs reach several reduces)",
    file: 'src/executor/gpu/partition-program.ts',
    find: 'partitionKeys: queryKeys(spec).length, width, workgroupSize: 64 };',
    replace: 'partitionKeys: spec.keys.length, width, workgroupSize: 64 };',
  },
  {
    id: 'gpu-ivar-cross-term-once',
    what: "the GPU's exact variance decodes Σab without doubling it (Σx² loses half its cross term)",
    file: 'src/aggregate/gpu-accumulators.ts',
    find: '        qm[j] = 2 * word(b, 4);',
    replace: '        qm[j] = word(b, 4);',
  },
  {
    id: 'gpu-hll-rank-off-by-one',
    what: "the GPU's sketch ranks each hash one higher than the CPU's (sketches that do not merge)",
    file: 'src/aggregate/gpu-accumulators.ts',
    find: '${32 - p}u + countLeadingZeros(hb) + 1u, countLeadingZeros(rest) + 1u, rest != 0u);',
    replace: '${32 - p}u + countLeadingZeros(hb) + 1u, countLeadingZeros(rest) + 2u, rest != 0u);',
  },  {
    id: 'decimal-exact-as-double',
    what: 'every 64-bit value of exact decimal arithmetic and comparisons is read as a double (rounded beyond 2^53)',
    file: 'src/expr/to-js.ts',
    find: 'const smallHigh = (h: string): string => `${h} >= -2097152 && ${h} < 2097152`;',
    replace: 'const smallHigh = (h: string): string => `${h} === ${h}`;',
  },
  {
    id: 'decimal-sum-carry-dropped',
    what: "a decimal sum's renormalisation drops the carry out of each 32-bit limb",
    file: 'src/aggregate/registry.ts',
    find: '    hi[at[k - 1]] += c;',
    replace: '',
  },
  {
    id: 'decimal-extreme-limb-signed',
    what: "min / max of 128-bit decimals split the value's second word with a signed shift (a negative middle limb)",
    file: 'src/aggregate/registry.ts',
    find: '(${w2} & 16777215) * 1048576 + (${w1} >>> 12)',
    replace: '(${w2} & 16777215) * 1048576 + (${w1} >> 12)',
  },
  {
    id: 'decimal-overflow-at-39-digits',
    what: 'exact decimal arithmetic lets results of 39 digits through (beyond a Decimal128)',
    file: 'src/expr/to-js.ts',
    find: 'const TEN38 = 10n ** 38n;',
    replace: 'const TEN38 = 10n ** 39n;',
  },
  {
    id: 'decimal-words-compare-unsigned',
    what: 'comparisons of 128-bit words take the top word as unsigned too (negative values order after positive ones)',
    file: 'src/expr/to-js.ts',
    find: 'const lt = j === 3 ? `${a[j]} < ${b[j]}` : `${a[j]} >>> 0 < ${b[j]} >>> 0`;',
    replace: 'const lt = `${a[j]} >>> 0 < ${b[j]} >>> 0`;',
  },
  {
    id: 'limit-after-orderby-stops-early',
    what: 'orderBy(...).limit(n) over a scan stops starting tasks once n rows are read (the top n of a prefix)',
    file: 'src/driver/dag-scheduler.ts',
    find: 'if (n === null || topNOf(plan) !== null) return undefined;',
    replace: 'if (n === null) return undefined;',
  },
  {
    id: 'gpu-wide-decimal-limbs-unsigned',
    what: "the GPU decodes a wide decimal's 64-bit min / max into limbs without its sign (negative values come back huge)",
    file: 'src/aggregate/gpu-accumulators.ts',
    find: 'lb[j] = (hi >>> 12) + (hi < 0 ? 16777215 * 1048576 : 0);',
    replace: 'lb[j] = hi >>> 12;',
  },
  {
    id: 'decimal-add-words-carry-dropped',
    what: 'adding 128-bit decimals word by word drops the carry out of the low word',
    file: 'src/expr/to-js.ts',
    find: "const s = ctx.bind(`(${a[j]} >>> 0) ${sym} (${b[j]} >>> 0)${carry === '0' ? '' : ` + ${carry}`}`);",
    replace: "const s = ctx.bind(`(${a[j]} >>> 0) ${sym} (${b[j]} >>> 0)${carry === '0' || j === 1 ? '' : ` + ${carry}`}`);",
  },
  {
    id: 'decimal128-key-unscaled-text',
    what: "a 128-bit decimal group key's text is written at scale 0 (read back ×10^scale)",
    file: 'src/executor/cpu/map-task.ts',
    find: 'values[g] = formatDecimal(fromWords(c.words!.subarray(4 * r, 4 * r + 4)), k.dtype.scale!);',
    replace: 'values[g] = formatDecimal(fromWords(c.words!.subarray(4 * r, 4 * r + 4)), 0);',
  },
];

function firstFailure(output: string): string {
  const line = output.split('\n').find((l) => /\bFAIL\b/.test(l) && l.includes('>'));
  // Drop colour codes; keep "file > describe > test".
  return (line ?? '(no FAIL line: the run failed before a test did)').replace(/\x1b\[[0-9;]*m/g, '').replace(/^\s*FAIL\s*/, '').trim();
}

function run(m: Mutant): { caught: boolean; by: string; seconds: number } {
  const file = path.join(ROOT, m.file);
  const original = readFileSync(file, 'utf8');
  const at = original.indexOf(m.find);
  if (at < 0 || original.indexOf(m.find, at + 1) >= 0) throw new Error(`mutant ${m.id}: the text to change is not in ${m.file} exactly once; update test/mutants.ts`);
  const restore = (): void => writeFileSync(file, original);
  const interrupted = (): void => { restore(); process.exit(130); };
  process.once('SIGINT', interrupted);
  writeFileSync(file, original.slice(0, at) + m.replace + original.slice(at + m.find.length));
  const t0 = performance.now();
  try {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--bail=1'], {
      cwd: ROOT, encoding: 'utf8', timeout: 20 * 60_000, env: { ...process.env, FORCE_COLOR: '0', GPUFRAME_MUTANT: m.id },
    });
    const output = `${r.stdout}\n${r.stderr}`;
    return { caught: r.status !== 0, by: r.status !== 0 ? firstFailure(output) : '-', seconds: (performance.now() - t0) / 1000 };
  } finally {
    process.off('SIGINT', interrupted);
    restore();
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const chosen = only.length ? MUTANTS.filter((m) => only.includes(m.id)) : MUTANTS;
  if (chosen.length === 0) throw new Error(`no mutant named ${only.join(', ')}; known: ${MUTANTS.map((m) => m.id).join(', ')}`);
  const rows: string[] = ['| mutant | what | caught | first failing test | s |', '|---|---|---|---|--:|'];
  let missed = 0;
  for (const m of chosen) {
    process.stderr.write(`mutant ${m.id}: ${m.what} ...\n`);
    const r = run(m);
    if (!r.caught) missed++;
    rows.push(`| ${m.id} | ${m.what} | ${r.caught ? 'yes' : '**NO**'} | ${r.by} | ${r.seconds.toFixed(0)} |`);
    process.stderr.write(`  ${r.caught ? 'caught' : 'NOT CAUGHT'} (${r.seconds.toFixed(0)} s) ${r.by}\n`);
  }
  console.log(rows.join('\n'));
  if (missed > 0) {
    console.log(`\n${missed} mutant(s) not caught`);
    process.exitCode = 1;
  }
}
