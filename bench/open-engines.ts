/** Opens the engines asked for, in order; one that cannot run here is skipped, with the reason. */
import { createDuckDB } from './duckdb-engine.ts';
import { EngineUnavailable, type Engine, type EngineInputs } from './engine.ts';
import { createGpuframe, type GpuframeEngine } from './gpuframe-engine.ts';
import { errMessage } from './report.ts';

export interface SkippedEngine {
  readonly name: string;
  readonly reason: string;
}

export async function openEngines(names: readonly string[], inp: EngineInputs): Promise<{ engines: Engine[]; skipped: SkippedEngine[] }> {
  const engines: Engine[] = [];
  const skipped: SkippedEngine[] = [];
  for (const name of names) {
    try {
      const e = name === 'duckdb' ? await createDuckDB(inp) : await createGpuframe(name as GpuframeEngine, inp);
      engines.push(e);
      console.log(`engine:  ${e.name.padEnd(10)} ${e.description}`);
    } catch (e) {
      const reason = e instanceof EngineUnavailable ? e.message : errMessage(e);
      skipped.push({ name, reason });
      console.log(`engine:  ${name.padEnd(10)} SKIPPED: ${reason}`);
    }
  }
  return { engines, skipped };
}
