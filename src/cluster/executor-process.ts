/**
 * An executor process of a cluster (`gpuframe executor --nats URL`): it advertises itself, pulls
 * tasks from the work queue `cores` at a time, runs them on the executor this process opens (the
 * CPU executor's threads, or the GPU executor), stores map outputs in the object store, records
 * each outcome (the first successful attempt of a task wins) and only then acknowledges the task.
 * A process killed mid-task never acknowledges it: JetStream delivers it again after the ack wait.
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import * as arrow from 'apache-arrow';
import type { JsMsg, Consumer } from '@nats-io/jetstream';
import type { Subscription } from '@nats-io/transport-node';
import { mapOutputFromIPC, mapOutputToIPC } from '../shuffle/block-ipc.ts';
import { sliceBlock, type MapOutput, type ShuffleBlock, type StoredBlock } from '../shuffle/shuffle-block.ts';
import { openLocalExecutor } from '../executor/open-executor.ts';
import { readFileInput } from '../executor/scan-input.ts';
import { hangUntilAborted, type LocalExecutor, type MapResult, type TaskDetails, type TaskPhase } from '../executor/task.ts';
import {
  ALL_JOBS, CANCEL_SUBJECT, HEARTBEAT_MS, INLINE_BYTES, TASK_CONSUMER, TASK_STREAM, decodeTask, failureKey, outputName, resultKey,
  type ExecutorInfo, type TaskEnvelope, type TaskFailure, type TaskInputRef, type TaskWin,
} from './cluster-protocol.ts';
import { ackWaitMs, isKeyExists, isSessionDead, openNatsCluster, type NatsCluster } from './nats-cluster.ts';
import { ObjectCache } from './object-cache.ts';
import { topRows } from '../arrow/sort-table.ts';
import type { StoredObject } from './block-store.ts';

export interface ExecutorProcessOptions {
  readonly nats: string;
  /** What runs the tasks here: as Session's `executor` option. */
  readonly executor: 'cpu' | 'gpu' | 'auto';
  /** Tasks at a time (CPU executor threads). */
  readonly cores: number;
  /** Its name in the cluster (default `<host>-<pid>`); unique per process. */
  readonly name?: string;
  /** Bytes of inputs and map outputs kept in memory between tasks (default 1 GiB). */
  readonly cacheBytes?: number;
  /** A line per event (joined, each task's start and end, errors). */
  readonly log?: (line: string) => void;
  readonly connectTimeoutMs?: number;
}

type Outcome = Omit<TaskWin, 'ok' | 'executor' | 'host' | 'pid' | 'attempt' | 'delivery'> & { phases: TaskPhase[] };

export class ExecutorProcess {
  private stopping = false;
  private readonly running = new Map<JsMsg, { env: TaskEnvelope; abort: AbortController }>();
  /** Jobs the driver ended (`session.job`, `session.all`): their tasks still queued or delivered again are dropped. */
  private readonly ended = new Set<string>();
  /** When each session's driver was last seen alive (Date.now()). */
  private readonly alive = new Map<string, number>();
  private readonly inputs: ObjectCache<arrow.RecordBatch[]>;
  private readonly outputs: ObjectCache<MapOutput>;
  private readonly loops: Promise<void>[] = [];
  /** Tasks whose output is being stored and recorded, their slot already free. */
  private readonly storing = new Set<Promise<void>>();
  private heartbeat?: NodeJS.Timeout;
  private cancels?: Subscription;
  private ackWait = 30_000;

  private constructor(readonly info: ExecutorInfo, private readonly cluster: NatsCluster, private readonly local: LocalExecutor, private readonly log: (line: string) => void, cacheBytes: number) {
    this.inputs = new ObjectCache(cacheBytes / 2);
    this.outputs = new ObjectCache(cacheBytes / 2);
  }

  static async start(o: ExecutorProcessOptions): Promise<ExecutorProcess> {
    const name = o.name ?? `${hostname()}-${process.pid}`;
    const cluster = await openNatsCluster(o.nats, { name: `gpuframe executor ${name}`, connectTimeoutMs: o.connectTimeoutMs ?? 5000 });
    let local: LocalExecutor;
    try {
      ({ executor: local } = await openLocalExecutor({ executor: o.executor, executors: 1, cores: o.cores, workers: true, fallback: 'cpu', merge: 'auto' }));
    } catch (e) {
      await cluster.nc.close();
      throw e;
    }
    const info: ExecutorInfo = { name, host: hostname(), pid: process.pid, kind: local.kind, describe: local.describe(), cores: o.cores };
    const p = new ExecutorProcess(info, cluster, local, o.log ?? (() => {}), o.cacheBytes ?? 2 ** 30);
    await p.begin();
    return p;
  }

  private async begin(): Promise<void> {
    const { nc, executors } = this.cluster;
    this.ackWait = await ackWaitMs(this.cluster);
    const beat = () => executors.put(this.info.name, JSON.stringify(this.info)).catch((e: Error) => this.log(`heartbeat failed: ${e.message}`));
    await beat();
    this.heartbeat = setInterval(beat, HEARTBEAT_MS);
    this.cancels = nc.subscribe(`${CANCEL_SUBJECT}.>`, {
      callback: (_, m) => {
        const [session, job] = m.subject.split('.').slice(2);
        this.endJob(session, job);
      },
    });
    const consumer = await this.cluster.js.consumers.get(TASK_STREAM, TASK_CONSUMER);
    for (let i = 0; i < this.info.cores; i++) this.loops.push(this.pull(consumer));
    this.log(`executor ${this.info.name} joined ${this.cluster.url} on ${this.info.host} (pid ${this.info.pid}): ${this.info.describe}, ${this.info.cores} task(s) at a time`);
  }

  /** One task slot: pulls a task, runs it, and pulls the next. */
  private async pull(consumer: Consumer): Promise<void> {
    let lastError = '';
    while (!this.stopping) {
      let msg: JsMsg | null;
      try {
        msg = await consumer.next({ expires: 1000 });
        lastError = '';
      } catch (e) {
        // The server is away (restarting): try again shortly.
        const why = (e as Error).message;
        if (why !== lastError) this.log(`pulling a task failed, trying again: ${why}`);
        lastError = why;
        if (!this.stopping) await sleep(250);
        continue;
      }
      if (!msg) continue;
      // The slot is free once the task's compute is done: its output is stored while the next one runs.
      let computed!: () => void;
      const free = new Promise<void>((resolve) => { computed = resolve; });
      const task = this.handle(msg, computed).finally(computed);
      this.storing.add(task);
      void task.finally(() => this.storing.delete(task));
      await free;
    }
  }

  /** A job ended (or, `job` ALL_JOBS, its whole session): its tasks are stopped, and those still to come dropped. */
  private endJob(session: string, job: string): void {
    this.ended.add(`${session}.${job}`);
    if (this.ended.size > 10_000) this.ended.delete(this.ended.values().next().value!);
    this.outputs.dropPrefix(job === ALL_JOBS ? `${session}/` : `${session}/${job}/`);
    for (const r of this.running.values()) if (this.hasEnded(r.env)) r.abort.abort();
  }

  private hasEnded(env: TaskEnvelope): boolean {
    return this.ended.has(`${env.session}.${env.job}`) || this.ended.has(`${env.session}.${ALL_JOBS}`);
  }

  /** Whether a session's driver is alive, as its heartbeat says (asked at most once a second per session). */
  private async sessionAlive(session: string): Promise<boolean> {
    const seen = this.alive.get(session);
    if (seen !== undefined && Date.now() - seen < 1000) return true;
    if (await isSessionDead(this.cluster, session)) return false;
    this.alive.set(session, Date.now());
    if (this.alive.size > 1000) this.alive.delete(this.alive.keys().next().value!);
    return true;
  }

  /** Runs a delivered task to its recorded outcome; `computed` is called once its output is made. */
  private async handle(msg: JsMsg, computed: () => void): Promise<void> {
    let env: TaskEnvelope;
    try {
      env = decodeTask(msg.data);
    } catch (e) {
      this.log(`dropped a message that is not a task: ${(e as Error).message}`);
      msg.term();
      return;
    }
    const delivery = msg.info.deliveryCount;
    const what = `task ${resultKey(env)} attempt ${env.attempt} delivery ${delivery}`;
    if (this.hasEnded(env)) {
      msg.term();
      this.log(`dropped ${what} before it started: its job ended`);
      return;
    }
    try {
      if (!(await this.sessionAlive(env.session))) {
        this.endJob(env.session, ALL_JOBS);
        msg.term();
        this.log(`dropped ${what}: its driver is gone`);
        return;
      }
    } catch (e) {
      // The server is away: delivered again in a second (or, if the nak is lost too, after the ack wait).
      msg.nak(1000);
      this.log(`${what}: cannot tell whether its driver is alive, left for redelivery: ${(e as Error).message}`);
      return;
    }
    // Fault injection: the task leaves the work queue with no outcome, as if dropped by mistake.
    if (env.fault === 'vanish' && delivery === 1) {
      msg.term();
      this.log(`dropped ${what}: injected fault`);
      return;
    }
    // Fault injection: the process dies as `kill -9` would kill it, on the task's first delivery.
    if (env.fault === 'crash' && delivery === 1) process.kill(process.pid, 'SIGKILL');
    const abort = new AbortController();
    this.running.set(msg, { env, abort });
    // In-progress acks keep a long task from being delivered again while this process lives: within
    // the shorter of the ack waits this process read at its start and the driver set since.
    const alive = setInterval(() => msg.working(), Math.max(50, Math.min(this.ackWait, env.ackWaitMs) / 3));
    this.log(`started ${what}`);
    const start = performance.now();
    try {
      let outcome: Outcome;
      try {
        outcome = await this.run(env, delivery, abort.signal, computed);
      } catch (e) {
        if (abort.signal.aborted) {
          msg.term();
          this.log(`dropped ${what}: its job ended`);
          return;
        }
        const err = e instanceof Error ? e : new Error(String(e));
        const failure: TaskFailure = { ok: false, ...this.by(env, delivery, 'main'), error: { name: err.name, message: err.message, stack: err.stack } };
        await this.cluster.results.put(failureKey(env, delivery), JSON.stringify(failure));
        msg.ack();
        this.log(`failed ${what}: ${err.name}: ${err.message}`);
        return;
      }
      if (this.hasEnded(env)) {
        await this.discard(outcome);
        msg.term();
        return;
      }
      // The executor's own account (a GPU task's, which gpuDetails reads) with the cluster's phases and where it ran.
      const details: TaskDetails = {
        ...(outcome.details ?? { kind: 'cluster' }), phases: outcome.phases,
        notes: [...(outcome.details?.notes ?? []), `ran on ${this.info.name} (pid ${this.info.pid}) on ${this.info.host}${delivery > 1 ? `, delivery ${delivery}` : ''}`],
      };
      const { phases: _, ...rest } = outcome;
      const win: TaskWin = { ok: true, ...rest, ...this.by(env, delivery, outcome.executorId), details };
      try {
        await this.cluster.results.create(resultKey(env), JSON.stringify(win));
      } catch (e) {
        if (!isKeyExists(e)) throw e;
        // Another attempt of the task won: this one's output is not used.
        await this.discard(outcome);
        this.log(`${what}: another attempt won`);
      }
      msg.ack();
      this.log(`finished ${what} in ${(performance.now() - start).toFixed(1)} ms`);
    } catch (e) {
      // The outcome could not be recorded (the server is away): not acknowledged, so it is delivered again.
      msg.nak(1000);
      this.log(`${what}: not recorded, left for redelivery: ${(e as Error).message}`);
    } finally {
      clearInterval(alive);
      this.running.delete(msg);
    }
  }

  private by(env: TaskEnvelope, delivery: number, thread: string) {
    const { name, host, pid } = this.info;
    return { executor: name, host, pid, executorId: `${name}@${host}/${thread}`, attempt: env.attempt, delivery };
  }

  private async discard(o: Outcome): Promise<void> {
    const names = [o.object, o.offsetsObject].filter((x) => x !== undefined).map((x) => x.name);
    for (const n of names) this.outputs.drop(n);
    await this.cluster.blocks.delete(names);
  }

  /** Runs a task on this process's executor; its output stored, its outcome not yet recorded. */
  private async run(env: TaskEnvelope, delivery: number, signal: AbortSignal, computed: () => void): Promise<Outcome> {
    if (env.fault === 'slow' && delivery === 1) await sleep(1000, undefined, { signal });
    if (env.fault === 'hang') await hangUntilAborted(signal);
    if (env.fault === 'throw') throw new Error('injected task failure');
    const ctx = { signal };
    const phases: TaskPhase[] = [];
    let t = performance.now();
    const phase = (name: string) => {
      const now = performance.now();
      phases.push({ name, ms: now - t });
      t = now;
    };
    const w = env.work;
    if (w.kind === 'map') {
      const batches = 'object' in w.input ? await this.input(w.input.object) : null;
      if (batches) phase('fetch');
      const placement = batches ? this.local.placeStage?.({ kind: 'map', spec: w.spec, partitions: [batches] }) : undefined;
      const r: MapResult = batches
        ? await this.local.runMap(w.spec, batches, { ...ctx, placement })
        : await this.local.runMapScan(w.spec, (w.input as Extract<TaskInputRef, { file: unknown }>).file, ctx);
      computed();
      phases.push(...(r.details?.phases ?? [{ name: 'run', ms: performance.now() - t }]));
      t = performance.now();
      const stored = await this.storeMapOutput(r.shuffle, outputName(env, delivery));
      phase('store');
      return { ...stored, phases, runMs: r.runMs ?? 0, inputRows: r.inputRows, outputRows: r.outputRows, executorId: r.executorId ?? 'main', ...(r.fallbackReason ? { fallbackReason: r.fallbackReason } : {}), ...(r.scan ? { scan: r.scan } : {}), ...(r.details ? { details: r.details } : {}) };
    }
    if (w.kind === 'reduce') {
      // Every block at once: those this process made are in memory, the others in flight together.
      const outs = await Promise.all(w.blocks.map((b) => this.mapOutput(b)));
      const blocks: ShuffleBlock[] = w.blocks.map((b, i) => sliceBlock(outs[i].block, b.from, b.from + b.rows));
      phase('fetch');
      const r = await this.local.runReduce(w.spec, blocks, ctx);
      computed();
      phase('run');
      const result = await this.storeResult([r.batch], outputName(env, delivery));
      phase('store');
      return { ...result, phases, runMs: r.runMs ?? 0, inputRows: blocks.reduce((a, b) => a + b.rows, 0), outputRows: r.batch.numRows, executorId: r.executorId ?? 'main' };
    }
    const { batches, scan } = 'object' in w.input
      ? { batches: await this.input(w.input.object), scan: undefined }
      : await readFileInput(this.local, w.input.file, ctx);
    phase('fetch');
    const r = await this.local.runScan(w.schema, w.filter, batches, ctx);
    // Under orderBy(...).limit(n), only the task's first n rows in that order leave this process.
    const kept = r.batches.filter((b) => b.numRows > 0);
    const out = w.top && kept.length ? topRows(new arrow.Table(kept), w.top.keys, w.top.n).batches : kept;
    computed();
    phase('run');
    const rows = out.reduce((a, b) => a + b.numRows, 0);
    const result = await this.storeResult(out, outputName(env, delivery));
    phase('store');
    return { ...result, phases, runMs: r.runMs ?? 0, inputRows: r.inputRows, outputRows: rows, executorId: r.executorId ?? 'main', ...(scan ? { scan } : {}) };
  }

  /** An in-memory input partition the driver stored (null: none), fetched once per process. */
  private async input(o: StoredObject | null): Promise<arrow.RecordBatch[]> {
    if (o === null) return [];
    return this.inputs.get(o.name, async () => {
      const bytes = await this.cluster.blocks.get(o, true);
      return { value: arrow.tableFromIPC(bytes).batches.filter((b) => b.numRows > 0), bytes: bytes.byteLength };
    });
  }

  /** A map output: kept here when this process made it, else read from the object store. */
  private mapOutput(b: StoredBlock): Promise<MapOutput> {
    return this.outputs.get(b.stored, async () => {
      const bytes = await this.cluster.blocks.get({ name: b.stored, seqs: b.chunks }, true);
      return { value: mapOutputFromIPC(bytes), bytes: bytes.byteLength };
    });
  }

  private async storeMapOutput(out: MapOutput, name: string): Promise<Pick<TaskWin, 'object' | 'bytes' | 'rows' | 'offsets' | 'offsetsObject'>> {
    const bytes = mapOutputToIPC(out);
    const object = await this.cluster.blocks.put(name, bytes);
    this.outputs.put(name, out, bytes.byteLength);
    const offsetBytes = new Uint8Array(out.offsets.buffer, out.offsets.byteOffset, out.offsets.byteLength);
    const base = { object, bytes: bytes.byteLength, rows: out.block.rows };
    if (offsetBytes.byteLength <= INLINE_BYTES) return { ...base, offsets: Buffer.from(offsetBytes).toString('base64') };
    return { ...base, offsetsObject: await this.cluster.blocks.put(`${name}.offsets`, offsetBytes) };
  }

  /** Result rows as Arrow IPC: in the outcome itself when small, else as an object. */
  private async storeResult(batches: arrow.RecordBatch[], name: string): Promise<Pick<TaskWin, 'object' | 'inline' | 'bytes'>> {
    if (batches.length === 0) return { inline: '', bytes: 0 };
    const ipc = arrow.tableToIPC(new arrow.Table(batches), 'stream');
    if (ipc.byteLength <= INLINE_BYTES) return { inline: Buffer.from(ipc).toString('base64'), bytes: ipc.byteLength };
    return { object: await this.cluster.blocks.put(name, ipc), bytes: ipc.byteLength };
  }

  /**
   * Leaves the cluster: pulls no more tasks, waits for the running ones (up to `graceMs`; those
   * still running are left unacknowledged, for another process), and closes.
   */
  async stop(graceMs = 30_000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.heartbeat);
    const deadline = sleep(graceMs);
    await Promise.race([Promise.all(this.loops), deadline]);
    await Promise.race([Promise.all(this.storing), deadline]);
    this.cancels?.unsubscribe();
    await this.cluster.executors.delete(this.info.name).catch(() => {});
    await this.local.close();
    await this.cluster.nc.drain().catch(() => {});
    this.log(`executor ${this.info.name} left ${this.cluster.url}`);
  }
}
