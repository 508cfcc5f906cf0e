import { describe, it } from 'vitest';
import { ruleset } from './build.js';
import { expectMatrixAgreesWithWalks, host } from './sim-helpers.js';

describe('the bound on conditions', () => {
  it('audit and trace agree for sources that meet more conditions than the bound', () => {
    const rules = [1, 2, 3, 4, 5].map((i) => `-s 203.0.113.0/24 -m limit --limit ${i}/min -j DROP`);
    const rs = ruleset('ipv4', { filter: { INPUT: { policy: 'DROP', rules: [...rules, '-j ACCEPT'] } } });
    expectMatrixAgreesWithWalks({ rulesets: { ipv4: rs }, host, interfaces: ['eth0'] }, [
      '203.0.113.5',
      '198.51.100.7',
    ]);
  });
});
