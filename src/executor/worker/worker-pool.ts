/**
 * The CPU executor on worker threads: `executors` × `cores` threads, each running one task at a
 * time. Inputs cross in shared memory (see share.ts); shuffle blocks and results come back
 * transferred. A thread that dies mid-task fails that task with ExecutorLostError and is
 * replaced; cancelling a task terminates its thread, which is replaced too.
 *
 *   driver ──task (plain data)──► thread e.c ──reply (blocks / columns)──► driver
 */
import { Worker } from 'node:worker_threads';
import type * as arrow from 'apache-arrow';
import { shareBatches } from '../../arrow/share.ts';
import { describeBatches, prepareBatches } from '../../arrow/wire-batch.ts';
import { cacheValueRange } from '../../arrow/column-chunk.ts';
import { ExecutorLostError, JobCancelledError, reviveError } from '../../errors.ts';
import { columnsOfTyped } from '../../expr/columns.ts';
import type { Schema, TExpr } from '../../expr/resolve.ts';
import type { ShuffleBlock } from '../../shuffle/shuffle-block.ts';
import { type AggregationSpec, keyRangeColumns, sourceColumnsOfSpec } from '../../plan/aggregation-spec.ts';
import { filterBatch } from '../cpu/cpu-executor.ts';
import { toRecordBatch, type ReduceOutput } from '../cpu/reduce-task.ts';
import type { LocalExecutor, MapResult, ReduceResult, ScanResult, TaskContext, ThreadRun } from '../task.ts';
import type { ReplyMessage, TaskMessage, TaskOutput } from './protocol.ts';
import type { FileInput } from '../scan-input.ts';

type Body = TaskMessage extends infer M ? (M extends TaskMessage ? Omit<M, 'id' | 'fault'> : never) : never;

interface Thread {
  readonly id: string;
  worker: Worker;
  running: { id: number; resolve(r: TaskOutput, runMs: number): void; reject(e: unknown): void } | null;
}

interface Pending {
  body: Body;
  /** Buffers that move to the thread with the message (an op's input). */
  transfer: ArrayBuffer[];
  ctx: TaskContext;
  resolve(r: { output: TaskOutput; executorId: string; runMs: number }): void;
  reject(e: unknown): void;
  /** Stops listening for an abort while queued (a session's signal outlives its tasks). */
  dequeued(): void;
}

// Installed, the library is compiled JS and a thread runs worker-main.js itself; in development it
// is TypeScript, and the thread first registers tsx's loader (worker-boot.mjs).
const BOOT = import.meta.url.endsWith('.ts') ? new URL('./worker-boot.mjs', import.meta.url) : new URL('./worker-main.js', import.meta.url);

/** Pools of closed sessions, kept (idle threads do not keep the process alive) for the next session of that size. */
const idle = new Map<string, WorkerPoolExecutor[]>();

export class WorkerPoolExecutor implements LocalExecutor {
  readonly kind = 'cpu';
  readonly slots: number;
  private readonly threads: Thread[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  /** A pool of this size: an idle one left by a closed session, or a new one. */
  static acquire(executors: number, cores: number): WorkerPoolExecutor {
    const pool = idle.get(`${executors}x${cores}`)?.pop();
    if (pool) {
      pool.closed = false;
      return pool;
    }
    return new WorkerPoolExecutor(executors, cores);
  }

  /** Terminates every idle pool's threads. */
  static async shutdownIdle(): Promise<void> {
    const pools = [...idle.values()].flat();
    idle.clear();
    await Promise.all(pools.map((p) => p.terminate()));
  }

  private constructor(readonly executors: number, readonly cores: number) {
    this.slots = executors * cores;
    for (let e = 1; e <= executors; e++) for (let c = 1; c <= cores; c++) this.threads.push(this.spawn(`executor-${e}.${c}`));
  }

  private spawn(id: string): Thread {
    const t: Thread = { id, worker: new Worker(BOOT), running: null };
    t.worker.on('message', (m: ReplyMessage) => {
      const r = t.running;
      if (!r || r.id !== m.id) return;
      // A thread whose state a failure broke (a decoder's panic) says so, and is replaced.
      if (!m.ok && m.threadLost) this.replace(t);
      else this.finish(t);
      if (m.ok) r.resolve(m.result, m.runMs);
      else r.reject(Object.assign(reviveError(m.error), { executorId: t.id }));
    });
    const lost = (why: string) => {
      const r = t.running;
      this.replace(t);
      r?.reject(Object.assign(new ExecutorLostError(`executor ${t.id} was lost while running a task: ${why}`), { executorId: t.id }));
    };
    t.worker.on('error', (e) => lost(`uncaught ${e.name}: ${e.message}`));
    t.worker.on('exit', (code) => { if (!this.closed && this.threads.includes(t)) lost(`its thread exited with code ${code}`); });
    // After the listeners: adding a 'message' listener refs the worker again. An idle thread must
    // not keep the process alive.
    t.worker.unref();
    return t;
  }

  private replace(t: Thread): void {
    const i = this.threads.indexOf(t);
    if (i < 0) return;
    t.running = null;
    void t.worker.terminate();
    if (!this.closed) {
      this.threads[i] = this.spawn(t.id);
      this.pump();
    }
  }

  private finish(t: Thread): void {
    t.running = null;
    t.worker.unref();
    this.pump();
  }

  /** Starts queued tasks on idle threads, away from the thread a retried task failed on. */
  private pump(): void {
    while (this.queue.length) {
      const idle = this.threads.filter((t) => t.running === null);
      if (!idle.length) return;
      const p = this.queue.shift()!;
      p.dequeued();
      const avoid = p.ctx.avoidExecutor;
      const t = idle.find((x) => x.id !== avoid) ?? idle[0];
      this.start(t, p);
    }
  }

  private start(t: Thread, p: Pending): void {
    const id = this.nextId++;
    const signal = p.ctx.signal;
    if (signal?.aborted) return p.reject(new JobCancelledError('the job was cancelled'));
    const onAbort = () => {
      if (t.running?.id !== id) return;
      const r = t.running;
      this.replace(t);
      r.reject(new JobCancelledError('the job was cancelled'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    t.running = {
      id,
      resolve: (output, runMs) => { signal?.removeEventListener('abort', onAbort); p.resolve({ output, executorId: t.id, runMs }); },
      reject: (e) => { signal?.removeEventListener('abort', onAbort); p.reject(e); },
    };
    t.worker.ref();
    t.worker.postMessage({ ...p.body, id, fault: p.ctx.fault } as TaskMessage, p.transfer);
  }

  private submit(body: Body, ctx: TaskContext = {}, transfer: ArrayBuffer[] = []): Promise<{ output: TaskOutput; executorId: string; runMs: number }> {
    if (this.closed) return Promise.reject(new ExecutorLostError('the executor is closed'));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const i = this.queue.indexOf(p);
        if (i >= 0) { this.queue.splice(i, 1); reject(new JobCancelledError('the job was cancelled')); }
      };
      const p: Pending = { body, ctx, transfer, resolve, reject, dequeued: () => ctx.signal?.removeEventListener('abort', onAbort) };
      ctx.signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(p);
      this.pump();
    });
  }

  async runMap(spec: AggregationSpec, batches: readonly arrow.RecordBatch[], ctx?: TaskContext): Promise<MapResult> {
    // Key ranges and shared copies are made between turns of the driver's event loop.
    const keys = keyRangeColumns(spec);
    for (const k of keys) for (const b of batches) await cacheValueRange(b.getChild(k.column)!.data[0], k.dtype);
    await prepareBatches(spec.input, sourceColumnsOfSpec(spec), batches);
    const wire = await shareBatches(describeBatches(spec.input, sourceColumnsOfSpec(spec), batches, keys.map((k) => k.column)), ctx?.signal);
    const { output, executorId, runMs } = await this.submit({ kind: 'map', spec, batches: wire }, ctx);
    return { ...(output as MapResult), executorId, runMs };
  }

  async runMapScan(spec: AggregationSpec, input: FileInput, ctx?: TaskContext): Promise<MapResult> {
    const { output, executorId, runMs } = await this.submit({ kind: 'map-scan', spec, task: input.task, columns: input.columns }, ctx);
    return { ...(output as MapResult), executorId, runMs };
  }

  async runReduce(spec: AggregationSpec, blocks: readonly ShuffleBlock[], ctx?: TaskContext): Promise<ReduceResult> {
    const { output, executorId, runMs } = await this.submit({ kind: 'reduce', spec, blocks }, ctx);
    return { batch: toRecordBatch(spec, output as ReduceOutput), executorId, runMs };
  }

  async runScan(input: Schema, filter: TExpr | null, batches: readonly arrow.RecordBatch[], ctx?: TaskContext): Promise<ScanResult> {
    const inputRows = batches.reduce((a, b) => a + b.numRows, 0);
    if (!filter) return { batches: [...batches], inputRows };
    await prepareBatches(input, columnsOfTyped(filter), batches);
    const wire = await shareBatches(describeBatches(input, columnsOfTyped(filter), batches), ctx?.signal);
    const { output, executorId, runMs } = await this.submit({ kind: 'scan', filter, batches: wire }, ctx);
    const selections = output as (Int32Array | null)[];
    return { batches: batches.map((b, j) => filterBatch(b, selections[j])), inputRows, executorId, runMs };
  }

  runOnThread(op: string, input: unknown, transfer: ArrayBuffer[], ctx?: TaskContext): Promise<ThreadRun> {
    return this.submit({ kind: 'op', op, input }, ctx, transfer);
  }

  /** Gives the threads back for a later session; queued tasks fail. */
  describe(): string {
    return `cpu (${this.executors} × ${this.cores} CPU thread${this.slots === 1 ? '' : 's'})`;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new ExecutorLostError('the executor was closed'));
    // Threads still running a task (a cancelled or failed job's) are replaced rather than reused.
    for (const t of this.threads.filter((x) => x.running)) {
      const r = t.running!;
      t.running = null;
      r.reject(new ExecutorLostError('the executor was closed'));
      void t.worker.terminate();
      this.threads[this.threads.indexOf(t)] = this.spawn(t.id);
    }
    const key = `${this.executors}x${this.cores}`;
    idle.set(key, [...(idle.get(key) ?? []), this]);
  }

  private async terminate(): Promise<void> {
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}
