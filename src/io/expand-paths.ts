/**
 * The files a readParquet / readArrow call names: plain paths, directories (every file in them with
 * the format's extension, recursively) and globs, each sorted, in the order given.
 */
import { statSync } from 'node:fs';
import { isDynamicPattern, globSync } from 'tinyglobby';
import { InputFileError, InvalidOptionError } from '../errors.ts';
import { describeValue } from '../option-checks.ts';

export function expandPaths(what: string, input: unknown, extensions: readonly string[]): string[] {
  const list = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(list) || list.length === 0 || !list.every((p) => typeof p === 'string' && p !== '')) {
    throw new InvalidOptionError(`${what} takes a path, a glob or a non-empty array of them, got ${describeValue(input)}`);
  }
  const out: string[] = [];
  for (const p of list as string[]) {
    if (isDynamicPattern(p)) {
      const found = globSync(p, { absolute: true, onlyFiles: true, expandDirectories: false }).sort();
      if (!found.length) throw new InputFileError(p, 'matches no file (an empty glob)');
      out.push(...found);
      continue;
    }
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new InputFileError(p, code === 'ENOENT' ? 'does not exist' : `cannot be read: ${(e as Error).message}`);
    }
    if (!isDir) { out.push(p); continue; }
    const pattern = `**/*{${extensions.join(',')}}`;
    const found = globSync(pattern, { cwd: p, absolute: true, onlyFiles: true }).sort();
    if (!found.length) throw new InputFileError(p, `is a directory with no ${extensions.join(' / ')} file`);
    out.push(...found);
  }
  return [...new Set(out)];
}
