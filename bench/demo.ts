/**
 * `npm run demo` — the marble example.
 *
 * Six rows: bags A, A, B, B, C, C holding 10, 20, 5, 5, 25, 25 marbles, split
 * into three input partitions. Summing the marbles per bag runs as two stages:
 * each partition adds up its own rows (partial aggregate), the partial sums are
 * shuffled by bag, and the final aggregate adds the partials per bag.
 */
import { Int32, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { Session, formatJob, sum } from '../src/index.ts';

const bags = new Table({
  bag: vectorFromArray(['A', 'A', 'B', 'B', 'C', 'C'], new Utf8()),
  marbles: vectorFromArray([10, 20, 5, 5, 25, 25], new Int32()),
});

console.log('input (3 partitions of 2 rows):');
for (const row of bags) console.log(`  bag ${String(row.bag)}: ${String(row.marbles)} marbles`);

const session = await Session.create({ executor: 'cpu', cores: 2, shufflePartitions: 2 });
try {
  const perBag = session.fromArrow(bags, { partitions: 3 }).groupBy('bag').agg(sum('marbles').as('marbles')).orderBy('bag');

  const result = await perBag.collect();
  console.log('\nsum of marbles per bag:');
  const got = new Map<string, bigint | number>();
  for (const row of result) {
    const bag = String(row.bag);
    const total = row.marbles as bigint | number;
    got.set(bag, total);
    console.log(`  bag ${bag}: ${String(total)}`);
  }
  const want: Record<string, number> = { A: 30, B: 10, C: 50 };
  const ok = got.size === 3 && Object.entries(want).every(([bag, n]) => Number(got.get(bag)) === n);
  console.log(ok ? '  (A 30, B 10, C 50: as expected)' : `  UNEXPECTED: want ${JSON.stringify(want)}`);

  console.log('\nexplain():');
  console.log(
    perBag
      .explain()
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
  );

  const job = session.lastJob;
  console.log('\njob metrics (session.lastJob):');
  console.log(job ? formatJob(job).replace(/^/gm, '  ') : '  (none)');
  if (!ok) process.exitCode = 1;
} finally {
  await session.close();
}
