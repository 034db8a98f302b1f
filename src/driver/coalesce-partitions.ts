/**
 * Adaptive coalescing of shuffle partitions, as Spark's adaptive execution does it: once the map
 * stage has run, the driver knows how many partial groups each reduce partition holds, and runs
 * contiguous runs of small partitions as one reduce task, and no task at all for empty ones. A
 * reduce task merges whatever blocks it is given (a group lives in exactly one partition), so the
 * answer does not depend on the runs; what they save is a task, its scheduling and its output
 * batch per partition, which made many empty partitions cost seconds.
 */

/** Partial groups a reduce task is worth starting for; smaller partitions are merged up to it. */
export const MIN_TASK_RECORDS = 16384;

/** A reduce task's partitions: [start, end). */
export interface PartitionRun {
  readonly start: number;
  readonly end: number;
  readonly records: number;
}

/**
 * Runs of contiguous partitions with at most max(MIN_TASK_RECORDS, total / (2 × slots)) records
 * each (a partition bigger than that is a run of its own); runs with no record are left out
 * unless `keepEmpty` (a global aggregate's one partition still makes its one row).
 */
export function coalescePartitions(records: ArrayLike<number>, slots: number, keepEmpty: boolean): PartitionRun[] {
  let total = 0;
  for (let p = 0; p < records.length; p++) total += records[p];
  const target = Math.max(MIN_TASK_RECORDS, Math.ceil(total / (2 * Math.max(1, slots))));
  const runs: PartitionRun[] = [];
  let start = 0, sum = 0;
  const close = (end: number) => {
    if (sum > 0 || (keepEmpty && runs.length === 0 && end === records.length)) runs.push({ start, end, records: sum });
    start = end;
    sum = 0;
  };
  for (let p = 0; p < records.length; p++) {
    if (sum > 0 && sum + records[p] > target) close(p);
    sum += records[p];
  }
  close(records.length);
  return runs;
}
