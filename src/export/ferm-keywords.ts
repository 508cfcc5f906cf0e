/**
 * The match and target options ferm (2.5) knows, transcribed from its module definitions. Each option
 * is `NAME` followed by its argument shape:
 *   `0`  no argument;  `1` one value (default);  `c` a comma list (written as a ferm array);
 *   `sc` a value then a comma list;  `cc` two comma lists.
 * `!` marks an option ferm lets negate. ferm prints each option back as `--NAME`, so an option's
 * name is also iptables' spelling.
 */
export type ArgShape = '0' | '1' | 'c' | 'sc' | 'cc';

export interface FermOption {
  shape: ArgShape;
  negatable: boolean;
}

function defs(spec: string): Map<string, FermOption> {
  const out = new Map<string, FermOption>();
  for (const word of spec.split(/\s+/).filter(Boolean)) {
    const m = /^(!?)([a-z0-9-]+)(!?)(?:=(0|1|c|sc|cc))?$/.exec(word);
    if (!m) throw new Error(`internal error: bad ferm option spec ${word}`);
    out.set(m[2]!, { shape: (m[4] as ArgShape | undefined) ?? '1', negatable: m[1] === '!' || m[3] === '!' });
  }
  return out;
}

export const FERM_MATCHES: ReadonlyMap<string, ReadonlyMap<string, FermOption>> = new Map([
  ['addrtype', defs('!src-type !dst-type limit-iface-in=0 limit-iface-out=0')],
  ['comment', defs('comment')],
  ['connlimit', defs('!connlimit-upto !connlimit-above connlimit-mask connlimit-saddr=0 connlimit-daddr=0')],
  ['connmark', defs('!mark')],
  [
    'conntrack',
    defs(
      '!ctstate=c !ctproto ctorigsrc! ctorigdst! ctorigsrcport! ctorigdstport! ctreplsrc! ctrepldst! !ctstatus !ctexpire ctdir',
    ),
  ],
  ['dscp', defs('dscp dscp-class')],
  [
    'hashlimit',
    defs(
      'hashlimit hashlimit-burst hashlimit-mode=c hashlimit-name hashlimit-upto hashlimit-above hashlimit-srcmask hashlimit-dstmask hashlimit-htable-size hashlimit-htable-max hashlimit-htable-expire hashlimit-htable-gcinterval',
    ),
  ],
  ['helper', defs('helper')],
  ['iprange', defs('!src-range !dst-range')],
  ['length', defs('length!')],
  ['limit', defs('limit limit-burst')],
  ['mac', defs('mac-source!')],
  ['mark', defs('!mark')],
  ['multiport', defs('source-ports! destination-ports! ports!')],
  ['owner', defs('!uid-owner !gid-owner pid-owner sid-owner cmd-owner')],
  ['physdev', defs('physdev-in! physdev-out! !physdev-is-in=0 !physdev-is-out=0 !physdev-is-bridged=0')],
  ['pkttype', defs('pkt-type!')],
  [
    'recent',
    defs('name !set=0 !remove=0 !rcheck=0 !update=0 !seconds !hitcount rttl=0 rsource=0 rdest=0 mask reap=0'),
  ],
  [
    'set',
    defs(
      '!match-set=sc return-nomatch=0 !update-counters=0 !update-subcounters=0 !packets-eq packets-lt packets-gt !bytes-eq bytes-lt bytes-gt',
    ),
  ],
  ['state', defs('!state=c')],
  ['statistic', defs('mode probability every packet')],
  ['tcpmss', defs('!mss')],
  ['tos', defs('!tos')],
  ['ttl', defs('ttl-eq ttl-lt ttl-gt')],
  ['hl', defs('hl-eq! hl-lt hl-gt')],
]);

/** Options of the protocol matches, written after `proto NAME` without `mod`. */
export const FERM_PROTO_OPTIONS: ReadonlyMap<string, ReadonlyMap<string, FermOption>> = new Map([
  ['tcp', defs('sport! dport! tcp-flags!=cc !syn=0 tcp-option! mss')],
  ['udp', defs('sport! dport!')],
  ['sctp', defs('sport! dport!')],
  ['icmp', defs('icmp-type!')],
  ['icmp6', defs('icmpv6-type!')],
]);

export const FERM_TARGETS: ReadonlyMap<string, ReadonlyMap<string, FermOption>> = new Map([
  ['REJECT', defs('reject-with')],
  ['LOG', defs('log-level log-prefix log-tcp-sequence=0 log-tcp-options=0 log-ip-options=0 log-uid=0')],
  ['DNAT', defs('to-destination persistent=0 random=0')],
  ['SNAT', defs('to-source persistent=0 random=0')],
  ['MASQUERADE', defs('to-ports random=0')],
  ['REDIRECT', defs('to-ports random=0')],
  ['MARK', defs('set-mark set-xmark and-mark or-mark xor-mark')],
  [
    'CONNMARK',
    defs('set-xmark save-mark=0 restore-mark=0 nfmask ctmask and-mark or-mark xor-mark set-mark mask'),
  ],
  ['CT', defs('notrack=0 helper ctevents=c expevents=c zone timeout')],
  ['NOTRACK', defs('')],
  ['TRACE', defs('')],
  ['NFLOG', defs('nflog-group nflog-prefix nflog-range nflog-threshold')],
  ['NFQUEUE', defs('queue-num queue-balance queue-bypass=0 queue-cpu-fanout=0')],
  ['TCPMSS', defs('set-mss clamp-mss-to-pmtu=0')],
  ['SET', defs('add-set=sc del-set=sc timeout exist=0')],
  ['CHECKSUM', defs('checksum-fill=0')],
  ['CLASSIFY', defs('set-class')],
  ['DSCP', defs('set-dscp set-dscp-class')],
  ['TOS', defs('set-tos and-tos or-tos xor-tos')],
  ['TTL', defs('ttl-set ttl-dec ttl-inc')],
  ['HL', defs('hl-set hl-dec hl-inc')],
  ['TEE', defs('gateway')],
  ['AUDIT', defs('type')],
]);

/** Targets ferm writes as a bare keyword. */
export const FERM_CORE_TARGETS = new Set(['ACCEPT', 'DROP', 'RETURN', 'QUEUE']);

/** Which iptables option names ferm spells differently. */
export const FERM_OPTION_NAMES: ReadonlyMap<string, string> = new Map([
  ['--dports', 'destination-ports'],
  ['--sports', 'source-ports'],
  ['--destination-ports', 'destination-ports'],
  ['--source-ports', 'source-ports'],
]);
