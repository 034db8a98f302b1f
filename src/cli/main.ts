#!/usr/bin/env node
/** The `gpuframe` command: `gpuframe query FILE ...`, `gpuframe executor --nats URL`, `gpuframe bench ...`; `--help` on each. */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { benchCommand } from '../../bench/bench-command.ts';
import { GpuFrameError } from '../errors.ts';
import { queryCommand } from './query-command.ts';
import { executorCommand } from './executor-command.ts';

const pkg = JSON.parse(readFileSync(new URL(import.meta.url.endsWith('.ts') ? '../../package.json' : '../../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('gpuframe')
  .description('Columnar queries over Apache Arrow data on the CPU and GPU executors, and their benchmark.')
  .version(pkg.version)
  .exitOverride()
  .addCommand(queryCommand())
  .addCommand(executorCommand())
  .addCommand(benchCommand(async (opts) => (await import('../../bench/run.ts')).runBench(opts)));
for (const c of program.commands) c.exitOverride();

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // Commander has printed the usage error or the help already.
    process.exitCode = e.exitCode;
  } else if (e instanceof GpuFrameError) {
    // Our typed errors carry a complete message; no stack trace for a user's mistake.
    process.stderr.write(`gpuframe: ${e.name}: ${e.message}\n`);
    process.exitCode = e.name === 'JobCancelledError' ? 130 : 1;
  } else {
    process.stderr.write(`gpuframe: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  }
}
