/**
 * The driver's side of a cluster (Session.create({ cluster: { nats } })): an Executor whose tasks
 * run in executor processes anywhere, through NATS JetStream (cluster-protocol.ts). Each task
 * attempt is a message on the work queue; its outcome arrives through a watch of the results
 * bucket, where the first successful attempt of a task is the only one recorded. Map outputs stay
 * in the object store: the driver holds their names and partition offsets, and reduce tasks read
 * them there. In-memory inputs are stored once per session.
 *
 * Nothing waits for ever: a task lost with every process it was delivered to fails its attempt
 * (JetStream's max-deliveries advisory), as does one gone from the work queue with no outcome; no
 * live executor for `executorWaitMs` fails the job with NoExecutorError, and a server away for
 * `serverWaitMs` with ClusterUnavailableError.
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import * as arrow from 'apache-arrow';
import type { QueuedIterator, Subscription } from '@nats-io/transport-node';
import type { KvWatchEntry } from '@nats-io/kv';
import { ClusterUnavailableError, ExecutorLostError, JobCancelledError, NoExecutorError, reviveError } from '../errors.ts';
import type { Schema, TExpr } from '../expr/resolve.ts';
import { outputSchema, type AggregationSpec } from '../plan/aggregation-spec.ts';
import { isStored, type ReduceBlock, type StoredBlock } from '../shuffle/shuffle-block.ts';
import type { FileInput } from '../executor/scan-input.ts';
import type { Executor, ReduceResult, ScanResult, StagePlacement, StoredMapResult, TaskContext } from '../executor/task.ts';
import {
  ALL_JOBS, CANCEL_SUBJECT, HEARTBEAT_MS, RESULTS_BUCKET, TASK_CONSUMER, TASK_STREAM, TASK_SUBJECT, encodeTask, inputName, isFailureOf, jobPrefix, resultKey, taskSubject,
  type ExecutorInfo, type SessionBeat, type TaskEnvelope, type TaskInputRef, type TaskOutcome, type TaskWin, type TaskWork,
} from './cluster-protocol.ts';
import { isSessionDead, openNatsCluster, type NatsCluster } from './nats-cluster.ts';
import type { StoredObject } from './block-store.ts';

export interface ClusterOptions {
  /** The NATS server (with JetStream), or several of one NATS cluster separated by commas: `nats://host:4222`. */
  readonly nats: string;
  /** How long a job with tasks to run waits for an executor process to be there (default 30 s). */
  readonly executorWaitMs?: number;
  /** How long a job waits for a lost connection to the server to come back (default 30 s). */
  readonly serverWaitMs?: number;
  /** A task not acknowledged for this long (its process died) is delivered again (default 30 s; running tasks keep theirs alive). */
  readonly ackWaitMs?: number;
  /** Deliveries of one task attempt at most (default 3): a task whose every process dies fails that attempt. */
  readonly maxDeliveries?: number;
  /** How long connecting may take (default 5 s). */
  readonly connectTimeoutMs?: number;
  /**
   * A session whose driver has not been heard from for this long (default 60 s) is dead: executors
   * drop its tasks, and the next session to open deletes its tasks, outcomes and stored objects.
   */
  readonly staleSessionMs?: number;
}

interface Pending {
  readonly attempt: number;
  seq?: number;
  readonly since: number;
  /** When the sweep last asked for its outcome. */
  asked?: number;
  resolve(w: TaskWin): void;
  reject(e: unknown): void;
}

const SWEEP_MS = 250;

export class ClusterExecutor implements Executor {
  readonly kind = 'cluster';
  /** Executor processes seen alive at the last look (every second). */
  private members: ExecutorInfo[] = [];
  private readonly pending = new Map<string, Pending>();
  /** Outcomes of tasks whose attempt the driver no longer waits for (a late first winner). */
  private readonly wins = new Map<string, TaskWin>();
  private readonly jobs = new Map<number, { objects: Set<string>; sweep: boolean }>();
  /** Jobs that ended, the latest thousand (their late outcomes are ignored). */
  private readonly ended = new Set<number>();
  /** Ended jobs' deletions under way. */
  private readonly cleanups = new Set<Promise<void>>();
  private readonly inputs = new WeakMap<readonly arrow.RecordBatch[], Promise<StoredObject | null>>();
  private inputCount = 0;
  private closed = false;
  private noExecutorSince: number | null = null;
  private disconnectedSince: number | null = null;
  private watcher: QueuedIterator<KvWatchEntry> | null = null;
  private readonly subs: Subscription[] = [];
  private readonly sweeper: NodeJS.Timeout;
  private readonly beating: NodeJS.Timeout;
  private lastLook = 0;
  private sweeping: Promise<void> | null = null;

  private constructor(private readonly c: NatsCluster, readonly session: string, private readonly o: Required<Omit<ClusterOptions, 'connectTimeoutMs'>>) {
    void this.watch();
    void this.followStatus();
    this.subs.push(c.nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${TASK_STREAM}.${TASK_CONSUMER}`, { callback: (_, m) => this.onMaxDeliveries(m.json()) }));
    // One sweep at a time: on a slow server, overlapping sweeps would pile up requests and slow it more.
    this.sweeper = setInterval(() => {
      if (this.sweeping) return;
      this.sweeping = this.sweep().catch(() => {}).finally(() => { this.sweeping = null; });
    }, SWEEP_MS);
    this.sweeper.unref();
    this.beating = setInterval(() => void this.beat().catch(() => {}), HEARTBEAT_MS);
    this.beating.unref();
  }

  private beat(): Promise<unknown> {
    const b: SessionBeat = { host: hostname(), pid: process.pid, at: Date.now(), staleMs: this.o.staleSessionMs };
    return this.c.sessions.put(this.session, JSON.stringify(b));
  }

  /** Work that close() waits for. */
  private background(p: Promise<void>): void {
    const done = p.catch(() => {});
    this.cleanups.add(done);
    void done.finally(() => this.cleanups.delete(done));
  }

  /**
   * What dead sessions (their drivers crashed, or lost the server for good) left behind: their
   * running tasks are cancelled, their queued tasks, outcomes and objects deleted.
   */
  private async sweepDeadSessions(): Promise<void> {
    const objects = new Map<string, string[]>();
    for (const o of await this.c.blocks.objects.list()) {
      const s = o.name.split('/')[0];
      objects.set(s, [...(objects.get(s) ?? []), o.name]);
    }
    const sessions = new Set(objects.keys());
    for await (const k of await this.c.results.keys()) sessions.add(k.split('.')[0]);
    const tasks = await this.c.jsm.streams.info(TASK_STREAM, { subjects_filter: `${TASK_SUBJECT}.>` });
    for (const subject of Object.keys(tasks.state.subjects ?? {})) sessions.add(subject.split('.')[2]);
    sessions.delete(this.session);
    for (const s of sessions) {
      if (!(await isSessionDead(this.c, s))) continue;
      this.c.nc.publish(`${CANCEL_SUBJECT}.${s}.${ALL_JOBS}`);
      await Promise.all([
        this.c.jsm.streams.purge(TASK_STREAM, { filter: `${TASK_SUBJECT}.${s}.>` }),
        this.c.jsm.streams.purge(`KV_${RESULTS_BUCKET}`, { filter: `$KV.${RESULTS_BUCKET}.${s}.>` }),
        this.c.blocks.delete(objects.get(s) ?? []),
      ]);
      await this.c.sessions.purge(s);
    }
  }

  static async open(o: ClusterOptions): Promise<ClusterExecutor> {
    const session = `s${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 6).toString(36)}`;
    const opts = { executorWaitMs: 30_000, serverWaitMs: 30_000, ackWaitMs: 30_000, maxDeliveries: 3, staleSessionMs: 60_000, ...o };
    const c = await openNatsCluster(o.nats, { name: `gpuframe driver ${session}`, connectTimeoutMs: o.connectTimeoutMs ?? 5000, consumer: { ackWaitMs: opts.ackWaitMs, maxDeliveries: opts.maxDeliveries } });
    const exec = new ClusterExecutor(c, session, opts);
    // Alive before it stores anything: a session without a beat is taken for dead.
    await exec.beat();
    await exec.look();
    exec.background(exec.sweepDeadSessions());
    return exec;
  }

  /** The executor processes alive now. */
  async executors(): Promise<readonly ExecutorInfo[]> {
    await this.look();
    return this.members;
  }

  /** Task slots: the live processes' cores. */
  get slots(): number {
    return Math.max(1, this.members.reduce((a, m) => a + m.cores, 0));
  }

  /** A second task queued per slot: a process that finishes one (or joins) finds the next there. */
  readonly queueDepth = 2;

  describe(): string {
    const m = this.members;
    const who = m.length ? m.map((e) => `${e.name}@${e.host} ${e.describe}`).join('; ') : 'no executor process yet';
    return `cluster (${this.c.url}: ${m.length} executor process${m.length === 1 ? '' : 'es'}, ${m.reduce((a, e) => a + e.cores, 0)} cores: ${who})`;
  }

  placeStage(): StagePlacement {
    return { on: 'cluster', reason: this.describe() };
  }

  async runMap(spec: AggregationSpec, batches: readonly arrow.RecordBatch[], ctx?: TaskContext): Promise<StoredMapResult> {
    return this.mapResult(await this.run({ kind: 'map', spec, input: { object: await this.input(batches) } }, ctx));
  }

  async runMapScan(spec: AggregationSpec, input: FileInput, ctx?: TaskContext): Promise<StoredMapResult> {
    return this.mapResult(await this.run({ kind: 'map', spec, input: { file: input } }, ctx));
  }

  async runReduce(spec: AggregationSpec, blocks: readonly ReduceBlock[], ctx?: TaskContext): Promise<ReduceResult> {
    const stored = blocks.map((b) => {
      if (!isStored(b)) throw new Error('internal: a cluster reduce task was given a block held in memory');
      return b;
    });
    const w = await this.run({ kind: 'reduce', spec, blocks: stored }, ctx);
    const batches = await this.resultBatches(w);
    return { batch: batches[0] ?? emptyBatch(spec), executorId: w.executorId, runMs: w.runMs, ...(w.details ? { details: w.details } : {}) };
  }

  async runScan(schema: Schema, filter: TExpr | null, batches: readonly arrow.RecordBatch[], ctx?: TaskContext): Promise<ScanResult> {
    return this.scan(schema, filter, { object: await this.input(batches) }, ctx);
  }

  async runScanFile(schema: Schema, filter: TExpr | null, input: FileInput, ctx?: TaskContext): Promise<ScanResult> {
    return this.scan(schema, filter, { file: input }, ctx);
  }

  /** A scan task on a process, which cuts its rows under top-N (ctx.top). */
  private async scan(schema: Schema, filter: TExpr | null, input: TaskInputRef, ctx?: TaskContext): Promise<ScanResult> {
    const w = await this.run({ kind: 'scan', schema, filter, input, ...(ctx?.top ? { top: ctx.top } : {}) }, ctx);
    return { batches: await this.resultBatches(w), inputRows: w.inputRows, executorId: w.executorId, runMs: w.runMs, ...(w.scan ? { scan: w.scan } : {}) };
  }

  private async mapResult(w: TaskWin): Promise<StoredMapResult> {
    const offsets = int32s(w.offsets !== undefined ? Buffer.from(w.offsets, 'base64') : await this.c.blocks.get(w.offsetsObject!));
    const block: StoredBlock = { stored: w.object!.name, chunks: w.object!.seqs, from: 0, rows: w.rows ?? 0, bytes: w.bytes };
    return {
      shuffle: { block, offsets }, inputRows: w.inputRows, outputRows: w.outputRows, executorId: w.executorId, runMs: w.runMs,
      ...(w.details ? { details: w.details } : {}), ...(w.fallbackReason ? { fallbackReason: w.fallbackReason } : {}), ...(w.scan ? { scan: w.scan } : {}),
    };
  }

  private async resultBatches(w: TaskWin): Promise<arrow.RecordBatch[]> {
    const ipc = w.inline !== undefined ? (w.inline ? Buffer.from(w.inline, 'base64') : null) : await this.c.blocks.get(w.object!);
    return ipc ? arrow.tableFromIPC(ipc).batches : [];
  }

  /** An in-memory partition in the object store: stored once per session (null: no rows). */
  private input(batches: readonly arrow.RecordBatch[]): Promise<StoredObject | null> {
    let stored = this.inputs.get(batches);
    if (!stored) {
      stored = batches.length === 0 ? Promise.resolve(null) : this.c.blocks.put(inputName(this.session, ++this.inputCount), arrow.tableToIPC(new arrow.Table(batches), 'stream'));
      this.inputs.set(batches, stored);
      stored.catch(() => this.inputs.delete(batches));
    }
    return stored;
  }

  /** One attempt of a task: published, then its outcome awaited (or the first winner's, where an earlier attempt won). */
  private async run(work: TaskWork, ctx: TaskContext = {}): Promise<TaskWin> {
    const id = ctx.task;
    if (!id) throw new Error('internal: a cluster task needs its job, stage, partition and attempt (TaskContext.task)');
    if (this.closed) throw new ExecutorLostError('the cluster executor is closed');
    const env: TaskEnvelope = { session: this.session, job: id.jobId, stage: id.stageId, partition: id.partition, attempt: id.attempt, ackWaitMs: this.o.ackWaitMs, ...(ctx.fault ? { fault: ctx.fault } : {}), work };
    const key = resultKey(env);
    const won = this.wins.get(key);
    if (won) return won;
    const signal = ctx.signal;
    if (signal?.aborted) throw new JobCancelledError('the job was cancelled');
    let onAbort = () => {};
    const outcome = new Promise<TaskWin>((resolve, reject) => {
      this.pending.set(key, { attempt: env.attempt, since: performance.now(), resolve, reject });
      onAbort = () => reject(new JobCancelledError('the job was cancelled'));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    // Awaited once published; until then a rejection (a cancel, a sweep) must not go unhandled.
    outcome.catch(() => {});
    try {
      const seq = await this.publish(env);
      const p = this.pending.get(key);
      if (p) p.seq = seq;
      return await outcome;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.pending.delete(key);
    }
  }

  /** Publishes a task, waiting out a short loss of the server (up to serverWaitMs). */
  private async publish(env: TaskEnvelope): Promise<number> {
    const data = encodeTask(env);
    const start = performance.now();
    for (;;) {
      try {
        // The message id makes a publish retried after a lost reply land once.
        return (await this.c.js.publish(taskSubject(env.session, env.job), data, { msgID: `${resultKey(env)}/${env.attempt}` })).seq;
      } catch (e) {
        if (performance.now() - start > this.o.serverWaitMs) throw new ClusterUnavailableError(`cannot queue a task on ${this.c.url} for ${this.o.serverWaitMs} ms: ${(e as Error).message}`);
        await sleep(100);
      }
    }
  }

  /** Follows the results bucket; started again when the connection comes back. */
  private async watch(): Promise<void> {
    while (!this.closed) {
      try {
        const it = await this.c.results.watch({ key: `${this.session}.>` });
        this.watcher = it;
        for await (const e of it) if (e.operation === 'PUT') this.onOutcome(e.key, e.json<TaskOutcome>());
      } catch {
        // The server is away; the sweep keeps time, and the loop starts the watch again.
      }
      this.watcher = null;
      if (!this.closed) await sleep(100);
    }
  }

  private async followStatus(): Promise<void> {
    for await (const s of this.c.nc.status()) {
      if (s.type === 'disconnect') this.disconnectedSince ??= performance.now();
      else if (s.type === 'reconnect') {
        this.disconnectedSince = null;
        // Outcomes recorded while away arrive with the watch's new start.
        this.watcher?.stop();
      }
    }
  }

  private onOutcome(key: string, o: TaskOutcome): void {
    const base = key.split('.').slice(0, 4).join('.');
    const jobId = Number(key.split('.')[1]);
    // A straggler's outcome after its job ended: nothing waits for it, and its cleanup is under way.
    if (this.ended.has(jobId)) return;
    const job = this.job(jobId);
    // A failed or redelivered attempt may have left objects of its own: the job's end looks for them all.
    if (!o.ok || o.delivery > 1) job.sweep = true;
    const p = this.pending.get(base);
    if (o.ok) {
      if (base !== key) return;
      for (const obj of [o.object, o.offsetsObject]) if (obj) job.objects.add(obj.name);
      if (p) p.resolve(o);
      else this.wins.set(base, o);
    } else if (p && p.attempt === o.attempt) {
      p.reject(Object.assign(reviveError(o.error), { executorId: o.executorId }));
    }
  }

  /** What the driver knows a job stored, to delete at its end. */
  private job(id: number): { objects: Set<string>; sweep: boolean } {
    let j = this.jobs.get(id);
    if (!j) this.jobs.set(id, j = { objects: new Set(), sweep: false });
    return j;
  }

  private onMaxDeliveries(a: { stream_seq?: number; deliveries?: number }): void {
    for (const [key, p] of this.pending) {
      if (p.seq === undefined || p.seq !== a.stream_seq) continue;
      p.reject(new ExecutorLostError(`task ${key} was delivered ${a.deliveries ?? this.o.maxDeliveries} times, and every executor process that took it was lost before it finished`));
      // Left in the work queue, it would never be delivered again: removed.
      void this.c.jsm.streams.deleteMessage(TASK_STREAM, p.seq, false).catch(() => {});
    }
  }

  /** Who is alive, per the heartbeats that have not expired. */
  private async look(): Promise<void> {
    this.lastLook = performance.now();
    const found: ExecutorInfo[] = [];
    for await (const name of await this.c.executors.keys()) {
      const e = await this.c.executors.get(name);
      if (e && e.operation === 'PUT') found.push(e.json<ExecutorInfo>());
    }
    this.members = found.sort((a, b) => a.name.localeCompare(b.name));
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
  }

  /** Keeps time for the pending tasks: executors gone, the server gone, outcomes the watch missed. */
  private async sweep(): Promise<void> {
    const now = performance.now();
    if (this.pending.size === 0) {
      this.noExecutorSince = null;
      // Who is alive decides the next job's slots (and explain()): kept fresh between jobs too.
      if (this.disconnectedSince === null && now - this.lastLook >= 1000) await this.look().catch(() => {});
      return;
    }
    if (this.disconnectedSince !== null) {
      if (now - this.disconnectedSince > this.o.serverWaitMs) {
        this.failAll(new ClusterUnavailableError(`lost the NATS server at ${this.c.url} for more than ${this.o.serverWaitMs} ms (serverWaitMs)`));
      }
      return;
    }
    try {
      if (now - this.lastLook >= 1000) await this.look();
      if (this.members.length > 0) this.noExecutorSince = null;
      else if ((this.noExecutorSince ??= now) && now - this.noExecutorSince > this.o.executorWaitMs) {
        this.failAll(new NoExecutorError(
          `no executor process is connected to ${this.c.url}: waited ${this.o.executorWaitMs} ms (executorWaitMs) for one to take the job's tasks; start one with \`gpuframe executor --nats ${this.c.url}\``,
        ));
      }
      for (const [key, p] of this.pending) {
        if (now - (p.asked ?? p.since) < 1000) continue;
        p.asked = now;
        await this.askFor(key, p);
      }
    } catch {
      // The server is away: the status events say so, and the next sweep keeps time.
    }
  }

  /**
   * A pending task's outcome asked for directly, a second after it was queued and then once a
   * second: a watch restarting may miss one. An executor records an outcome before it acknowledges
   * the task, so a task gone from the work queue with no outcome recorded is lost (dropped by
   * mistake, or its outcome lost with the server): that attempt fails, and the stage retries it.
   */
  private async askFor(key: string, p: Pending): Promise<void> {
    const queued = p.seq === undefined || (await this.c.jsm.streams.getMessage(TASK_STREAM, { seq: p.seq })) !== null;
    const won = await this.c.results.get(key);
    if (won && won.operation === 'PUT') return this.onOutcome(key, won.json<TaskOutcome>());
    if (queued) return;
    for await (const k of await this.c.results.keys(`${key}.failed.*`)) {
      if (!isFailureOf(k, key, p.attempt)) continue;
      const e = await this.c.results.get(k);
      if (e && e.operation === 'PUT') return this.onOutcome(k, e.json<TaskOutcome>());
    }
    p.reject(new ExecutorLostError(`task ${key} attempt ${p.attempt} left the work queue with no outcome recorded`));
  }

  /**
   * Ends a job: its queued tasks dropped, its running ones stopped, its outcomes and stored blocks
   * deleted, in the background (the job's answer does not wait for it; close() does).
   */
  async endJob(jobId: number): Promise<void> {
    this.background(this.cleanUp(jobId));
  }

  private async cleanUp(jobId: number): Promise<void> {
    for (const key of [...this.wins.keys()]) if (key.startsWith(`${this.session}.${jobId}.`)) this.wins.delete(key);
    const job = this.job(jobId);
    this.jobs.delete(jobId);
    this.ended.add(jobId);
    if (this.ended.size > 1000) this.ended.delete(this.ended.values().next().value!);
    // With the server away, what is left is deleted when the session closes.
    if (this.disconnectedSince !== null) return;
    this.c.nc.publish(`${CANCEL_SUBJECT}.${this.session}.${jobId}`);
    // The winners' objects by name; all of the job's where an attempt failed or was delivered again.
    const cleanup = Promise.all([
      this.c.jsm.streams.purge(TASK_STREAM, { filter: taskSubject(this.session, jobId) }),
      this.c.jsm.streams.purge(`KV_${RESULTS_BUCKET}`, { filter: `$KV.${RESULTS_BUCKET}.${this.session}.${jobId}.>` }),
      job.sweep ? this.c.blocks.deletePrefix(jobPrefix(this.session, jobId)) : this.c.blocks.delete([...job.objects]),
    ]).catch(() => {});
    await Promise.race([cleanup, sleep(5000)]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    clearInterval(this.beating);
    this.failAll(new ExecutorLostError('the cluster executor was closed'));
    for (const s of this.subs) s.unsubscribe();
    this.watcher?.stop();
    await Promise.all(this.cleanups);
    // With the server away, nothing of this session can be deleted (nor used): no waiting for it.
    if (this.disconnectedSince === null) {
      const cleanup = Promise.all([
        this.c.jsm.streams.purge(TASK_STREAM, { filter: `${TASK_SUBJECT}.${this.session}.>` }),
        this.c.jsm.streams.purge(`KV_${RESULTS_BUCKET}`, { filter: `$KV.${RESULTS_BUCKET}.${this.session}.>` }),
        this.c.blocks.deletePrefix(`${this.session}/`),
        this.c.sessions.purge(this.session),
      ]).catch(() => {});
      await Promise.race([cleanup, sleep(5000)]);
    }
    await this.c.nc.close().catch(() => {});
  }
}

const int32s = (b: Uint8Array): Int32Array => {
  const out = new Int32Array(b.byteLength >> 2);
  new Uint8Array(out.buffer).set(b);
  return out;
};

/** A reduce task's result with no rows. */
function emptyBatch(spec: AggregationSpec): arrow.RecordBatch {
  const schema = outputSchema(spec);
  const children = schema.fields.map((f) => arrow.makeData({ type: f.type, length: 0, nullCount: 0 } as never) as arrow.Data);
  return new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length: 0, nullCount: 0, children }));
}
