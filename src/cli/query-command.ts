/**
 * `gpuframe query FILE... --where "v2 > 5" --group-by id4,id5 --agg "sum(v1),avg(v3),count()"`: one
 * query over Parquet or Arrow IPC files, written as the same DataFrame calls a program would make.
 */
import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { InvalidOptionError } from '../errors.ts';
import { parseAggs, parseSortKeys } from '../aggregate/parse-aggs.ts';
import { parseColumnList, parseExpr, parseSelectList } from '../expr/parse.ts';
import { formatJobHtml } from '../report/job-html.ts';
import { Session, type SessionOptions } from '../session.ts';
import type { DataFrame } from '../dataframe.ts';
import { ProgressBar, progressWanted } from './progress-bar.ts';
import { openInput } from './open-input.ts';
import { FORMATS, formatResult, type OutputFormat } from './write-result.ts';

export interface QueryOptions {
  readonly where?: string;
  readonly groupBy?: string;
  readonly agg?: string;
  readonly having?: string;
  readonly orderBy?: string;
  readonly select?: string;
  readonly distinct?: boolean;
  readonly limit?: number;
  readonly executor: 'cpu' | 'gpu' | 'auto';
  readonly cores?: number;
  readonly nats?: string;
  readonly format: OutputFormat;
  readonly output?: string;
  readonly explain: boolean;
  readonly report?: string;
  readonly quiet: boolean;
}

function positiveInt(s: string): number {
  const v = Number(s);
  if (!Number.isInteger(v) || v < 1) throw new InvalidArgumentError(`a positive integer is expected, got '${s}'`);
  return v;
}

function nonNegativeInt(s: string): number {
  const v = Number(s);
  if (!Number.isInteger(v) || v < 0) throw new InvalidArgumentError(`a non-negative integer is expected, got '${s}'`);
  return v;
}

/** The DataFrame the options describe, over `df` (nothing runs yet). */
export function buildQuery(df: DataFrame, o: Pick<QueryOptions, 'where' | 'groupBy' | 'agg' | 'having' | 'orderBy' | 'select' | 'distinct' | 'limit'>): DataFrame {
  let q = o.where !== undefined ? df.filter(parseExpr(o.where, '--where')) : df;
  if (o.select !== undefined) {
    if (o.agg !== undefined) throw new InvalidOptionError('--select chooses the columns of the rows; with --agg the result holds the keys and aggregates (group by an expression with --select "expr AS k" and no --agg, then --distinct)');
    q = q.select(...parseSelectList(o.select, '--select'));
  }
  if (o.distinct) q = q.distinct();
  if (o.agg !== undefined) {
    const aggs = parseAggs(o.agg, '--agg');
    q = o.groupBy !== undefined ? q.groupBy(...parseColumnList(o.groupBy, '--group-by')).agg(...aggs) : q.agg(...aggs);
  } else if (o.groupBy !== undefined) {
    throw new InvalidOptionError(`--group-by needs --agg, e.g. --agg "count()"`);
  }
  if (o.having !== undefined) {
    if (o.agg === undefined) throw new InvalidOptionError('--having filters groups: it needs --agg');
    q = q.filter(parseExpr(o.having, '--having'));
  }
  if (o.orderBy !== undefined) q = q.orderBy(...parseSortKeys(o.orderBy, '--order-by'));
  if (o.limit !== undefined) q = q.limit(o.limit);
  return q;
}

/** Runs a query command: plans over the files, runs, writes the result (and the report). */
export async function runQuery(files: readonly string[], o: QueryOptions): Promise<void> {
  if (o.format === 'arrow' && o.output === undefined && process.stdout.isTTY) {
    throw new InvalidOptionError('--format arrow writes binary Arrow IPC: give --output FILE or pipe stdout to a file');
  }
  const progress = !o.quiet && progressWanted(undefined) ? new ProgressBar() : undefined;
  const options: SessionOptions = {
    // On a cluster each executor process has its own executor and cores: those given here are refused by Session.create.
    ...(o.nats !== undefined ? { cluster: { nats: o.nats } } : {}),
    ...(o.nats === undefined || o.executor !== 'cpu' ? { executor: o.executor } : {}),
    ...(o.cores !== undefined ? { cores: o.cores } : {}),
    ...(progress ? { onProgress: progress.listener } : {}),
  };
  const session = await Session.create(options);
  const ctl = new AbortController();
  const onSigint = (): void => ctl.abort(new Error('interrupted (SIGINT)'));
  process.once('SIGINT', onSigint);
  try {
    const q = buildQuery(await openInput(session, files), o);
    const explain = q.explain();
    if (o.explain) {
      process.stdout.write(`${explain}\n`);
      return;
    }
    const result = await q.collect({ signal: ctl.signal });
    progress?.stop();
    const out = formatResult(result, o.format);
    if (o.output !== undefined) writeFileSync(o.output, out);
    else process.stdout.write(out);
    if (o.report !== undefined) writeFileSync(o.report, formatJobHtml(session.lastJob!, { title: `gpuframe query ${files.join(' ')}`, explain }));
  } finally {
    process.off('SIGINT', onSigint);
    progress?.stop();
    await session.close();
  }
}

export function queryCommand(): Command {
  return new Command('query')
    .description('Run one query over Parquet or Arrow IPC files and print the result.')
    .argument('<files...>', 'Parquet files (.parquet, or starting with PAR1), or Arrow IPC files (.arrow / .feather v2) or streams; a directory or a glob (quoted) reads all its files')
    .option('--where <predicate>', 'keep the rows where it is true, e.g. "v2 > 5 AND id1 IN (\'id001\', \'id002\')"')
    .option('--group-by <columns>', 'group keys, comma-separated, e.g. id4,id5')
    .option('--agg <aggregates>', 'aggregates, comma-separated: count(), count(x), count(DISTINCT x), approx_count_distinct, sum, avg, min, max, stddev, stddev_pop, variance, var_pop of a column or expression, each with an optional AS name')
    .option('--having <predicate>', 'keep the groups where it is true, over output columns, e.g. "\\"sum(v1)\\" > 100"')
    .option('--order-by <keys>', 'sort keys, comma-separated output columns or aggregates, each ASC or DESC, e.g. "sum(v1) desc, id4"')
    .option('--select <columns>', 'the result\'s columns (without --agg): comma-separated expressions, each with an optional AS name, e.g. "id4, v1 * 2 AS v2"')
    .option('--distinct', 'only the distinct rows (of --select\'s columns, or all)', false)
    .option('--limit <n>', 'at most n rows (after --order-by: the first n in that order)', nonNegativeInt)
    .addOption(new Option('--executor <kind>', 'the executor of the map tasks').choices(['cpu', 'gpu', 'auto']).default('cpu'))
    .option('--cores <n>', 'executor threads (default: available parallelism)', positiveInt)
    .option('--nats <url>', 'run the tasks on the executor processes of a cluster (gpuframe executor --nats URL) instead of here')
    .addOption(new Option('--format <format>', 'output format').choices([...FORMATS]).default('table'))
    .option('--output <file>', 'write the result to a file instead of stdout')
    .option('--explain', 'print the physical plan and stages instead of running the query', false)
    .option('--report <file>', 'also write the job report as a self-contained HTML file (stage DAG, task timeline)')
    .option('--quiet', 'no progress bar (it is drawn on stderr only when stderr is a terminal)', false)
    .action(async (files: string[], o: QueryOptions) => runQuery(files, o));
}
