import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectDockerLayout } from '../../../src/compile/index.js';
import { fixtureRuleset, repoFile } from '../../helpers/fixtures.js';

/** Chain names Docker created, as listed by `-N` lines in moby's generated documents. */
function mobyChains(version: string, file: string): string[] {
  return [...repoFile(`test/fixtures/moby-docs/${version}/${file}`).matchAll(/^\s+-N (\S+)$/gm)].map(
    (m) => m[1]!,
  );
}

describe("Docker's rule layout", () => {
  it('20.10 (live fixtures): DOCKER-USER and the isolation chains, no DOCKER-FORWARD', () => {
    for (const f of ['01-idle', '03-custom-network-multi-ports', '07-seed003-wishes-applied']) {
      const names = fixtureRuleset(`docker-20.10/${f}.iptables-save`)
        .tables.find((t) => t.name === 'filter')!
        .chains.map((c) => c.name);
      expect(detectDockerLayout(names)).toMatchObject({ kind: 'iptables', generation: '17.06-27' });
    }
  });

  it('28.5.2 (moby documents): DOCKER-FORWARD with the isolation chains', () => {
    for (const f of readdirSync('test/fixtures/moby-docs/28.5.2')) {
      expect(detectDockerLayout(mobyChains('28.5.2', f)), f).toMatchObject({
        kind: 'iptables',
        generation: '28',
      });
    }
  });

  it('29.7.2 iptables (moby documents): DOCKER-FORWARD and DOCKER-INTERNAL, no isolation chains', () => {
    for (const f of readdirSync('test/fixtures/moby-docs/29.7.2/iptables')) {
      expect(detectDockerLayout(mobyChains('29.7.2/iptables', f)), f).toMatchObject({
        kind: 'iptables',
        generation: '29',
      });
    }
  });

  it("29's nftables backend: says plainly that DOCKER-USER does not exist there", () => {
    const tables = [
      ...repoFile('test/fixtures/moby-docs/29.7.2/nftables/new-daemon.md').matchAll(
        /^\s+table (ip6? \S+) \{/gm,
      ),
    ].map((m) => m[1]!);
    expect(tables).toContain('ip docker-bridges');
    const layout = detectDockerLayout([], tables);
    expect(layout.kind).toBe('nftables');
    expect(layout.description).toMatch(/no DOCKER-USER/);
  });

  it('no Docker chains at all', () => {
    expect(detectDockerLayout(['INPUT', 'FORWARD', 'OUTPUT']).kind).toBe('none');
  });
});
