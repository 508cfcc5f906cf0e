import type { DoctorFacts, Finding } from './facts.js';
import { dockerPresent } from './findings-iptables.js';

/** Firewall managers running beside Docker: ufw and firewalld, and what each means for containers. */

export function managerFindings(facts: DoctorFacts): Finding[] {
  if (!dockerPresent(facts)) return [];
  const findings: Finding[] = [];
  if (facts.ufw?.active) {
    findings.push({
      id: 'ufw-beside-docker',
      severity: 'warning',
      category: 'firewall',
      title: 'ufw is active beside Docker: its rules do not cover published ports',
      detail:
        `ufw is active (${facts.ufw.evidence}). ufw filters INPUT, but a published port never reaches INPUT: ` +
        "Docker's DNAT rewrites the packet in PREROUTING and it is forwarded to the container through FORWARD and " +
        "Docker's chains. `ufw deny 8080` therefore does not close a port published with `-p 8080:80`, and " +
        '`ufw default deny incoming` leaves every published port open to the world.',
      fix:
        'Filter published ports where they pass: in DOCKER-USER, matching the original port ' +
        '(`-m conntrack --ctorigdstport`). A dockwall policy with a shared filter or `containers:` rules writes ' +
        'exactly that; alternatively publish ports only on 127.0.0.1 (`-p 127.0.0.1:8080:80`) when only the host needs them.',
    });
  }
  if (facts.firewalld?.active) {
    findings.push({
      id: 'firewalld-beside-docker',
      severity: 'warning',
      category: 'firewall',
      title: 'firewalld runs beside Docker: a reload empties DOCKER-USER',
      detail:
        `firewalld is running (${facts.firewalld.evidence}). A firewalld reload (\`firewall-cmd --reload\`, a ` +
        'package upgrade, a zone change) removes every iptables rule it did not make. dockerd notices and recreates ' +
        'its own chains, but DOCKER-USER comes back empty: whatever filtered published ports there is gone, ' +
        'silently, until someone puts it back. Docker also puts its bridges in the firewalld zone `docker`, ' +
        "so firewalld's zone rules for the host's interfaces do not apply to containers.",
      fix:
        'Run `dockwall watch` (see `dockwall install-service`): it notices the emptied DOCKER-USER and reapplies ' +
        'the policy within seconds. Filter published ports in DOCKER-USER (dockwall policy), not in firewalld ' +
        'zones; never rely on rules in DOCKER-USER that nothing restores.',
    });
  }
  return findings;
}
