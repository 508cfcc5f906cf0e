import { describe, expect, it } from 'vitest';
import { compileDesired } from '../../../src/compile/index.js';
import { exportFerm, sourceFromDesired } from '../../../src/export/index.js';
import { policyFrom } from '../../helpers/fixtures.js';
import { expectGolden } from '../../helpers/golden.js';

// The pinned text: test/golden/export-ferm/ (UPDATE_GOLDEN=1 rewrites it).
const SEED = 'examples/pyfw-wishes-firewalling-docker.yaml';
describe("export --format ferm of the seed's pyfw wishes", () => {
  it("writes FORWARD's and DOCKER's rules in DOCKER-USER, as import pyfw converts them, each move explained", () => {
    const res = exportFerm(sourceFromDesired(compileDesired(policyFrom(SEED)), SEED));
    expect(res.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const moves = res.diagnostics.filter((d) => d.code === 'export.ferm-moved-to-docker-user');
    expect(moves.map((d) => [d.severity, d.pos?.line, d.message.split(':')[0]])).toEqual([
      ['info', 19, 'ipv4 filter FORWARD rule "allow_established" is written in DOCKER-USER'],
      ['info', 22, 'ipv4 filter DOCKER rule "allowed_hosts_only" is written in DOCKER-USER'],
    ]);
    expect(moves[0]!.message).toContain(
      "Moved from the top of FORWARD to DOCKER-USER, which Docker's FORWARD enters first",
    );
    // The explanation import pyfw gives for the same rule.
    expect(moves[1]!.message).toContain(
      "`-m conntrack --ctstate DNAT` limits the rule to connections Docker's DNAT rewrote",
    );
    expect(res.diagnostics.find((d) => d.code === 'export.ferm-preserved-policy')?.message).toBe(
      'the policy of filter FORWARD (DROP) is left out: ferm keeps the policy of a preserved chain as it is',
    );
    const text = res.parts![0]!.text;
    expect(text).toMatch(
      /chain DOCKER-USER \{\n {12}mod conntrack ctstate \(RELATED ESTABLISHED\) mod comment comment allow_established ACCEPT;\n {12}interface ! docker0 outerface docker0 mod conntrack ctstate DNAT mod set match-set ! allowed_hosts src mod comment comment allowed_hosts_only REJECT reject-with icmp-port-unreachable;\n {12}RETURN;\n/,
    );
    expectGolden('export-ferm', 'seed-pyfw-wishes.ferm', text);
  });
});
