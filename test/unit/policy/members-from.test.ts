import { describe, expect, it } from 'vitest';
import { loadPolicy, type ReadMemberFile } from '../../../src/policy/index.js';
import { memberLines } from '../../../src/policy/member-files.js';
import { brief, FILE, yaml } from './helpers.js';

/** A reader over an in-memory directory, resolving names as the CLI does (beside the policy). */
function files(contents: Record<string, string>): ReadMemberFile {
  return (path) =>
    path in contents ? { file: `lists/${path}`, text: contents[path]! } : { error: `lists/${path}: ENOENT` };
}

const policy = (from: string, extra: string[] = []) =>
  yaml('dockwall: 1', 'ipsets:', '  blocklist:', '    type: hash:net', ...extra, `    members_from: ${from}`);

describe('members_from: a file of set members', () => {
  it('reads a FireHOL netset as it is: comments, blank lines, addresses and networks', () => {
    const netset = [
      '#',
      '# firehol_level1',
      '# Maintainer      : FireHOL',
      '#',
      '',
      '1.10.16.0/20',
      '  5.6.7.8   # trailing comment',
      '192.168.0.0/16\r',
      '\t10.1.0.0/16',
    ].join('\n');
    const r = loadPolicy(policy('level1.netset'), FILE, {
      readMemberFile: files({ 'level1.netset': netset }),
    });
    expect(r.diagnostics).toEqual([]);
    expect(r.value!.ipsets[0]!.members).toEqual(['1.10.16.0/20', '5.6.7.8', '192.168.0.0/16', '10.1.0.0/16']);
  });

  it('joins the listed members, in canonical spelling, without duplicates', () => {
    const r = loadPolicy(policy('more.ipset', ['    members: [10.0.0.0/8]']), FILE, {
      readMemberFile: files({ 'more.ipset': '10.0.0.0/8\n172.16.0.1/32\n' }),
    });
    expect(r.value!.ipsets[0]!.members).toEqual(['10.0.0.0/8', '172.16.0.1']);
    expect(r.diagnostics.map(brief)).toEqual([
      {
        severity: 'warning',
        code: 'policy.duplicate-member',
        message: '`10.0.0.0/8` is already a member of set `blocklist`',
        line: 1,
        column: 1,
      },
    ]);
    expect(r.diagnostics[0]!.pos?.file).toBe('lists/more.ipset');
  });

  it('a bad line is an error naming that file, line and column, and nothing loads', () => {
    const r = loadPolicy(policy('bad.netset'), FILE, {
      readMemberFile: files({ 'bad.netset': '# list\n1.2.3.4\n\n   10.0.0.0/33  # typo\n' }),
    });
    expect(r.value).toBeUndefined();
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({
      severity: 'error',
      code: 'policy.bad-member',
      message: '`10.0.0.0/33` is not an IPv4 address, network or range',
      pos: { file: 'lists/bad.netset', line: 4, column: 4 },
      length: 11,
    });
  });

  it('a file that cannot be read is an error at members_from', () => {
    const r = loadPolicy(policy('missing.netset'), FILE, { readMemberFile: files({}) });
    expect(r.value).toBeUndefined();
    expect(r.diagnostics.map(brief)).toEqual([
      {
        severity: 'error',
        code: 'policy.members-from',
        message: 'cannot read the members file `missing.netset`: lists/missing.netset: ENOENT',
        line: 5,
        column: 19,
      },
    ]);
  });

  it('without a file reader (a policy not read from a file), members_from is an error', () => {
    const r = loadPolicy(policy('x.netset'), FILE);
    expect(r.value).toBeUndefined();
    expect(r.diagnostics[0]!.code).toBe('policy.members-from');
  });

  it('an empty members_from is a schema error', () => {
    const r = loadPolicy(policy("''"), FILE, { readMemberFile: files({}) });
    expect(r.value).toBeUndefined();
    expect(r.diagnostics[0]!.message).toContain('must name a file');
  });
});

describe('memberLines', () => {
  it('finds each member with its 1-based line and column, in linear time over long files', () => {
    expect(memberLines('a\n  # c\n\n b # x\nc#\n#d\n  e  ')).toEqual([
      { text: 'a', line: 1, column: 1 },
      { text: 'b', line: 4, column: 2 },
      { text: 'c', line: 5, column: 1 },
      { text: 'e', line: 7, column: 3 },
    ]);
    const long = Array.from({ length: 100_000 }, (_, i) => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`).join(
      '\n',
    );
    expect(memberLines(long)).toHaveLength(100_000);
  });
});
