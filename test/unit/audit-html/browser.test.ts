import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderAuditHtml } from '../../../src/audit-html/index.js';
import { fixture02, seedPlanned, type Audited } from './reports.js';

/**
 * The audit page in a real headless browser (Debian's chromium, driven by playwright-core). Without
 * chromium the file is skipped, except under CI=true where that is a failure.
 */

const CHROMIUM = '/usr/bin/chromium';
const inCi = /^(1|true|yes)$/i.test(process.env.CI ?? '');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !inCi)
  console.warn(`browser test skipped: ${CHROMIUM} is missing (Debian: apt-get install chromium)`);

const dir = mkdtempSync(join(tmpdir(), 'dockwall-audit-html-'));

interface Opened {
  page: Page;
  requests: string[];
  url: string;
}

async function open(browser: Browser, name: string, audited: Audited): Promise<Opened> {
  const file = join(dir, `${name}.html`);
  writeFileSync(file, renderAuditHtml(audited.report, { rulesets: audited.rulesets, subject: name }));
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  const url = pathToFileURL(file).href;
  await page.goto(url);
  await page.screenshot({ path: join('/tmp', `dockwall-audit-${name}.png`), fullPage: true });
  return { page, requests, url };
}

/** The cells of a port's row: the column's kind and ranges, the cell's text, verdict and reachability. */
async function rowCells(page: Page, port: number) {
  return page.$$eval(`tr.dest-row[data-port="${port}"] td.v`, (tds) =>
    tds.map((td) => {
      const col = td.getAttribute('data-column');
      const th = td.ownerDocument.querySelector(`table.matrix th[data-column="${col}"]`);
      return {
        kind: th?.getAttribute('data-kind') ?? '',
        ranges: (th?.getAttribute('data-ranges') ?? '').split(' '),
        text: (td.textContent ?? '').trim(),
        verdict: td.getAttribute('data-verdict'),
        reachable: td.getAttribute('data-reachable'),
        background: td.ownerDocument.defaultView!.getComputedStyle(td).backgroundColor,
        title: td.getAttribute('title') ?? '',
      };
    }),
  );
}

describe.skipIf(!haveChromium && !inCi)('the audit page in headless chromium', () => {
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`the browser test must run under CI but ${CHROMIUM} is missing`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fixture 02: port 8000 is open (green) to every source; the martians are dropped; nothing is fetched', async () => {
    const { page, requests, url } = await open(browser!, 'fixture-02', fixture02());
    const cells = await rowCells(page, 8000);
    expect(cells.map((c) => [c.kind, c.text])).toEqual([
      ['rest', 'open'],
      ['martian', 'drop'],
    ]);
    expect(cells[0]!.reachable).toBe('true');
    expect(cells[0]!.background).toBe('rgb(210, 244, 220)');
    expect(await page.locator('tr.dest-row[data-port="8000"] .flag.world').textContent()).toBe(
      'open to the world',
    );
    expect(await page.locator('#findings li[data-code="audit.world-open"]').count()).toBe(1);
    expect(requests).toEqual([url]);
    await page.close();
  });

  it('seed policy: port 8000 open to 192.168.122.193 only, rejected for every other source', async () => {
    const { page, requests, url } = await open(browser!, 'seed-policy', seedPlanned());
    const cells = await rowCells(page, 8000);
    const byText = cells.map((c) => [c.ranges.includes('192.168.122.193/32') ? 'host2' : c.kind, c.text]);
    expect(byText).toEqual([
      ['host2', 'open'],
      ['rest', 'reject'],
      ['martian', 'drop'],
    ]);
    expect(cells[0]!.ranges).toEqual(['192.168.122.193/32']);
    expect(cells[1]!.background).toBe('rgb(255, 228, 196)');
    // The deciding rule: on hover (the cell's title) and in the details row.
    expect(cells[1]!.title).toContain('decided by filter DOCKWALL-FILTER rule 4');
    const details = page.locator('tr.dest-row[data-port="8000"] + tr.details details');
    expect(await details.locator('li').first().isVisible()).toBe(false);
    await details.locator('summary').click();
    expect(await details.locator('li', { hasText: 'dockwall:filter/otherwise' }).isVisible()).toBe(true);
    await page.screenshot({ path: '/tmp/dockwall-audit-seed-policy-details.png', fullPage: true });

    // The chain graph: a DOCKER-USER box under FORWARD, and the FORWARD -> DOCKER-USER arrow between them.
    const svg = page.locator('svg.chain-graph[data-family="ipv4"][data-table="filter"]');
    const forward = await svg.locator('g.node[data-chain="FORWARD"]').boundingBox();
    const user = await svg.locator('g.node[data-chain="DOCKER-USER"]').boundingBox();
    const edge = await svg.locator('path.edge[data-from="FORWARD"][data-to="DOCKER-USER"]').boundingBox();
    expect(forward && user && edge).toBeTruthy();
    expect(user!.y).toBeGreaterThan(forward!.y + forward!.height);
    // From FORWARD's lower edge (its box includes the border) down to DOCKER-USER's upper edge.
    expect(Math.abs(edge!.y - (forward!.y + forward!.height))).toBeLessThan(4);
    expect(Math.abs(edge!.y + edge!.height - user!.y)).toBeLessThan(4);
    expect(await svg.locator('path.edge[data-from="DOCKER-USER"][data-to="DOCKWALL-FILTER"]').count()).toBe(
      1,
    );
    expect(requests).toEqual([url]);
    await page.close();
  });
});
