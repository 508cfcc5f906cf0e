/**
 * Reads a file named by `members_from:` for the policy loader. The loader stays pure: the CLI
 * passes a reader that resolves `path` against the policy file's directory and reads it. `file`
 * is the name diagnostics give the file (the resolved path).
 */
export type ReadMemberFile = (path: string) => { file: string; text: string } | { error: string };

/** One member line of a members file: the text as written, and where it starts (1-based). */
export interface MemberLine {
  text: string;
  line: number;
  column: number;
}

/**
 * The members of a members file: one per line; `#` starts a comment (to the end of the line);
 * blank lines and surrounding spaces are ignored. FireHOL's `.netset`/`.ipset` lists are this.
 */
export function memberLines(text: string): MemberLine[] {
  const out: MemberLine[] = [];
  forEachMemberLine(text, (a, b, line, lineStart) => {
    out.push({ text: text.slice(a, b), line, column: a - lineStart + 1 });
    return true;
  });
  return out;
}

/**
 * Calls `visit` with each member's place in `text` (from `a` to `b`, on 1-based `line`, which
 * starts at `lineStart`), as {@link memberLines} finds them, without making strings; stops when
 * `visit` returns false. Returns whether it went through every line.
 */
export function forEachMemberLine(
  text: string,
  visit: (a: number, b: number, line: number, lineStart: number) => boolean,
): boolean {
  let line = 0;
  let start = 0;
  const n = text.length;
  // The next `#` at or after `start`, found once for many lines (searching from every line start
  // would scan a comment-free file again for each line).
  let hash = -1;
  while (start <= n) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    line++;
    let a = start;
    let b = end;
    if (hash < start && hash !== n) {
      hash = text.indexOf('#', start);
      if (hash < 0) hash = n;
    }
    if (hash < b) b = hash;
    while (a < b && isSpace(text.charCodeAt(a))) a++;
    while (b > a && isSpace(text.charCodeAt(b - 1))) b--;
    if (b > a && !visit(a, b, line, start)) return false;
    start = end + 1;
  }
  return true;
}

/** Space, tab, carriage return (a file written on Windows), form feed, vertical tab. */
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 12 || c === 11;
}
