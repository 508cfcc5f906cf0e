import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { summarizeIp6Filter } from '../../../src/doctor/index.js';

const FIXTURE = new URL(
  '../../fixtures/docker-20.10/06-icc-false-no-userland-proxy-ipv6.ip6tables-save',
  import.meta.url,
);

describe('summarizeIp6Filter', () => {
  it("Docker 20.10 with --ip6tables: Docker's chains, no DOCKER-USER, FORWARD DROP, nothing of the host's own", () => {
    // FORWARD holds `-i docker0 -o docker0 -j DROP` (icc=false): Docker's, since it names the bridge.
    expect(summarizeIp6Filter(readFileSync(FIXTURE, 'utf8'), ['docker0'])).toEqual({
      dockerChains: true,
      dockerUser: 'missing',
      forwardPolicy: 'DROP',
      forwardFilters: 0,
      forwardAccepts: 0,
    });
  });

  it("without knowing the bridge, the icc DROP would look like the host's own filter", () => {
    expect(summarizeIp6Filter(readFileSync(FIXTURE, 'utf8'), []).forwardFilters).toBe(1);
  });

  it('DOCKER-USER with rules that FORWARD never jumps to is unreached (Docker 20.10 with --ip6tables)', () => {
    const text = readFileSync(FIXTURE, 'utf8').replace(
      'COMMIT',
      ':DOCKER-USER - [0:0]\n-A DOCKER-USER -i eth0 -j DROP\nCOMMIT',
    );
    expect(summarizeIp6Filter(text, ['docker0']).dockerUser).toBe('unreached');
    const jumped = text.replace(':DOCKER-USER - [0:0]', ':DOCKER-USER - [0:0]\n-A FORWARD -j DOCKER-USER');
    expect(summarizeIp6Filter(jumped, ['docker0']).dockerUser).toBe('rules');
  });

  it('an empty dump (no ip6tables tables): nothing at all', () => {
    expect(summarizeIp6Filter('', ['docker0'])).toEqual({
      dockerChains: false,
      dockerUser: 'missing',
      forwardFilters: 0,
      forwardAccepts: 0,
    });
  });

  it('DOCKER-USER with only RETURN is empty; a real rule counts; FORWARD rules of the host count', () => {
    const dump = (userRules: string[]) =>
      [
        '*filter',
        ':INPUT ACCEPT [0:0]',
        ':FORWARD ACCEPT [0:0]',
        ':OUTPUT ACCEPT [0:0]',
        ':DOCKER-USER - [0:0]',
        ':DOCKER-FORWARD - [0:0]',
        ':DOCKWALL-SHARED - [0:0]',
        '-A FORWARD -j DOCKER-USER',
        '-A FORWARD -j DOCKER-FORWARD',
        '-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
        '-A FORWARD -i eth0 -j DOCKWALL-SHARED',
        ...userRules.map((r) => `-A DOCKER-USER ${r}`),
        'COMMIT',
        '*nat',
        ':DOCKER-USER - [0:0]',
        '-A DOCKER-USER -j DROP',
        'COMMIT',
      ].join('\n');
    expect(summarizeIp6Filter(dump(['-j RETURN']), [])).toEqual({
      dockerChains: true,
      dockerUser: 'empty',
      forwardPolicy: 'ACCEPT',
      forwardFilters: 1,
      forwardAccepts: 1,
    });
    expect(summarizeIp6Filter(dump(['-s 2001:db8::/32 -j RETURN', '-j DROP']), []).dockerUser).toBe('rules');
  });
});
