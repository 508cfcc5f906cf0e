import { describe, expect, it } from 'vitest';
import { exportPf } from '../../../src/export/index.js';
import { policyFrom, policyText } from '../../helpers/fixtures.js';
import { expectGolden } from '../../helpers/golden.js';

/** pf does not run here: the text is pinned in test/golden/export-pf/. */
function golden(name: string, actual: string): void {
  expectGolden('export-pf', name, actual);
}

describe('export --format pf (pinned output; pf cannot run on Linux)', () => {
  it('the docker-machine defaults (vboxnet0, 192.168.99.0/24), as in the NFS write-up, and the launchd plist', () => {
    const res = exportPf(undefined, { plist: true });
    expect(res.diagnostics).toEqual([]);
    const [pf, plist] = res.parts!;
    expect(pf!.path).toBe('/etc/pf.anchors/dockwall');
    expect(pf!.text).toContain(
      'pass quick on $vm_if inet proto tcp from <dockwall_vm> to <dockwall_vm> keep state',
    );
    expect(pf!.text).toMatch(/block drop in\npass out quick\n$/);
    expect(plist!.path).toBe('/Library/LaunchDaemons/org.dockwall.pfctl.plist');
    expect(plist!.text).toContain(
      '<string>/sbin/pfctl</string>\n\t\t<string>-E</string>\n\t\t<string>-f</string>\n\t\t<string>/etc/pf.anchors/dockwall</string>',
    );
    golden('default.pf.conf', pf!.text);
    golden('org.dockwall.pfctl.plist', plist!.text);
  });

  it('two VM interfaces, NFS ports only, and the example policy: its set as a table, its filter as pass rules', () => {
    const res = exportPf(policyFrom('examples/firewalling-docker.yaml'), {
      vmInterfaces: ['vboxnet0', 'vboxnet1'],
      vmSubnets: ['192.168.99.0/24'],
      nfsPorts: ['111,1110,2049,4045'],
    });
    const pf = res.parts![0]!.text;
    expect(pf).toContain('nfs_ports = "{ 111 1110 2049 4045 }"');
    expect(pf).toContain('table <allowed_hosts> const { 192.168.122.193 }');
    expect(pf).toContain('pass in quick proto tcp from <allowed_hosts> to any port 8000 keep state  # web');
    expect(pf).toMatch(/block return in\npass out quick\n$/);
    expect(res.diagnostics.map((d) => d.code)).toEqual([
      'export.pf-interfaces',
      'export.pf-left-out',
      'export.pf-left-out',
      'export.pf-left-out',
    ]);
    golden('example-policy-nfs-ports.pf.conf', pf);
  });

  it('sources, UDP, ICMP and port ranges of the shared filter', () => {
    const p = policyText(
      [
        'dockwall: 1',
        'filter:',
        '  interfaces: [en0]',
        '  allow:',
        '    - { name: dns, proto: udp, ports: [53], sources: [10.0.0.0/8, 192.168.1.0/24] }',
        '    - { name: ping, proto: icmp }',
        '    - { name: dev, ports: ["8000:8010", 9000] }',
        '',
      ].join('\n'),
    );
    const pf = exportPf(p, { vmSubnets: ['192.168.56.0/24'] }).parts![0]!.text;
    expect(pf).toContain(
      'pass in quick proto udp from { 10.0.0.0/8 192.168.1.0/24 } to any port 53 keep state  # dns',
    );
    expect(pf).toContain('pass in quick inet proto icmp from any to any  # ping');
    expect(pf).toContain('pass in quick proto tcp from any to any port { 8000:8010 9000 } keep state  # dev');
    golden('filter-entries.pf.conf', pf);
  });

  it('a nomatch member is a negated table entry; a set with skb values is left out', () => {
    const p = policyText(
      [
        'dockwall: 1',
        'ipsets:',
        '  nets:',
        '    type: hash:net',
        '    options: { comment: true }',
        '    members: [10.0.0.0/8, 10.1.0.0/16 nomatch, \'10.2.0.0/16 comment "lab"\']',
        '  marked:',
        '    type: hash:net',
        '    options: { skbinfo: true }',
        '    members: [10.0.0.0/8 skbmark 0x1]',
        'filter:',
        '  interfaces: [eth0]',
        '  allow:',
        '    - { name: web, ports: [80], sets: [nets] }',
        '    - { name: admin, ports: [22], sets: [marked] }',
        '',
      ].join('\n'),
    );
    const res = exportPf(p, {});
    const pf = res.parts![0]!.text;
    expect(pf).toContain('table <nets> const { 10.0.0.0/8, !10.1.0.0/16, 10.2.0.0/16 }');
    expect(pf).not.toContain('<marked>');
    expect(res.diagnostics.map((d) => d.message)).toContain(
      'filter entry "admin" is left out: the set marked is not a set of addresses or networks that pf can hold',
    );
  });

  it('bad options are errors', () => {
    const res = exportPf(undefined, {
      vmInterfaces: ['vbox net'],
      vmSubnets: ['192.168.99.0/33'],
      nfsPorts: ['70000'],
    });
    expect(res.parts).toBeUndefined();
    expect(res.diagnostics.map((d) => d.code)).toEqual([
      'export.pf-subnet',
      'export.pf-interface',
      'export.pf-port',
    ]);
  });
});
