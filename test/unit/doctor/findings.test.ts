import { describe, expect, it } from 'vitest';
import {
  diagnose,
  parsePrefix,
  overlaps,
  type DoctorFacts,
  type Finding,
  type RuleFact,
} from '../../../src/doctor/index.js';
import { cleanFacts, ids, SHOP } from './facts-builder.js';

function only(facts: DoctorFacts, id: string): Finding[] {
  return diagnose(facts).findings.filter((f) => f.id === id);
}

/** The JSON object printed in a fix (the daemon.json the fix proposes). */
function proposedDaemonJson(fix: string): Record<string, unknown> {
  const start = fix.indexOf('{');
  const end = fix.lastIndexOf('}');
  return JSON.parse(fix.slice(start, end + 1)) as Record<string, unknown>;
}

function dockerNetworks(facts: DoctorFacts) {
  if (!facts.docker.reachable) throw new Error('docker not reachable in this fixture');
  return facts.docker.networks;
}

describe('a clean host', () => {
  it('yields no findings', () => {
    const report = diagnose(cleanFacts());
    expect(report.findings).toEqual([]);
    expect(report.notes).toEqual(["/etc/docker/daemon.json does not exist (Docker's defaults apply)."]);
  });

  it('ignores the default route, link-local routes and routes via Docker bridges', () => {
    const facts = cleanFacts();
    facts.routes!.push(
      { family: 'ipv4', destination: '172.17.0.5/32', device: 'docker0' },
      { family: 'ipv4', destination: '172.16.0.0/12', device: SHOP.bridge! },
      { family: 'ipv6', destination: '::/0', device: 'eth0' },
    );
    expect(diagnose(facts).findings).toEqual([]);
  });
});

describe('Docker subnets overlapping other routes', () => {
  it('a VPN that took 172.16.0.0/12 conflicts with both networks; the fix moves them to free ranges', () => {
    const facts = cleanFacts();
    facts.routes!.push({ family: 'ipv4', destination: '172.16.0.0/12', device: 'tun0' });
    const found = only(facts, 'subnet-overlap');
    expect(found.map((f) => [f.subject, f.severity])).toEqual([
      ['bridge', 'warning'],
      ['shop_default', 'warning'],
    ]);
    expect(found[0]!.detail).toContain('172.16.0.0/12 dev tun0 covers 172.17.0.0/16');
    const proposed = proposedDaemonJson(found[0]!.fix);
    expect(proposed).toEqual({
      bip: '10.201.0.1/24',
      'default-address-pools': [{ base: '10.200.0.0/16', size: 24 }],
    });
    expect(found[1]!.fix).toContain('docker network rm shop_default');
    expect(found[0]!.fix).not.toContain('docker network rm');
  });

  it("a VPN's route in a table of its own (strongSwan's 220) is found too, and named with its table", () => {
    const facts = cleanFacts();
    facts.routes!.push({ family: 'ipv4', destination: '172.18.0.0/16', device: 'ipsec0', table: '220' });
    const found = only(facts, 'subnet-overlap');
    expect(found.map((f) => f.subject)).toEqual(['shop_default']);
    expect(found[0]!.detail).toContain('172.18.0.0/16 dev ipsec0 table 220');
  });

  describe('with the `ip rule` list: which table the kernel looks up first decides', () => {
    const DEFAULT_RULES: RuleFact[] = [
      { priority: 0, table: 'local' },
      { priority: 32766, table: 'main' },
      { priority: 32767, table: 'default' },
    ];
    const withRules = (...rules: RuleFact[]) => {
      const facts = cleanFacts();
      facts.rules = { ipv4: [...DEFAULT_RULES, ...rules].sort((a, b) => a.priority - b.priority), ipv6: [] };
      return facts;
    };

    it("strongSwan's table 220, looked up before main: even a less specific route takes the containers", () => {
      const facts = withRules({ priority: 220, table: '220' });
      facts.routes!.push({ family: 'ipv4', destination: '172.16.0.0/12', device: 'ipsec0', table: '220' });
      const found = only(facts, 'subnet-overlap');
      expect(found.map((f) => [f.subject, f.severity])).toEqual([
        ['bridge', 'error'],
        ['shop_default', 'error'],
      ]);
      expect(found[0]!.detail).toBe(
        '- 172.16.0.0/12 dev ipsec0 table 220: `ip rule pref 220 from all lookup 220` has table 220 looked up ' +
          'before main, so every packet to 172.17.0.0/16 leaves by ipsec0 instead of docker0, however specific ' +
          "Docker's route is: the containers there are unreachable from the host and published ports to them fail.",
      );
    });

    it('a part of a subnet is named as such', () => {
      const facts = withRules({ priority: 220, table: '220' });
      facts.routes!.push({ family: 'ipv4', destination: '172.17.0.0/17', device: 'ipsec0', table: '220' });
      const [f] = only(facts, 'subnet-overlap');
      expect(f!.detail).toContain('every packet to 172.17.0.0/17 (part of 172.17.0.0/16) leaves by ipsec0');
    });

    it('a table no rule looks up, or one looked up only after main, does not matter', () => {
      const facts = withRules({ priority: 40000, table: '220' });
      facts.routes!.push(
        { family: 'ipv4', destination: '172.16.0.0/12', device: 'ipsec0', table: '220' },
        { family: 'ipv4', destination: '172.18.0.0/24', device: 'tun9', table: '99' },
      );
      expect(only(facts, 'subnet-overlap')).toEqual([]);
    });

    it("wg-quick's rules: main (suppressing only default routes) comes first, so Docker's routes still win", () => {
      const facts = withRules(
        { priority: 32764, table: 'main', suppressPrefixLength: 0 },
        { priority: 32765, table: '51820', fwmark: '0xca6c', not: true },
      );
      facts.routes!.push(
        { family: 'ipv4', destination: '0.0.0.0/0', device: 'wg0', table: '51820' },
        { family: 'ipv4', destination: '172.16.0.0/12', device: 'wg0', table: '51820' },
      );
      expect(only(facts, 'subnet-overlap')).toEqual([]);
      // Without the suppressing rule, every unmarked packet looks up 51820 before main.
      facts.rules!.ipv4 = facts.rules!.ipv4!.filter((r) => r.priority !== 32764);
      expect(only(facts, 'subnet-overlap').map((f) => f.severity)).toEqual(['error', 'error']);
    });

    it('a rule that selects some packets only (by source) is a warning naming the rule', () => {
      const facts = withRules({ priority: 300, table: '300', from: '10.9.0.0/16' });
      facts.routes!.push({ family: 'ipv4', destination: '172.18.0.0/16', device: 'tun3', table: '300' });
      const found = only(facts, 'subnet-overlap');
      expect(found.map((f) => [f.subject, f.severity])).toEqual([['shop_default', 'warning']]);
      expect(found[0]!.detail).toBe(
        '- 172.18.0.0/16 dev tun3 table 300: packets selected by `ip rule pref 300 from 10.9.0.0/16 lookup 300` ' +
          `look up table 300 before main, so those of them to 172.18.0.0/16 leave by tun3 instead of ${SHOP.bridge}.`,
      );
    });

    it('an unreachable rule before main over a subnet is an error; one after main, or for other packets, is not', () => {
      const facts = withRules({ priority: 50, action: 'unreachable', to: '172.17.0.0/17' });
      const found = only(facts, 'subnet-overlap');
      expect(found.map((f) => [f.subject, f.severity])).toEqual([['bridge', 'error']]);
      expect(found[0]!.detail).toBe(
        '- `ip rule pref 50 from all to 172.17.0.0/17 unreachable` comes before main: every packet to ' +
          '172.17.0.0/17 (part of 172.17.0.0/16) is refused instead of reaching docker0, so the containers ' +
          'there are unreachable from the host and published ports to them fail.',
      );
      facts.rules!.ipv4 = [
        ...DEFAULT_RULES,
        { priority: 40000, action: 'blackhole', to: '172.17.0.0/16' },
        { priority: 60, action: 'blackhole', to: '10.0.0.0/8' },
      ].sort((a, b) => a.priority - b.priority);
      expect(only(facts, 'subnet-overlap')).toEqual([]);
      facts.rules!.ipv4.push({ priority: 70, action: 'blackhole', from: '10.9.0.0/16' });
      facts.rules!.ipv4.sort((a, b) => a.priority - b.priority);
      expect(only(facts, 'subnet-overlap').map((f) => f.severity)).toEqual(['warning', 'warning']);
    });

    it('a rule for other destinations, or an earlier table holding a route for the subnet, ends the walk first', () => {
      const facts = withRules(
        { priority: 100, table: '100', to: '10.0.0.0/8' },
        { priority: 150, table: '150' },
        { priority: 220, table: '220' },
      );
      facts.routes!.push(
        { family: 'ipv4', destination: '172.16.0.0/12', device: 'tun1', table: '100' },
        { family: 'ipv4', destination: '172.17.0.0/16', device: 'docker0', table: '150' },
        { family: 'ipv4', destination: '172.17.0.0/16', device: 'ipsec0', table: '220' },
      );
      // 100 is for 10/8 only; 150 routes docker0's subnet to docker0 before 220 is reached.
      expect(only(facts, 'subnet-overlap')).toEqual([]);
    });
  });

  it('a more specific route wins: an error, and only the affected network is named', () => {
    const facts = cleanFacts();
    facts.routes!.push({ family: 'ipv4', destination: '172.18.5.0/24', device: 'wg0', via: '10.8.0.1' });
    const found = only(facts, 'subnet-overlap');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'error', subject: 'shop_default', category: 'routing' });
    expect(found[0]!.detail).toContain(
      '172.18.5.0/24 via 10.8.0.1 dev wg0 is as specific as 172.18.0.0/16 or more',
    );
    // Only user networks conflict: a pool, no bip.
    expect(proposedDaemonJson(found[0]!.fix)).toEqual({
      'default-address-pools': [{ base: '10.200.0.0/16', size: 24 }],
    });
  });

  it('an equal prefix (the 192.168.99.0/24 case) and a blackhole route count as winning', () => {
    const facts = cleanFacts();
    dockerNetworks(facts).push({
      ...SHOP,
      id: 'd'.repeat(64),
      name: 'legacy',
      bridge: 'br-dddddddddddd',
      subnets: ['192.168.99.0/24'],
    });
    facts.routes!.push(
      { family: 'ipv4', destination: '192.168.99.0/24', device: 'vboxnet0', metric: 100 },
      { family: 'ipv4', destination: '172.17.0.0/16', type: 'blackhole' },
    );
    const found = only(facts, 'subnet-overlap');
    expect(found.map((f) => [f.subject, f.severity])).toEqual([
      ['bridge', 'error'],
      ['legacy', 'error'],
    ]);
    expect(found[0]!.detail).toContain('blackhole 172.17.0.0/16');
    expect(found[1]!.detail).toContain('whichever route has the lower metric');
  });

  it("the suggested ranges overlap nothing routed, not even the host's own networks", () => {
    const facts = cleanFacts();
    facts.routes!.push(
      { family: 'ipv4', destination: '172.16.0.0/12', device: 'tun0' },
      { family: 'ipv4', destination: '10.200.0.0/24', device: 'eth1', protocol: 'kernel' },
      { family: 'ipv4', destination: '10.192.0.0/11', device: 'tun1' },
    );
    const found = only(facts, 'subnet-overlap');
    const proposed = proposedDaemonJson(found[0]!.fix);
    // 10.192.0.0/11 covers 10.192–10.223: the first free candidate is 10.224.0.0/16.
    expect(proposed).toMatchObject({
      bip: '10.225.0.1/24',
      'default-address-pools': [{ base: '10.224.0.0/16', size: 24 }],
    });
    const pool = parsePrefix('10.224.0.0/16')!;
    for (const r of facts.routes!) {
      const p = parsePrefix(r.destination)!;
      if (p.length > 0) expect(overlaps(p, pool), r.destination).toBe(false);
    }
  });

  it('keeps the other settings of daemon.json and replaces a conflicting bip', () => {
    const facts = cleanFacts();
    facts.daemonJson = {
      path: '/etc/docker/daemon.json',
      state: 'ok',
      config: { 'log-level': 'warn', bip: '172.17.0.1/16' },
    };
    facts.routes!.push({ family: 'ipv4', destination: '172.17.0.0/16', device: 'tun0', metric: 50 });
    const [f] = only(facts, 'subnet-overlap');
    expect(proposedDaemonJson(f!.fix)).toEqual({ 'log-level': 'warn', bip: '10.200.0.1/24' });
  });

  it('IPv6 subnets too: a wider VPN route over a Docker IPv6 subnet suggests a free ULA pool', () => {
    const facts = cleanFacts();
    dockerNetworks(facts)[1] = { ...SHOP, subnets: ['172.18.0.0/16', 'fd00:1:2::/64'], enableIPv6: true };
    facts.routes!.push({ family: 'ipv6', destination: 'fd00:1::/32', device: 'wg0' });
    facts.ip6Filter = { dockerChains: true, dockerUser: 'rules', forwardFilters: 0, forwardAccepts: 0 };
    const found = only(facts, 'subnet-overlap');
    expect(found).toHaveLength(1);
    expect(found[0]!.title).toContain('fd00:1:2::/64');
    expect(proposedDaemonJson(found[0]!.fix)).toEqual({
      'default-address-pools': [{ base: 'fd64:d0c:1::/48', size: 64 }],
    });
    // A route over every unique local address leaves no candidate: the fix says to pick one.
    facts.routes!.push({ family: 'ipv6', destination: 'fd00::/8', device: 'wg1' });
    expect(only(facts, 'subnet-overlap')[0]!.fix).toMatch(
      /^Pick ranges for \/etc\/docker\/daemon.json that no route/,
    );
  });

  it('doctor labels IPv6 routes as IPv4 no more, and prints an overlap once when a route is listed twice', () => {
    const facts = cleanFacts();
    dockerNetworks(facts)[1] = { ...SHOP, subnets: ['172.18.0.0/16', 'fd00:1:2::/64'], enableIPv6: true };
    // As the old reader made them: the IPv4 listing also held the IPv6 route, labelled ipv4.
    facts.routes!.push(
      { family: 'ipv4', destination: 'fd00:1::/32', device: 'wg0' },
      { family: 'ipv6', destination: 'fd00:1::/32', device: 'wg0' },
    );
    const [found] = only(facts, 'subnet-overlap');
    const lines = found!.detail.split('\n').filter((l) => l.includes('fd00:1::/32'));
    expect(lines).toHaveLength(1);
  });

  it('is not checked when Docker does not answer, and says so', () => {
    const facts = cleanFacts();
    facts.docker = { reachable: false, error: 'connect ENOENT /var/run/docker.sock' };
    facts.routes!.push({ family: 'ipv4', destination: '172.16.0.0/12', device: 'tun0' });
    const report = diagnose(facts);
    expect(ids(report.findings)).not.toContain('subnet-overlap');
    expect(report.notes.join('\n')).toMatch(/Docker did not answer \(connect ENOENT/);
  });
});

describe('iptables', () => {
  it("Docker's chains only in the other variant: an error explaining that each sees only its own", () => {
    const facts = cleanFacts();
    facts.iptables = { command: 'nf_tables', docker: 'legacy', mismatch: true, message: 'x' };
    const [f] = only(facts, 'iptables-variant-mismatch');
    expect(f!.severity).toBe('error');
    expect(f!.title).toContain('legacy');
    expect(f!.detail).toMatch(/each tool sees only its own tables/);
    expect(f!.fix).toContain('update-alternatives --set iptables /usr/sbin/iptables-legacy');
  });

  it("Docker's chains in both variants: a warning about the leftover copy", () => {
    const facts = cleanFacts();
    facts.iptables = { command: 'nf_tables', docker: 'nf_tables', mismatch: false, message: 'left over' };
    expect(ids(diagnose(facts).findings)).toEqual(['iptables-variant-leftovers']);
  });

  it('"iptables": false in daemon.json explains both outcomes', () => {
    const facts = cleanFacts();
    facts.daemonJson = { path: '/etc/docker/daemon.json', state: 'ok', config: { iptables: false } };
    const [f] = only(facts, 'iptables-disabled');
    expect(f!.severity).toBe('warning');
    expect(f!.detail).toContain('nothing is NATed');
    expect(f!.detail).toContain('every published port then bypasses the INPUT rules');
    expect(f!.detail).toContain('still in the nf_tables tables');
    expect(diagnose(facts).findings).toHaveLength(1);
  });

  it('dockerd running without any chains is an error (unless it uses nftables)', () => {
    const facts = cleanFacts();
    facts.iptables = { command: 'nf_tables', docker: 'none', mismatch: false };
    expect(ids(diagnose(facts).findings)).toEqual(['docker-chains-missing']);
    facts.nftTables = ['ip docker-bridges', 'ip6 docker-bridges'];
    expect(ids(diagnose(facts).findings)).toEqual(['nftables-backend']);
  });

  it("Docker's nftables backend, from /info or from daemon.json: dockwall handles it, and says what to set", () => {
    const facts = cleanFacts();
    if (facts.docker.reachable) facts.docker.firewallBackend = 'nftables';
    facts.forwarding = { ipv4: true, ipv6: true };
    const [f] = only(facts, 'nftables-backend');
    expect(f!.title).toContain('dockwall writes its own nftables tables');
    expect(f!.severity).toBe('warning');
    expect(f!.fix).toContain('"bridge-accept-fwmark": "0x10000000/0x10000000"');
    expect(f!.fix).not.toContain('forwarding');
    facts.forwarding = { ipv4: false, ipv6: true };
    const [off] = only(facts, 'nftables-backend');
    expect(off!.severity).toBe('error');
    expect(off!.fix).toContain('sysctl -w net.ipv4.ip_forward=1');
    facts.forwarding = { ipv4: true, ipv6: true };
    facts.daemonJson = {
      path: '/etc/docker/daemon.json',
      state: 'ok',
      config: { 'bridge-accept-fwmark': '0x10000000/0x10000000' },
    };
    const [set] = only(facts, 'nftables-backend');
    expect(set!.severity).toBe('info');
    expect(set!.fix).toMatch(/^Nothing/);
    const config = cleanFacts();
    config.daemonJson = { path: '/d.json', state: 'ok', config: { 'firewall-backend': 'nftables' } };
    expect(ids(diagnose(config).findings)).toEqual(['nftables-backend']);
  });

  it('IPv4 forwarding off while Docker runs bridge networks (not while it is down)', () => {
    const facts = cleanFacts();
    facts.forwarding = { ipv4: false };
    expect(only(facts, 'ip-forward-off')[0]!.fix).toContain('sysctl -w net.ipv4.ip_forward=1');
    const noDocker = cleanFacts();
    noDocker.forwarding = { ipv4: false };
    noDocker.docker = { reachable: false, error: 'down' };
    expect(diagnose(noDocker).findings).toEqual([]);
  });
});

describe('firewall managers beside Docker', () => {
  it('ufw: its INPUT rules do not see published ports', () => {
    const facts = cleanFacts();
    facts.ufw = { active: true, evidence: 'ufw status: active' };
    const [f] = only(facts, 'ufw-beside-docker');
    expect(f!.detail).toContain('a published port never reaches INPUT');
    expect(f!.fix).toContain('DOCKER-USER');
  });

  it('firewalld: a reload empties DOCKER-USER; dockwall watch puts it back', () => {
    const facts = cleanFacts();
    facts.firewalld = { active: true, evidence: 'firewall-cmd --state: running' };
    const [f] = only(facts, 'firewalld-beside-docker');
    expect(f!.detail).toContain('DOCKER-USER comes back empty');
    expect(f!.fix).toContain('dockwall watch');
  });

  it('neither matters on a host without Docker', () => {
    const facts = cleanFacts();
    facts.docker = { reachable: false, error: 'down' };
    facts.iptables = { command: 'nf_tables', docker: 'none', mismatch: false };
    facts.ufw = { active: true, evidence: 'ufw status: active' };
    facts.firewalld = { active: true, evidence: 'firewall-cmd --state: running' };
    expect(diagnose(facts).findings).toEqual([]);
  });
});

describe('IPv6', () => {
  function v6Facts(): DoctorFacts {
    const facts = cleanFacts();
    dockerNetworks(facts)[1] = { ...SHOP, subnets: ['172.18.0.0/16', 'fd00:dead:1::/64'], enableIPv6: true };
    facts.forwarding = { ipv4: true, ipv6: true };
    return facts;
  }

  it('enabled with no ip6tables rules at all: every container port is reachable', () => {
    const [f] = only(v6Facts(), 'ipv6-unfiltered');
    expect(f!.severity).toBe('error');
    expect(f!.detail).toContain('network "shop_default" (fd00:dead:1::/64)');
    expect(f!.detail).toContain('published or not');
    expect(f!.fix).toContain('"ip6tables": true');
  });

  it('"ipv6": true in daemon.json counts as enabled', () => {
    const facts = cleanFacts();
    facts.daemonJson = {
      path: '/etc/docker/daemon.json',
      state: 'ok',
      config: { ipv6: true, 'fixed-cidr-v6': 'fd00::/64' },
    };
    facts.forwarding = { ipv4: true, ipv6: true };
    expect(ids(diagnose(facts).findings)).toEqual(['ipv6-unfiltered']);
  });

  it('Docker manages ip6tables but nothing restricts sources: a warning; a Docker without ip6tables DOCKER-USER is told to upgrade', () => {
    const facts = v6Facts();
    facts.ip6Filter = {
      dockerChains: true,
      dockerUser: 'missing',
      forwardPolicy: 'DROP',
      forwardFilters: 0,
      forwardAccepts: 0,
    };
    const [f] = only(facts, 'ipv6-no-docker-user');
    expect(f!.severity).toBe('warning');
    expect(f!.fix).toContain('Upgrade Docker to 23');
    facts.ip6Filter.dockerUser = 'empty';
    expect(only(facts, 'ipv6-no-docker-user')[0]!.title).toContain('filters nothing');
  });

  it('rules in ip6tables DOCKER-USER that FORWARD never reaches do not count, and the finding says why', () => {
    const facts = v6Facts();
    facts.ip6Filter = {
      dockerChains: true,
      dockerUser: 'unreached',
      forwardPolicy: 'DROP',
      forwardFilters: 0,
      forwardAccepts: 0,
    };
    const [f] = only(facts, 'ipv6-no-docker-user');
    expect(f!.title).toContain('FORWARD never jumps to it');
    expect(f!.fix).toContain('ip6tables -I FORWARD -j DOCKER-USER');
  });

  it('rules in ip6tables DOCKER-USER or FORWARD count as protection', () => {
    const facts = v6Facts();
    facts.ip6Filter = {
      dockerChains: true,
      dockerUser: 'rules',
      forwardPolicy: 'DROP',
      forwardFilters: 0,
      forwardAccepts: 0,
    };
    expect(diagnose(facts).findings).toEqual([]);
    facts.ip6Filter = {
      dockerChains: false,
      dockerUser: 'missing',
      forwardPolicy: 'ACCEPT',
      forwardFilters: 1,
      forwardAccepts: 0,
    };
    expect(diagnose(facts).findings).toEqual([]);
  });

  it('FORWARD policy DROP with nothing accepting: containers have no IPv6 beyond the host', () => {
    const facts = v6Facts();
    facts.ip6Filter = {
      dockerChains: false,
      dockerUser: 'missing',
      forwardPolicy: 'DROP',
      forwardFilters: 0,
      forwardAccepts: 0,
    };
    expect(ids(diagnose(facts).findings)).toEqual(['ipv6-forward-blocked']);
  });

  it('nothing is exposed when the kernel does not forward IPv6', () => {
    const facts = v6Facts();
    facts.forwarding = { ipv4: true, ipv6: false };
    expect(diagnose(facts).findings).toEqual([]);
  });
});

describe('daemon.json and the report', () => {
  it('a daemon.json that is not JSON is an error with its line and column', () => {
    const facts = cleanFacts();
    facts.daemonJson = {
      path: '/etc/docker/daemon.json',
      state: 'invalid',
      error: 'trailing comma before }',
      line: 3,
      column: 18,
    };
    const [f] = only(facts, 'daemon-json-invalid');
    expect(f!.title).toBe('/etc/docker/daemon.json is not valid JSON (line 3, column 18)');
    expect(f!.detail).toContain('/etc/docker/daemon.json:3:18: trailing comma before }');
  });

  it('orders findings by area, then severity', () => {
    const facts = cleanFacts();
    facts.ufw = { active: true, evidence: 'ufw status: active' };
    facts.iptables = { command: 'nf_tables', docker: 'legacy', mismatch: true };
    facts.routes!.push({ family: 'ipv4', destination: '172.16.0.0/12', device: 'tun0' });
    facts.routes!.push({ family: 'ipv4', destination: '172.18.0.0/24', device: 'tun1' });
    facts.daemonJson = { path: '/d.json', state: 'invalid', error: 'x', line: 1, column: 1 };
    expect(diagnose(facts).findings.map((f) => `${f.category}:${f.severity}:${f.id}`)).toEqual([
      'daemon:error:daemon-json-invalid',
      'routing:error:subnet-overlap',
      'routing:warning:subnet-overlap',
      'iptables:error:iptables-variant-mismatch',
      'firewall:warning:ufw-beside-docker',
    ]);
  });
});
