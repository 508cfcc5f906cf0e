import { describe, expect, it } from 'vitest';
import { familyMatrix, renderAuditHtml } from '../../../src/audit-html/index.js';
import { parseIptablesSave } from '../../../src/parse/index.js';
import { audit } from '../../../src/sim/index.js';
import { fixture02, FIXTURE_HOST, seedPlanned } from './reports.js';

/** The row of the matrix for a published port, with its cells. */
function row(html: string, port: number): string {
  const m = new RegExp(`<tr class="dest-row"[^>]*data-port="${port}"[^>]*>([\\s\\S]*?)</tr>`).exec(html);
  if (!m) throw new Error(`no row for port ${port}`);
  return m[0];
}

function cells(rowHtml: string): Array<{ verdict: string; reachable: string; column: string }> {
  return [
    ...rowHtml.matchAll(
      /<td class="v [a-z]+" data-column="(\d+)" data-verdict="(\w+)" data-reachable="(\w+)"/g,
    ),
  ].map((m) => ({ column: m[1]!, verdict: m[2]!, reachable: m[3]! }));
}

describe('the audit page', () => {
  it('fixture 02: port 8000 is open to every source class but the martians the kernel drops', () => {
    const { report, rulesets } = fixture02();
    const html = renderAuditHtml(report, { rulesets, subject: 'fixture 02' });
    const m = familyMatrix(report, 'ipv4')!;
    expect(m.columns.map((c) => c.kind)).toEqual(['rest', 'martian']);
    expect(m.columns[0]!.label).toBe('every source');
    const r = row(html, 8000);
    expect(r).toContain('data-world-open="true"');
    expect(cells(r)).toEqual([
      { column: '0', verdict: 'accept', reachable: 'true' },
      { column: '1', verdict: 'drop', reachable: 'false' },
    ]);
    expect(html).toContain('audit.world-open');
    expect(html).toContain('open to the world');
  });

  it('seed policy: port 8000 is open to 192.168.122.193 only, every other source is rejected', () => {
    const { report, rulesets } = seedPlanned();
    const html = renderAuditHtml(report, { rulesets });
    const m = familyMatrix(report, 'ipv4')!;
    expect(m.columns.map((c) => [c.kind, c.label])).toEqual([
      ['specific', '192.168.122.193/32'],
      ['rest', 'every other source'],
      ['martian', 'martian sources'],
    ]);
    const r = row(html, 8000);
    expect(r).toContain('data-world-open="false"');
    expect(cells(r).map((c) => `${c.verdict}/${c.reachable}`)).toEqual([
      'accept/true',
      'reject/false',
      'drop/false',
    ]);
    // The deciding rule is in the cell's tooltip and in the details row.
    expect(r).toMatch(/title="REJECT: [^"]*dockwall:filter\/otherwise/);
    expect(html).toMatch(
      /<li><span class="badge reject">reject<\/span> <code>[^<]*192\.168\.122\.192\/32[^<]*<\/code> <span class="by">— filter DOCKWALL-FILTER rule 4/,
    );
    expect(html).toMatch(/<li><span class="badge open">open<\/span> <code>192\.168\.122\.193\/32<\/code>/);
  });

  it('draws the filter and nat jump graphs with built-in chains on top', () => {
    const { report, rulesets } = seedPlanned();
    const html = renderAuditHtml(report, { rulesets });
    const filter = /<svg[^>]*data-family="ipv4" data-table="filter">[\s\S]*?<\/svg>/.exec(html)![0];
    expect(filter).toContain('data-chain="DOCKER-USER"');
    expect(filter).toMatch(/class="edge jump"[^>]*data-from="FORWARD" data-to="DOCKER-USER"/);
    expect(filter).toMatch(/data-from="DOCKER-USER" data-to="DOCKWALL-FILTER"/);
    const y = (chain: string) =>
      Number(
        new RegExp(`data-chain="${chain}" transform="translate\\([\\d.]+,([\\d.]+)\\)"`).exec(filter)![1],
      );
    expect(y('INPUT')).toBe(y('FORWARD'));
    expect(y('DOCKER-USER')).toBeGreaterThan(y('FORWARD'));
    // Jumped to from INPUT and from DOCKER-USER: it sits below both.
    expect(y('DOCKWALL-FILTER')).toBeGreaterThan(y('DOCKER-USER'));
    expect(html).toMatch(/<svg[^>]*data-family="ipv4" data-table="nat">/);
  });

  it('is self-contained: no script, no link, no external URL, and a CSP that forbids loading', () => {
    const { report, rulesets } = seedPlanned();
    const html = renderAuditHtml(report, { rulesets });
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(http/i);
    expect(html.match(/https?:\/\/[^"\s]*/g)).toEqual([
      'http://www.w3.org/2000/svg',
      'http://www.w3.org/2000/svg',
    ]);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
  });

  it('escapes everything taken from the rules, the inventory and the options', () => {
    const evil = `<img src=x onerror="alert(1)">&'`;
    const text = [
      '*filter',
      ':INPUT ACCEPT [0:0]',
      ':FORWARD ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      `-A INPUT -s 10.0.0.0/8 -p tcp -m tcp --dport 22 -m comment --comment "${evil.replace(/"/g, '\\"')}" -j DROP`,
      'COMMIT',
      '',
    ].join('\n');
    const rs = parseIptablesSave(text, { file: 'evil', family: 'ipv4' }).value!;
    const report = audit({
      rulesets: { ipv4: rs },
      host: FIXTURE_HOST,
      listening: [{ port: 22, proto: 'tcp', name: evil }],
    });
    const html = renderAuditHtml(report, { rulesets: { ipv4: rs }, title: evil, subject: evil });
    expect(html).not.toContain('<img');
    expect(html).not.toContain('"alert(1)"');
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;');
    // Every attribute value is quoted and holds no raw quote or angle bracket.
    for (const m of html.matchAll(/\s[\w-]+="([^"]*)"/g)) expect(m[1]).not.toMatch(/[<>]/);
  });
});
