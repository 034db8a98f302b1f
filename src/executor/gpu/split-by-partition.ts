/** Groups → one shuffle block per reduce partition, by partition ids the GPU computed. */
import type { State } from '../../aggregate/registry.ts';
import { takeKey, type KeyColumn } from '../../shuffle/key-column.ts';
import type { ShuffleBlock } from '../../shuffle/shuffle-block.ts';

export function splitByPartition(keys: readonly KeyColumn[], states: readonly State[], n: number, pid: Int32Array | null, partitions: number): ShuffleBlock[] {
  if (partitions === 1 || !pid) return [{ rows: n, keys, states }];
  const counts = new Int32Array(partitions + 1);
  for (let i = 0; i < n; i++) counts[pid[i] + 1]++;
  for (let p = 0; p < partitions; p++) counts[p + 1] += counts[p];
  const order = new Int32Array(n);
  const at = counts.slice(0, partitions);
  for (let i = 0; i < n; i++) order[at[pid[i]]++] = i;
  const blocks: ShuffleBlock[] = [];
  for (let p = 0; p < partitions; p++) {
    const index = order.subarray(counts[p], counts[p + 1]);
    blocks.push({
      rows: index.length,
      keys: keys.map((k) => takeKey(k, index)),
      states: states.map((s) => s.map((f) => {
        const out = new Float64Array(index.length);
        for (let j = 0; j < index.length; j++) out[j] = f[index[j]];
        return out;
      })),
    });
  }
  return blocks;
}
