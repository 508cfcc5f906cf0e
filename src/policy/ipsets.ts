import type { IpSet, IpSetFamily } from '../model/ipset.js';
import type { Family } from '../model/ruleset.js';
import {
  canonicalMember,
  hostlessKey,
  isPlainIPv4,
  joinMember,
  plainIPv4Key,
  rememberMemberKeys,
  rememberSortedMemberKeys,
  splitMember,
} from '../parse/index.js';
import type { BuildContext } from './context.js';
import { forEachMemberLine, memberLines } from './member-files.js';
import type { NativeIpsetInput } from './schema.js';
import { memberOptionProblem, memberProblem } from './set-members.js';
import type { Path, Span } from './yaml-source.js';

/** Types whose members carry no address family: ipset prints no `family` for them. */
const FAMILYLESS = new Set(['list:set', 'bitmap:port', 'hash:mac', 'bitmap:ip', 'bitmap:ip,mac']);
/** Types that only hold IPv4 addresses. */
const IPV4_ONLY = new Set(['bitmap:ip', 'bitmap:ip,mac']);
/** Creation options that are flags (no value). */
const FLAG_OPTIONS = new Set(['counters', 'comment', 'skbinfo', 'forceadd']);

const toFamily = (f: IpSetFamily): Family => (f === 'inet6' ? 'ipv6' : 'ipv4');

/** Builds a set of the native format; `path` is `['ipsets', NAME]`. */
export function nativeIpset(
  ctx: BuildContext,
  name: string,
  input: NativeIpsetInput,
  path: Path,
): IpSet | undefined {
  // Members are read in the set's family: with a `family` the schema refused, they are not judged.
  if (ctx.dropped.has([...path, 'family'])) return undefined;
  let family: IpSetFamily | undefined;
  if (
    input.family !== undefined &&
    FAMILYLESS.has(input.type) &&
    !(IPV4_ONLY.has(input.type) && input.family === 'inet')
  ) {
    ctx.error(
      'policy.set-family',
      IPV4_ONLY.has(input.type)
        ? `a ${input.type} set holds only IPv4 addresses: it cannot be \`family: ${input.family}\``
        : `a ${input.type} set has no address family: remove \`family\``,
      ctx.keyAt([...path, 'family']),
    );
  } else if (!FAMILYLESS.has(input.type)) {
    family = input.family ?? 'inet';
  }

  const options: Array<[string, string | true]> = [];
  for (const [key, value] of Object.entries(input.options ?? {})) {
    if (value === false || value === undefined) continue;
    options.push([key, value === true ? true : String(value)]);
  }
  if (input.type.startsWith('bitmap:') && !options.some(([k]) => k === 'range')) {
    ctx.error(
      'policy.set-needs-range',
      `a ${input.type} set needs \`options.range\` (e.g. \`${input.type === 'bitmap:port' ? '1-1024' : '192.168.0.0/24'}\`)`,
      ctx.keyAt(path),
    );
  }

  const listed = input.members ?? [];
  const seen = new Set<string>();
  const members = readMembers(ctx, name, input.type, family, options, listed, seen, (i) =>
    ctx.at([...path, 'members', i]),
  );
  const fromFile =
    input.members_from !== undefined
      ? membersFromFile(ctx, name, input, family, options, seen, [...path, 'members_from'])
      : [];
  // Not a spread: 100,000 members would overflow a call's arguments; and a file's list is kept as
  // it is (with the keys its reading recorded) when nothing is listed before it.
  const all = members.length === 0 ? fromFile : members.concat(fromFile);
  const set: IpSet = { name, type: input.type, options, members: all, pos: ctx.posOfKey(path) };
  if (family) set.family = family;
  return set;
}

/** The members of the file `members_from:` names, each checked as a listed member is. */
function membersFromFile(
  ctx: BuildContext,
  name: string,
  input: NativeIpsetInput,
  family: IpSetFamily | undefined,
  options: ReadonlyArray<readonly [string, string | true]>,
  seen: Set<string>,
  path: Path,
): string[] {
  const from = input.members_from!;
  const read = ctx.readMemberFile?.(from) ?? { error: 'files are not read here' };
  if ('error' in read) {
    ctx.error('policy.members-from', `cannot read the members file \`${from}\`: ${read.error}`, ctx.at(path));
    return [];
  }
  // A blocklist: every line a plain IPv4 member of an IPv4 hash:ip or hash:net set, none twice.
  if (family === 'inet' && (input.type === 'hash:net' || input.type === 'hash:ip') && seen.size === 0) {
    const plain = plainMemberFile(read.text);
    if (plain) return plain;
  }
  const lines = memberLines(read.text);
  return readMembers(
    ctx,
    name,
    input.type,
    family,
    options,
    lines.map((l) => l.text),
    seen,
    (i) => {
      const l = lines[i]!;
      return { pos: { file: read.file, line: l.line, column: l.column }, length: l.text.length };
    },
  );
}

/**
 * The members of a file whose every member is a plain IPv4 address or network and none is there
 * twice, in one pass without strings for lines or a Set of members: what {@link readMembers} makes
 * of such a file (the members as they are, a `/32` dropped; no diagnostics). Undefined for any other
 * file, which goes the general way.
 */
function plainMemberFile(text: string): string[] | undefined {
  const members: string[] = [];
  let keys = new Float64Array(1024);
  const all = forEachMemberLine(text, (a, b) => {
    const key = plainIPv4Key(text, a, b);
    if (key < 0) return false;
    if (members.length === keys.length) {
      const more = new Float64Array(keys.length * 2);
      more.set(keys);
      keys = more;
    }
    keys[members.length] = hostlessKey(key);
    members.push(text.slice(a, key % 64 === 32 ? b - 3 : b));
    return true;
  });
  if (!all) return undefined;
  const sorted = keys.slice(0, members.length).sort();
  for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) return undefined;
  rememberMemberKeys(members, keys.subarray(0, members.length));
  rememberSortedMemberKeys(members, sorted);
  return members;
}

export interface PyfwIpsetInput {
  type: string;
  header?: string | null;
  members_equal: Array<string | number> | null;
}

/** Builds a set of pyfw's format; `path` is `['pyfw_wishes', 'ipsets', NAME]`. */
export function pyfwIpset(ctx: BuildContext, name: string, input: PyfwIpsetInput, path: Path): IpSet {
  const options: Array<[string, string | true]> = [];
  let family: IpSetFamily | undefined;
  const words = (input.header ?? '')
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '');
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (FLAG_OPTIONS.has(word)) {
      options.push([word, true]);
      continue;
    }
    const value = words[i + 1];
    if (value === undefined) {
      ctx.error(
        'policy.set-header',
        `\`${word}\` in the set's header needs a value`,
        ctx.at([...path, 'header']),
      );
      break;
    }
    i++;
    if (word === 'family') {
      if (value === 'inet' || value === 'inet6') family = value;
      else
        ctx.error(
          'policy.set-header',
          `\`family ${value}\`: the family is inet or inet6`,
          ctx.at([...path, 'header']),
        );
    } else {
      options.push([word, value]);
    }
  }
  if (!family && !FAMILYLESS.has(input.type)) family = 'inet';
  const members = readMembers(
    ctx,
    name,
    input.type,
    family,
    options,
    input.members_equal ?? [],
    new Set(),
    (i) => ctx.at([...path, 'members_equal', i]),
  );
  const set: IpSet = { name, type: input.type, options, members, pos: ctx.posOfKey(path) };
  if (family) set.family = family;
  return set;
}

function readMembers(
  ctx: BuildContext,
  setName: string,
  type: string,
  family: IpSetFamily | undefined,
  setOptions: ReadonlyArray<readonly [string, string | true]>,
  raw: ReadonlyArray<string | number>,
  seen: Set<string>,
  at: (i: number) => Span,
): string[] {
  const members: string[] = [];
  // Most members of large sets (blocklists) are one IPv4 address or network in an IPv4 hash:ip or
  // hash:net set: such a member has no options, holds no problem, and is read in one pass.
  const plainIPv4 = family === 'inet' && (type === 'hash:net' || type === 'hash:ip');
  for (let i = 0; i < raw.length; i++) {
    const value = raw[i]!;
    if (plainIPv4 && typeof value === 'string' && isPlainIPv4(value)) {
      const canonical = canonicalMember(type, value, 'ipv4');
      if (seen.has(canonical)) duplicate(value, i);
      else {
        seen.add(canonical);
        members.push(canonical);
      }
      continue;
    }
    const text = String(value).trim();
    const split = splitMember(text);
    const problem =
      split.problem?.message ??
      memberProblem(setName, type, toFamily(family ?? 'inet'), split.value!.element) ??
      memberOptionProblem(type, setOptions, split.value!);
    if (problem !== undefined) {
      ctx.error('policy.bad-member', problem, at(i));
      continue;
    }
    const canonical = canonicalMember(type, split.value!.element, toFamily(family ?? 'inet'));
    // One element is one member, whatever its options: ipset keeps only one of them.
    if (seen.has(canonical)) {
      duplicate(text, i);
      continue;
    }
    seen.add(canonical);
    members.push(joinMember(canonical, split.value!.options));
  }
  return members;

  function duplicate(text: string, i: number): void {
    ctx.warn('policy.duplicate-member', `\`${text}\` is already a member of set \`${setName}\``, at(i));
  }
}
