/**
 * `gpuframe executor --nats nats://HOST:PORT [--executor cpu|gpu|auto] [--cores N] [--name ID]`: an
 * executor process of a cluster. It runs until SIGINT or SIGTERM, then leaves once its running
 * tasks are done (a second signal leaves at once; its tasks go to other processes).
 */
import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ExecutorProcess } from '../cluster/executor-process.ts';
import { WorkerPoolExecutor } from '../executor/worker/worker-pool.ts';

export interface ExecutorOptions {
  readonly nats: string;
  readonly executor: 'cpu' | 'gpu' | 'auto';
  readonly cores: number;
  readonly name?: string;
  readonly cacheMb: number;
  readonly quiet: boolean;
}

function positiveInt(s: string): number {
  const v = Number(s);
  if (!Number.isInteger(v) || v < 1) throw new InvalidArgumentError(`a positive integer is expected, got '${s}'`);
  return v;
}

export async function runExecutor(o: ExecutorOptions): Promise<void> {
  const log = o.quiet ? undefined : (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const p = await ExecutorProcess.start({ nats: o.nats, executor: o.executor, cores: o.cores, name: o.name, cacheBytes: o.cacheMb * 2 ** 20, log });
  await new Promise<void>((resolve) => {
    const leave = (signal: string) => {
      process.once(signal, () => process.exit(130));
      void p.stop().then(resolve);
    };
    process.once('SIGINT', () => leave('SIGINT'));
    process.once('SIGTERM', () => leave('SIGTERM'));
  });
  await WorkerPoolExecutor.shutdownIdle();
}

export function executorCommand(): Command {
  return new Command('executor')
    .description('Join a cluster as an executor process: pull tasks from its NATS JetStream work queue and run them here.')
    .requiredOption('--nats <url>', "the cluster's NATS server with JetStream, e.g. nats://127.0.0.1:4222 (several of one NATS cluster: comma-separated)")
    .addOption(new Option('--executor <kind>', 'what runs the tasks here').choices(['cpu', 'gpu', 'auto']).default('cpu'))
    .option('--cores <n>', 'tasks at a time (CPU executor threads)', positiveInt, availableParallelism())
    .option('--name <id>', 'its name in the cluster, unique per process (default: host-pid)')
    .option('--cache-mb <n>', 'memory kept for input partitions and map outputs between tasks, in MiB', positiveInt, 1024)
    .option('--quiet', 'no log line per task on stderr', false)
    .action(async (o: ExecutorOptions) => runExecutor(o));
}
