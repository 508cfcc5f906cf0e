import { describe, expect, it } from 'vitest';
import { checkExpectations } from '../../../src/proof/expectations.js';
import { renderTrace, serviceMatrix } from '../../../src/sim/index.js';
import { ruleset } from './build.js';
import { groupOf, host, input } from './sim-helpers.js';

describe('answers that hold either way', () => {
  it('recent --rcheck with a deciding target: accept unless the source is in the list', () => {
    const t = input(['-m recent --name ssh --rcheck --seconds 60 -j DROP', '-j ACCEPT']);
    expect(t.verdict).toBe('depends');
    expect(t.depends).toBe(
      'accept unless 203.0.113.5 was seen in the last 60 s (recent list `ssh`) (then drop)',
    );
    expect(t.decidedBy).toBeUndefined();
    expect(t.branches?.map((b) => b.verdict).sort()).toEqual(['accept', 'drop']);
    const text = renderTrace(t).join('\n');
    expect(text).toContain('verdict: DEPENDS: accept unless 203.0.113.5');
    expect(text).toContain('if 203.0.113.5 was seen in the last 60 s');
  });

  it('the same verdict both ways is an answer, naming what it holds regardless of', () => {
    const t = input(['-m recent --name ssh --rcheck -j DROP', '-j DROP']);
    expect(t.verdict).toBe('drop');
    expect(t.eitherWay).toEqual(['203.0.113.5 is in recent list `ssh`']);
    expect(renderTrace(t).join('\n')).toContain(
      'holds either way: whether or not 203.0.113.5 is in recent list `ssh`',
    );
  });

  it('a packet that fails a modelled match of the rule never reaches the condition', () => {
    const t = input(['-p udp -m recent --name x --rcheck -j DROP', '-j ACCEPT']);
    expect(t.verdict).toBe('accept');
    expect(t.branches).toBeUndefined();
    expect(input(['-m recent --name x --rcheck -p tcp -m udp --dport 53 -j DROP', '-j ACCEPT']).verdict).toBe(
      'accept',
    );
  });

  it('a condition with a harmless target (LOG) does not branch', () => {
    const t = input(['-m recent --name x --rcheck -j LOG', '-j ACCEPT']);
    expect(t.verdict).toBe('accept');
    expect(t.branches).toBeUndefined();
  });

  it('--set then --rcheck on the same list: known, no branch', () => {
    const t = input([
      '-m recent --name x --set',
      '-m recent --name x --rcheck --seconds 60 -j DROP',
      '-j ACCEPT',
    ]);
    expect(t.verdict).toBe('drop');
    expect(t.branches).toBeUndefined();
  });

  it('--set then --update --hitcount 2: depends on the earlier hits, this packet counted', () => {
    const t = input([
      '-m recent --name burst --set',
      '-m recent --name burst --update --seconds 60 --hitcount 2 -j DROP',
      '-j ACCEPT',
    ]);
    expect(t.verdict).toBe('depends');
    expect(t.depends).toBe(
      'accept unless 203.0.113.5 was seen 2 times or more in the last 60 s (recent list `burst`, this packet counted) (then drop)',
    );
  });

  it('a --remove that may have matched leaves the list open', () => {
    const t = input([
      '-m recent --name x --remove -j LOG',
      '-m recent --name x --rcheck -j DROP',
      '-j ACCEPT',
    ]);
    // LOG is harmless: the remove may or may not have matched, so the check is still open.
    expect(t.verdict).toBe('depends');
  });

  it('the same fact checked twice takes one value', () => {
    const t = input([
      '-m recent --name x --rcheck -j MARK --set-mark 1',
      '-m recent --name x --rcheck -j ACCEPT',
      '-j DROP',
    ]);
    expect(t.verdict).toBe('depends');
    expect(t.branches).toHaveLength(2);
    expect(t.depends).toBe('drop unless 203.0.113.5 is in recent list `x` (then accept)');
  });

  it('limit: drop if the limit is exceeded', () => {
    const t = input(['-m limit --limit 3/min -j ACCEPT', '-j DROP']);
    expect(t.verdict).toBe('depends');
    expect(t.depends).toBe('accept unless the limit 3/min is exceeded (then drop)');
    const h = input([
      '-m hashlimit --hashlimit-above 5/sec --hashlimit-mode srcip --hashlimit-name x -j DROP',
      '-j ACCEPT',
    ]);
    expect(h.depends).toBe('accept unless the hashlimit `x` rate 5/sec per srcip is exceeded (then drop)');
  });

  it('connlimit, quota, statistic, string', () => {
    expect(input(['-m connlimit --connlimit-above 4 -j REJECT', '-j ACCEPT']).depends).toBe(
      'accept unless the source has more than 4 connections (then reject)',
    );
    expect(input(['-m quota --quota 1000 -j ACCEPT', '-j DROP']).depends).toBe(
      'accept unless the quota of 1000 bytes is used up (then drop)',
    );
    expect(input(['-m statistic --mode random --probability 0.5 -j DROP', '-j ACCEPT']).depends).toBe(
      'accept unless the packet is picked at random (probability 0.5) (then drop)',
    );
    expect(input(['-m string --string "GET /admin" --algo bm -j DROP', '-j ACCEPT']).depends).toBe(
      'accept unless the payload contains "GET /admin" (then drop)',
    );
  });

  it('a match still unmodelled is a condition too', () => {
    const t = input(['-m cpu --cpu 1 -j DROP', '-j ACCEPT']);
    expect(t.verdict).toBe('depends');
    expect(t.depends).toBe('accept unless `-m cpu --cpu 1` matches (then drop)');
  });

  it('more conditions than the bound: unknown, naming them', () => {
    const rules = [1, 2, 3, 4, 5].map((i) => `-m recent --name l${i} --rcheck -j MARK --set-mark ${i}`);
    const t = input([...rules, '-j ACCEPT']);
    expect(t.verdict).toBe('unknown');
    expect(t.unknownReason).toContain('more than 4 conditions');
    expect(t.unknownReason).toContain('recent list `l5`');
  });

  it('check: a depends verdict is not proven', () => {
    const state = {
      rulesets: {
        ipv4: ruleset('ipv4', {
          filter: { INPUT: { policy: 'DROP', rules: ['-m limit --limit 3/min -j ACCEPT'] } },
        }),
      },
    };
    const r = checkExpectations(
      [
        {
          family: 'ipv4',
          from: '203.0.113.5',
          to: { address: '192.0.2.10', port: 22, proto: 'tcp' },
          in: 'eth0',
          verdict: 'accept',
        },
      ],
      state as never,
      host,
    );
    expect(r.results[0]!.ok).toBe(false);
    expect(r.diagnostics[0]!.message).toContain('not proven');
    expect(r.diagnostics[0]!.message).toContain('the limit 3/min is exceeded');
  });

  it('audit: depends cells are neither open nor closed', () => {
    const rs = ruleset('ipv4', {
      filter: {
        INPUT: {
          policy: 'DROP',
          rules: [
            '-s 198.18.0.0/15 -j DROP',
            '-p tcp -m tcp --dport 22 -m recent --name ssh --update --seconds 60 --hitcount 4 -j DROP',
            '-p tcp -m tcp --dport 22 -j ACCEPT',
          ],
        },
      },
    });
    const m = serviceMatrix({ rulesets: { ipv4: rs }, host, listening: [{ port: 22, proto: 'tcp' }] });
    const d = m.destinations[0]!;
    const probe = d.probes.find((p) => p.interface === 'eth0')!;
    expect(groupOf(probe, '198.18.0.5')?.verdict).toBe('drop');
    const g = groupOf(probe, '203.0.113.5')!;
    expect(g.verdict).toBe('depends');
    expect(g.reachable).toBe(false);
    expect(g.dependsOn).toBe(
      'open unless the source was seen 4 times or more in the last 60 s (recent list `ssh`) (then drop)',
    );
    expect(d.depends).toBe(true);
    expect(d.worldOpen).toBe(false);
    expect(d.reachableFrom).toEqual([]);
  });
});
