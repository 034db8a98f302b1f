/**
 * The import rules of src/ (DESIGN: arrows point down): plan/ never imports executor/; cpu/ and gpu/
 * are siblings that import nothing from each other; the layers below the executors never import
 * the ones above; and no module loads itself back through a cycle.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(path.join(dir, e.name)) : /\.(ts|mjs)$/.test(e.name) ? [path.join(dir, e.name)] : []);
}

/** Each module's relative imports as paths under src/: all of them, and those that load code (not `import type`). */
const graph = new Map<string, string[]>();
const runtime = new Map<string, string[]>();
for (const file of sources(SRC)) {
  const text = readFileSync(file, 'utf8');
  const under = (spec: string) => path.relative(SRC, path.resolve(path.dirname(file), spec));
  const all: string[] = [];
  const loads: string[] = [];
  for (const m of text.matchAll(/(?:import|export)\s+(type\s+)?([^'";]*?)\s*from\s+'(\.[^']+)'|import\s*\(\s*'(\.[^']+)'\s*\)/g)) {
    const spec = m[3] ?? m[4]!;
    all.push(under(spec));
    const names = m[2] ?? '';
    const typeOnly = m[1] !== undefined || (/^\{[^}]*\}$/.test(names) && names.slice(1, -1).split(',').every((n) => /^\s*type\s/.test(n) || !n.trim()));
    if (!typeOnly) loads.push(under(spec));
  }
  graph.set(path.relative(SRC, file), all.filter((p) => !p.startsWith('..')));
  runtime.set(path.relative(SRC, file), loads.filter((p) => !p.startsWith('..')));
}

/** Imports from a module under `from` into one under `to`. */
function imports(from: string, to: string): string[] {
  const out: string[] = [];
  for (const [m, deps] of graph) if (m.startsWith(from)) for (const d of deps) if (d.startsWith(to)) out.push(`${m} -> ${d}`);
  return out;
}

describe('layering of src/', () => {
  it('reads every module', () => {
    expect(graph.size).toBeGreaterThan(80);
    expect(graph.get('plan/physical-plan.ts')).toContain('plan/aggregation-spec.ts');
  });

  it('plan/ imports nothing from executor/', () => {
    expect(imports('plan/', 'executor/')).toEqual([]);
  });

  it('executor/cpu and executor/gpu import nothing from each other', () => {
    expect(imports('executor/cpu/', 'executor/gpu/')).toEqual([]);
    expect(imports('executor/gpu/', 'executor/cpu/')).toEqual([]);
  });

  it('the layers below the executors never import the ones above', () => {
    const above = ['index.ts', 'session.ts', 'dataframe.ts', 'driver/', 'plan/', 'executor/', 'cli/', 'report/', 'cluster/'];
    for (const low of ['expr/', 'shuffle/', 'types.ts', 'errors.ts', 'aggregate/', 'arrow/', 'io/']) {
      for (const high of above) expect(imports(low, high), `${low} -> ${high}`).toEqual([]);
    }
    for (const high of ['index.ts', 'session.ts', 'dataframe.ts', 'cli/']) expect(imports('driver/', high)).toEqual([]);
    // The cluster is an executor built over the others: nothing below the session knows it.
    for (const low of ['driver/', 'plan/', 'executor/', 'report/']) expect(imports(low, 'cluster/'), `${low} -> cluster/`).toEqual([]);
    for (const high of ['index.ts', 'session.ts', 'dataframe.ts', 'driver/', 'cli/']) expect(imports('cluster/', high), `cluster/ -> ${high}`).toEqual([]);
    expect(imports('report/', 'executor/')).toEqual([]);
  });

  it('has no import cycles among the modules that load each other (type-only imports load nothing)', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (m: string, stack: string[]): void => {
      if (state.get(m) === 'done') return;
      if (state.get(m) === 'open') { cycles.push([...stack.slice(stack.indexOf(m)), m].join(' -> ')); return; }
      state.set(m, 'open');
      for (const d of runtime.get(m) ?? []) visit(d, [...stack, m]);
      state.set(m, 'done');
    };
    for (const m of runtime.keys()) visit(m, []);
    expect(cycles).toEqual([]);
    // The type-only reads are the listed ones: a DataFrame names its Session's type, a CPU kernel its task state's.
    expect(graph.get('dataframe.ts')).toContain('session.ts');
    expect(runtime.get('dataframe.ts')).not.toContain('session.ts');
  });
});
