/**
 * Shared helpers of the GPU tests: the executor (or the reason there is none), specs from
 * DataFrames, and GPU map + CPU reduce vs the CPU executor on the same batches.
 */
import type * as arrow from 'apache-arrow';
import { Session, type DataFrame } from '../../../src/index.ts';
import { CpuExecutor } from '../../../src/executor/cpu/cpu-executor.ts';
import { GpuExecutor } from '../../../src/executor/gpu/gpu-executor.ts';
import { openDevice, type GpuDevice } from '../../../src/executor/gpu/device.ts';
import type { AggregationSpec, MapResult } from '../../../src/executor/task.ts';

export interface GpuProbe { gpu: GpuExecutor | null; reason: string }

/** Opens the GPU executor once per test file; null (with the reason) when no adapter is available. */
export async function openGpu(): Promise<GpuProbe> {
  try {
    const gpu = await GpuExecutor.create();
    return { gpu, reason: '' };
  } catch (e) {
    const reason = `GPU tests SKIPPED: ${e instanceof Error ? e.message : String(e)}`;
    console.warn(reason);
    return { gpu: null, reason };
  }
}

/**
 * A device of its own (no executor), for tests of device-level code; null (with the reason) when
 * there is no adapter.
 */
export async function openBareDevice(): Promise<{ dev: GpuDevice | null; reason: string }> {
  const probe = await openGpu();
  await probe.gpu?.close();
  return { dev: probe.gpu ? await openDevice() : null, reason: probe.reason };
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

/** Rows of a reduced result, keyed by the group key, for order-free comparison. */
export async function reduceAll(exec: { runReduce: CpuExecutor['runReduce'] }, spec: AggregationSpec, maps: readonly MapResult[]): Promise<Map<string, unknown[]>> {
  const out = new Map<string, unknown[]>();
  for (let p = 0; p < spec.partitions; p++) {
    const { batch } = await exec.runReduce(spec, maps.map((m) => m.blocks[p]));
    for (let i = 0; i < batch.numRows; i++) {
      const row = batch.schema.fields.map((f) => batch.getChild(f.name)!.get(i) as unknown);
      const key = JSON.stringify(row.slice(0, spec.keys.length), (_k, v) => (typeof v === 'bigint' ? `${v}n` : typeof v === 'number' && !Number.isFinite(v) ? String(v) : Object.is(v, -0) ? 0 : v));
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

/** Compares aggregate values: exact except float results (relative 1e-9 of the magnitude). */
export function sameValue(a: unknown, b: unknown, floatTol = 1e-9): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
    if (a === b) return true;
    return Math.abs(a - b) <= floatTol * Math.max(Math.abs(a), Math.abs(b));
  }
  return a === b || (a === null && b === null);
}

export function diffResults(g: Map<string, unknown[]>, c: Map<string, unknown[]>, floatTol = 1e-9): string[] {
  const out: string[] = [];
  if (g.size !== c.size) out.push(`groups: gpu ${g.size} vs cpu ${c.size}`);
  for (const [k, cv] of c) {
    const gv = g.get(k);
    if (!gv) { out.push(`missing group ${k}`); continue; }
    cv.forEach((x, j) => { if (!sameValue(gv[j], x, floatTol)) out.push(`group ${k} agg ${j}: gpu ${String(gv[j])} vs cpu ${String(x)}`); });
    if (out.length > 10) break;
  }
  return out;
}
