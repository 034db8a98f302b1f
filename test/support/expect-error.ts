/** Asserts that a promise rejects with an InputFileError whose message matches. */
import { expect } from 'vitest';
import { InputFileError } from '../../src/index.ts';

export async function expectInputFileError(p: Promise<unknown>, re: RegExp): Promise<void> {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(InputFileError);
  expect((e as Error).message).toMatch(re);
}
