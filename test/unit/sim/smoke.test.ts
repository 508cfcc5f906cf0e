import { describe, expect, it } from 'vitest';
import { simulate, renderTrace } from '../../../src/sim/trace.js';
import { ruleset } from './build.js';

const host = {
  interfaces: [
    { name: 'eth0', addresses: ['192.168.122.190/24'] },
    { name: 'docker0', addresses: ['172.17.0.1/16'] },
  ],
  routes: [{ destination: 'default', device: 'eth0', via: '192.168.122.1' }],
};

describe('smoke', () => {
  it('walks', () => {
    const rs = ruleset('ipv4', {
      filter: {
        FORWARD: { policy: 'DROP', rules: ['-j DOCKER-USER', '-o docker0 -j DOCKER'] },
        'DOCKER-USER': { rules: ['-j RETURN'] },
        DOCKER: { rules: ['-d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT'] },
      },
      nat: {
        PREROUTING: { rules: ['-m addrtype --dst-type LOCAL -j DOCKER'] },
        DOCKER: { rules: ['-i docker0 -j RETURN', '! -i docker0 -p tcp -m tcp --dport 8000 -j DNAT --to-destination 172.17.0.2:80'] },
      },
    });
    const t = simulate({ rulesets: { ipv4: rs }, host }, { family: 'ipv4', src: '192.168.122.50', dst: '192.168.122.190', proto: 'tcp', sport: 40000, dport: 8000, in: 'eth0' });
    console.log(renderTrace(t, { all: true }).join('\n'));
    expect(t.verdict).toBe('accept');
  });
});
