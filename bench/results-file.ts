/** The benchmark's results as a JSON file in --out (and, with --html, the HTML report). */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { JobMetrics } from '../src/index.ts';
import type { ReadBandwidth } from '../src/executor/gpu/read-bandwidth.ts';
import type { BenchOptions } from './bench-command.ts';
import { formatBenchHtml } from './bench-html.ts';
import type { BenchData } from './datagen.ts';
import type { Engine } from './engine.ts';
import { machineLine, type Machine } from './machine.ts';
import { QUIET_CORES } from './machine-load.ts';
import type { Measurement } from './measurement.ts';
import type { SkippedEngine } from './open-engines.ts';
import type { QueryDef } from './queries.ts';
import { fmtCount10, jobToJson } from './report.ts';

export interface BenchResults {
  readonly opts: BenchOptions;
  readonly machine: Machine;
  /** Cores other processes used over 0.5 s before the run (undefined without /proc/stat). */
  readonly othersAtStart: number | undefined;
  /** The generated data (--source memory), or the Parquet files read (--source parquet). */
  readonly data: BenchData | { readonly files: Record<string, string> };
  readonly readBw: ReadBandwidth | undefined;
  readonly engines: readonly Engine[];
  readonly skipped: readonly SkippedEngine[];
  readonly queries: readonly QueryDef[];
  readonly measurements: readonly Measurement[];
}

/** Writes the JSON (and the HTML report when asked) and says where. */
export function writeResults(r: BenchResults): void {
  const { opts, machine, measurements } = r;
  mkdirSync(opts.outDir, { recursive: true });
  const stamp = new Date().toISOString().replaceAll(':', '-').replace(/\.\d+Z$/, 'Z');
  const file = path.join(opts.outDir, `bench-${opts.rows}-${stamp}.json`);
  const json = {
    timestamp: new Date().toISOString(),
    machine: {
      ...machine,
      otherProcessesCoresAtStart: r.othersAtStart,
      quietAtStart: r.othersAtStart === undefined ? undefined : r.othersAtStart < QUIET_CORES,
      quietDuringRuns: measurements.some((m) => m.otherProcessesCores !== undefined)
        ? !measurements.some((m) => (m.otherProcessesCores ?? 0) > QUIET_CORES)
        : undefined,
    },
    options: opts,
    data: 'files' in r.data ? { rows: opts.rows, seed: opts.seed, files: r.data.files } : { rows: r.data.rows, seed: r.data.seed, generateMs: r.data.generateMs },
    gpuReadBandwidth: r.readBw,
    engines: r.engines.map((e) => ({ name: e.name, description: e.description })),
    skipped: r.skipped,
    queries: r.queries.map((q) => ({ id: q.id, title: q.title, table: q.table, sql: q.sql.replace(/\s+/g, ' ') })),
    results: measurements.map((m) => ({ ...m, metrics: m.metrics ? jobToJson(m.metrics, m.slots) : undefined })),
  };
  writeFileSync(file, JSON.stringify(json, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2));
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
  if (opts.html !== undefined) {
    writeFileSync(opts.html, formatBenchHtml({
      title: `gpuframe benchmark, ${fmtCount10(opts.rows)} rows`,
      machine: machineLine(machine),
      engines: [...r.engines.map((e) => e.name), ...r.skipped.map((e) => e.name)],
      queries: r.queries.map((q) => ({ id: q.id, title: q.title, results: measurements.filter((m) => m.query === q.id) })),
      jobs: measurements.flatMap((m) => (m.metrics ? [{ label: `${m.query} ${m.engine} (median run)`, job: m.metrics as JobMetrics }] : [])),
    }));
    console.log(`wrote ${path.relative(process.cwd(), opts.html)}`);
  }
}
