/**
 * A cluster on this machine, for the benchmark and the tests: `nats-server -js` on a free loopback
 * port with a temporary file store, and executor processes started as a user starts them
 * (`gpuframe executor --nats URL`), each a child process whose log lines can be waited for, and
 * which can be killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'src/cli/main.ts');

/** A port nothing listens on now (bound, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Child {
  readonly proc: ChildProcess;
  readonly lines: string[];
  readonly waiters: { re: RegExp; resolve(line: string): void }[];
}

function follow(proc: ChildProcess): Child {
  const c: Child = { proc, lines: [], waiters: [] };
  let rest = '';
  const onData = (d: Buffer) => {
    const parts = (rest + d.toString()).split('\n');
    rest = parts.pop()!;
    for (const line of parts) {
      c.lines.push(line);
      for (const w of [...c.waiters]) if (w.re.test(line)) { c.waiters.splice(c.waiters.indexOf(w), 1); w.resolve(line); }
    }
  };
  proc.stdout?.on('data', onData);
  proc.stderr?.on('data', onData);
  return c;
}

/** The next line matching `re` that the child prints after this call. */
function waitLine(c: Child, re: RegExp, timeoutMs: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no line matching ${re} within ${timeoutMs} ms; its output:\n${c.lines.join('\n')}`)), timeoutMs);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}) before a line matching ${re}; its output:\n${c.lines.join('\n')}`));
    };
    // A program that cannot start (not installed) fails to spawn.
    const onError = (e: Error) => {
      clearTimeout(timer);
      reject(new Error(`${what} could not start: ${e.message}${/ENOENT/.test(e.message) ? ' (install it: Debian packages it as nats-server)' : ''}`));
    };
    c.proc.once('exit', onExit);
    c.proc.once('error', onError);
    c.waiters.push({ re, resolve: (line) => { clearTimeout(timer); c.proc.off('exit', onExit); c.proc.off('error', onError); resolve(line); } });
  });
}

export class LocalCluster {
  private server: Child | null = null;
  private readonly executors = new Map<string, Child>();

  private constructor(readonly port: number, readonly storeDir: string) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** A NATS server with JetStream and `executors` processes of `cores` cores each, named e1, e2, … */
  static async start(executors: number, cores = 1): Promise<LocalCluster> {
    const c = new LocalCluster(await freePort(), mkdtempSync(join(tmpdir(), 'gpuframe-nats-')));
    await c.startServer();
    await Promise.all(Array.from({ length: executors }, (_, i) => c.addExecutor(`e${i + 1}`, cores)));
    return c;
  }

  async startServer(): Promise<void> {
    const proc = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.storeDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.server = follow(proc);
    await waitLine(this.server, /Server is ready/, 15_000, 'nats-server');
  }

  /** Stops the server as an operator would (SIGTERM), waiting for it to exit. */
  async stopServer(): Promise<void> {
    const s = this.server;
    if (!s || s.proc.exitCode !== null) return;
    const exited = new Promise((r) => s.proc.once('exit', r));
    s.proc.kill('SIGTERM');
    await exited;
  }

  /** Starts `gpuframe executor --nats URL --cores N --name NAME [...more]` and waits until it has joined. */
  async addExecutor(name: string, cores = 1, more: readonly string[] = []): Promise<void> {
    const args = ['--import', 'tsx', CLI, 'executor', '--nats', this.url, '--cores', String(cores), '--name', name, ...more];
    const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const c = follow(proc);
    this.executors.set(name, c);
    await waitLine(c, /joined/, 60_000, `executor ${name}`);
  }

  /** Waits for the next matching log line of an executor process (printed after this call). */
  waitForLog(name: string, re: RegExp, timeoutMs = 30_000): Promise<string> {
    return waitLine(this.executors.get(name)!, re, timeoutMs, `executor ${name}`);
  }

  log(name: string): readonly string[] {
    return this.executors.get(name)?.lines ?? [];
  }

  /** Kills an executor process with a signal (SIGKILL: as `kill -9`), waiting for it to exit. */
  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const c = this.executors.get(name)!;
    if (c.proc.exitCode === null && c.proc.signalCode === null) {
      const exited = new Promise((r) => c.proc.once('exit', r));
      c.proc.kill(signal);
      await exited;
    }
  }

  exitOf(name: string): { code: number | null; signal: NodeJS.Signals | null } {
    const p = this.executors.get(name)!.proc;
    return { code: p.exitCode, signal: p.signalCode };
  }

  async stop(): Promise<void> {
    await Promise.all([...this.executors.keys()].map((n) => this.kill(n, 'SIGKILL')));
    await this.stopServer();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}
