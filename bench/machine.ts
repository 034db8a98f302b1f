/** The machine and the code a benchmark ran on, as the report prints it and the JSON keeps it. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly logicalCpus: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  /** The commit the engine was measured at, and whether src/ had uncommitted changes. */
  readonly code: string;
}

function codeVersion(): string {
  try {
    const cwd = path.dirname(fileURLToPath(import.meta.url));
    const git = (...args: string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const head = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--', '../src').length > 0;
    return `${head}${dirty ? ' + uncommitted changes in src/' : ''}`;
  } catch {
    return 'unknown';
  }
}

export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    logicalCpus: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    code: codeVersion(),
  };
}

/** One line: `AMD EPYC …, 2 cores, 24 GiB, node v20.20.0, linux … x64; code at abc1234`. */
export function machineLine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores${m.logicalCpus !== m.cores ? ` (${m.logicalCpus} logical CPUs)` : ''}, ` +
    `${m.memoryGiB} GiB, node ${m.node}, ${m.platform}; code at ${m.code}`;
}
