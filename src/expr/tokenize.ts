/** The tokenizer of the expression language that parse.ts reads (--where, --agg, --order-by). */
import { ExprSyntaxError } from '../errors.ts';

export type TokenKind = 'ident' | 'qident' | 'number' | 'string' | 'op' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** 0-based offset of the token's first character in the text. */
  readonly pos: number;
  /** The source text of the token (empty at the end of input). */
  readonly raw: string;
  /** Names unescaped; numbers as number, or bigint where an integer is beyond exact doubles. */
  readonly value: string | number | bigint;
}

const OPS = ['<=', '>=', '<>', '!=', '==', '(', ')', ',', '+', '-', '*', '/', '=', '<', '>'];
const IDENT = /[\p{L}_$][\p{L}\p{N}_$]*/uy;
const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const IDENT_CHAR = /[\p{L}\p{N}_$.]/u;

/** How a token is named in "found ..." of a syntax error. */
export function describeToken(t: Token): string {
  if (t.kind === 'eof') return 'end of input';
  return t.kind === 'string' ? `string ${t.raw}` : `'${t.raw}'`;
}

export function tokenize(text: string, what: string): Token[] {
  const out: Token[] = [];
  const fail: (pos: number, expected: string, found: string) => never = (pos, expected, found) => {
    throw new ExprSyntaxError(what, text, pos + 1, expected, found);
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) { i++; continue; }
    const start = i;
    if (c === "'" || c === '"') {
      // SQL escapes a quote inside quotes by doubling it.
      let value = '';
      for (i++; ; i++) {
        if (i >= text.length) {
          fail(start, c === "'" ? "a closing ' to end the string that starts here" : 'a closing " to end the quoted name that starts here', 'end of input');
        }
        if (text[i] !== c) { value += text[i]; continue; }
        if (text[i + 1] === c) { value += c; i++; continue; }
        i++;
        break;
      }
      out.push({ kind: c === "'" ? 'string' : 'qident', pos: start, raw: text.slice(start, i), value });
      continue;
    }
    NUMBER.lastIndex = i;
    const num = NUMBER.exec(text);
    if (num) {
      i += num[0].length;
      // `1e`, `2x`, `1.2.3`: a number run into a name is a typo, not two tokens.
      if (i < text.length && IDENT_CHAR.test(text[i]!)) fail(start, 'a number', `'${text.slice(start, i + 1)}'`);
      const n = Number(num[0]);
      const value = /^\d+$/.test(num[0]) && !Number.isSafeInteger(n) ? BigInt(num[0]) : n;
      out.push({ kind: 'number', pos: start, raw: num[0], value });
      continue;
    }
    IDENT.lastIndex = i;
    const id = IDENT.exec(text);
    if (id) {
      i += id[0].length;
      out.push({ kind: 'ident', pos: start, raw: id[0], value: id[0] });
      continue;
    }
    const op = OPS.find((o) => text.startsWith(o, i));
    if (!op) fail(start, 'a name, a value or an operator', `unknown character '${String.fromCodePoint(text.codePointAt(i)!)}'`);
    i += op.length;
    out.push({ kind: 'op', pos: start, raw: op, value: op });
  }
  out.push({ kind: 'eof', pos: text.length, raw: '', value: '' });
  return out;
}
