/**
 * A connection to a cluster's NATS server with JetStream, and the stream, consumer, buckets and
 * object store of cluster-protocol.ts, made where missing (by whichever process comes first). The
 * connection reconnects for ever; those who use it decide how long to wait (ClusterExecutor).
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import { BlockStore } from './block-store.ts';
import { ClusterUnavailableError } from '../errors.ts';
import { BLOCKS_BUCKET, EXECUTOR_TTL_MS, EXECUTORS_BUCKET, RESULTS_BUCKET, SESSIONS_BUCKET, TASK_CONSUMER, TASK_STREAM, TASK_SUBJECT, isStale, type SessionBeat } from './cluster-protocol.ts';

export interface NatsCluster {
  readonly url: string;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly results: KV;
  readonly executors: KV;
  /** Drivers' heartbeats (SessionBeat), by session. */
  readonly sessions: KV;
  readonly blocks: BlockStore;
}

export interface ConsumerSettings {
  /** A delivered task not acknowledged (nor kept alive with in-progress acks) for this long is delivered again. */
  readonly ackWaitMs: number;
  /** Deliveries of one task at most; past them the driver hears of it as a lost task. */
  readonly maxDeliveries: number;
}

const ns = (ms: number) => ms * 1e6;

/** Connects, and makes the cluster's stream, consumer, buckets and object store where missing; `consumer` settings are applied to an existing consumer too. */
export async function openNatsCluster(url: string, o: { name: string; connectTimeoutMs: number; consumer?: ConsumerSettings }): Promise<NatsCluster> {
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: url.split(','), name: o.name, timeout: o.connectTimeoutMs, maxReconnectAttempts: -1, reconnectTimeWait: 250, pingInterval: 5000 });
  } catch (e) {
    throw new ClusterUnavailableError(`cannot reach the NATS server at ${url}: ${(e as Error).message}`);
  }
  try {
    const jsm = await jetstreamManager(nc).catch((e: Error) => {
      throw new ClusterUnavailableError(`the NATS server at ${url} has no JetStream (start it with nats-server -js): ${e.message}`);
    });
    await ensureStream(jsm);
    await ensureConsumer(jsm, o.consumer);
    const results = await new Kvm(nc).create(RESULTS_BUCKET, { history: 1, storage: StorageType.File });
    const executors = await new Kvm(nc).create(EXECUTORS_BUCKET, { history: 1, ttl: EXECUTOR_TTL_MS, storage: StorageType.Memory });
    // Kept a day: a dead session's beat tells how long ago it died.
    const sessions = await new Kvm(nc).create(SESSIONS_BUCKET, { history: 1, ttl: 24 * 3600 * 1000, storage: StorageType.File });
    const objects = await new Objm(nc).create(BLOCKS_BUCKET, { storage: StorageType.File });
    const js = jetstream(nc);
    return { url, nc, js, jsm, results, executors, sessions, blocks: new BlockStore(js, jsm, objects) };
  } catch (e) {
    await nc.close().catch(() => {});
    throw e instanceof ClusterUnavailableError ? e : new ClusterUnavailableError(`cannot set up the cluster's streams on ${url}: ${(e as Error).message}`);
  }
}

async function ensureStream(jsm: JetStreamManager): Promise<void> {
  try {
    await jsm.streams.info(TASK_STREAM);
  } catch {
    await jsm.streams.add({ name: TASK_STREAM, subjects: [`${TASK_SUBJECT}.>`], retention: RetentionPolicy.Workqueue, storage: StorageType.File }).catch(async (e: Error) => {
      // Another process made it meanwhile.
      await jsm.streams.info(TASK_STREAM).catch(() => { throw e; });
    });
  }
}

const DEFAULT_CONSUMER: ConsumerSettings = { ackWaitMs: 30_000, maxDeliveries: 3 };

async function ensureConsumer(jsm: JetStreamManager, want: ConsumerSettings | undefined): Promise<void> {
  const s = want ?? DEFAULT_CONSUMER;
  const config = { ack_wait: ns(s.ackWaitMs), max_deliver: s.maxDeliveries };
  const info = await jsm.consumers.info(TASK_STREAM, TASK_CONSUMER).catch(() => null);
  if (!info) {
    await jsm.consumers.add(TASK_STREAM, { durable_name: TASK_CONSUMER, ack_policy: AckPolicy.Explicit, max_ack_pending: -1, ...config }).catch(async (e: Error) => {
      if (!(await jsm.consumers.info(TASK_STREAM, TASK_CONSUMER).catch(() => null))) throw e;
    });
  } else if (want && (info.config.ack_wait !== config.ack_wait || info.config.max_deliver !== config.max_deliver)) {
    await jsm.consumers.update(TASK_STREAM, TASK_CONSUMER, config);
  }
}

/** The consumer's ack wait, which an executor keeps its running tasks alive within. */
export async function ackWaitMs(c: NatsCluster): Promise<number> {
  const info = await c.jsm.consumers.info(TASK_STREAM, TASK_CONSUMER);
  return (info.config.ack_wait ?? 30e9) / 1e6;
}

/** Rejects when an operation of the store hits a key that exists (KV create): the first writer won. */
export const isKeyExists = (e: unknown): boolean => /wrong last sequence|key exists/i.test((e as Error)?.message ?? '');

/** Whether a session's driver is dead: no heartbeat, or its last one older than the staleness it announced. */
export async function isSessionDead(c: NatsCluster, session: string): Promise<boolean> {
  const e = await c.sessions.get(session);
  return isStale(e && e.operation === 'PUT' ? e.json<SessionBeat>() : null);
}
