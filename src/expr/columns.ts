/** Names of the input columns a typed expression reads, in first-use order. */
import type { TExpr } from './resolve.ts';

export function columnsOfTyped(e: TExpr, out: string[] = []): string[] {
  switch (e.kind) {
    case 'col': if (!out.includes(e.name)) out.push(e.name); break;
    case 'lit': break;
    case 'not': case 'isNull': case 'strMatch': columnsOfTyped(e.arg, out); break;
    case 'in': columnsOfTyped(e.arg, out); break;
    default: columnsOfTyped(e.left, out); columnsOfTyped(e.right, out);
  }
  return out;
}
