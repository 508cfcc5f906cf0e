/** System error codes in words, as `ls` and `cat` print them (`ENOENT` → "no such file or directory"). */
const WORDS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EEXIST: 'already exists',
  ENOTEMPTY: 'directory not empty',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
  EBUSY: 'device or resource busy',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  EPIPE: 'broken pipe',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available',
  ENOTFOUND: 'name not found',
  EAI_AGAIN: 'name lookup failed (temporary)',
  ENOTSOCK: 'not a socket',
};

/** The words for a system error code, or the code itself when it has none here. */
export function errnoWords(code: string): string {
  return WORDS[code] ?? code;
}

/** A failure in words: the system error's words when it has a code, otherwise its message. */
export function errorWords(e: unknown): string {
  const code = (e as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && WORDS[code]) return WORDS[code];
  if (e instanceof Error) return e.message;
  return String(e);
}
