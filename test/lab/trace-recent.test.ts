import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLab,
  DOCKWALL_BUNDLE,
  labGate,
  probeTcp,
  startHostServices,
  type Lab,
  type LabHost,
} from './helpers/index.js';

/**
 * `-m recent` with real traffic: the first connection of a burst is let in and marks the client
 * (`--set`), the second is dropped (`--update --hitcount 2`). `trace` cannot know the list's
 * contents, so it says the verdict depends on them, naming the condition, and real traffic shows
 * both outcomes.
 */

const gate = await labGate();

const RULES = [
  '*filter',
  ':INPUT ACCEPT [0:0]',
  ':FORWARD ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  '-A INPUT -p tcp -m tcp --dport 8080 -m conntrack --ctstate NEW -m recent --set --name burst --mask 255.255.255.255 --rsource',
  '-A INPUT -p tcp -m tcp --dport 8080 -m conntrack --ctstate NEW -m recent --update --seconds 60 --hitcount 2 --name burst --mask 255.255.255.255 --rsource -j DROP',
  'COMMIT',
  '',
].join('\n');

describe.skipIf(gate.skip)('trace on -m recent, against a real burst', () => {
  let lab: Lab;
  let fw: LabHost;
  let client: LabHost;

  beforeAll(async () => {
    gate.assertAvailable();
    lab = await createLab();
    fw = await lab.addHost('fw', { address: '10.99.0.1/24' });
    client = await lab.addHost('client', { address: '10.99.0.2/24' });
    await startHostServices(lab, fw, [8080]);
    await lab.execChecked(fw, ['iptables-restore'], { stdin: RULES });
  }, 120_000);

  afterAll(async () => {
    await lab?.destroy();
  }, 120_000);

  const trace = async () => {
    const argv = ['trace', '--from', '10.99.0.2', '--to', '10.99.0.1:8080/tcp', '--in', 'eth0', '--json'];
    const r = await lab.exec(fw, ['env', 'NO_COLOR=1', process.execPath, DOCKWALL_BUNDLE, ...argv], {
      timeoutMs: 60_000,
    });
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as {
      verdict: string;
      depends?: string;
      branches?: Array<{ verdict: string; when: Array<{ fact: string; holds: boolean }> }>;
    };
  };

  it('trace says "depends" on the recent list; the first packet of a burst is accepted, the second dropped', async () => {
    const t = await trace();
    expect(t.verdict).toBe('depends');
    const fact =
      '10.99.0.2 (mask 255.255.255.255) was seen 2 times or more in the last 60 s (recent list `burst`, this packet counted)';
    expect(t.depends).toBe(`accept unless ${fact} (then drop)`);
    const branch = (holds: boolean) =>
      t.branches!.find((b) => b.when.length === 1 && b.when[0]!.fact === fact && b.when[0]!.holds === holds)!;
    expect(branch(false).verdict).toBe('accept');
    expect(branch(true).verdict).toBe('drop');

    // The list is empty: the fact is false for the first connection (accepted), true for the second.
    const first = await probeTcp(lab, client, '10.99.0.1', 8080, 1_500);
    const second = await probeTcp(lab, client, '10.99.0.1', 8080, 1_500);
    expect([first, second]).toEqual(['open', 'timeout']);
    const list = await lab.execChecked(fw, ['cat', '/proc/net/xt_recent/burst']);
    expect(list.stdout).toContain('src=10.99.0.2');
  }, 120_000);
});
