import { describe, expect, it } from 'vitest';
import type { IpSetState } from '../../../src/model/index.js';
import { parseIpsetSave } from '../../../src/parse/index.js';
import { input, pkt, sim } from './sim-helpers.js';

const v = (rules: string[], over = {}) => input(rules, pkt(over)).verdict;

describe('generic options', () => {
  it('-s / -d with CIDRs and negation', () => {
    expect(v(['-s 203.0.113.0/24 -j ACCEPT'])).toBe('accept');
    expect(v(['-s 203.0.113.0/24 -j ACCEPT'], { src: '198.18.0.1' })).toBe('drop');
    expect(v(['! -s 203.0.113.0/24 -j ACCEPT'])).toBe('drop');
    expect(v(['! -s 203.0.113.0/24 -j ACCEPT'], { src: '198.18.0.1' })).toBe('accept');
    expect(v(['-s 203.0.113.5/32 -j ACCEPT'])).toBe('accept');
    expect(v(['-d 192.0.2.10/32 -j ACCEPT'])).toBe('accept');
    expect(v(['-d 192.0.2.0/255.255.255.0 -j ACCEPT'])).toBe('accept');
    expect(v(['! -d 192.0.2.0/24 -j ACCEPT'])).toBe('drop');
  });

  it('-i with the + wildcard; -o only after routing', () => {
    expect(v(['-i eth+ -j ACCEPT'])).toBe('accept');
    expect(v(['-i eth1 -j ACCEPT'])).toBe('drop');
    expect(v(['! -i docker0 -j ACCEPT'])).toBe('accept');
    expect(v(['-i + -j ACCEPT'])).toBe('accept');
    // INPUT has no output interface: -o never matches there, ! -o always does.
    expect(v(['-o eth0 -j ACCEPT'])).toBe('drop');
    expect(v(['! -o eth0 -j ACCEPT'])).toBe('accept');
    const fwd = sim(
      { filter: { FORWARD: { policy: 'DROP', rules: ['-i eth0 -o eth1 -j ACCEPT'] } } },
      pkt({ dst: '198.51.100.20' }),
    );
    expect(fwd.verdict).toBe('accept');
    expect(fwd.outInterface).toBe('eth1');
  });

  it('-p by name and number, negated, all', () => {
    expect(v(['-p tcp -j ACCEPT'])).toBe('accept');
    expect(v(['-p 6 -j ACCEPT'])).toBe('accept');
    expect(v(['-p udp -j ACCEPT'])).toBe('drop');
    expect(v(['! -p udp -j ACCEPT'])).toBe('accept');
    expect(v(['-p all -j ACCEPT'], { proto: 'udp', dport: 53 })).toBe('accept');
    expect(v(['-p icmp -j ACCEPT'], { proto: 'icmp', sport: undefined, dport: undefined, icmpType: 8 })).toBe(
      'accept',
    );
  });

  it('-f never matches a whole packet', () => {
    expect(v(['-f -j ACCEPT'])).toBe('drop');
    expect(v(['! -f -j ACCEPT'])).toBe('accept');
  });
});

describe('tcp, udp, multiport', () => {
  it('ports and ranges', () => {
    expect(v(['-p tcp -m tcp --dport 22 -j ACCEPT'])).toBe('accept');
    expect(v(['-p tcp -m tcp --dport 20:30 -j ACCEPT'])).toBe('accept');
    expect(v(['-p tcp -m tcp --dport 23:30 -j ACCEPT'])).toBe('drop');
    expect(v(['-p tcp -m tcp --dport :22 -j ACCEPT'])).toBe('accept');
    expect(v(['-p tcp -m tcp ! --dport 22 -j ACCEPT'])).toBe('drop');
    expect(v(['-p tcp -m tcp --sport 1024:65535 -j ACCEPT'])).toBe('accept');
    expect(v(['-p udp -m udp --dport 53 -j ACCEPT'], { proto: 'udp', dport: 53 })).toBe('accept');
    // The tcp match never matches a udp packet, negated or not.
    expect(v(['-m tcp ! --dport 22 -j ACCEPT'], { proto: 'udp', dport: 53 })).toBe('drop');
  });

  it('a port the packet does not carry makes the rule unknown', () => {
    const t = input(['-p tcp -m tcp --sport 1024:65535 -j ACCEPT'], pkt({ sport: undefined }));
    expect(t.verdict).toBe('unknown');
    expect(t.decidedBy).toMatchObject({ kind: 'rule', chain: 'INPUT', index: 1 });
    expect(t.unknownReason).toContain('source port');
  });

  it('tcp flags: a NEW packet is a SYN', () => {
    expect(v(['-p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -j ACCEPT'])).toBe('accept');
    expect(v(['-p tcp -m tcp --syn -j ACCEPT'])).toBe('accept');
    expect(v(['-p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -j ACCEPT'])).toBe('drop');
    expect(v(['-p tcp -m tcp --tcp-flags ACK ACK -j ACCEPT'])).toBe('drop');
    expect(v(['-p tcp -m tcp --syn -j ACCEPT'], { state: 'ESTABLISHED' })).toBe('unknown');
    // ... unless another part of the rule already rules it out.
    expect(
      v(['-p tcp -m tcp ! --syn -m state --state NEW -j DROP', '-j ACCEPT'], { state: 'ESTABLISHED' }),
    ).toBe('accept');
  });

  it('multiport lists and ranges', () => {
    expect(v(['-p tcp -m multiport --dports 80,443,20:25 -j ACCEPT'])).toBe('accept');
    expect(v(['-p tcp -m multiport --dports 80,443 -j ACCEPT'])).toBe('drop');
    expect(v(['-p tcp -m multiport ! --dports 80,443 -j ACCEPT'])).toBe('accept');
    expect(v(['-p tcp -m multiport --sports 40000 -j ACCEPT'])).toBe('accept');
    expect(v(['-p tcp -m multiport --ports 40000 -j ACCEPT'])).toBe('accept');
    expect(v(['-p tcp -m multiport --ports 22 -j ACCEPT'])).toBe('accept');
  });
});

describe('conntrack and state', () => {
  it('--ctstate / --state', () => {
    expect(v(['-m conntrack --ctstate NEW -j ACCEPT'])).toBe('accept');
    expect(v(['-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'])).toBe('drop');
    expect(v(['-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'], { state: 'ESTABLISHED' })).toBe(
      'accept',
    );
    expect(v(['-m conntrack ! --ctstate NEW -j ACCEPT'])).toBe('drop');
    expect(v(['-m state --state NEW -j ACCEPT'])).toBe('accept');
    expect(v(['-m state --state INVALID -j ACCEPT'], { state: 'INVALID' })).toBe('accept');
  });

  it('a packet without a conntrack entry only matches on --ctstate', () => {
    expect(v(['-m conntrack --ctproto tcp -j ACCEPT'], { state: 'INVALID' })).toBe('drop');
    expect(v(['-m conntrack --ctproto tcp -j ACCEPT'])).toBe('accept');
  });

  it('the original tuple is the packet before DNAT', () => {
    const tables = {
      nat: {
        PREROUTING: {
          rules: ['-d 192.0.2.10/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80'],
        },
      },
      filter: {
        FORWARD: {
          policy: 'DROP' as const,
          rules: [
            '-m conntrack --ctorigdst 192.0.2.10/32 --ctorigdstport 8080 --ctreplsrc 172.17.0.2/32 --ctreplsrcport 80 --ctstate DNAT -j ACCEPT',
          ],
        },
      },
    };
    const t = sim(tables, pkt({ dport: 8080 }));
    expect(t.verdict).toBe('accept');
    expect(t.outInterface).toBe('docker0');
    const other = sim(tables, pkt({ dport: 8080, dst: '192.0.2.11' }));
    expect(other.verdict).not.toBe('accept');
  });

  it('--ctorigsrc, --ctstatus, --ctdir', () => {
    expect(v(['-m conntrack --ctorigsrc 203.0.113.0/24 -j ACCEPT'])).toBe('accept');
    expect(v(['-m conntrack ! --ctorigsrc 203.0.113.0/24 -j ACCEPT'])).toBe('drop');
    expect(v(['-m conntrack --ctstatus SEEN_REPLY -j ACCEPT'], { state: 'ESTABLISHED' })).toBe('accept');
    expect(v(['-m conntrack --ctstatus SEEN_REPLY -j ACCEPT'])).toBe('drop');
    expect(v(['-m conntrack --ctstatus ASSURED -j ACCEPT'], { state: 'ESTABLISHED' })).toBe('unknown');
    expect(v(['-m conntrack --ctdir ORIGINAL -j ACCEPT'])).toBe('accept');
    expect(v(['-m conntrack --ctdir REPLY -j ACCEPT'])).toBe('drop');
  });
});

describe('addrtype, pkttype, iprange, comment', () => {
  it('--dst-type / --src-type from the host model', () => {
    expect(v(['-m addrtype --dst-type LOCAL -j ACCEPT'])).toBe('accept');
    expect(v(['-m addrtype --src-type LOCAL -j ACCEPT'])).toBe('drop');
    expect(v(['-m addrtype --src-type UNICAST -j ACCEPT'])).toBe('accept');
    expect(v(['-m addrtype ! --dst-type LOCAL -j ACCEPT'])).toBe('drop');
    expect(
      v(['-m addrtype --dst-type BROADCAST -j ACCEPT'], { dst: '192.0.2.255', proto: 'udp', dport: 137 }),
    ).toBe('accept');
    expect(
      v(['-m addrtype --dst-type MULTICAST -j ACCEPT'], { dst: '224.0.0.251', proto: 'udp', dport: 5353 }),
    ).toBe('accept');
  });

  it('--limit-iface-in: the docker0 address is not local to eth0', () => {
    expect(v(['-m addrtype --dst-type LOCAL --limit-iface-in -j ACCEPT'])).toBe('accept');
    expect(v(['-m addrtype --dst-type LOCAL --limit-iface-in -j ACCEPT'], { dst: '172.17.0.1' })).toBe(
      'drop',
    );
    expect(v(['-m addrtype --dst-type LOCAL -j ACCEPT'], { dst: '172.17.0.1' })).toBe('accept');
  });

  it('pkttype', () => {
    expect(v(['-m pkttype --pkt-type unicast -j ACCEPT'])).toBe('accept');
    expect(v(['-m pkttype --pkt-type broadcast -j ACCEPT'])).toBe('drop');
    expect(
      v(['-m pkttype --pkt-type broadcast -j ACCEPT'], { dst: '255.255.255.255', proto: 'udp', dport: 67 }),
    ).toBe('accept');
  });

  it('iprange', () => {
    expect(v(['-m iprange --src-range 203.0.113.1-203.0.113.9 -j ACCEPT'])).toBe('accept');
    expect(v(['-m iprange --src-range 203.0.113.6-203.0.113.9 -j ACCEPT'])).toBe('drop');
    expect(v(['-m iprange ! --src-range 203.0.113.6-203.0.113.9 -j ACCEPT'])).toBe('accept');
    expect(v(['-m iprange --dst-range 192.0.2.1-192.0.2.10 -j ACCEPT'])).toBe('accept');
  });

  it('comment always matches', () => {
    expect(v(['-m comment --comment "allow all" -j ACCEPT'])).toBe('accept');
  });
});

describe('icmp', () => {
  const ping = { proto: 'icmp' as const, sport: undefined, dport: undefined, icmpType: 8, icmpCode: 0 };
  it('types by number, name, with code, any', () => {
    expect(v(['-p icmp -m icmp --icmp-type 8 -j ACCEPT'], ping)).toBe('accept');
    expect(v(['-p icmp -m icmp --icmp-type echo-request -j ACCEPT'], ping)).toBe('accept');
    expect(v(['-p icmp -m icmp --icmp-type 8/0 -j ACCEPT'], ping)).toBe('accept');
    expect(v(['-p icmp -m icmp --icmp-type 0 -j ACCEPT'], ping)).toBe('drop');
    expect(v(['-p icmp -m icmp ! --icmp-type 0 -j ACCEPT'], ping)).toBe('accept');
    expect(v(['-p icmp -m icmp --icmp-type any -j ACCEPT'], ping)).toBe('accept');
    expect(v(['-p icmp -m icmp --icmp-type 8 -j ACCEPT'], { ...ping, icmpType: undefined })).toBe('unknown');
  });

  it('icmpv6', () => {
    const t = sim(
      { filter: { INPUT: { policy: 'DROP', rules: [] } } },
      {
        family: 'ipv6',
        src: '2001:db8::50',
        dst: '2001:db8::10',
        proto: 'icmpv6',
        icmpType: 128,
        in: 'eth0',
      },
    );
    // ip6 rules are not given here: nothing filters IPv6.
    expect(t.verdict).toBe('accept');
    expect(t.assumptions.join()).toContain('no ipv6 rule set');
  });
});

describe('marks', () => {
  it('MARK in mangle, -m mark in filter', () => {
    const t = sim(
      {
        mangle: { PREROUTING: { rules: ['-p tcp -m tcp --dport 22 -j MARK --set-xmark 0x10/0xff'] } },
        filter: { INPUT: { policy: 'DROP', rules: ['-m mark --mark 0x10/0xf0 -j ACCEPT'] } },
      },
      pkt(),
    );
    expect(t.verdict).toBe('accept');
    expect(t.path.some((s) => s.kind === 'rule' && s.action === 'MARK (mark 0x10)')).toBe(true);
  });

  it('the packet mark given, and ! --mark', () => {
    expect(v(['-m mark --mark 0x1 -j ACCEPT'], { mark: 1 })).toBe('accept');
    expect(v(['-m mark ! --mark 0x1 -j ACCEPT'], { mark: 1 })).toBe('drop');
  });

  it('CONNMARK save and restore', () => {
    const t = sim(
      {
        mangle: {
          PREROUTING: {
            rules: [
              '-j CONNMARK --set-xmark 0x5/0xffffffff',
              '-j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff',
            ],
          },
        },
        filter: { INPUT: { policy: 'DROP', rules: ['-m connmark --mark 0x5 -m mark --mark 0x5 -j ACCEPT'] } },
      },
      pkt(),
    );
    expect(t.verdict).toBe('accept');
  });

  it('the connection mark of an established packet is unknown', () => {
    expect(v(['-m connmark --mark 0x5 -j ACCEPT'], { state: 'ESTABLISHED' })).toBe('unknown');
  });
});

describe('limit and hashlimit', () => {
  it('are taken both ways: the verdict depends on the rate', () => {
    const t = input(['-m limit --limit 5/min --limit-burst 10 -j ACCEPT']);
    expect(t.verdict).toBe('depends');
    expect(t.depends).toBe('accept unless the limit 5/min (burst 10) is exceeded (then drop)');
    const h = input([
      '-m hashlimit --hashlimit-upto 5/sec --hashlimit-mode srcip --hashlimit-name x -j ACCEPT',
    ]);
    expect(h.depends).toBe('accept unless the hashlimit `x` rate 5/sec per srcip is exceeded (then drop)');
  });
});

describe('ipset matches', () => {
  const sets: IpSetState = {
    sets: [
      {
        name: 'hosts',
        type: 'hash:ip',
        family: 'inet',
        options: [],
        members: ['203.0.113.5', '203.0.113.6'],
      },
      {
        name: 'nets',
        type: 'hash:net',
        family: 'inet',
        options: [],
        members: ['203.0.113.0/28', '10.0.0.0/8'],
      },
      {
        name: 'carve',
        type: 'hash:net',
        family: 'inet',
        options: [],
        members: ['203.0.113.0/24', '203.0.113.0/29 nomatch'],
      },
      {
        name: 'svc',
        type: 'hash:ip,port',
        family: 'inet',
        options: [],
        members: ['203.0.113.5,tcp:22', '203.0.113.5,udp:53'],
      },
      {
        name: 'netsvc',
        type: 'hash:net,port',
        family: 'inet',
        options: [],
        members: ['203.0.113.0/24,tcp:22'],
      },
      { name: 'both', type: 'list:set', options: [], members: ['hosts', 'nets'] },
      { name: 'v6', type: 'hash:ip', family: 'inet6', options: [], members: ['2001:db8::50'] },
      { name: 'dsts', type: 'hash:ip', family: 'inet', options: [], members: ['192.0.2.10'] },
    ],
  };
  const sv = (rules: string[], over = {}) => input(rules, pkt(over), sets).verdict;

  it('hash:ip and hash:net, src and dst, negated', () => {
    expect(sv(['-m set --match-set hosts src -j ACCEPT'])).toBe('accept');
    expect(sv(['-m set --match-set hosts src -j ACCEPT'], { src: '203.0.113.7' })).toBe('drop');
    expect(sv(['-m set ! --match-set hosts src -j ACCEPT'], { src: '203.0.113.7' })).toBe('accept');
    expect(sv(['-m set --match-set nets src -j ACCEPT'])).toBe('accept');
    expect(sv(['-m set --match-set nets src -j ACCEPT'], { src: '203.0.113.20' })).toBe('drop');
    expect(sv(['-m set --match-set dsts dst -j ACCEPT'])).toBe('accept');
    expect(sv(['-m set --match-set dsts src -j ACCEPT'])).toBe('drop');
  });

  it('nomatch entries carve holes', () => {
    expect(sv(['-m set --match-set carve src -j ACCEPT'])).toBe('drop');
    expect(sv(['-m set --match-set carve src -j ACCEPT'], { src: '203.0.113.9' })).toBe('accept');
  });

  it('nomatch read from ipset save carves its hole; a comment that says nomatch does not', () => {
    const saved = parseIpsetSave(
      [
        'create c hash:net family inet comment',
        'add c 203.0.113.0/24 comment "nomatch here"',
        'add c 203.0.113.0/29 nomatch',
        '',
      ].join('\n'),
      { file: 'ipset save' },
    ).value!;
    const v = (src: string) => input(['-m set --match-set c src -j ACCEPT'], pkt({ src }), saved).verdict;
    expect(v('203.0.113.1')).toBe('drop');
    expect(v('203.0.113.9')).toBe('accept');
  });

  it('hash:ip,port and hash:net,port with src,dst', () => {
    expect(sv(['-m set --match-set svc src,dst -j ACCEPT'])).toBe('accept');
    expect(sv(['-m set --match-set svc src,dst -j ACCEPT'], { dport: 23 })).toBe('drop');
    expect(sv(['-m set --match-set svc src,dst -j ACCEPT'], { proto: 'udp', dport: 53 })).toBe('accept');
    expect(sv(['-m set --match-set netsvc src,dst -j ACCEPT'], { src: '203.0.113.77' })).toBe('accept');
    // Fewer directions than the set has dimensions: never matches (as the kernel does).
    expect(sv(['-m set --match-set svc src -j ACCEPT'])).toBe('drop');
  });

  it('list:set, family mismatch, unknown set', () => {
    expect(sv(['-m set --match-set both src -j ACCEPT'], { src: '10.1.2.3' })).toBe('accept');
    expect(sv(['-m set --match-set both src -j ACCEPT'], { src: '203.0.113.6' })).toBe('accept');
    expect(sv(['-m set --match-set both src -j ACCEPT'], { src: '198.18.0.1' })).toBe('drop');
    expect(sv(['-m set --match-set v6 src -j ACCEPT'])).toBe('drop');
    const t = input(['-m set --match-set nope src -j ACCEPT'], pkt(), sets);
    expect(t.verdict).toBe('unknown');
    expect(t.unknownReason).toContain('nope');
  });
});

describe('what is not modelled is taken both ways or unknown, never a guess', () => {
  it('an unmodelled module with a deciding target: the verdict depends on it', () => {
    const t = input(['-m u32 --u32 "0>>22&0x3C@12>>26&0x3F=0x11" -j DROP', '-j ACCEPT']);
    expect(t.verdict).toBe('depends');
    expect(t.decidedBy).toBeUndefined();
    expect(t.depends).toContain('`-m u32 --u32');
  });

  it('an unknown option of a known module', () => {
    const t = input(['-p tcp -m tcp --tcp-option 2 -j DROP', '-j ACCEPT']);
    expect(t.verdict).toBe('depends');
    expect(t.depends).toBe('accept unless `-m tcp --tcp-option 2` matches (then drop)');
  });

  it('an unmodelled generic option makes the rule unknown', () => {
    const t = input(['-s 10.0.0.1-10.0.0.5 -j DROP', '-j ACCEPT']);
    expect(t.verdict).toBe('unknown');
    expect(t.decidedBy).toMatchObject({ kind: 'rule', chain: 'INPUT', index: 1 });
  });

  it('is not unknown when a modelled part already fails', () => {
    expect(v(['-p udp -m recent --name x --rcheck -j DROP', '-j ACCEPT'])).toBe('accept');
  });

  it('is harmless with a non-deciding target (LOG)', () => {
    const t = input(['-m recent --name x --rcheck -j LOG', '-j ACCEPT']);
    expect(t.verdict).toBe('accept');
    expect(t.path.some((s) => s.kind === 'rule' && s.assumed?.startsWith('may match'))).toBe(true);
  });

  it('an unknown target and NFQUEUE', () => {
    expect(v(['-j FOO'])).toBe('unknown');
    expect(v(['-j NFQUEUE --queue-num 1'])).toBe('unknown');
  });
});
