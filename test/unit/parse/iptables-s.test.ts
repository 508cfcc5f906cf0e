import { describe, expect, it } from 'vitest';
import { formatRule, parseIptablesS } from '../../../src/parse/index.js';

describe('parseIptablesS', () => {
  it('reads -P, -N and -A lines of iptables -S', () => {
    const text = [
      '# Warning: iptables-legacy tables present, use iptables-legacy to see them',
      '-P INPUT ACCEPT',
      '-P FORWARD DROP',
      '-P OUTPUT ACCEPT',
      '-N DOCKER',
      '-A FORWARD -o docker0 -j DOCKER',
      '-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT',
      '',
    ].join('\n');
    const t = parseIptablesS(text, { file: 'S', family: 'ipv4', table: 'filter' }).value!;
    expect(t.name).toBe('filter');
    expect(t.chains.map((c) => [c.name, c.policy, c.rules.length])).toEqual([
      ['INPUT', 'ACCEPT', 0],
      ['FORWARD', 'DROP', 1],
      ['OUTPUT', 'ACCEPT', 0],
      ['DOCKER', null, 1],
    ]);
    expect(formatRule(t.chains[3]!.rules[0]!)).toBe(
      '-d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT',
    );
  });

  it('reads the counters of iptables -S -v', () => {
    const t = parseIptablesS('-P INPUT ACCEPT -c 10 20\n-A INPUT -i lo -j ACCEPT -c 3 4\n', {
      file: 'S',
      family: 'ipv4',
      table: 'filter',
    }).value!;
    expect(t.chains[0]!.counters).toEqual({ packets: '10', bytes: '20' });
    expect(t.chains[0]!.rules[0]!.counters).toEqual({ packets: '3', bytes: '4' });
  });

  it('reports junk with a position', () => {
    const r = parseIptablesS('-P INPUT ACCEPT\n-Q INPUT\n', { file: 'S', family: 'ipv4', table: 'filter' });
    expect(r.value).toBeUndefined();
    expect(r.diagnostics[0]).toMatchObject({
      code: 'parse.unexpected-line',
      pos: { file: 'S', line: 2, column: 1 },
    });
    const r2 = parseIptablesS('-A INPUT -p tcp --dport\n', { file: 'S', family: 'ipv4', table: 'filter' });
    expect(r2.diagnostics[0]).toMatchObject({ code: 'parse.missing-argument', pos: { line: 1, column: 17 } });
  });
});
