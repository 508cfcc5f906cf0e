import type { RuleOption } from '../model/index.js';

/** The words of iptables' rule syntax outside modules: generic options and commands. */

// Maps, not object literals: lookups with many different keys stay fast and never reach
// Object.prototype.

/** Where a generic option goes in iptables-save order (-s -d -i -o -p -f). */
export function genericRank(name: string): number {
  switch (name) {
    case '-s':
      return 0;
    case '-d':
      return 1;
    case '-i':
      return 2;
    case '-o':
      return 3;
    case '-p':
      return 4;
    case '-f':
      return 5;
    default:
      return 9;
  }
}

const GENERIC_LONG_ENTRIES: Record<string, string> = {
  '--source': '-s',
  '--src': '-s',
  '--destination': '-d',
  '--dst': '-d',
  '--in-interface': '-i',
  '--out-interface': '-o',
  '--protocol': '-p',
  '--fragment': '-f',
  '--match': '-m',
  '--jump': '-j',
  '--goto': '-g',
  '--set-counters': '-c',
};
export const GENERIC_LONG: ReadonlyMap<string, string> = new Map(Object.entries(GENERIC_LONG_ENTRIES));
export const GENERIC_LONG_NAMES = Object.keys(GENERIC_LONG_ENTRIES);
export const GENERIC_SHORT = new Set(['-s', '-d', '-i', '-o', '-p', '-f', '-m', '-j', '-g', '-c']);

export const COMMANDS: ReadonlyMap<string, string> = new Map(
  Object.entries({
    '-A': 'append',
    '-I': 'insert',
    '-D': 'delete',
    '-R': 'replace',
    '-N': 'new-chain',
    '-X': 'delete-chain',
    '-P': 'policy',
    '-F': 'flush',
    '-Z': 'zero',
    '-E': 'rename-chain',
    '-L': 'list',
    '-S': 'list-rules',
    '-C': 'check',
    '-t': 'table',
  }),
);
export const LONG_COMMANDS = new Set([
  '--append',
  '--insert',
  '--delete',
  '--replace',
  '--new-chain',
  '--delete-chain',
  '--policy',
  '--flush',
  '--zero',
  '--rename-chain',
  '--list',
  '--list-rules',
  '--check',
  '--table',
]);

export const GENERIC_EXPECTS: ReadonlyMap<string, string> = new Map(
  Object.entries({
    '-s': 'a source address or network',
    '-d': 'a destination address or network',
    '-i': 'an input interface name',
    '-o': 'an output interface name',
    '-p': 'a protocol (tcp, udp, icmp, a number)',
    '-m': 'a match module name',
    '-j': 'a target or chain name',
    '-g': 'a chain name',
  }),
);

export function inGenericOrder(options: readonly RuleOption[]): boolean {
  for (let k = 1; k < options.length; k++) {
    if (genericRank(options[k - 1]!.name) > genericRank(options[k]!.name)) return false;
  }
  return true;
}

export function byGenericOrder(a: RuleOption, b: RuleOption): number {
  return genericRank(a.name) - genericRank(b.name);
}
