import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labGate, probeTcp } from './helpers/index.js';
import { createSeedLab, repoText, type SeedLab } from './seed-scenario.js';
import {
  chainRules,
  childCommands,
  pollUntil,
  seedWatchPolicy,
  slowTools,
  startWatch,
  tagCounts,
  type WatchLine,
  type WatchProcess,
} from './watch-process.js';

const gate = await labGate();

const restoredLine = (l: WatchLine) => l.msg.startsWith('restored the policy');
const found = (l: WatchLine) => (Array.isArray(l.found) ? (l.found as string[]) : []);

/** Someone changes dockwall's rules by hand, the policy file turns invalid, watch or dockerd get killed. */
describe.skipIf(gate.skip)('watch repairs drift and survives signals and crashes', () => {
  let s: SeedLab;
  let policy: string;
  let policyText: string;
  let watch: WatchProcess;
  let baseline: Map<string, number>;

  const start = (env?: Record<string, string>) =>
    startWatch({
      lab: s.lab,
      host: s.docker,
      dockerd: s.dockerd,
      policy,
      stateDir: s.stateDir,
      ...(env ? { env } : {}),
    });
  const ipt = (args: string[]) => s.lab.execChecked(s.docker, ['iptables', ...args]);
  // status in watch's own state directory: it first settles a repair a killed watch left half done
  // (under the lock), so "whole" is never judged in the middle of that.
  const whole = async () =>
    (await s.dockwall(['status', '-f', policy, '--state-dir', s.stateDir])).code === 0;
  const filterRules = async () => (await chainRules(s.lab, s.docker, 'DOCKWALL-FILTER')).length;
  const dockerUserJump = async () =>
    (await chainRules(s.lab, s.docker, 'DOCKER-USER')).some((l) =>
      l.includes('dockwall:filter/docker-user-eth0'),
    );
  const ipsets = async () =>
    (await s.lab.execChecked(s.docker, ['ipset', 'list', '-n'])).stdout.trim().split('\n').sort();

  beforeAll(async () => {
    gate.assertAvailable();
    s = await createSeedLab();
    policyText = seedWatchPolicy(repoText('examples/firewalling-docker.yaml'));
    policy = s.file('watch.yaml', policyText);
    watch = start();
    await watch.waitForLine(restoredLine, { timeoutMs: 20_000 });
    baseline = tagCounts(await s.save());
  });
  afterAll(async () => {
    if (watch?.running()) watch.signal('SIGTERM');
    await s?.lab.destroy();
  });

  it('the policy is in place once, every tagged rule exactly once', async () => {
    expect(await whole()).toBe(true);
    expect([...baseline.values()].every((n) => n === 1)).toBe(true);
    expect(baseline.get('DOCKWALL-FILTER filter/web')).toBe(1);
    expect(baseline.size).toBe(11);
    expect(await filterRules()).toBe(4);
  });

  it('`iptables -F DOCKWALL-FILTER` is restored from its change event, and the log says what it found', async () => {
    const from = watch.lines.length;
    await ipt(['-F', 'DOCKWALL-FILTER']);
    expect(await filterRules()).toBe(0);
    await pollUntil('DOCKWALL-FILTER restored', async () => (await filterRules()) === 4, {
      timeoutMs: 3_000,
      everyMs: 25,
    });
    const line = await watch.waitForLine(restoredLine, { from, timeoutMs: 1_000 });
    expect(line.level).toBe('info');
    // The change event, or a check that ran at that moment (checks are 500 ms apart here;
    // watch-nft-events.test.ts shows the event alone, with checks 10 minutes apart).
    expect(['nft-event', 'check']).toContain(line.trigger);
    expect(found(line)).toEqual(
      expect.arrayContaining(['insert-rule ipv4 filter DOCKWALL-FILTER (filter/web)']),
    );
    expect(await probeTcp(s.lab, s.host3, s.docker.address, 8000)).toBe('refused');
    expect(await probeTcp(s.lab, s.host2, s.docker.address, 8000)).toBe('open');
  });

  it('deleting the DOCKER-USER jump to DOCKWALL-FILTER is repaired the same way', async () => {
    const from = watch.lines.length;
    await ipt([
      '-D',
      'DOCKER-USER',
      '-i',
      'eth0',
      '-m',
      'comment',
      '--comment',
      'dockwall:filter/docker-user-eth0',
      '-j',
      'DOCKWALL-FILTER',
    ]);
    expect(await dockerUserJump()).toBe(false);
    await pollUntil('DOCKER-USER jump restored', dockerUserJump, { timeoutMs: 3_000, everyMs: 25 });
    const line = await watch.waitForLine(restoredLine, { from, timeoutMs: 1_000 });
    expect(found(line)).toEqual(['insert-rule ipv4 filter DOCKER-USER (filter/docker-user-eth0)']);
    expect(await probeTcp(s.lab, s.host3, s.docker.address, 8000)).toBe('refused');
    expect(tagCounts(await s.save())).toEqual(baseline);
  });

  it('SIGHUP: an invalid file is logged and the last good policy kept; a valid one is taken', async () => {
    let from = watch.lines.length;
    writeFileSync(policy, policyText.replace('dockwall: 1', 'dockwall: 1\nfiltr: {}'));
    watch.signal('SIGHUP');
    const err = await watch.waitForLine((l) => l.level === 'error', { from, timeoutMs: 3_000 });
    expect(err.msg).toMatch(/not a valid policy.*filtr.*keeping the last good policy/);
    // Still watching, with the last good policy.
    from = watch.lines.length;
    await ipt(['-F', 'DOCKWALL-FILTER']);
    await pollUntil(
      'DOCKWALL-FILTER restored with the last good policy',
      async () => (await filterRules()) === 4,
      { timeoutMs: 3_000, everyMs: 25 },
    );
    expect(found(await watch.waitForLine(restoredLine, { from, timeoutMs: 1_000 }))).toContain(
      'insert-rule ipv4 filter DOCKWALL-FILTER (filter/otherwise)',
    );

    // A valid new policy that also lets host 3 in is applied at once.
    from = watch.lines.length;
    writeFileSync(
      policy,
      policyText.replace('members: [192.168.122.193]', `members: [192.168.122.193, ${s.host3.address}]`),
    );
    watch.signal('SIGHUP');
    await watch.waitForLine((l) => l.msg.startsWith('reloaded'), { from, timeoutMs: 3_000 });
    await watch.waitForLine((l) => restoredLine(l) && l.trigger === 'reload', { from, timeoutMs: 3_000 });
    expect(await probeTcp(s.lab, s.host3, s.docker.address, 8000)).toBe('open');

    from = watch.lines.length;
    writeFileSync(policy, policyText);
    watch.signal('SIGHUP');
    await watch.waitForLine((l) => restoredLine(l) && l.trigger === 'reload', { from, timeoutMs: 3_000 });
    expect(await probeTcp(s.lab, s.host3, s.docker.address, 8000)).toBe('refused');
    expect(tagCounts(await s.save())).toEqual(baseline);
  });

  // Each round breaks the policy (a chain, a FORWARD rule, a set member), slows the host tools down
  // (wrappers that wait 300 ms before running the real tool), kills watch while it runs the named
  // one, and starts a new watch with normal tools.
  const read = /iptables(-nft|-legacy)?-save |iptables(-nft|-legacy)? .*-S |nft list chains/;
  const commit = /iptables(-nft|-legacy)?-restore(?!.*--test)/;
  // Where to kill: when watch runs a tool matching the last pattern, after the earlier ones (in order).
  const killPoints: Array<[string, RegExp[]]> = [
    ['reading the rules', [read]],
    ['swapping the set', [/ipset (-exist )?restore/]],
    ['committing (iptables-restore)', [commit]],
    ['reading the rules back after the commit', [commit, read]],
  ];
  const forwardRule = [
    'FORWARD',
    '-m',
    'conntrack',
    '--ctstate',
    'RELATED,ESTABLISHED',
    '-m',
    'comment',
    '--comment',
    'dockwall:forward_established',
    '-j',
    'ACCEPT',
  ];
  for (const [where, patterns] of killPoints) {
    it(`SIGKILL while ${where}, then a new watch: converges, no rule or set twice`, async () => {
      const slow = slowTools(s.lab, [
        'iptables-nft-save',
        'iptables-nft',
        'iptables-nft-restore',
        'nft',
        'ipset',
      ]);
      watch.signal('SIGTERM');
      await watch.exited;
      watch = start({ PATH: slow.path });
      await watch.waitForLine((l) => l.msg.startsWith('watching'));
      slow.on();
      try {
        await ipt(['-F', 'DOCKWALL-FILTER']);
        await ipt(['-D', ...forwardRule]);
        await s.lab.execChecked(s.docker, ['ipset', 'del', 'allowed_hosts', s.host2.address]);
        const seen = new Set<string>();
        let hit: string | undefined;
        let step = 0;
        const deadline = Date.now() + 10_000;
        while (!hit && Date.now() < deadline) {
          const kids = childCommands(watch.pid);
          for (const k of kids) seen.add(k);
          const match = kids.find((k) => patterns[step]!.test(k));
          if (match && step === patterns.length - 1) hit = match;
          else if (match) step++;
          if (!hit) await new Promise((r) => setTimeout(r, 20));
        }
        expect(hit, `no child matched; seen: ${[...seen].join(' | ')}`).toBeDefined();
        watch.signal('SIGKILL');
        expect(await watch.exited).toEqual({ code: null, signal: 'SIGKILL' });
      } finally {
        slow.off();
      }

      watch = start();
      await pollUntil('whole again after the restart of watch', whole, {
        timeoutMs: 10_000,
        everyMs: 200,
      }).catch((e: Error) => {
        throw new Error(`${e.message}\n${watch.dump()}`);
      });
      expect(tagCounts(await s.save())).toEqual(baseline);
      expect(await ipsets()).toEqual(['allowed_hosts']);
      expect((await s.lab.execChecked(s.docker, ['ipset', 'save', 'allowed_hosts'])).stdout).toContain(
        `add allowed_hosts ${s.host2.address}`,
      );
      expect((await chainRules(s.lab, s.docker, 'FORWARD'))[0]).toContain('dockwall:forward_established');
    });
  }

  it('dockerd killed with SIGKILL and started again: watch logs the loss and the return, and the policy is whole', async () => {
    // The watch started by the test before may not have subscribed to Docker's events yet.
    await watch.waitForLine((l) => l.msg === 'following Docker events', { timeoutMs: 10_000 });
    const from = watch.lines.length;
    await s.dockerd.kill();
    const lost = await watch.waitForLine((l) => l.msg.startsWith('Docker event stream lost'), {
      from,
      timeoutMs: 5_000,
    });
    expect(lost.level).toBe('warn');
    await s.dockerd.restart();
    const back = await watch.waitForLine((l) => l.msg.startsWith('Docker is back'), {
      from,
      timeoutMs: 10_000,
    });
    expect(watch.lines.indexOf(back)).toBeGreaterThan(watch.lines.indexOf(lost));
    await pollUntil('whole after dockerd came back', whole, { timeoutMs: 5_000, everyMs: 200 });
    // dockerd's restart moved its FORWARD jumps above dockwall's rule; watch put it back.
    expect(watch.lines.slice(from).filter(restoredLine).flatMap(found)).toContain(
      'move-rule ipv4 filter FORWARD (forward_established)',
    );
    // The filter lets host 2 through to web's port and rejects host 3: read from the rules' counters,
    // since the container itself may not answer yet (dockerd restarts it after cleaning up).
    const counts = async () => {
      const c = await s.lab.execChecked(s.docker, ['iptables-save', '-c', '-t', 'filter']);
      const count = (name: string) =>
        Number(new RegExp(`^\\[(\\d+):\\d+\\] .*dockwall:${name}"`, 'm').exec(c.stdout)?.[1] ?? NaN);
      return { web: count('filter/web'), otherwise: count('filter/otherwise') };
    };
    let before = await counts();
    await probeTcp(s.lab, s.host2, s.docker.address, 8000);
    let after = await counts();
    expect(after.web - before.web).toBeGreaterThanOrEqual(1);
    expect(after.otherwise - before.otherwise).toBe(0);
    before = after;
    expect(await probeTcp(s.lab, s.host3, s.docker.address, 8000)).toBe('refused');
    after = await counts();
    expect(after.otherwise - before.otherwise).toBeGreaterThanOrEqual(1);
    expect(after.web - before.web).toBe(0);
    expect(tagCounts(await s.save())).toEqual(baseline);
  });

  it('SIGTERM: watch logs it and exits 0 within a second', async () => {
    const t0 = Date.now();
    watch.signal('SIGTERM');
    const exit = await Promise.race([
      watch.exited,
      new Promise((r) => setTimeout(() => r('still running'), 3_000)),
    ]);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(watch.lines.at(-1)?.msg).toBe('SIGTERM: stopping');
  });

  it("watch's repairs are journalled, not snapshotted: `rollback` never undoes a repair", async () => {
    // watch has stopped. Break the policy, let one watch pass repair it, stop that watch again.
    await ipt(['-F', 'DOCKWALL-FILTER']);
    const once = start();
    await once.waitForLine(restoredLine, { timeoutMs: 20_000 });
    once.signal('SIGTERM');
    await once.exited;
    expect(await whole()).toBe(true);
    // The repair's journal is gone once it completed, and it left no snapshot behind.
    expect(existsSync(join(s.stateDir, 'journal.json'))).toBe(false);
    expect(existsSync(join(s.stateDir, 'last-snapshot.json'))).toBe(false);
    expect(statSync(join(s.stateDir, 'lock')).mode & 0o777).toBe(0o600);
    // No user apply in this state directory: rollback has nothing to undo, and the repair stays.
    const back = await s.dockwall(['rollback', '--yes', '--state-dir', s.stateDir]);
    expect(back.code).toBe(1);
    expect(back.stderr).toContain('nothing to roll back');
    expect(await filterRules()).toBeGreaterThan(0);
    expect(await whole()).toBe(true);
    expect(tagCounts(await s.save())).toEqual(baseline);
  });
});
