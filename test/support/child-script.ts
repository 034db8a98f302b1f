/** Runs a TypeScript script in a child Node process (for what one process cannot show: exit, env). */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The library's entry point, for the script's imports. */
export const INDEX = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

/** Writes `lines` to a script inside the project (git-ignored, so it resolves the project's packages) and runs it. */
export function runScript(name: string, lines: readonly string[], env: NodeJS.ProcessEnv = process.env, timeout = 60_000): SpawnSyncReturns<string> {
  const dir = fileURLToPath(new URL('../../node_modules/.cache/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const script = join(mkdtempSync(join(dir, `gpuframe-${name}-`)), `${name}.mts`);
  writeFileSync(script, lines.join('\n'));
  return spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: fileURLToPath(new URL('../..', import.meta.url)), timeout, encoding: 'utf8', env });
}
