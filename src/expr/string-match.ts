/**
 * String predicates: startsWith, endsWith, contains and SQL LIKE. Kernels never run them per row:
 * each distinct string of a task is matched once (StringIds.matchTable) and rows look the answer
 * up by their string id.
 */
export type StrMatchOp = 'startsWith' | 'endsWith' | 'contains' | 'like';

/**
 * SQL LIKE as an anchored regular expression: `%` is any run of characters, `_` exactly one
 * (a code point, as DuckDB counts characters), everything else itself; case-sensitive, no escape.
 */
function likeRegExp(pattern: string): RegExp {
  let re = '';
  for (const ch of pattern) {
    if (ch === '%') re += '[\\s\\S]*';
    else if (ch === '_') re += '[\\s\\S]';
    // Only syntax characters (and /) may be escaped in a unicode-mode pattern: `\-` is an error there.
    else re += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'u');
}

/** The predicate as a function of one string. */
export function stringMatcher(op: StrMatchOp, pattern: string): (s: string) => boolean {
  switch (op) {
    case 'startsWith': return (s) => s.startsWith(pattern);
    case 'endsWith': return (s) => s.endsWith(pattern);
    case 'contains': return (s) => s.includes(pattern);
    case 'like': {
      const re = likeRegExp(pattern);
      return (s) => re.test(s);
    }
  }
}
