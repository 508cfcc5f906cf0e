import {
  diag,
  type Diagnostic,
  type Family,
  type IpSet,
  type IpSetFamily,
  type IpSetState,
  type Result,
} from '../model/index.js';
import { addressFamily, canonicalAddress, canonicalNetwork, isPlainIPv4 } from './address.js';
import { parsePort } from './names.js';
import { formatToken } from './quote.js';
import { tokenizeLine } from './tokenize.js';
import { hostlessKey, plainIPv4Key, rememberMemberKeys } from './ipv4-key.js';
import { joinMember, rawComments, readMemberOptions, splitMember } from './ipset-member.js';

/**
 * `ipset save` output: `create NAME TYPE [options]` and `add NAME MEMBER [options]` lines. Members
 * are kept in canonical spelling with the options that belong to them (`nomatch`, `comment`, skb
 * values); a member's remaining timeout and its counters change by themselves and are not kept.
 */

/** Characters the lexer treats specially (quotes, backslash, blanks other than a space). */
const NOT_PLAIN = /["'\\\t\v\f]/;

/** Creation options that take no value. */
const FLAGS = new Set(['counters', 'comment', 'skbinfo', 'forceadd']);

export interface IpsetParseOptions {
  file: string;
  /** Every line through the lexer and the general member path (tests compare the fast paths to it). */
  generalOnly?: boolean;
}

/** A set whose plain IPv4 members are already in ipset's spelling as they are (see canonicalMember). */
function isPlainIPv4Set(set: IpSet): boolean {
  return (set.type === 'hash:net' || set.type === 'hash:ip') && familyOf(set.family) === 'ipv4';
}

function hostless(net: string, family: Family): string {
  const full = family === 'ipv4' ? '/32' : '/128';
  return net.endsWith(full) ? net.slice(0, -full.length) : net;
}

function canonicalComponent(kind: string, text: string, family: Family, hasPort: boolean): string {
  switch (kind) {
    case 'ip':
    case 'net': {
      if (family === 'ipv4' && isPlainIPv4(text)) return hostless(text, family);
      if (text.includes('-')) {
        const [a, b] = text.split('-') as [string, string];
        const ca = canonicalAddress(a, family);
        const cb = canonicalAddress(b, family);
        return ca && cb ? `${ca}-${cb}` : text;
      }
      if (!text.includes('/')) return canonicalAddress(text, family) ?? text;
      const net = canonicalNetwork(text, family);
      return net ? hostless(net.text, family) : text;
    }
    case 'port': {
      const colon = text.indexOf(':');
      const proto = colon < 0 ? (hasPort ? 'tcp' : undefined) : text.slice(0, colon).toLowerCase();
      const port = colon < 0 ? text : text.slice(colon + 1);
      if (proto === 'icmp' || proto === 'icmpv6') return `${proto}:${port}`;
      const p = parsePort(port, proto === 'udp' || proto === 'sctp' ? proto : 'tcp');
      const num = p === null ? port : String(p);
      return proto === undefined ? num : `${proto}:${num}`;
    }
    default:
      return text;
  }
}

/**
 * A member in the spelling `ipset save` prints: addresses compressed, host masks dropped, networks
 * with host bits cleared, ports as `proto:number` in `…,port` types. Unknown forms are kept.
 */
export function canonicalMember(type: string, member: string, family: Family): string {
  // Most members of large sets: one IPv4 address or network, already as ipset prints it.
  if (family === 'ipv4' && (type === 'hash:net' || type === 'hash:ip') && isPlainIPv4(member))
    return hostless(member, family);
  const colon = type.indexOf(':');
  const kinds = (colon < 0 ? type : type.slice(colon + 1)).split(',');
  const method = colon < 0 ? '' : type.slice(0, colon);
  if (kinds[0] === 'set') return member;
  const parts = member.split(',');
  if (parts.length !== kinds.length) return member;
  const fam = family === 'ipv4' && addressFamily(parts[0]!) === 'ipv6' ? 'ipv6' : family;
  return parts.map((p, i) => canonicalComponent(kinds[i]!, p, fam, method === 'hash')).join(',');
}

function familyOf(f: IpSetFamily | undefined): Family {
  return f === 'inet6' ? 'ipv6' : 'ipv4';
}

export function parseIpsetSave(text: string, opts: IpsetParseOptions): Result<IpSetState> {
  const diagnostics: Diagnostic[] = [];
  const sets: IpSet[] = [];
  const byName = new Map<string, IpSet>();
  const withMemberOptions = new Set<string>();
  const error = (line: number, column: number, message: string, code = 'parse.ipset-line', length = 1) =>
    diagnostics.push(diag('error', code, message, { file: opts.file, line, column }, { length }));
  /** Each set's member keys (see ipv4-key.ts), in the members' order: the fast path has them anyway. */
  const keys = new Map<IpSet, number[]>();
  const addMember = (set: IpSet, member: string, key = plainIPv4Key(member)) => {
    set.members.push(member);
    keys.get(set)!.push(key);
  };
  /** The set the last `add` line read the fast way went to, and its `add NAME ` prefix. */
  let fastSet: IpSet | undefined;
  let fastKeys: number[] = [];
  let fastPrefix = '';
  const n = text.length;
  let lineNo = 0;
  for (let start = 0; start <= n;) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    const from = start;
    start = end + 1;
    lineNo++;
    // The line a large set is made of, `add NAME A.B.C.D[/P]` of a hash:ip or hash:net set of IPv4,
    // already in ipset's spelling (what `ipset save` prints), is taken from the text as it is: no
    // line, lexer or canonical spelling is made for it.
    if (fastSet && !opts.generalOnly && text.startsWith(fastPrefix, from)) {
      const key = plainIPv4Key(text, from + fastPrefix.length, end);
      if (key >= 0) {
        fastSet.members.push(text.slice(from + fastPrefix.length, key % 64 === 32 ? end - 3 : end));
        fastKeys.push(hostlessKey(key));
        continue;
      }
    }
    let line = text.slice(from, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim() === '' || line.startsWith('#')) continue;
    if (line.includes('\0')) {
      error(
        lineNo,
        line.indexOf('\0') + 1,
        'NUL character in the line: expected text',
        'parse.control-character',
      );
      continue;
    }
    // The line a large set is made of, `add NAME MEMBER` in plain words, is read without the
    // lexer: a word without blanks, quotes or backslashes is that same word to it.
    if (line.startsWith('add ') && !opts.generalOnly) {
      const sp = line.indexOf(' ', 4);
      const set = sp > 4 ? byName.get(line.slice(4, sp)) : undefined;
      if (set && sp + 1 < line.length && line.indexOf(' ', sp + 1) < 0 && !NOT_PLAIN.test(line)) {
        addMember(set, canonicalMember(set.type, line.slice(sp + 1), familyOf(set.family)));
        if (isPlainIPv4Set(set)) {
          fastSet = set;
          fastKeys = keys.get(set)!;
          fastPrefix = line.slice(0, sp + 1);
        }
        continue;
      }
    }
    const lexed = tokenizeLine(line, { file: opts.file, line: lineNo });
    if (lexed.error) {
      diagnostics.push(lexed.error);
      continue;
    }
    const [cmd, name, third, ...rest] = lexed.tokens;
    if (!cmd) continue;
    if (cmd.text === 'create') {
      if (!name || !third) {
        error(lineNo, cmd.column, 'create expects a set name and a type: "create NAME hash:ip [options]"');
        continue;
      }
      if (byName.has(name.text)) {
        error(
          lineNo,
          name.column,
          `set ${name.text} is created twice`,
          'parse.duplicate-set',
          name.text.length,
        );
        continue;
      }
      const set: IpSet = {
        name: name.text,
        type: third.text,
        options: [],
        members: [],
        pos: { file: opts.file, line: lineNo, column: 1 },
      };
      let ok = true;
      for (let k = 0; k < rest.length; k++) {
        const key = rest[k]!;
        if (FLAGS.has(key.text)) {
          set.options.push([key.text, true]);
          continue;
        }
        const value = rest[k + 1];
        if (!value) {
          error(
            lineNo,
            key.column,
            `option ${key.text} expects a value, but the line ends here`,
            'parse.missing-argument',
            key.text.length,
          );
          ok = false;
          break;
        }
        k++;
        if (key.text === 'family') {
          if (value.text !== 'inet' && value.text !== 'inet6') {
            error(
              lineNo,
              value.column,
              `bad family "${value.text}": expected inet or inet6`,
              'parse.ipset-line',
              value.text.length,
            );
            ok = false;
            break;
          }
          set.family = value.text;
        } else {
          set.options.push([key.text, value.text]);
        }
      }
      if (!ok) continue;
      sets.push(set);
      byName.set(set.name, set);
      keys.set(set, []);
      continue;
    }
    if (cmd.text === 'add') {
      if (!name || !third) {
        error(lineNo, cmd.column, 'add expects a set name and a member: "add NAME MEMBER"');
        continue;
      }
      const set = byName.get(name.text);
      if (!set) {
        error(
          lineNo,
          name.column,
          `add to set ${name.text}, which is not created before: expected "create ${name.text} …" first`,
          'parse.unknown-set',
          name.text.length,
        );
        continue;
      }
      const read = readMemberOptions(third.text, line.includes('\\') ? rawComments(line, rest) : rest);
      if (!read.value) {
        error(
          lineNo,
          read.problem!.offset + 1,
          read.problem!.message,
          'parse.ipset-member',
          read.problem!.length,
        );
        continue;
      }
      const element = canonicalMember(set.type, third.text, familyOf(set.family));
      addMember(set, joinMember(element, read.value.options));
      if (read.value.dynamic) withMemberOptions.add(set.name);
      continue;
    }
    error(
      lineNo,
      cmd.column,
      `unexpected "${cmd.text}": expected "create" or "add"`,
      'parse.ipset-line',
      cmd.text.length,
    );
  }
  for (const name of withMemberOptions) {
    const set = byName.get(name)!;
    diagnostics.push(
      diag(
        'info',
        'parse.ipset-member-options',
        `set ${name}: the members' remaining timeouts and counters are not kept`,
        set.pos,
      ),
    );
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  for (const set of sets) rememberMemberKeys(set.members, keys.get(set)!);
  return { value: { sets }, diagnostics };
}

function word(text: string): string {
  return formatToken({ text, quoted: false });
}

/** The sets in `ipset save` format (`ipset restore` reads it back). */
export function printIpsetSave(state: IpSetState): string {
  const out: string[] = [];
  for (const s of state.sets) {
    let line = `create ${word(s.name)} ${word(s.type)}`;
    if (s.family) line += ` family ${s.family}`;
    for (const [k, v] of s.options) line += v === true ? ` ${word(k)}` : ` ${word(k)} ${word(v)}`;
    out.push(line);
    for (const m of s.members) {
      const { element, options } = splitMember(m).value ?? { element: m, options: [] };
      out.push(`add ${word(s.name)} ${joinMember(word(element), options)}`);
    }
  }
  return out.length > 0 ? out.join('\n') + '\n' : '';
}
