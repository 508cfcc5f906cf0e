import { describe, expect, it } from 'vitest';
import { diagnose, renderDoctorText } from '../../../src/doctor/index.js';
import { NO_PAINT } from '../../../src/plan/render-text.js';
import { cleanFacts } from './facts-builder.js';

describe('renderDoctorText', () => {
  it('a clean host: the notes and one line saying nothing was found', () => {
    expect(renderDoctorText(diagnose(cleanFacts()), NO_PAINT)).toBe(
      "Notes:\n  - /etc/docker/daemon.json does not exist (Docker's defaults apply).\n\nNo problems found.\n",
    );
  });

  it('groups findings by area, each with its detail and fix, and counts them', () => {
    const facts = cleanFacts();
    facts.daemonJson = { path: '/etc/docker/daemon.json', state: 'ok', config: { iptables: false } };
    facts.routes!.push({ family: 'ipv4', destination: '172.16.0.0/12', device: 'tun0' });
    facts.ufw = { active: true, evidence: 'ufw status: active' };
    const text = renderDoctorText(diagnose(facts), NO_PAINT);
    const headings = text.split('\n').filter((l) => /^\S.*:$/.test(l));
    expect(headings).toEqual(['Docker daemon:', 'Routing:', 'Firewall managers:']);
    expect(text).toContain('  warning: /etc/docker/daemon.json sets "iptables": false [iptables-disabled]\n');
    expect(text).toContain('    fix:\n      Remove "iptables": false');
    // The proposed daemon.json is indented under its fix, line by line; prose is wrapped.
    expect(text).toMatch(/^ {8}"bip": "10\.201\.0\.1\/24",$/m);
    const body = text.split('\n').filter((l) => l.startsWith('    '));
    expect(Math.max(...body.map((l) => l.length))).toBeLessThanOrEqual(100);
    expect(text).toMatch(/^ {4}- 172\.16\.0\.0\/12 dev tun0 covers 172\.17\.0\.0\/16: .*\n {6}\S/m);
    expect(text.trimEnd().split('\n').pop()).toBe('4 findings: 0 errors, 4 warnings.');
  });

  it('exit codes: says nothing was found only in what was checked when Docker did not answer', () => {
    const facts = cleanFacts();
    facts.docker = { reachable: false, error: 'connect: no such file or directory' };
    const report = diagnose(facts);
    expect(report.findings).toEqual([]);
    expect(report.incomplete).toMatch(/Docker did not answer/);
    const text = renderDoctorText(report, NO_PAINT);
    expect(text).not.toContain('No problems found.');
    expect(text.trimEnd().split('\n').pop()).toBe(
      "No problems found in what was checked; Docker did not answer, so subnet overlaps and Docker's networks were not checked.",
    );
  });
});
