import { describe, expect, it } from 'vitest';
import { avg, col, count, max, min, sum } from '../../src/index.ts';
import { marbles, withSession } from '../support/tables.ts';
import * as arrow from 'apache-arrow';

const x = () => arrow.tableFromArrays({
  id1: ['id001', 'id007'], id4: Int32Array.from([1, 2]), v1: Int32Array.from([1, 2]), v2: Int32Array.from([6, 7]), v3: Float64Array.from([0.5, 1.5]),
});

describe('explain', () => {
  it('prints the physical plan and stages in Spark words', async () => {
    await withSession(async (s) => {
      const df = s.fromArrow(x(), { partitions: 2 })
        .filter(col('v2').gt(5).and(col('id1').ne('id007')))
        .groupBy('id4')
        .agg(sum('v1').as('s'), count().as('c'), avg('v3').as('a'), min('v3'), max(col('v3')))
        .orderBy('id4');
      expect(df.explain()).toBe([
        '== Physical Plan ==',
        'Sort [id4 ASC NULLS FIRST]',
        '+- HashAggregate(keys=[id4], functions=[sum(v1) AS s, count(1) AS c, avg(v3) AS a, min(v3), max(v3)])',
        '   +- Exchange hashpartitioning(id4, 8)',
        '      +- HashAggregate(keys=[id4], functions=[partial_sum(v1), partial_count(1), partial_avg(v3), partial_min(v3), partial_max(v3)])',
        '         +- Filter ((v2 > 5) AND (id1 != id007))',
        '            +- Scan arrow [2 partitions, 2 rows] [id1, id4, v1, v2, v3]',
        '== Stages ==',
        'Stage 1 (ShuffleMapStage): 2 tasks: Scan → Filter → HashAggregate(partial) → shuffle write (8 partitions)',
        '  runs on cpu (1 × 2 CPU threads)',
        'Stage 2 (ResultStage): 8 tasks: shuffle read → HashAggregate(final) (partitions coalesced at run time)',
        '  runs on cpu (1 × 2 CPU threads)',
        'Executor: cpu (1 × 2 CPU threads)',
      ].join('\n'));
    }, { shufflePartitions: 8 });
  });

  it('plans a global aggregate with a single final task and a scan-only job as one stage', async () => {
    await withSession(async (s) => {
      const g = s.fromArrow(marbles(), { partitions: 3 }).agg(sum(col('marbles').mul(2)));
      expect(g.explain()).toContain('+- Exchange SinglePartition');
      expect(g.explain()).toContain('HashAggregate(keys=[], functions=[sum((marbles * 2))])');
      expect(g.explain()).toContain('Stage 2 (ResultStage): 1 task: shuffle read → HashAggregate(final)');
      await g.collect();
      expect(s.lastJob!.stages.map((st) => st.numTasks)).toEqual([3, 1]);
      const f = s.fromArrow(marbles(), { partitions: 3 }).filter(col('marbles').isIn([5, 25]));
      expect(f.explain().split('\n').slice(1, 3)).toEqual(['Filter marbles IN (5,25)', '+- Scan arrow [3 partitions, 6 rows] [bag, marbles]']);
      expect(f.explain()).toContain('Stage 1 (ResultStage): 3 tasks: Scan → Filter');
    });
  });
});
