/**
 * What a cluster's driver and executor processes say to each other through NATS JetStream, and
 * where they keep it:
 *
 *   driver ──task──► stream GPUFRAME_TASKS (work queue, subject gpuframe.tasks.<session>.<job>)
 *                      └─► durable pull consumer gpuframe-executors ─► an executor process
 *   executor ──map outputs, large results──► object store gpuframe-blocks (<session>/<job>/<stage>/<task>/<attempt>.<delivery>)
 *   executor ──outcome──► KV gpuframe-results: <session>.<job>.<stage>.<task> created once (the first
 *                         successful attempt wins), failures at <…>.failed.<attempt>-<delivery>
 *   executor ──heartbeat──► KV gpuframe-executors (entries expire: a silent process leaves it)
 *   driver ──heartbeat──► KV gpuframe-sessions: a session not heard from for its staleMs is dead
 *   driver ──job ended──► gpuframe.cancel.<session>.<job> (core NATS): executors drop its tasks;
 *                         gpuframe.cancel.<session>.all: those of a whole (dead) session
 *
 * Tasks travel as V8 structured-clone bytes (the plan fragments already cross threads so: typed
 * arrays and BigInts intact); outcomes as JSON, which any tool can read.
 */
import { deserialize, serialize } from 'node:v8';
import type { Schema, TExpr } from '../expr/resolve.ts';
import type { AggregationSpec } from '../plan/aggregation-spec.ts';
import type { StoredBlock } from '../shuffle/shuffle-block.ts';
import type { FileInput } from '../executor/scan-input.ts';
import type { ScanStats, TaskDetails, TaskFault, TopRows } from '../executor/task.ts';
import type { StoredObject } from './block-store.ts';

export const TASK_STREAM = 'GPUFRAME_TASKS';
export const TASK_SUBJECT = 'gpuframe.tasks';
export const TASK_CONSUMER = 'gpuframe-executors';
export const RESULTS_BUCKET = 'gpuframe-results';
export const EXECUTORS_BUCKET = 'gpuframe-executors';
export const SESSIONS_BUCKET = 'gpuframe-sessions';
export const BLOCKS_BUCKET = 'gpuframe-blocks';
export const CANCEL_SUBJECT = 'gpuframe.cancel';
/** An executor process says it is alive this often; its entry expires after EXECUTOR_TTL_MS of silence. */
export const HEARTBEAT_MS = 1000;
export const EXECUTOR_TTL_MS = 5000;
/** Task outcomes up to this size travel in the KV entry itself; larger ones in the object store. */
export const INLINE_BYTES = 256 * 1024;

/** A task's input rows: an in-memory partition stored as Arrow IPC (null: no rows), or a file scan task. */
export type TaskInputRef = { readonly object: StoredObject | null } | { readonly file: FileInput };

export type TaskWork =
  | { readonly kind: 'map'; readonly spec: AggregationSpec; readonly input: TaskInputRef }
  | { readonly kind: 'reduce'; readonly spec: AggregationSpec; readonly blocks: readonly StoredBlock[] }
  | { readonly kind: 'scan'; readonly schema: Schema; readonly filter: TExpr | null; readonly input: TaskInputRef; readonly top?: TopRows };

export interface TaskEnvelope {
  readonly session: string;
  readonly job: number;
  readonly stage: number;
  readonly partition: number;
  readonly attempt: number;
  /** The ack wait the driver set on the consumer: the executor keeps the task alive well within it. */
  readonly ackWaitMs: number;
  readonly fault?: TaskFault;
  readonly work: TaskWork;
}

export const encodeTask = (t: TaskEnvelope): Uint8Array => serialize(t);
export const decodeTask = (b: Uint8Array): TaskEnvelope => deserialize(b) as TaskEnvelope;

/** What an executor process advertises. */
export interface ExecutorInfo {
  readonly name: string;
  readonly host: string;
  readonly pid: number;
  /** 'cpu' or 'gpu': what runs its map tasks. */
  readonly kind: string;
  /** Its executor as explain() names it: `gpu (NVIDIA H200, …)`. */
  readonly describe: string;
  readonly cores: number;
}

/** A driver's heartbeat: its session is taken for dead once `at` is more than `staleMs` ago. */
export interface SessionBeat {
  readonly host: string;
  readonly pid: number;
  /** Date.now() of the beat. */
  readonly at: number;
  readonly staleMs: number;
}

export const isStale = (b: SessionBeat | null, now = Date.now()): boolean => b === null || now - b.at > b.staleMs;

/** The cancel subject's job token for every job of a session. */
export const ALL_JOBS = 'all';

/** Who ran an attempt: the process, and its thread or device (`exec-1@host-a/executor-1.2`). */
interface AttemptBy {
  readonly executor: string;
  readonly host: string;
  readonly pid: number;
  readonly executorId: string;
  readonly attempt: number;
  /** JetStream's delivery count: above 1 where an earlier delivery's process was lost. */
  readonly delivery: number;
}

export interface TaskWin extends AttemptBy {
  readonly ok: true;
  readonly runMs: number;
  readonly inputRows: number;
  readonly outputRows: number;
  /** A map task's output or a large result, in the object store. */
  readonly object?: StoredObject;
  /** A small result (a reduce task's batch, a scan's rows) as base64 Arrow IPC; '' for none. */
  readonly inline?: string;
  readonly bytes: number;
  /** A map output's rows, and its partition offsets: base64 Int32Array, or an object of their own when large. */
  readonly rows?: number;
  readonly offsets?: string;
  readonly offsetsObject?: StoredObject;
  readonly details?: TaskDetails;
  readonly fallbackReason?: string;
  readonly scan?: ScanStats;
}

export interface TaskFailure extends AttemptBy {
  readonly ok: false;
  readonly error: { readonly name: string; readonly message: string; readonly stack?: string };
}

export type TaskOutcome = TaskWin | TaskFailure;

export const resultKey = (t: Pick<TaskEnvelope, 'session' | 'job' | 'stage' | 'partition'>): string => `${t.session}.${t.job}.${t.stage}.${t.partition}`;
export const failureKey = (t: TaskEnvelope, delivery: number): string => `${resultKey(t)}.failed.${t.attempt}-${delivery}`;
/** The failed deliveries of a task's attempt among the keys under `${result}.failed.*` (`result`: its resultKey). */
export const isFailureOf = (key: string, result: string, attempt: number): boolean => key.startsWith(`${result}.failed.${attempt}-`);
export const taskSubject = (session: string, job: number): string => `${TASK_SUBJECT}.${session}.${job}`;
export const outputName = (t: TaskEnvelope, delivery: number): string => `${t.session}/${t.job}/${t.stage}/${t.partition}/${t.attempt}.${delivery}`;
export const jobPrefix = (session: string, job: number): string => `${session}/${job}/`;
export const inputName = (session: string, n: number): string => `${session}/input/${n}`;
