/**
 * A map stage's partial states merged on the device: one hash table for the whole stage, into
 * which each map task merges its group slots (merge-program.ts) instead of reading them back. Only
 * the final groups come back to the host, once, at the stage's end (finish); the reduce tasks then
 * finalize them without grouping (their keys are distinct).
 *
 *   task kernels ─► count its groups (one word read back) ─► grow the table where they do not fit
 *   ─► merge kernel (task slots → stage table) ─► … next task …
 *   (a task whose groups the full-grown table cannot take reads its slots back as before: the host path)
 *   finish: partition ids ─► one readback ─► decode on a CPU thread (gpu-decode.ts) ─► map outputs
 *
 * Exactness is the host path's: integer words fold with carries, float sums share one fixed-point
 * scale for the stage (the first merged task's, a margin coarser; a task whose values exceed it
 * keeps the host path), and each group's float sum is checked against its bound on the merged words.
 * A task merges only once its own kernels are done and its table did not overflow; a device error
 * after a merge poisons the table, and the stage reruns on the host (nothing counted twice).
 */
import { isHll } from '../../aggregate/registry.ts';
import type { AggregationSpec } from '../../plan/aggregation-spec.ts';
import { argForms } from '../../aggregate/gpu-argument.ts';
import type { MapResult, StageMerge, StageMergeResult, TaskContext } from '../task.ts';
import { StringIds } from '../string-ids.ts';
import { BufferLease, USAGE, type BufferPool } from './buffer-pool.ts';
import { gpuAccLayout, keptInit, type GpuAccLayout } from './gpu-acc-layout.ts';
import type { GpuDecoded, GpuWords } from './gpu-decode.ts';
import type { GpuPlan } from './gpu-plan.ts';
import { encodeProgram } from './gpu-program.ts';
import type { GpuTaskShape } from './gpu-task-shape.ts';
import { CONTROL, CONTROL_WORDS, countProgram, fillProgram, mergeProgram, stageKeyWords, type MergeShaderKey } from './merge-program.ts';
import { partitionProgram } from './partition-program.ts';
import { nextSlice } from './host-slices.ts';
import { hashString } from '../../shuffle/hash.ts';

/** Groups per table slot at most: open addressing stays short. */
const LOAD = 0.5;
const MIN_CAPACITY = 4096;
/** Bits coarser than the first merged task's fixed-point grid a stage's float sums take, so that later tasks' larger values still fit it. */
const SHIFT_MARGIN = 4;

/** What the stage table needs of its executor. */
export interface StageHost {
  readonly device: GPUDevice;
  readonly pool: BufferPool;
  /** Largest buffer the table (or its readback) may take, in bytes. */
  readonly maxBufferBytes: number;
  readonly adapterName: string;
  /** Threads that decode words read back (the final table is read out in as many ranges). */
  readonly threads: number;
  /** A software adapter, which runs each dispatch on the driver's thread. */
  readonly software: boolean;
  /** Runs device work when the device is free (tasks take it one at a time). */
  onDevice<T>(work: () => Promise<T>): Promise<T>;
  /** Decodes words read back into a map output, on a CPU thread where there is one. */
  decode(words: GpuWords, ctx?: TaskContext): Promise<{ decoded: GpuDecoded; executorId: string; runMs: number }>;
}

/** A map task's slots on the device, as the merge reads them. */
export interface TaskSource {
  readonly plan: GpuPlan;
  /** Its slot array (kept words per slot, then the trash slot and the status word), hash table, and the words it keeps. */
  readonly acc: GPUBuffer;
  readonly accWords: number;
  readonly table: GPUBuffer | null;
  readonly kept: readonly number[];
  /** Its string ids' strings. */
  readonly names: readonly string[];
  readonly take: (bytes: number, usage: number) => GPUBuffer;
}

/** How the stage's merge went, for its metrics. */
export interface StageMergeStats {
  mergedTasks: number;
  /** Table slots at the end, and the groups in them. */
  capacity: number;
  groups: number;
  /** Time of the count syncs and merge submits, summed over tasks. */
  mergeMs: number;
  /** The final readback, and its decode into map outputs. */
  readbackMs: number;
  decodeMs: number;
}

export class StageTable implements StageMerge {
  readonly layout: GpuAccLayout;
  readonly stats: StageMergeStats = { mergedTasks: 0, capacity: 0, groups: 0, mergeMs: 0, readbackMs: 0, decodeMs: 0 };
  private readonly width: number;
  private readonly tableWidth: number;
  /** Stage-wide string ids of the table's string keys, and each one's shuffle hash (partition-program.ts). */
  private readonly names = new StringIds();
  private readonly hashes: number[] = [];
  private shifts: number[] | null = null;
  private readonly exact: boolean[];
  private capacity = 0;
  private groups = 0;
  private tab: GPUBuffer | null = null;
  private dst: GPUBuffer | null = null;
  private readonly ctl: GPUBuffer;
  private poisoned: string | null = null;
  private closed = false;

  constructor(private readonly host: StageHost, private readonly spec: AggregationSpec, private readonly stageRows: number) {
    this.layout = gpuAccLayout(spec.aggs, argForms(spec.aggs));
    this.width = this.layout.width;
    this.tableWidth = stageKeyWords(spec.keys) + 1;
    this.exact = spec.aggs.map(() => true);
    this.ctl = host.device.createBuffer({ size: CONTROL_WORDS * 4, usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST });
  }

  /** Bytes per table slot, its readback's included (slot words, key words, partition id). */
  private get slotBytes(): number {
    return 4 * (this.width + this.tableWidth + 1);
  }

  /** Most slots the table may have: its readback is one buffer (at most half of them hold groups, except where the tasks' groups overlap). */
  get maxCapacity(): number {
    return 2 ** Math.floor(Math.log2(Math.max(1, (this.host.maxBufferBytes - 64) / this.slotBytes)));
  }

  /** Why nothing of a stage over `spec` merges on the device, or null. */
  static unsupported(spec: AggregationSpec, stageRows: number): string | null {
    if (spec.keys.length === 0) return 'a global aggregate has one group';
    if (stageRows >= 2 ** 32) return 'a stage of 2^32 rows or more';
    if (spec.aggs.some((a) => isHll(a.state))) return 'approxCountDistinct sketches merge on the host';
    return null;
  }

  /**
   * The task's shape on the stage's float-sum scale, or why it keeps the host path: a float sum
   * whose values exceed the stage's scale. The first task sets the scale.
   */
  adopt(shape: GpuTaskShape): GpuTaskShape | { hostPath: string } {
    if (this.poisoned) return { hostPath: this.poisoned };
    const own = this.spec.aggs.map((a, j) => (a.state !== 'fsum' ? 0 : shape.shifts[j] - (a.arg!.kind === 'col' ? 0 : rowBits(this.stageRows) - rowBits(shape.rows))));
    this.shifts ??= own.map((s, j) => (this.spec.aggs[j].state === 'fsum' ? s - SHIFT_MARGIN : 0));
    const shifts = this.shifts;
    const beyond = this.spec.aggs.find((a, j) => a.state === 'fsum' && shifts[j] > own[j]);
    if (beyond) return { hostPath: `${beyond.display}: the task's values exceed the stage's fixed-point scale` };
    return { ...shape, shifts, exactSums: shape.sumGrid.map((g, j) => g >= -shifts[j]) };
  }

  canTake(groups: number): boolean {
    return this.poisoned === null && this.groups + groups <= this.maxCapacity;
  }

  /**
   * Merges a task's slots (their kernels submitted) into the table: its groups once the merge is
   * submitted, else why the task keeps the host path (its slots are untouched).
   */
  async merge(task: TaskSource, exactSums: readonly boolean[]): Promise<{ groups: number } | { hostPath: string }> {
    const { device } = this.host;
    const { plan } = task;
    // Its groups counted, and its status word (its own table's overflow) read beside the control words.
    const words = await this.readControl(task.take, (encoder) => {
      encoder.clearBuffer(this.ctl, CONTROL.counted * 4, 4);
      const pass = encoder.beginComputePass();
      encodeProgram(device, pass, countProgram(task.kept.length, plan.slots, { src: task.acc, ctl: this.ctl, uniforms: task.take(256, USAGE.UNIFORM | USAGE.COPY_DST) }));
      pass.end();
    }, { buffer: task.acc, offset: (task.accWords - 1) * 4 });
    // The merge's own time starts here: the wait above was for the task's kernels.
    const start = performance.now();
    if (words[CONTROL_WORDS] !== 0) return { hostPath: `the GPU hash table (${plan.slots} slots) overflowed` };
    if (words[CONTROL.missed] !== 0) this.poisoned = 'an insert into the stage table missed its slot';
    if (this.poisoned) return { hostPath: this.poisoned };
    this.groups = words[CONTROL.claims];
    const used = words[CONTROL.counted];
    // No group (every row filtered out): nothing to merge.
    if (used === 0) return { groups: 0 };
    const key: MergeShaderKey = {
      source: plan.mode === 'dense' ? 'dense' : 'hash', keys: this.spec.keys, sourceNullable: plan.keyNullable,
      mapStrings: true, layout: this.layout, kept: task.kept,
    };
    // Task string ids → stage ids (only string keys read the map), between turns of the event loop.
    const strmap = task.take(Math.max(16, task.names.length * 4), USAGE.STORAGE | USAGE.COPY_DST);
    if (this.spec.keys.some((k) => k.kind === 'str') && task.names.length) device.queue.writeBuffer(strmap, 0, await this.stageIds(task.names));
    const buffers = { src: task.acc, srctab: task.table ?? strmap, strmap, uniforms: task.take(1024, USAGE.UNIFORM | USAGE.COPY_DST) };
    // The table must have a slot for each group the task adds (so that every insert finds one), and
    // grows to keep them at half load where it can. Where counting them all as new would not fit,
    // a lookup counts those the table does not hold yet.
    let need = this.groups + used;
    if (need > this.maxCapacity && this.tab) {
      await this.submit((e) => e.clearBuffer(this.ctl, CONTROL.fresh * 4, 4));
      await this.encodeMerge({ ...key, lookup: true }, plan, plan.slots, buffers);
      need = this.groups + (await this.readControl(task.take))[CONTROL.fresh];
    }
    if (need > this.maxCapacity) return { hostPath: `the stage's table is full (${this.groups} groups, and the task's ${need - this.groups} new ones do not fit its ${this.maxCapacity} slots)` };
    if (need / LOAD > this.capacity && this.capacity < this.maxCapacity) {
      await this.grow(Math.min(this.maxCapacity, Math.max(2 * this.capacity, pow2AtLeast(Math.max(MIN_CAPACITY, need / LOAD)))));
    }
    await this.encodeMerge(key, plan, plan.slots, buffers);
    exactSums.forEach((e, j) => { this.exact[j] &&= e; });
    this.stats.mergedTasks++;
    this.stats.mergeMs += performance.now() - start;
    return { groups: used };
  }

  /**
   * The control words (after `encode`'s work, in the same submit), then the word at `extra`, once
   * the device's work before is done.
   */
  private async readControl(take: TaskSource['take'], encode?: (encoder: GPUCommandEncoder) => void, extra?: { buffer: GPUBuffer; offset: number }): Promise<Uint32Array> {
    const bytes = (CONTROL_WORDS + (extra ? 1 : 0)) * 4;
    const read = take(bytes, USAGE.MAP_READ | USAGE.COPY_DST);
    await this.submit((e) => {
      encode?.(e);
      e.copyBufferToBuffer(this.ctl, 0, read, 0, CONTROL_WORDS * 4);
      if (extra) e.copyBufferToBuffer(extra.buffer, extra.offset, read, CONTROL_WORDS * 4, 4);
    });
    await read.mapAsync(1, 0, bytes);
    const words = new Uint32Array(read.getMappedRange(0, bytes).slice(0));
    read.unmap();
    return words;
  }

  /** Stage-wide ids of a task's strings, numbering new ones (a slice of them per turn of the event loop). */
  private async stageIds(names: readonly string[]): Promise<Uint32Array> {
    const ids = new Uint32Array(names.length);
    for (let at = 0; at < names.length; at += SLICE_STRINGS) {
      if (at > 0) await nextSlice();
      for (let i = at; i < Math.min(names.length, at + SLICE_STRINGS); i++) {
        const id = this.names.id(names[i]);
        if (id === this.hashes.length) this.hashes.push(hashString(names[i]));
        ids[i] = id;
      }
    }
    return ids;
  }

  /**
   * Submits the merge of a source's `slots` slots into the table: on a software adapter in slices,
   * each dispatch a turn of the driver's event loop of its own (it runs on the driver's thread).
   */
  private async encodeMerge(
    key: MergeShaderKey, plan: Pick<GpuPlan, 'mins' | 'strides' | 'nullCodes' | 'keyNullable'>, slots: number,
    b: { src: GPUBuffer; srctab: GPUBuffer; strmap: GPUBuffer; uniforms: GPUBuffer },
  ): Promise<void> {
    const { device } = this.host;
    const step = this.host.software ? SOFTWARE_MERGE_SLOTS : slots;
    for (let first = 0; first < slots; first += step) {
      await this.submit((encoder) => {
        const pass = encoder.beginComputePass();
        encodeProgram(device, pass, mergeProgram(key, plan, { first, end: Math.min(slots, first + step) }, this.capacity, { ...b, tab: this.tab!, dst: this.dst!, ctl: this.ctl }));
        pass.end();
      });
    }
  }

  /** A table of `capacity` slots holding the groups of the one before (merged into it on the device). */
  private async grow(capacity: number): Promise<void> {
    const { device } = this.host;
    const old = this.tab ? { tab: this.tab, dst: this.dst!, capacity: this.capacity } : null;
    this.tab = device.createBuffer({ size: capacity * this.tableWidth * 4, usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST });
    this.dst = device.createBuffer({ size: capacity * this.width * 4, usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST });
    this.capacity = capacity;
    const all = Array.from({ length: this.width }, (_, w) => w);
    const init = keptInit(this.layout, all);
    const lease = new BufferLease(this.host.pool);
    try {
      // An empty table, and each slot's initial words (min keys start at all-ones).
      const step = this.host.software ? SOFTWARE_COPY_BYTES / 4 : Infinity;
      const tabWords = capacity * this.tableWidth, dstWords = capacity * this.width;
      for (let at = 0; at < tabWords; at += step) await this.submit((e) => e.clearBuffer(this.tab!, at * 4, Math.min(step, tabWords - at) * 4));
      const pattern = init.every((x) => x === 0) ? null : lease.take(init.length * 4, USAGE.STORAGE | USAGE.COPY_DST);
      if (pattern) device.queue.writeBuffer(pattern, 0, Uint32Array.from(init));
      const uniforms = lease.take(256, USAGE.UNIFORM | USAGE.COPY_DST);
      for (let at = 0; at < dstWords; at += step) {
        const end = Math.min(dstWords, at + step);
        await this.submit((e) => {
          if (!pattern) return e.clearBuffer(this.dst!, at * 4, (end - at) * 4);
          const pass = e.beginComputePass();
          encodeProgram(device, pass, fillProgram({ first: at, end }, this.width, { pattern, dst: this.dst!, uniforms }));
          pass.end();
        });
      }
      await this.submit((e) => e.clearBuffer(this.ctl, CONTROL.claims * 4, 4));
      if (!old) return;
      const key: MergeShaderKey = { source: 'hash', keys: this.spec.keys, sourceNullable: this.spec.keys.map(() => true), mapStrings: false, layout: this.layout, kept: all };
      const none = lease.take(16, USAGE.STORAGE);
      await this.encodeMerge(key, this.stagePlan(old.capacity), old.capacity, { src: old.dst, srctab: old.tab, strmap: none, uniforms: lease.take(1024, USAGE.UNIFORM | USAGE.COPY_DST) });
    } finally {
      lease.release();
      // Destroyed after the submit, they live until the merge is done.
      old?.tab.destroy();
      old?.dst.destroy();
    }
  }

  /**
   * Encodes and submits device work; on a software adapter, whose submits run on the driver's
   * thread, then gives the event loop a turn (callers submit such work in slices).
   */
  private async submit(encode: (encoder: GPUCommandEncoder) => void): Promise<void> {
    const encoder = this.host.device.createCommandEncoder();
    encode(encoder);
    this.host.device.queue.submit([encoder.finish()]);
    if (this.host.software) await nextSlice();
  }

  /** The table (or `capacity` of its slots) as a GPU plan: a hash table whose every key has its null flag. */
  private stagePlan(capacity = this.capacity): GpuPlan {
    return {
      mode: 'hash', slots: capacity, keyNullable: this.spec.keys.map(() => true), tableWidth: this.tableWidth,
      mins: [], strides: [], nullCodes: [], privatized: 'none', regionWorkgroups: 0,
    };
  }

  /**
   * The table's groups read back and decoded into map outputs: its slots in `host.threads` ranges,
   * each decoded on a thread of its own at the same time (a million groups take one thread a while).
   */
  private async readOut(ctx?: TaskContext): Promise<MapResult[] | { fallback: string }> {
    const { device } = this.host;
    const cap = this.capacity, W = this.width, TW = this.tableWidth;
    const lease = new BufferLease(this.host.pool);
    const t0 = performance.now();
    const parted = this.spec.partitions > 1;
    const ranges = sliceRanges(cap, this.host.threads);
    // Per range: its slot words, the status word, its table words, its partition ids.
    const sizes = ranges.map(([a, b]) => 4 * ((b - a) * (W + TW + (parted ? 1 : 0)) + 1));
    const reads = sizes.map((size) => device.createBuffer({ size, usage: USAGE.MAP_READ | USAGE.COPY_DST }));
    // On a software adapter the partition kernel and the copies go a slice at a time.
    const soft = this.host.software;
    const words: Uint32Array[] = [];
    try {
      let pids: GPUBuffer | null = null;
      if (parted) {
        pids = lease.take(cap * 4, USAGE.STORAGE | USAGE.COPY_SRC);
        const step = soft ? SOFTWARE_MERGE_SLOTS : cap;
        const hashes = Int32Array.from(this.hashes);
        for (let first = 0; first < cap; first += step) {
          await this.submit((encoder) => {
            const pass = encoder.beginComputePass();
            encodeProgram(device, pass, partitionProgram(device, lease.take, this.spec, this.stagePlan(), W, hashes,
              { acc: this.dst!, table: this.tab, partitionIds: pids! }, { first, end: Math.min(cap, first + step) }));
            pass.end();
          });
        }
      }
      const step = soft ? SOFTWARE_COPY_BYTES : Infinity;
      for (const [i, [a, b]] of ranges.entries()) {
        const n = b - a;
        const parts: [GPUBuffer, number, number][] = [[this.dst!, a * W * 4, n * W * 4], [this.ctl, CONTROL.missed * 4, 4], [this.tab!, a * TW * 4, n * TW * 4]];
        if (pids) parts.push([pids, a * 4, n * 4]);
        let to = 0;
        for (const [src, from, size] of parts) {
          for (let at = 0; at < size; at += step) {
            const dst = to + at;
            await this.submit((encoder) => encoder.copyBufferToBuffer(src, from + at, reads[i]!, dst, Math.min(step, size - at)));
          }
          to += size;
        }
      }
      for (const [i, read] of reads.entries()) {
        await read.mapAsync(1, 0, sizes[i]);
        const out = new Uint32Array(sizes[i]! / 4);
        for (let at = 0; at < sizes[i]!; at += Math.min(step, sizes[i]!)) {
          if (at > 0) await nextSlice();
          out.set(new Uint32Array(read.getMappedRange(at, Math.min(step, sizes[i]! - at))), at / 4);
        }
        read.unmap();
        words.push(out);
      }
    } finally {
      lease.release();
      for (const read of reads) read.destroy();
    }
    this.stats.readbackMs += performance.now() - t0;
    this.stats.capacity = cap;
    const names = [...this.names.ids.keys()];
    const decoded = await Promise.all(ranges.map(([a, b], i) => this.host.decode({
      spec: this.spec, plan: this.stagePlan(b - a), layout: this.layout, kept: Array.from({ length: W }, (_, w) => w),
      shifts: this.shifts ?? this.spec.aggs.map(() => 0), exactSums: this.exact, words: words[i]!, accWords: (b - a) * W + 1, tabWords: (b - a) * TW,
      pids: parted, names, inputRows: 0, distinct: true,
    }, ctx)));
    this.stats.decodeMs += decoded.reduce((m, d) => Math.max(m, d.runMs), 0);
    const outputs: MapResult[] = [];
    for (const d of decoded) {
      if ('fallback' in d.decoded) return d.decoded;
      this.stats.groups += d.decoded.result.outputRows;
      outputs.push({ ...d.decoded.result, executorId: d.executorId, runMs: d.runMs });
    }
    return outputs;
  }

  /** A device error in a task that may have merged: the table cannot be trusted. */
  poison(why: string): void {
    this.poisoned ??= why;
  }

  finish(ctx?: TaskContext): Promise<StageMergeResult | { fallback: string }> {
    return this.host.onDevice(async () => {
      if (this.poisoned) return { fallback: this.poisoned };
      const outputs = this.tab ? await this.readOut(ctx) : [];
      if ('fallback' in outputs) return outputs;
      const st = this.stats;
      const on = [...new Set(outputs.map((o) => o.executorId ?? 'driver'))].join(' ');
      return {
        outputs,
        // The merges' own time (count syncs, string ids, submits) and the final readback on the driver's thread; the decode (the longest of its ranges') on `on`.
        phases: [{ name: 'merge', ms: st.mergeMs }, { name: 'readback', ms: st.readbackMs }, { name: 'decode', ms: st.decodeMs, ...(on ? { on } : {}) }],
        notes: [`${st.groups} groups from ${st.mergedTasks} map tasks in a table of ${st.capacity} slots on the device (${this.host.adapterName})`],
      };
    });
  }

  get description(): string {
    return `merged on the device (${this.host.adapterName})`;
  }

  discard(): void {
    if (this.closed) return;
    this.closed = true;
    this.tab?.destroy();
    this.dst?.destroy();
    this.ctl.destroy();
  }
}

/** Source slots a merge dispatch takes on a software adapter (~10 ms of llvmpipe's time on the driver's thread). */
const SOFTWARE_MERGE_SLOTS = 1 << 15;
/** Bytes a copy takes per turn of the event loop on a software adapter. */
const SOFTWARE_COPY_BYTES = 4 << 20;
/** Strings numbered per turn of the event loop. */
const SLICE_STRINGS = 1 << 16;

/** [a, b) ranges splitting [0, n) into `k` near-equal parts (fewer where n is small). */
function sliceRanges(n: number, k: number): [number, number][] {
  const parts = Math.max(1, Math.min(k, Math.ceil(n / MIN_CAPACITY)));
  return Array.from({ length: parts }, (_, i) => [Math.floor((i * n) / parts), Math.floor(((i + 1) * n) / parts)]);
}

const pow2AtLeast = (n: number): number => 2 ** Math.ceil(Math.log2(n));
/** L of float-sum-scale.ts: the bit length of a row count, at least 8. */
const rowBits = (rows: number): number => Math.max(8, Math.ceil(Math.log2(rows + 1)));
