/**
 * Shuffle blocks in the cluster's JetStream object store bucket, written and read with its chunks
 * in flight together. The object store client writes one chunk at a time, each waiting for its
 * ack, and reads through a consumer it creates per object, several times slower than chunks in
 * flight (docs/performance.md, "A cluster through NATS JetStream"). The objects are the object store's own
 * (ADR-20: chunks on `$O.<bucket>.C.<nuid>`, then the info with its SHA-256 digest on
 * `$O.<bucket>.M.<name>`), so any NATS object store client reads them; this one reads a block's
 * chunks by the stream sequences its writer recorded, all at once.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { ObjectStore } from '@nats-io/obj';
import { BLOCKS_BUCKET } from './cluster-protocol.ts';

/** Where a stored object's bytes are: its name, and its chunks' stream sequences in order. */
export interface StoredObject {
  readonly name: string;
  readonly bytes: number;
  readonly seqs: readonly number[];
}

/** Under NATS' default 1 MiB max_payload, with room for headers. */
const CHUNK_BYTES = 512 * 1024;
const STREAM = `OBJ_${BLOCKS_BUCKET}`;

export class BlockStore {
  constructor(private readonly js: JetStreamClient, private readonly jsm: JetStreamManager, readonly objects: ObjectStore) {}

  async put(name: string, data: Uint8Array): Promise<StoredObject> {
    const id = randomBytes(12).toString('hex');
    const subject = `$O.${BLOCKS_BUCKET}.C.${id}`;
    const starts = Array.from({ length: Math.ceil(data.byteLength / CHUNK_BYTES) }, (_, i) => i * CHUNK_BYTES);
    const digest = padded(createHash('sha256').update(data).digest().toString('base64url'));
    const info = { name, description: '', options: { max_chunk_size: CHUNK_BYTES }, bucket: BLOCKS_BUCKET, nuid: id, size: data.byteLength, chunks: starts.length, digest: `SHA-256=${digest}` };
    // One connection sends them in order, so the stream keeps the chunks in order, and the info
    // after them; the info goes out with the last window of chunks rather than a round trip later.
    let meta: Promise<unknown> | null = null;
    const seqs = await inWindow(starts, async (at, i) => {
      const ack = this.js.publish(subject, data.subarray(at, at + CHUNK_BYTES));
      if (i === starts.length - 1) meta = this.js.publish(`$O.${BLOCKS_BUCKET}.M.${padded(Buffer.from(name).toString('base64url'))}`, JSON.stringify(info));
      return (await ack).seq;
    });
    await (meta ?? this.js.publish(`$O.${BLOCKS_BUCKET}.M.${padded(Buffer.from(name).toString('base64url'))}`, JSON.stringify(info)));
    return { name, bytes: data.byteLength, seqs };
  }

  /**
   * An object's bytes: its chunks fetched together where their sequences are known, else through
   * the object store client. `shared`: in a SharedArrayBuffer, so that what is decoded from them
   * reaches worker threads without another copy.
   */
  async get(o: { readonly name: string; readonly seqs?: readonly number[] }, shared = false): Promise<Uint8Array> {
    let parts: Uint8Array[];
    if (!o.seqs) {
      const bytes = await this.objects.getBlob(o.name);
      if (!bytes) throw new Error(`object ${o.name} is missing from the object store ${BLOCKS_BUCKET}`);
      parts = [bytes];
    } else {
      const chunks = await inWindow(o.seqs, (seq) => this.jsm.direct.getMessage(STREAM, { seq }));
      const missing = chunks.findIndex((c) => c === null);
      if (missing >= 0) throw new Error(`object ${o.name} is missing from the object store ${BLOCKS_BUCKET} (chunk ${missing}, sequence ${o.seqs[missing]})`);
      parts = chunks.map((c) => c!.data);
    }
    if (parts.length === 1 && !shared) return parts[0];
    const out = new Uint8Array(shared ? new SharedArrayBuffer(parts.reduce((a, p) => a + p.byteLength, 0)) : new ArrayBuffer(parts.reduce((a, p) => a + p.byteLength, 0)));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.byteLength;
    }
    return out;
  }

  /** Deletes objects by name (those that are not there are skipped). */
  async delete(names: readonly string[]): Promise<void> {
    await Promise.all(names.map((n) => this.objects.delete(n).catch(() => {})));
  }

  /** Deletes every object whose name starts with `prefix`. */
  async deletePrefix(prefix: string): Promise<void> {
    await this.delete((await this.objects.list()).map((o) => o.name).filter((n) => n.startsWith(prefix)));
  }
}

/**
 * Chunks in flight at a time, per object: enough to keep the connection busy; not so many that
 * a large input's last ones wait past the request timeout behind the rest.
 */
const WINDOW = 16;

/** `f` over `items`, at most WINDOW at a time (started in order), results in order. */
async function inWindow<T, R>(items: readonly T[], f: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(WINDOW, items.length) }, lane));
  return out;
}

const padded = (b64: string): string => b64 + '='.repeat((4 - (b64.length % 4)) % 4);
