/**
 * Shared helpers of the GPU tests: the executor (or, where a run may skip, the reason there is
 * none), specs from DataFrames, and GPU map + CPU reduce and the CPU executor, each checked against
 * the exact reference (gpu-reference.ts).
 */
import type * as arrow from 'apache-arrow';
import { expect } from 'vitest';
import { ArithmeticOverflowError, GpuUnavailableError, Session, type DataFrame } from '../../../src/index.ts';
import { CpuExecutor } from '../../../src/executor/cpu/cpu-executor.ts';
import { GpuExecutor } from '../../../src/executor/gpu/gpu-executor.ts';
import { openDevice, type GpuDevice } from '../../../src/executor/gpu/device.ts';
import type { MapResult } from '../../../src/executor/task.ts';
import type { AggregationSpec } from '../../../src/plan/aggregation-spec.ts';
import { partitionRows, type ShuffleBlock } from '../../../src/shuffle/shuffle-block.ts';
import { diffFromReference, groupKey, referenceOf, type Reference, type Rows } from './gpu-reference.ts';
import { gpuDetails } from '../../../src/executor/gpu/gpu-task-details.ts';

/** This run must have a WebGPU adapter: CI sets GPUFRAME_REQUIRE_GPU=1 (.ci/run), having installed one. */
export const gpuRequired = (): boolean => process.env.GPUFRAME_REQUIRE_GPU === '1';

/**
 * Opens what a GPU test file needs. Only a missing adapter (GpuUnavailableError) lets the file
 * skip, with the reason (shown in the suite's title), and only where the run is not required to
 * have one; any other error (a TypeError in our code, a device error) throws, and the file fails.
 */
export async function probe<T>(open: () => Promise<T>, required = gpuRequired()): Promise<{ value: T | null; reason: string }> {
  try {
    return { value: await open(), reason: '' };
  } catch (e) {
    if (!(e instanceof GpuUnavailableError)) throw e;
    if (required) throw new Error(`GPUFRAME_REQUIRE_GPU=1, but there is no GPU: ${e.message}`, { cause: e });
    const reason = `GPU tests SKIPPED: ${e.message}`;
    console.warn(reason);
    return { value: null, reason };
  }
}

export interface GpuProbe { gpu: GpuExecutor | null; reason: string }

/** Opens the GPU executor once per test file; null (with the reason) when a missing adapter may skip. */
export async function openGpu(): Promise<GpuProbe> {
  const p = await probe(() => GpuExecutor.create({ cpu: new CpuExecutor() }));
  return { gpu: p.value, reason: p.reason };
}

/** A device of its own (no executor), for tests of device-level code; null (with the reason) as openGpu. */
export async function openBareDevice(): Promise<{ dev: GpuDevice | null; reason: string }> {
  const p = await probe(() => openDevice({ software: true }));
  return { dev: p.value, reason: p.reason };
}

let session: Session | null = null;
/** A session used only to plan DataFrames (no job runs on it). */
export async function planner(): Promise<Session> {
  return (session ??= await Session.create({ workers: false, cores: 1 }));
}

export function specOf(df: DataFrame, partitions?: number): AggregationSpec {
  const spec = df.physicalPlan().aggregation!;
  return partitions === undefined ? spec : { ...spec, partitions: spec.keys.length === 0 ? 1 : partitions };
}

/** A map task's rows of each reduce partition. */
export const blocksOf = (m: MapResult): ShuffleBlock[] =>
  Array.from({ length: m.shuffle.offsets.length - 1 }, (_, p) => partitionRows(m.shuffle, p, p + 1));

/** Rows of a reduced result, keyed by their group key (gpu-reference.ts groupKey), for order-free comparison. */
export async function reduceAll(exec: { runReduce: CpuExecutor['runReduce'] }, spec: AggregationSpec, maps: readonly MapResult[]): Promise<Map<string, unknown[]>> {
  const out = new Map<string, unknown[]>();
  for (let p = 0; p < spec.partitions; p++) {
    const { batch } = await exec.runReduce(spec, maps.map((m) => partitionRows(m.shuffle, p, p + 1)));
    for (let i = 0; i < batch.numRows; i++) {
      const row = batch.schema.fields.map((f) => batch.getChild(f.name)!.get(i) as unknown);
      const key = groupKey(row.slice(0, spec.keys.length));
      if (out.has(key)) throw new Error(`group ${key} in two reduce partitions`);
      out.set(key, row.slice(spec.keys.length));
    }
  }
  return out;
}

const cpu = new CpuExecutor();

/** Runs the map side on both executors (same batches split into map tasks) and reduces both on the CPU. */
export async function bothWays(gpu: GpuExecutor, spec: AggregationSpec, tasks: readonly (readonly arrow.RecordBatch[])[]) {
  const gMaps: MapResult[] = [];
  const reasons: (string | null)[] = [];
  for (const t of tasks) {
    gMaps.push(await gpu.runMap(spec, t));
    reasons.push(gpu.lastFallbackReason);
  }
  const cMaps = await Promise.all(tasks.map((t) => cpu.runMap(spec, t)));
  return { gpu: await reduceAll(cpu, spec, gMaps), cpu: await reduceAll(cpu, spec, cMaps), reasons, gMaps, cMaps };
}

/** What a reduce gave: its rows, or the error it raised. */
export type Outcome = { rows: Map<string, unknown[]>; error?: undefined } | { rows?: undefined; error: Error };

export const settle = (p: Promise<Map<string, unknown[]>>): Promise<Outcome> =>
  p.then((rows) => ({ rows }), (error: unknown) => ({ error: error instanceof Error ? error : new Error(String(error)) }));

/**
 * What one path gave, against the reference: its rows within the path's bounds, or, where an exact
 * integer sum leaves Int64, the ArithmeticOverflowError naming that sum. Any other error fails.
 */
export function expectAsReference(got: Outcome, ref: Reference, path: 'cpu' | 'gpu', label: string): void {
  if (ref.overflows.length > 0) {
    expect(got.error, `${label}: ${path} must fail with ${ref.overflows.join(' | ')}`).toBeInstanceOf(ArithmeticOverflowError);
    expect(ref.overflows, `${label}: ${path}'s overflow message`).toContain(got.error!.message);
    return;
  }
  if (got.error) throw new Error(`${label}: ${path} failed, the reference did not: ${got.error.name}: ${got.error.message}`, { cause: got.error });
  expect(diffFromReference(got.rows, ref, path), label).toEqual([]);
}

export interface Checked {
  /** Per map task: why it ran on the CPU (null: on the GPU). */
  readonly reasons: (string | null)[];
  /** Per map task that ran on the GPU: its kernel mode (gpu-map-task.ts `mode`); null for a fallback. */
  readonly modes: (string | null)[];
  readonly gMaps: MapResult[];
  readonly ref: Reference;
}

/**
 * The spec's map tasks on the GPU executor and on the CPU executor, both reduced on the CPU, each
 * checked against the exact reference of `rows` (which must be the tasks' batches, in order; or
 * that reference, computed once for several runs) with its own bound: the GPU's (SUM_ERROR.gpu)
 * and the CPU's (SUM_ERROR.cpu).
 */
export async function checkBothWays(gpu: GpuExecutor, spec: AggregationSpec, tasks: readonly (readonly arrow.RecordBatch[])[], rows: Rows | Reference, label = ''): Promise<Checked> {
  const ref = 'groups' in rows ? rows : referenceOf(spec, rows);
  const gMaps: MapResult[] = [];
  for (const t of tasks) {
    const m = await gpu.runMap(spec, t);
    expect(m.fallbackReason ?? null, `${label}: the executor's last fallback reason is the task's`).toBe(gpu.lastFallbackReason);
    expect(gpuDetails(m) === undefined, `${label}: timings exactly where the task ran on the GPU`).toBe(m.fallbackReason !== undefined);
    gMaps.push(m);
  }
  const cMaps = await Promise.all(tasks.map((t) => cpu.runMap(spec, t)));
  expectAsReference(await settle(reduceAll(cpu, spec, gMaps)), ref, 'gpu', label);
  expectAsReference(await settle(reduceAll(cpu, spec, cMaps)), ref, 'cpu', label);
  return { reasons: gMaps.map((m) => m.fallbackReason ?? null), modes: gMaps.map((m) => gpuDetails(m)?.mode ?? null), gMaps, ref };
}
