import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ansibleConfig,
  ansibleMissing,
  controlKey,
  failure,
  runPlaybook,
  startSshd,
  type PlaybookRun,
} from './ansible-lab.js';
import {
  createLab,
  DOCKWALL_BUNDLE,
  importBusyboxImage,
  labGate,
  probeTcp,
  runContainer,
  startDockerd,
  unavailable,
  type Lab,
  type LabHost,
} from './helpers/index.js';

const labOk = await labGate();
const missing = ansibleMissing();
const gate = labOk.skip || !missing ? labOk : unavailable('ansible lab tests', missing);

const CONTROL = '10.88.0.10';
const PEER = '10.88.0.20';
const WEB = 8080;
const MODULE_TASK = 'Plan (check mode) or apply the policy';

/** A policy letting ssh in from anywhere and the published web port from `source` only. */
const webFrom = (source: string) => `dockwall: 1
filter:
  interfaces: [eth0]
  otherwise: reject
  allow:
    - name: ssh
      ports: [22]
    - name: web
      ports: [${WEB}]
      sources: [${source}]
`;
/** h3's policy: an address dockwall cannot read (line 10, column 17). */
const INVALID = webFrom('10.88.0.300/32');

interface ManagedHost {
  host: LabHost;
  dir: string;
  policyPath: string;
  unitPath: string;
}

/**
 * Issue 17's Ansible acceptance: three Docker hosts (each its own dockerd and sshd) and a control
 * namespace running the collection's role over SSH. Namespaces share the file system, so each host
 * "installs" into its own directory under the lab, and has its own state directory.
 */
describe.skipIf(gate.skip)('the Ansible collection against three lab Docker hosts', () => {
  let lab: Lab;
  let control: LabHost;
  let peer: LabHost;
  const hosts = new Map<string, ManagedHost>();
  let config: string;
  let playbookDir: string;

  const run = (...args: string[]): Promise<PlaybookRun> =>
    runPlaybook(lab, control, config, [
      '-i',
      join(playbookDir, 'inventory.ini'),
      ...args,
      join(playbookDir, 'site.yml'),
    ]);
  const setPolicy = (name: string, policy: string) =>
    writeFileSync(join(playbookDir, 'policies', `${name}.yaml`), policy);
  /** The host's iptables and ip6tables rules, without counters. */
  const rules = async (h: LabHost) => {
    const out: string[] = [];
    for (const tool of ['iptables-save', 'ip6tables-save']) {
      out.push((await lab.execChecked(h, [tool])).stdout.replace(/\[\d+:\d+\]/g, '').replace(/^#.*\n/gm, ''));
    }
    return out.join('');
  };
  const web = (from: LabHost, name: string) => probeTcp(lab, from, hosts.get(name)!.host.address, WEB, 1500);

  beforeAll(async () => {
    gate.assertAvailable();
    if (!existsSync(DOCKWALL_BUNDLE)) throw new Error(`${DOCKWALL_BUNDLE} is missing: run npm run build`);
    lab = await createLab();
    control = await lab.addHost('ctl', { address: `${CONTROL}/24` });
    peer = await lab.addHost('peer', { address: `${PEER}/24` });
    const key = await controlKey(lab);
    config = ansibleConfig(key);
    playbookDir = join(key.dir, 'playbook');
    for (const d of ['host_vars', 'group_vars', 'policies'])
      mkdirSync(join(playbookDir, d), { recursive: true });
    const inventory = ['[docker_hosts]'];
    const names = ['h1', 'h2', 'h3'];
    const added: LabHost[] = [];
    for (const [i, name] of names.entries())
      added.push(await lab.addHost(name, { address: `10.88.0.${11 + i}/24` }));
    await Promise.all(
      names.map(async (name, i) => {
        const host = added[i]!;
        const dockerd = await startDockerd(host);
        await importBusyboxImage(dockerd);
        await runContainer(dockerd, { name: 'web', publish: [`${WEB}:80`] });
        await startSshd(lab, host, control, key.publicKey);
        const dir = join(lab.dir, `managed-${name}`);
        const m: ManagedHost = {
          host,
          dir,
          policyPath: join(dir, 'etc', 'policy.yaml'),
          unitPath: join(dir, 'systemd', 'dockwall.service'),
        };
        hosts.set(name, m);
        // Per host, as a real inventory would have it: paths, Docker's socket, the policy file.
        writeFileSync(
          join(playbookDir, 'host_vars', `${name}.yml`),
          [
            `dockwall_prefix: ${join(dir, 'usr')}`,
            `dockwall_policy_path: ${m.policyPath}`,
            `dockwall_state_dir: ${join(dir, 'state')}`,
            `dockwall_service_unit_path: ${m.unitPath}`,
            `dockwall_docker_host: unix://${dockerd.socketPath}`,
            `dockwall_policy_src: '{{ playbook_dir }}/policies/${name}.yaml'`,
            '',
          ].join('\n'),
        );
        inventory[i + 1] = `${name} ansible_host=${host.address} ansible_user=root`;
      }),
    );
    writeFileSync(join(playbookDir, 'inventory.ini'), `${inventory.join('\n')}\n`);
    writeFileSync(
      join(playbookDir, 'group_vars', 'docker_hosts.yml'),
      [
        `ansible_ssh_private_key_file: ${key.keyFile}`,
        `dockwall_bundle_src: ${DOCKWALL_BUNDLE}`,
        // Node is the test's own: a lab host cannot install packages into its own root.
        'dockwall_install_node: false',
        `dockwall_node: ${process.execPath}`,
        // No systemd in the lab: the unit is written, not started.
        'dockwall_service_start: false',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(playbookDir, 'site.yml'),
      '- hosts: docker_hosts\n  gather_facts: false\n  roles:\n    - dockwall.dockwall.dockwall\n',
    );
    setPolicy('h1', webFrom(`${CONTROL}/32`));
    setPolicy('h2', webFrom(`${PEER}/32`));
    setPolicy('h3', INVALID);
  }, 240_000);
  afterAll(async () => {
    await lab?.destroy();
  });

  it('installs dockwall into each host with --tags dockwall_install, changing no firewall', async () => {
    const before = await rules(hosts.get('h1')!.host);
    const r = await run('--tags', 'dockwall_install');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const [name, m] of hosts) {
      expect(r.recap.get(name), name).toMatchObject({ failed: 0, unreachable: 0 });
      const version = await lab.execChecked(m.host, [join(m.dir, 'usr', 'bin', 'dockwall'), '--version']);
      expect(version.stdout).toMatch(/\d+\.\d+\.\d+/);
    }
    expect(await rules(hosts.get('h1')!.host)).toBe(before);
  });

  it('check mode reports each plan as the diff, fails the invalid host with dockwall message, changes nothing', async () => {
    const before = new Map<string, string>();
    for (const [name, m] of hosts) before.set(name, await rules(m.host));
    const r = await run('--check', '--diff');
    expect(r.code, r.stdout).not.toBe(0);
    const task = r.task(MODULE_TASK);
    for (const name of ['h1', 'h2']) {
      expect(task, r.stdout).toContain(`changed: [${name}]`);
      expect(r.recap.get(name)).toMatchObject({ failed: 0, unreachable: 0 });
    }
    expect(task).toContain('dockwall will make these changes');
    expect(task).toMatch(/Plan: \d+ to add, \d+ to change, 0 to remove\./);
    expect(task).toContain('lose access');
    const f = failure(task, 'h3');
    expect(f?.msg, task).toContain('`10.88.0.300` is not an IPv4 or IPv6 address');
    expect(f?.msg).toContain('--> content:10:17');
    expect(f?.msg).toContain('content is not a valid policy: 1 error; nothing was changed');
    expect(r.recap.get('h3')).toMatchObject({ failed: 1 });
    for (const [name, m] of hosts) {
      expect(await rules(m.host), name).toBe(before.get(name));
      expect(existsSync(m.policyPath), name).toBe(false);
      expect(await web(control, name), name).toBe('open');
      expect(await web(peer, name), name).toBe('open');
    }
  });

  it('applies each valid policy (real traffic as it says) while the invalid host fails alone', async () => {
    const before = await rules(hosts.get('h3')!.host);
    const r = await run();
    expect(r.recap.get('h1'), r.stdout).toMatchObject({ failed: 0, unreachable: 0 });
    expect(r.recap.get('h2'), r.stdout).toMatchObject({ failed: 0, unreachable: 0 });
    expect(r.recap.get('h3'), r.stdout).toMatchObject({ failed: 1 });
    expect(r.task(MODULE_TASK)).toContain('changed: [h1]');
    expect(r.task(MODULE_TASK)).toContain('changed: [h2]');
    expect(await web(control, 'h1')).toBe('open');
    expect(await web(peer, 'h1')).toBe('refused');
    expect(await web(control, 'h2')).toBe('refused');
    expect(await web(peer, 'h2')).toBe('open');
    // h3 is as it was: nothing applied, no policy for its watch service.
    expect(await web(control, 'h3')).toBe('open');
    expect(await web(peer, 'h3')).toBe('open');
    expect(await rules(hosts.get('h3')!.host)).toBe(before);
    expect(existsSync(hosts.get('h3')!.policyPath)).toBe(false);
    // Each apply kept its snapshot (for rollback) in its own host's state directory.
    for (const [name, m] of hosts) {
      expect(existsSync(join(m.dir, 'state', 'last-snapshot.json')), name).toBe(name !== 'h3');
    }
    for (const name of ['h1', 'h2']) {
      const m = hosts.get(name)!;
      expect(readFileSync(m.policyPath, 'utf8')).toBe(
        readFileSync(join(playbookDir, 'policies', `${name}.yaml`), 'utf8'),
      );
      const unit = readFileSync(m.unitPath, 'utf8');
      expect(unit).toContain(`watch -f ${m.policyPath} --state-dir ${join(m.dir, 'state')}`);
      expect(unit).toContain('After=docker.service');
    }
  });

  it('a second run changes nothing on the applied hosts; the fixed host is applied, and its second run changes nothing', async () => {
    setPolicy('h3', webFrom(`${CONTROL}/32`));
    const second = await run('--diff');
    expect(second.code, second.stdout).toBe(0);
    expect(second.recap.get('h1'), second.stdout).toMatchObject({ changed: 0, failed: 0 });
    expect(second.recap.get('h2'), second.stdout).toMatchObject({ changed: 0, failed: 0 });
    expect(second.recap.get('h3')!.changed).toBeGreaterThan(0);
    expect(await web(control, 'h3')).toBe('open');
    expect(await web(peer, 'h3')).toBe('refused');
    // h3's own second run (the others just had theirs).
    const third = await run('--limit', 'h3');
    expect(third.code, third.stdout).toBe(0);
    expect([...third.recap.keys()]).toEqual(['h3']);
    expect(third.recap.get('h3')).toMatchObject({ changed: 0, failed: 0, unreachable: 0 });
  });
});
