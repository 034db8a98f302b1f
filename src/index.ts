/** Public API. */
export { Session, type SessionOptions } from './session.ts';
export { DataFrame, GroupedData } from './dataframe.ts';
export { Column, col, lit, asc, desc, type SortKey, type Expr } from './expr/expr.ts';
export { Aggregate, count, sum, avg, min, max } from './aggregate/aggregate.ts';
export type { JobMetrics, StageMetrics, TaskMetrics } from './driver/metrics.ts';
export { formatJob } from './driver/metrics.ts';
export {
  GpuFrameError,
  UnknownColumnError,
  TypeMismatchError,
  UnsupportedTypeError,
  DuplicateColumnError,
  InvalidOptionError,
  ArithmeticOverflowError,
  TaskFailedError,
  GpuUnavailableError,
  GpuDeviceError,
} from './errors.ts';
export { hashWords, hashString, partitionOf, SHUFFLE_SEED } from './shuffle/hash.ts';
