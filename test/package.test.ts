/**
 * The package as a user gets it: `npm pack` (which builds dist/), install the tarball into an empty
 * folder beside apache-arrow, then a plain `node` consumer, the installed `gpuframe` command, and
 * `tsc` over a typed consumer with and without the DOM lib.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let dir: string;
let files: string[];

function run(cmd: string, args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 180_000, env: { ...process.env, NODE_OPTIONS: '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const CONSUMER_MJS = `
import * as arrow from 'apache-arrow';
import { Session, sum, count, col } from 'gpuframe';

const bags = arrow.tableFromArrays({
  bag: ['Bag_A', 'Bag_A', 'Bag_B', 'Bag_B', 'Bag_C', 'Bag_C'],
  marbles: Int32Array.from([10, 20, 5, 5, 25, 25]),
});
const out = {};
for (const executor of ['cpu', 'auto']) {
  const session = await Session.create({ executor, cores: 2 });
  const t = await session.fromArrow(bags, { partitions: 2 })
    .filter(col('marbles').gt(0))
    .groupBy('bag').agg(sum('marbles').as('marbles'), count())
    .orderBy('bag').collect();
  out[executor] = {
    rows: t.toArray().map((r) => ({ bag: r.bag, marbles: r.marbles.toString(), n: typeof r['count(1)'] })),
    executor: session.options.executor,
    threads: [...new Set(session.lastJob.stages.flatMap((s) => s.tasks.map((t) => t.executorId)))].length,
  };
  await session.close();
}
console.log(JSON.stringify(out));
`;

const CONSUMER_TS = `
import * as arrow from 'apache-arrow';
import {
  Session, col, sum, avg, count, desc, formatJob, formatJobHtml, parseExpr, parseAggs, gpuDetails,
  countDistinct, approxCountDistinct, stddev, varPop, parseSelectList, decimalCells, formatDecimal,
  GpuFrameError, UnknownColumnError, ExprSyntaxError, InputFileError,
  type SessionOptions, type JobMetrics, type TaskMetrics, type StageMetrics, type ProgressEvent, type StagePlacement,
} from 'gpuframe';

const options: SessionOptions = {
  executor: 'auto', cores: 2, shufflePartitions: 4,
  onProgress: (e: ProgressEvent) => { if (e.type === 'taskEnd') void e.task.durationMs; },
};
const session: Session = await Session.create(options);
const t = arrow.tableFromArrays({ k: Int32Array.from([1, 2]), v: Float64Array.from([1.5, 2.5]) });
const df = session.fromArrow(t).filter(parseExpr('v > 1')).groupBy('k').agg(sum('v'), avg(col('v').mul(2)), count(), ...parseAggs('max(v) AS m'));
const result: arrow.Table = await df.orderBy(desc('k')).collect({ signal: new AbortController().signal });
const n: bigint = result.getChild('count(1)')!.get(0) as bigint;
const job: JobMetrics = session.lastJob!;
const stage: StageMetrics = job.stages[0]!;
const task: TaskMetrics = stage.tasks[0]!;
const kernels: number | undefined = gpuDetails(task)?.kernelMs;
const phases: string[] = (task.details?.phases ?? []).map((p) => p.name);
const placed: StagePlacement | undefined = stage.placement;
const text: string = formatJob(job) + formatJobHtml(job);
try { await df.count(); } catch (e) {
  if (e instanceof UnknownColumnError) console.log(e.column, e.available.join());
  else if (e instanceof ExprSyntaxError) console.log(e.column);
  else if (e instanceof InputFileError) console.log(e.path);
  else if (e instanceof GpuFrameError) console.log(e.name);
}
const analyst: arrow.Table = await session.fromArrow(t).withColumn('big', col('v').gt(2)).filter(col('big').or(col('k').eq(1)))
  .groupBy('big').agg(countDistinct('k'), approxCountDistinct('v', { relativeError: 0.05 }), stddev('v'), varPop(col('v').mul(2)))
  .orderBy('big').limit(2).collect();
const projected: arrow.Table = await session.fromArrow(t).select(...parseSelectList('k, v * 2 AS v2', 'select')).distinct().collect();
const money = new arrow.Table({ d: arrow.makeVector(arrow.makeData({ type: new arrow.Decimal(2, 9, 128), length: 1, data: Uint32Array.from([1250, 0, 0, 0]) })) });
const cells: (string | null)[] | null = decimalCells((await session.fromArrow(money).agg(sum('d')).collect()).getChild('sum(d)')!);
console.log(n, kernels, text.length, analyst.numRows, projected.numRows, cells, formatDecimal(-5n, 2));
await session.close();
`;

/** Must not type-check: proves that the consumer's tsc sees the package's types at all. */
const WRONG_TS = `
import { Session } from 'gpuframe';
await Session.create({ executor: 'tpu' });
`;

function tsconfig(lib: string[]): string {
  return JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true,
      skipLibCheck: false, lib, types: ['node'],
    },
    files: ['consumer.ts'],
  });
}

describe('the npm package', () => {
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gpuframe-pkg-'));
    // prepack builds dist/ first, so the tarball is always fresh.
    const packed = JSON.parse(execFileSync(NPM, ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as {
      filename: string;
      files: { path: string }[];
    }[];
    files = packed[0]!.files.map((f) => f.path);
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const tgz = path.join(dir, packed[0]!.filename);
    const install = run(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline', tgz, 'apache-arrow@21', 'typescript@5.9', '@types/node@20'], dir);
    if (install.status !== 0) throw new Error(`npm install of the tarball failed:\n${install.stderr}`);
  }, 300_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ships dist/, README and LICENSE only: no sources, tests, benchmark sources or CI files', () => {
    expect(files).toContain('dist/src/index.js');
    expect(files).toContain('dist/src/index.d.ts');
    expect(files).toContain('dist/src/executor/worker/worker-main.js');
    expect(files).toContain('dist/src/cli/main.js');
    expect(files).toContain('dist/shaders/murmur3.wgsl');
    expect(files).toContain('README.md');
    expect(files).toContain('LICENSE');
    const stray = files.filter((f) => !f.startsWith('dist/') && !['README.md', 'LICENSE', 'package.json'].includes(f));
    expect(stray).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it('a plain node consumer runs the marble count on the cpu and auto executors, on compiled executor threads', () => {
    writeFileSync(path.join(dir, 'consumer.mjs'), CONSUMER_MJS);
    const r = run('node', ['consumer.mjs'], dir);
    expect(r.stderr).not.toMatch(/ERR_|Error/);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, { rows: unknown[]; executor: string; threads: number }>;
    const want = [
      { bag: 'Bag_A', marbles: '30', n: 'bigint' },
      { bag: 'Bag_B', marbles: '10', n: 'bigint' },
      { bag: 'Bag_C', marbles: '50', n: 'bigint' },
    ];
    expect(out.cpu!.rows).toEqual(want);
    expect(out.auto!.rows).toEqual(want);
    expect(out.cpu!.executor).toBe('cpu');
    // The map and reduce tasks ran on executor threads, which load dist/…/worker-main.js.
    expect(out.cpu!.threads).toBeGreaterThanOrEqual(1);
  });

  it('the installed gpuframe command answers --help and runs a query', () => {
    const bin = path.join(dir, 'node_modules', '.bin', 'gpuframe');
    const help = run(bin, ['--help'], dir);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/query/);
    expect(help.stdout).toMatch(/bench/);
    expect(help.stdout).toMatch(/executor/);
    // The compiled executor command loads the NATS client it installed, and says it cannot reach a server.
    const ex = run(bin, ['executor', '--nats', 'nats://127.0.0.1:1', '--cores', '1'], dir);
    expect(ex.status).toBe(1);
    expect(ex.stderr).toMatch(/gpuframe: ClusterUnavailableError: cannot reach the NATS server at nats:\/\/127\.0\.0\.1:1/);
    // The same bags as Arrow IPC and as Parquet (parquet-wasm, installed with the package, writes it).
    writeFileSync(path.join(dir, 'gen.mjs'), `
      import * as arrow from 'apache-arrow'; import { writeFileSync } from 'node:fs'; import { createRequire } from 'node:module';
      const t = arrow.tableFromArrays({ bag: ['A', 'A', 'B'], marbles: Int32Array.from([1, 2, 3]) });
      writeFileSync('bags.arrow', arrow.tableToIPC(t, 'file'));
      const pw = createRequire(import.meta.url)('parquet-wasm/node');
      writeFileSync('bags.parquet', pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(t, 'stream'))));`);
    expect(run('node', ['gen.mjs'], dir).status).toBe(0);
    for (const file of ['bags.arrow', 'bags.parquet']) {
      const q = run(bin, ['query', file, '--group-by', 'bag', '--agg', 'sum(marbles)', '--order-by', 'bag', '--format', 'csv'], dir);
      expect(q.stderr, file).toBe('');
      expect(q.stdout, file).toBe('bag,sum(marbles)\nA,3\nB,3\n');
    }
  });

  for (const [name, lib] of [['without the DOM lib', ['ES2022']], ['with the DOM lib', ['ES2022', 'DOM']]] as const) {
    it(`a typed consumer type-checks ${name}, and a wrong option does not`, () => {
      const tsc = path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc');
      writeFileSync(path.join(dir, 'tsconfig.json'), tsconfig([...lib]));
      writeFileSync(path.join(dir, 'consumer.ts'), CONSUMER_TS);
      const ok = run('node', [tsc, '-p', '.'], dir);
      expect(ok.stdout + ok.stderr).toBe('');
      expect(ok.status).toBe(0);
      writeFileSync(path.join(dir, 'consumer.ts'), WRONG_TS);
      const bad = run('node', [tsc, '-p', '.'], dir);
      expect(bad.status).not.toBe(0);
      expect(bad.stdout).toMatch(/'"tpu"' is not assignable/);
    });
  }
});
