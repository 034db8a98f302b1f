/** Spark-style rendering of a physical plan and its stages. */
import type { AggSpec } from '../aggregate/registry.ts';
import { exprToString } from '../expr/expr.ts';
import { topNOf, type PhysicalPlan } from './physical-plan.ts';
import { outputNameOf, queryKeys } from './aggregation-spec.ts';
import { typedToString } from '../expr/resolve.ts';
import type { ScanPlan } from './scan-plan.ts';
import { bytes } from '../units.ts';

const fnName = (a: AggSpec): string => a.display;

/** The stages a plan runs as: the exchange, when there is one, splits the job in two. */
export function stagesOf(plan: PhysicalPlan): { kind: 'ShuffleMapStage' | 'ResultStage'; tasks: number; ops: string }[] {
  const scanOps = ['Scan', ...(plan.filter ? ['Filter'] : [])];
  const mapTasks = plan.inputs.length;
  if (!plan.aggregation) return [{ kind: 'ResultStage', tasks: mapTasks, ops: scanOps.join(' → ') }];
  const p = plan.aggregation.partitions;
  return [
    { kind: 'ShuffleMapStage', tasks: mapTasks, ops: [...scanOps, 'HashAggregate(partial)', `shuffle write (${p} partitions)`].join(' → ') },
    { kind: 'ResultStage', tasks: p, ops: `shuffle read → HashAggregate(final)${p > 1 ? ' (partitions coalesced at run time)' : ''}` },
  ];
}

/** Where a stage runs and why, and how it reads its input where that is not plain (the executor's words). */
export interface StageNote {
  readonly reason: string;
  readonly input?: string;
}

/** `Scan parquet [tasks, row groups 12 of 40, bytes, rows] [columns] PushedFilters: [...] files`. */
function fileScan(s: ScanPlan): string {
  const unit = s.format === 'parquet' ? 'row groups' : 'record batches';
  const files = s.paths.length === 1 ? s.paths[0] : `${s.paths[0]} and ${s.paths.length - 1} more file${s.paths.length > 2 ? 's' : ''}`;
  return `Scan ${s.format} [${s.tasks.length} task${s.tasks.length === 1 ? '' : 's'}, ${unit} ${s.unitsRead} of ${s.unitsTotal}, ` +
    `${bytes(s.bytesRead)} of ${bytes(s.bytesTotal)} to read, ${s.rows} rows] [${s.columns.join(', ')}] ` +
    `PushedFilters: [${s.pushed.join(', ')}] ${files}`;
}

/** `placements`: per stage, where it runs and why. */
export function explainPlan(plan: PhysicalPlan, executor: string, placements: readonly StageNote[] = []): string {
  const lines: string[] = [];
  const add = (text: string) => {
    const depth = lines.length;
    lines.push(depth === 0 ? text : `${'   '.repeat(depth - 1)}+- ${text}`);
  };
  const sort = () => { if (plan.sort.length) add(`Sort [${plan.sort.map((s) => `${s.column} ${s.descending ? 'DESC NULLS LAST' : 'ASC NULLS FIRST'}`).join(', ')}]`); };
  // Under a sort, each result task keeps its own first n rows (top-N, as Spark's TakeOrderedAndProject).
  const limit = () => { if (plan.limit !== null) add(`Limit ${plan.limit}${topNOf(plan) !== null ? ` (top-N: each task keeps its first ${plan.limit})` : ''}`); };
  if (plan.limitBeforeSort) { sort(); limit(); } else { limit(); sort(); }
  if (plan.projection) add(`Project [${plan.projection.map((c) => (c.expr.kind === 'col' && c.expr.name === c.name ? c.name : `${typedToString(c.expr)} AS ${c.name}`)).join(', ')}]`);
  if (plan.havingExprs.length) add(`Filter ${plan.havingExprs.map(exprToString).join(' AND ')}`);
  const a = plan.aggregation;
  if (a) {
    const keyName = (column: string) => {
      const c = a.computed?.find((x) => x.name === column);
      if (!c) return column;
      return column === outputNameOf(column) ? typedToString(c.expr) : `${typedToString(c.expr)} AS ${outputNameOf(column)}`;
    };
    const own = queryKeys(a);
    const keys = `keys=[${own.map((k) => keyName(k.column)).join(', ')}]`;
    const outputs = a.aggs.map((x) => (x.name === fnName(x) ? fnName(x) : `${fnName(x)} AS ${x.name}`));
    add(`HashAggregate(${keys}, functions=[${outputs.join(', ')}])`);
    add(own.length ? `Exchange hashpartitioning(${own.map((k) => outputNameOf(k.column)).join(', ')}, ${a.partitions})` : 'Exchange SinglePartition');
    add(`HashAggregate(keys=[${a.keys.map((k) => keyName(k.column)).join(', ')}], functions=[${a.aggs.filter((x) => x.state !== 'distinct').map((x) => `partial_${fnName(x)}`).join(', ')}])`);
  }
  if (plan.filterExprs.length) add(`Filter ${plan.filterExprs.map(exprToString).join(' AND ')}`);
  add(plan.scan ? fileScan(plan.scan) : `${plan.source.cached ? `InMemoryTableScan (${placements[0]?.input ?? 'cached'})` : 'Scan'} arrow [${plan.source.partitions.length} partitions, ${plan.source.rows} rows] [${plan.source.schema.map((f) => f.name).join(', ')}]`);
  const stages = stagesOf(plan).flatMap((s, i) => [
    `Stage ${i + 1} (${s.kind}): ${s.tasks} task${s.tasks === 1 ? '' : 's'}: ${s.ops}`,
    ...(placements[i] ? [`  runs on ${placements[i]!.reason}`] : []),
  ]);
  return ['== Physical Plan ==', ...lines, '== Stages ==', ...stages, `Executor: ${executor}`].join('\n');
}
