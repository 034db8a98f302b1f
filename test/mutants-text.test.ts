import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MUTANTS } from './mutants.ts';

// Skipped while a mutant is planted (its text is then gone on purpose).
describe.skipIf(!!process.env.GPUFRAME_MUTANT)('npm run test:mutants', () => {
  it('finds the text each mutant changes exactly once in its file (so no mutant rots unnoticed)', () => {
    for (const m of MUTANTS) {
      const source = readFileSync(m.file, 'utf8');
      const at = source.indexOf(m.find);
      expect(at >= 0 && source.indexOf(m.find, at + 1) < 0, `mutant ${m.id}: ${m.file}`).toBe(true);
    }
  });
});
