import * as arrow from 'apache-arrow';
import { availableParallelism, totalmem } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  avg, col, count, DuplicateColumnError, InvalidOptionError, lit, max, maxExecutorThreads, min, Session, sum, TypeMismatchError,
  UnknownColumnError, UnsupportedTypeError,
} from '../src/index.ts';
import { collectRows, marbles, tableOf, withSession } from './support/tables.ts';

describe('the marble example', () => {
  it('sums marbles per bag in two stages with a shuffle between them', async () => {
    await withSession(async (s) => {
      const df = s.fromArrow(marbles(), { partitions: 2 }).groupBy('bag').agg(sum('marbles').as('marbles')).orderBy('bag');
      expect(await collectRows(df)).toEqual([
        { bag: 'Bag_A', marbles: 30 },
        { bag: 'Bag_B', marbles: 10 },
        { bag: 'Bag_C', marbles: 50 },
      ]);
      const job = s.lastJob!;
      // The 3 shuffle partitions hold 4 partial groups in all: coalesced into one reduce task.
      expect(job.stages.map((st) => [st.kind, st.numTasks])).toEqual([['ShuffleMapStage', 2], ['ResultStage', 1]]);
      expect(job.stages[0].inputRows).toBe(6);
      expect(job.stages[0].shuffleWriteRecords).toBe(job.stages[1].shuffleReadRecords);
      expect(job.stages[0].shuffleWriteBytes).toBe(job.stages[1].shuffleReadBytes);
      expect(job.stages[1].outputRows).toBe(3);
      expect(df.explain()).toContain('Exchange hashpartitioning(bag, 3)');
    });
  });
});

describe('results and their types', () => {
  it('types results as SQL engines do and keeps key types', async () => {
    const t = tableOf({
      k: [new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()), ['a', 'b', 'a']],
      i8: [new arrow.Int8(), [1, 2, 3]],
      f32: [new arrow.Float32(), [1.5, 2.5, 3.5]],
      d: [new arrow.DateDay(), [new Date(0), new Date(86400000), new Date(0)]],
    });
    await withSession(async (s) => {
      const out = await s.fromArrow(t).groupBy('k').agg(count(), sum('i8'), avg('i8'), min('i8'), max('f32'), sum('f32'), max('d')).collect();
      const types = Object.fromEntries(out.schema.fields.map((f) => [f.name, String(f.type)]));
      expect(types).toEqual({
        k: 'Utf8', 'count(1)': 'Int64', 'sum(i8)': 'Int64', 'avg(i8)': 'Float64', 'min(i8)': 'Int8',
        'max(f32)': 'Float32', 'sum(f32)': 'Float64', 'max(d)': 'Date32<DAY>',
      });
    });
  });

  it('returns an empty, correctly typed result when the input is empty or every row is filtered out', async () => {
    const empty = new arrow.Table(new arrow.Schema([new arrow.Field('k', new arrow.Int32(), true), new arrow.Field('v', new arrow.Float64(), true)]));
    await withSession(async (s) => {
      for (const df of [s.fromArrow(empty), s.fromArrow(tableOf({ k: [new arrow.Int32(), [1, 2]], v: [new arrow.Float64(), [1, 2]] })).filter(col('v').gt(10))]) {
        const out = await df.groupBy('k').agg(sum('v'), count()).collect();
        expect(out.numRows).toBe(0);
        expect(out.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['k:Int32', 'sum(v):Float64', 'count(1):Int64']);
        const global = await collectRows(df.agg(sum('v'), count(), min('k')));
        expect(global).toEqual([{ 'sum(v)': null, 'count(1)': 0, 'min(k)': null }]);
        expect(await df.count()).toBe(0);
      }
    });
  });

  it('counts rows, non-null values and treats a null key as its own group', async () => {
    const t = tableOf({ k: [new arrow.Int32(), [1, null, 1, null, 2]], v: [new arrow.Int32(), [null, 5, 7, null, null]] });
    await withSession(async (s) => {
      const rows = await collectRows(s.fromArrow(t, { partitions: 3 }).groupBy('k').agg(count(), count('v'), sum('v'), avg('v'), min('v')).orderBy('k'));
      expect(rows).toEqual([
        { k: null, 'count(1)': 2, 'count(v)': 1, 'sum(v)': 5, 'avg(v)': 5, 'min(v)': 5 },
        { k: 1, 'count(1)': 2, 'count(v)': 1, 'sum(v)': 7, 'avg(v)': 7, 'min(v)': 7 },
        { k: 2, 'count(1)': 1, 'count(v)': 0, 'sum(v)': null, 'avg(v)': null, 'min(v)': null },
      ]);
    });
  });

  it('returns the filtered rows of a frame without aggregation', async () => {
    await withSession(async (s) => {
      const rows = await collectRows(s.fromArrow(marbles(), { partitions: 3 }).filter(col('marbles').ge(20)));
      expect(rows).toEqual([{ bag: 'Bag_A', marbles: 20 }, { bag: 'Bag_C', marbles: 25 }, { bag: 'Bag_C', marbles: 25 }]);
      expect(await s.fromArrow(marbles()).filter(col('bag').ne('Bag_B')).count()).toBe(4);
    });
  });

  it('filters aggregated output (having) and orders by several keys', async () => {
    await withSession(async (s) => {
      const rows = await collectRows(
        s.fromArrow(marbles()).groupBy('bag').agg(sum('marbles').as('n')).filter(col('n').ge(30)).orderBy(col('n').desc(), 'bag'),
      );
      expect(rows).toEqual([{ bag: 'Bag_C', n: 50 }, { bag: 'Bag_A', n: 30 }]);
    });
  });

  it('prints a result like Spark show()', async () => {
    await withSession(async (s) => {
      const text = await s.fromArrow(marbles()).groupBy('bag').agg(sum('marbles')).orderBy('bag').show();
      expect(text).toBe([
        '+-----+------------+',
        '|  bag|sum(marbles)|',
        '+-----+------------+',
        '|Bag_A|          30|',
        '|Bag_B|          10|',
        '|Bag_C|          50|',
        '+-----+------------+',
      ].join('\n'));
    });
  });
});

describe('show, where and concurrent jobs', () => {
  it('show(n) prints the first n rows and says how many it left out', async () => {
    await withSession(async (s) => {
      const df = s.fromArrow(marbles()).groupBy('bag').agg(sum('marbles')).orderBy('bag');
      expect(await df.show(2)).toBe([
        '+-----+------------+',
        '|  bag|sum(marbles)|',
        '+-----+------------+',
        '|Bag_A|          30|',
        '|Bag_B|          10|',
        '+-----+------------+',
        'only showing top 2 rows',
      ].join('\n'));
      expect(await df.show(0)).toBe(['+---+------------+', '|bag|sum(marbles)|', '+---+------------+', '+---+------------+', 'only showing top 0 rows'].join('\n'));
    });
  });

  it('where is filter', async () => {
    await withSession(async (s) => {
      const frame = s.fromArrow(marbles());
      expect(await collectRows(frame.where(col('marbles').gt(5)).groupBy('bag').agg(count()).orderBy('bag')))
        .toEqual(await collectRows(frame.filter(col('marbles').gt(5)).groupBy('bag').agg(count()).orderBy('bag')));
      expect(await frame.where(col('marbles').gt(5)).count()).toBe(4);
    });
  });

  it('runs 8 concurrent jobs on one session, each with its exact answer and its own metrics', async () => {
    await withSession(async (s) => {
      const n = 200_000;
      const t = arrow.tableFromArrays({ k: Int32Array.from({ length: n }, (_, i) => i % 1000), v: Int32Array.from({ length: n }, (_, i) => i % 7) });
      const jobs = Array.from({ length: 8 }, (_, j) =>
        s.fromArrow(t, { partitions: 4 }).filter(col('k').lt(100 * (j + 1))).agg(sum('v'), count()).collect());
      const results = await Promise.all(jobs);
      results.forEach((r, j) => {
        let want = 0n, rows = 0n;
        for (let i = 0; i < n; i++) if (i % 1000 < 100 * (j + 1)) { want += BigInt(i % 7); rows++; }
        expect([r.getChild('sum(v)')!.get(0), r.getChild('count(1)')!.get(0)]).toEqual([want, rows]);
      });
      expect(s.jobs.map((m) => m.jobId).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(s.jobs.every((m) => m.stages[0]!.inputRows === n)).toBe(true);
    });
  });
});

describe('limits that protect the process', () => {
  it('bounds executor threads by the machine, and says where the bound comes from', async () => {
    const max = maxExecutorThreads();
    expect(max).toBe(Math.min(4 * availableParallelism(), Math.floor(totalmem() / 2 ** 26)));
    const why = `4 threads per CPU core of this machine's ${availableParallelism()} and 64 MiB of its memory each`;
    for (const [opts, message] of [
      [{ cores: 1e6 }, `cores must be at most ${max} (${why}), got 1000000`],
      [{ executors: max + 1, cores: 1 }, `executors must be at most ${max} (${why}), got ${max + 1}`],
      [{ executors: 2, cores: max }, `executors × cores must be at most ${max} (${why}), got 2 × ${max} = ${2 * max}`],
      [{ shufflePartitions: 2 ** 20 + 1 }, 'shufflePartitions must be at most 1048576 (a shuffle block per map task and partition), got 1048577'],
      [{ maxTaskAttempts: 101 }, 'maxTaskAttempts must be at most 100'],
      [{ retainedJobs: -1 }, 'retainedJobs must be an integer >= 0, got -1'],
    ] as const) {
      await expect(Session.create(opts)).rejects.toThrow(new InvalidOptionError(message).message);
    }
    // The bound itself is accepted (no thread starts before the first task).
    await withSession(async (s) => expect(s.options.cores).toBe(max), { cores: max, workers: false });
  });

  it('keeps the metrics of the last retainedJobs jobs only', async () => {
    await withSession(async (s) => {
      const df = s.fromArrow(marbles()).agg(sum('marbles'));
      for (let i = 0; i < 5; i++) await df.collect();
      expect(s.jobs.map((j) => j.jobId)).toEqual([4, 5]);
      expect(s.lastJob!.jobId).toBe(5);
    }, { retainedJobs: 2, workers: false });
    await withSession(async (s) => {
      await s.fromArrow(marbles()).count();
      expect(s.jobs).toEqual([]);
    }, { retainedJobs: 0, workers: false });
    await withSession(async (s) => expect(s.options.retainedJobs).toBe(1000), { workers: false });
  });

  it('runs 16 concurrent jobs on each executor, with one shared AbortSignal, without a warning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const n = 100_000;
      const t = arrow.tableFromArrays({ k: Int32Array.from({ length: n }, (_, i) => i % 1000), v: Int32Array.from({ length: n }, (_, i) => i % 7) });
      const answers: string[] = [];
      for (const executor of ['cpu', 'gpu'] as const) {
        await withSession(async (s) => {
          const signal = new AbortController().signal;
          const results = await Promise.all(Array.from({ length: 16 }, (_, j) =>
            s.fromArrow(t, { partitions: 4 }).filter(col('v').lt(1 + (j % 7))).groupBy('k').agg(sum('v'), count()).orderBy('k').collect(j % 2 ? { signal } : {})));
          answers.push(JSON.stringify(results.map((r) => r.toArray().map((row) => row.toJSON())), (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
        }, { executor });
      }
      expect(answers[1]).toBe(answers[0]);
      // Let a deferred warning land before looking.
      await new Promise((r) => setImmediate(r));
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('bad input gets typed errors at plan time', () => {
  it('rejects invalid session options', async () => {
    for (const opts of [{ cores: 0 }, { cores: 1.5 }, { executors: 0 }, { workers: 'yes' as unknown as boolean }, { shufflePartitions: 0 }, { maxTaskAttempts: -1 }, { executor: 'tpu' as 'cpu' }]) {
      await expect(Session.create(opts)).rejects.toBeInstanceOf(InvalidOptionError);
    }
    await withSession(async (s) => {
      expect(() => s.fromArrow(marbles(), { partitions: 0 })).toThrow(InvalidOptionError);
    });
  });

  it('names the option and shows the value as given (misspelt options too)', async () => {
    const cases: [unknown, string][] = [
      [{ shufflePartition: 4 }, "unknown Session.create option 'shufflePartition'; the options are executor, executors, cores,"],
      [null, 'Session.create takes an options object, got null'],
      [{ cores: '2' }, "cores must be an integer >= 1, got '2'"],
      [{ gpuCacheBytes: 2n ** 40n }, 'gpuCacheBytes must be an integer >= 0, got 1099511627776n'],
      [{ gpuCacheBytes: -1 }, 'gpuCacheBytes must be an integer >= 0, got -1'],
      [{ onProgress: 'log' }, "onProgress must be a function, got 'log'"],
      [{ faultInjector: {} }, 'faultInjector must be a function, got an object (Object)'],
    ];
    for (const [opts, message] of cases) {
      const err = await Session.create(opts as never).then(() => null, (e: unknown) => e);
      expect(err, JSON.stringify(opts, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))).toBeInstanceOf(InvalidOptionError);
      expect((err as Error).message).toContain(message);
    }
    await withSession(async (s) => {
      const m = marbles();
      expect(() => s.fromArrow({} as never)).toThrow('fromArrow takes an apache-arrow Table or an array of RecordBatch, got an object (Object)');
      expect(() => s.fromArrow(m, { partition: 2 } as never)).toThrow("unknown fromArrow option 'partition'; the options are partitions");
      const df = s.fromArrow(m);
      await expect(df.count({ signal: {} as never })).rejects.toThrow('signal must be an AbortSignal, got an object (Object)');
      await expect(df.collect({ signl: 1 } as never)).rejects.toThrow("unknown action option 'signl'");
      await expect(df.show(-1)).rejects.toThrow('show: the row count must be an integer >= 0, got -1');
      expect(() => df.groupBy(5 as never)).toThrow(new InvalidOptionError('groupBy takes column names, got 5'));
      expect(() => df.groupBy('bag').agg('marbles' as never)).toThrow(InvalidOptionError);
      expect(() => df.orderBy(5 as never)).toThrow('orderBy takes column names or asc()/desc() keys, got 5');
      expect(() => df.orderBy(col('marbles').add(1).desc())).toThrow(InvalidOptionError);
    });
  });

  it('rejects what SQL has no literal of, and malformed expression and aggregate calls', () => {
    for (const v of [undefined, {}, [1], () => 1, new Date('not a date'), Symbol('s')]) {
      expect(() => col('a').gt(v as never), String(typeof v)).toThrow(TypeMismatchError);
      expect(() => lit(v as never), String(typeof v)).toThrow(/a literal is a number, bigint, string, boolean, Date or null/);
    }
    expect(() => col('a').isIn([1, undefined as never])).toThrow('got undefined');
    expect(() => col('a').isIn(5 as never)).toThrow(new InvalidOptionError('isIn takes an array of values, got 5'));
    expect(() => col(5 as never)).toThrow(new InvalidOptionError('col takes a column name, got 5'));
    expect(() => sum(5 as never)).toThrow(InvalidOptionError);
    expect(() => sum('a').as('')).toThrow("as() takes a non-empty output column name, got ''");
    // Every value SQL has a literal of is still taken.
    for (const v of [0, -1.5, NaN, 2n ** 63n, 'x', true, null, new Date(0)]) expect(() => col('a').eq(v)).not.toThrow();
  });

  it('names an unknown column and lists the available ones', async () => {
    await withSession(async (s) => {
      const df = s.fromArrow(marbles());
      const err = (() => { try { df.filter(col('nope').gt(1)).explain(); } catch (e) { return e; } })();
      expect(err).toBeInstanceOf(UnknownColumnError);
      expect((err as Error).message).toBe("unknown column 'nope'; available columns: bag, marbles");
      expect((err as Error).name).toBe('UnknownColumnError');
      await expect(df.groupBy('nope').agg(count()).collect()).rejects.toBeInstanceOf(UnknownColumnError);
      await expect(df.groupBy('bag').agg(count()).orderBy('marbles').collect()).rejects.toBeInstanceOf(UnknownColumnError);
    });
  });

  it('rejects aggregates of non-numeric columns and incompatible comparisons', async () => {
    await withSession(async (s) => {
      const df = s.fromArrow(marbles());
      await expect(df.agg(sum('bag')).collect()).rejects.toThrow(/sum\(bag\): sum needs a numeric argument, got utf8/);
      await expect(df.agg(avg('bag')).collect()).rejects.toBeInstanceOf(TypeMismatchError);
      await expect(df.filter(col('bag').gt(3)).collect()).rejects.toThrow(/cannot compare utf8 with int64: \(bag > 3\)/);
      await expect(df.filter(col('bag').lt('x')).collect()).rejects.toBeInstanceOf(TypeMismatchError);
      await expect(df.filter(col('marbles')).collect()).rejects.toThrow(/expected a boolean expression, got int32/);
      await expect(df.filter(col('marbles').add(col('bag')).gt(1)).collect()).rejects.toBeInstanceOf(TypeMismatchError);
    });
  });

  it('names an unsupported Arrow type only when the query reads it', async () => {
    const t = new arrow.Table({
      k: arrow.vectorFromArray([1, 2], new arrow.Int32()),
      l: arrow.vectorFromArray([[1], [2]], new arrow.List(new arrow.Field('x', new arrow.Int32()))),
    });
    await withSession(async (s) => {
      const df = s.fromArrow(t);
      await expect(df.groupBy('l').agg(count()).collect()).rejects.toThrow("column 'l' has unsupported Arrow type List<Int32>");
      await expect(df.agg(max('l')).collect()).rejects.toBeInstanceOf(UnsupportedTypeError);
      expect(await collectRows(df.agg(sum('k')))).toEqual([{ 'sum(k)': 3 }]);
    });
  });

  it('rejects duplicate output names', async () => {
    await withSession(async (s) => {
      const df = s.fromArrow(marbles());
      await expect(df.groupBy('bag').agg(sum('marbles'), sum('marbles')).collect()).rejects.toThrow(DuplicateColumnError);
      await expect(df.groupBy('bag').agg(count().as('bag')).collect()).rejects.toThrow("duplicate output column name 'bag'");
    });
  });

  it('refuses work after close', async () => {
    const s = await Session.create();
    const df = s.fromArrow(marbles());
    await s.close();
    await expect(df.count()).rejects.toBeInstanceOf(InvalidOptionError);
  });
});
