import { describe, expect, it } from 'vitest';
import { readOtherSets } from '../../../src/cli/proof-inputs.js';
import type { Runner } from '../../../src/host/runner.js';
import type { IpSet } from '../../../src/model/index.js';

/** A host with three sets; records every command it runs. */
function host(ran: string[]): Runner {
  const save: Record<string, string> = {
    block: 'create block hash:net family inet\nadd block 10.0.0.0/8\n',
    other: 'create other hash:ip family inet\nadd other 198.51.100.1\n',
    small: 'create small hash:ip family inet\nadd small 192.0.2.7\n',
  };
  return {
    wrap: [],
    run: async (argv) => {
      ran.push(argv.join(' '));
      if (argv.join(' ') === 'ipset list -n')
        return { code: 0, stdout: 'other\nblock\nsmall\n', stderr: '', durationMs: 1 };
      const text = argv[1] === 'save' ? save[argv[2]!] : undefined;
      return text
        ? { code: 0, stdout: text, stderr: '', durationMs: 1 }
        : { code: 1, stdout: '', stderr: 'The set with the given name does not exist', durationMs: 1 };
    },
  };
}

describe('the reachability read of every set, given the sets the plan read', () => {
  it('takes those as they are, reads only the others, in the kernel order', async () => {
    const ran: string[] = [];
    // As the plan read it (a member the kernel no longer has would show that it was not read again).
    const block: IpSet = {
      name: 'block',
      type: 'hash:net',
      family: 'inet',
      options: [],
      members: ['10.9.0.0/16'],
    };
    const got = await readOtherSets(host(ran), { sets: [block] });
    expect(ran.sort()).toEqual(['ipset list -n', 'ipset save other', 'ipset save small']);
    expect(got.value!.sets.map((s) => s.name)).toEqual(['other', 'block', 'small']);
    expect(got.value!.sets[1]).toBe(block);
    expect(got.value!.sets[0]!.members).toEqual(['198.51.100.1']);
  });

  it('a set the plan read that is gone from the kernel is left out', async () => {
    const gone: IpSet = {
      name: 'gone',
      type: 'hash:ip',
      family: 'inet',
      options: [],
      members: ['192.0.2.1'],
    };
    const got = await readOtherSets(host([]), { sets: [gone] });
    expect(got.value!.sets.map((s) => s.name)).toEqual(['other', 'block', 'small']);
  });
});
