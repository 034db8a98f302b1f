/**
 * Long runs of the DuckDB differential suite (test/differential.test.ts) on fresh random seeds:
 *
 *   npm run test:fuzz -- --cases 20000            ⌈N/4⌉ random tables × 4 queries, from a random seed
 *   npm run test:fuzz -- --cases 2000 --seed 123  the same run again
 *
 * (package.json: "test:fuzz": "tsx test/fuzz.ts".) It runs vitest on that one file with
 * DIFF_FUZZ=<tables> and DIFF_SEED=<first seed> (which the file reads), so the tables, queries,
 * executors (one seed in 6 on the GPU, where there is one) and comparisons are the suite's own. A
 * failing case prints its code, SQL and table, and replays alone with
 *   DIFF_CASE=<seed>/<query> npx vitest run test/differential.test.ts
 * The exit status is vitest's.
 */
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const QUERIES_PER_TABLE = 4;

function usage(message: string): never {
  console.error(`${message}\nusage: npm run test:fuzz -- --cases N [--seed S] [--verbose]`);
  process.exit(2);
}

const args = process.argv.slice(2);
let cases = 0;
let seed = randomInt(1_000_000, 2 ** 31 - 1);
const env: NodeJS.ProcessEnv = { ...process.env };
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  const value = (): number => {
    const v = Number(args[++i]);
    if (!Number.isInteger(v) || v < 0) usage(`${a} needs a whole number, got ${String(args[i])}`);
    return v;
  };
  if (a === '--cases') cases = value();
  else if (a === '--seed') seed = value();
  else if (a === '--verbose') env.DIFF_VERBOSE = '1';
  else usage(`unknown argument ${a}`);
}
if (cases <= 0) usage('--cases N is required (N > 0)');

const tables = Math.ceil(cases / QUERIES_PER_TABLE);
env.DIFF_FUZZ = String(tables);
env.DIFF_SEED = String(seed);
console.log(`test:fuzz: ${tables} tables × ${QUERIES_PER_TABLE} queries = ${tables * QUERIES_PER_TABLE} cases from seed ${seed} (again: --seed ${seed})`);
const r = spawnSync('npx', ['vitest', 'run', 'test/differential.test.ts'], { cwd: ROOT, env, stdio: 'inherit' });
if (r.error) throw r.error;
process.exit(r.status ?? 1);
