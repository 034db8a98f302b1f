/** Public API. */
export { Session, maxExecutorThreads, type SessionOptions } from './session.ts';
export { DataFrame, GroupedData } from './dataframe.ts';
export { Column, col, lit, asc, desc, type SortKey, type Expr } from './expr/expr.ts';
export { Aggregate, count, countDistinct, approxCountDistinct, sum, avg, min, max, stddev, stddevPop, variance, varPop } from './aggregate/aggregate.ts';
export { parseExpr, parseColumnList, parseSelectList } from './expr/parse.ts';
export { parseAggs, parseSortKeys } from './aggregate/parse-aggs.ts';
export type { JobMetrics, StageMetrics, TaskMetrics } from './driver/metrics.ts';
export { formatJob } from './driver/metrics.ts';
export type { TaskDetails, StagePlacement } from './executor/task.ts';
export { gpuDetails, type GpuTaskDetails } from './executor/gpu/gpu-task-details.ts';
export { decimalCells, formatDecimal } from './arrow/decimal.ts';
export { formatJobHtml, type JobHtmlOptions } from './report/job-html.ts';
export {
  GpuFrameError,
  UnknownColumnError,
  TypeMismatchError,
  UnsupportedTypeError,
  DuplicateColumnError,
  InvalidOptionError,
  InputFileError,
  ArithmeticOverflowError,
  TaskFailedError,
  GpuUnavailableError,
  GpuDeviceError,
  ExecutorLostError,
  JobCancelledError,
  ExprSyntaxError,
  GpuFallbackError,
  ClusterUnavailableError,
  NoExecutorError,
} from './errors.ts';
export type { ClusterOptions } from './cluster/cluster-executor.ts';
export { ExecutorProcess, type ExecutorProcessOptions } from './cluster/executor-process.ts';
export type { ProgressEvent, ProgressListener } from './driver/progress.ts';
export type { FaultInjector } from './driver/run-stage.ts';
export type { ActionOptions } from './session.ts';
export { hashWords, hashString, partitionOf, SHUFFLE_SEED } from './shuffle/hash.ts';
