/**
 * Cancellation without timing: a 'hang' fault makes one task block on its executor until the job
 * is cancelled, and the test cancels once that attempt has started (the fault injector tells it).
 */
import { describe, expect, it } from 'vitest';
import { GpuUnavailableError, JobCancelledError, Session, sum, type SessionOptions } from '../../src/index.ts';
import { marbles } from '../support/tables.ts';

/** A session whose first attempt of `stage`'s partition 0 hangs; `hung` resolves when it has started. */
async function hangingSession(opts: SessionOptions, stage: number): Promise<{ session: Session; hung: Promise<void> } | string> {
  let armed = true;
  let started!: () => void;
  const hung = new Promise<void>((r) => (started = r));
  try {
    const session = await Session.create({
      ...opts,
      faultInjector: (stageId, partition) => {
        if (!armed || stageId !== stage || partition !== 0) return undefined;
        armed = false;
        setImmediate(started); // after the attempt has been handed to its executor
        return 'hang';
      },
    });
    return { session, hung };
  } catch (e) {
    if (e instanceof GpuUnavailableError && process.env.GPUFRAME_REQUIRE_GPU !== '1') return e.message;
    throw e;
  }
}

const MODES: [string, SessionOptions][] = [
  ['executor threads', { executor: 'cpu', cores: 2 }],
  ['in process', { executor: 'cpu', workers: false }],
  ['gpu executor', { executor: 'gpu', cores: 2 }],
];

describe('cancellation of a blocked task', () => {
  for (const [name, opts] of MODES) {
    for (const stage of [1, 2]) {
      it(`${name}: an AbortSignal cancels the job while a stage-${stage} task blocks; the session runs the next job exactly`, async (ctx) => {
        const made = await hangingSession(opts, stage);
        if (typeof made === 'string') return ctx.skip(`no GPU adapter: ${made}`);
        const { session, hung } = made;
        try {
          const df = session.fromArrow(marbles(), { partitions: 2 }).groupBy('bag').agg(sum('marbles').as('m')).orderBy('bag');
          const ctl = new AbortController();
          const job = df.collect({ signal: ctl.signal });
          await hung;
          ctl.abort();
          await expect(job).rejects.toBeInstanceOf(JobCancelledError);
          await expect(job).rejects.toThrow(/^job \d+ was cancelled$/);
          const again = await df.collect();
          expect(again.toArray().map((r) => [r.bag, r.m])).toEqual([['Bag_A', 30n], ['Bag_B', 10n], ['Bag_C', 50n]]);
          // A signal aborted before the job starts cancels it before any task runs.
          await expect(df.collect({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(JobCancelledError);
        } finally {
          await session.close();
        }
      });
    }

    it(`${name}: close() cancels the job whose task blocks, says why, and waits for it`, async (ctx) => {
      const made = await hangingSession(opts, 1);
      if (typeof made === 'string') return ctx.skip(`no GPU adapter: ${made}`);
      const { session, hung } = made;
      const job = session.fromArrow(marbles(), { partitions: 2 }).groupBy('bag').agg(sum('marbles')).collect().then(() => null, (e: unknown) => e);
      await hung;
      await session.close();
      const err = await job;
      expect(err).toBeInstanceOf(JobCancelledError);
      expect((err as Error).message).toMatch(/^job \d+ was cancelled: the session was closed$/);
    });
  }
});
