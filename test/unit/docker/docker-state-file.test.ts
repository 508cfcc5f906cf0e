import { describe, expect, it } from 'vitest';
import { inventoryFromApi, loadInventoryFile } from '../../../src/docker/index.js';
import { repoFile } from '../../helpers/fixtures.js';
import { dockwall, tempFile } from '../cli/run-cli.js';

const networks = repoFile('test/fixtures/docker-20.10/05-port-range.networks.json');
const containers = repoFile('test/fixtures/docker-20.10/05-port-range.containers.json');
const F = 'state.json';

const at = (text: string) => {
  const res = loadInventoryFile(text, F);
  expect(res.value).toBeUndefined();
  return res.diagnostics.map((d) => `${d.pos?.line}:${d.pos?.column} ${d.code} ${d.message}`);
};

/**
 * Issue 12 item 7: a `--docker-state` file is validated like a policy: every problem names file,
 * line and column, where before a wrong shape ended in "c.ports is not iterable".
 */
describe('--docker-state files are validated with positions', () => {
  it('a wrong type where a list belongs (was "c.ports is not iterable")', () => {
    const text = [
      '{',
      '  "networks": [],',
      '  "containers": [',
      '    {"id": "abc", "name": "web", "ports": 5}',
      '  ]',
      '}',
    ].join('\n');
    expect(at(text)).toEqual([
      expect.stringMatching(
        /^4:43 docker-state.wrong-type `containers\[0\]\.ports` must be a list, found the number 5$/,
      ),
    ]);
  });

  it('a missing key, bad JSON, a port out of range', () => {
    expect(at('{"networks": []}')).toEqual([
      expect.stringMatching(/^1:1 docker-state.missing-key missing required key `containers`/),
    ]);
    expect(at('{"networks": [,]}')[0]).toMatch(/^1:15 yaml\./);
    expect(
      at(
        '{"networks": [], "containers": [{"id": "a", "name": "b", "ports": [{"hostPort": 70000, "containerPort": 80, "proto": "tcp"}]}]}',
      )[0],
    ).toMatch(/^1:\d+ docker-state\.invalid `containers\[0\]\.ports\[0\]\.hostPort`/);
  });

  it('values that would change a rule: a wildcard bridge, a host address carrying options', () => {
    const text = [
      '{"networks": [',
      '  {"id": "n1", "name": "plus", "driver": "bridge", "bridge": "+"}',
      '], "containers": [',
      '  {"id": "c1", "name": "web", "ports": [{"hostIp": "9.9.9.9 ! --ctorigdst 9.9.9.9", "hostPort": 8000, "containerPort": 80, "proto": "tcp"}]}',
      ']}',
    ].join('\n');
    const found = at(text);
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(
      /^2:62 docker-state\.invalid `networks\[0\]\.bridge`: this bridge name holds `\+`, which iptables reads as a wildcard/,
    );
    expect(found[1]).toMatch(
      /^4:52 docker-state\.invalid `containers\[0\]\.ports\[0\]\.hostIp`: this address is not an IP address/,
    );
  });

  it("takes dockwall's own shape as it is", () => {
    const inv = inventoryFromApi(JSON.parse(networks), JSON.parse(containers));
    const res = loadInventoryFile(JSON.stringify(inv, null, 2), F);
    expect(res.diagnostics).toEqual([]);
    expect(res.value).toEqual(inv);
  });

  it('takes `docker inspect` output of containers and networks in one array (docker inspect $(docker ps -aq) $(docker network ls -q))', () => {
    const both = JSON.stringify([...JSON.parse(containers), ...JSON.parse(networks)], null, 2);
    const res = loadInventoryFile(both, F);
    expect(res.diagnostics).toEqual([]);
    expect(res.value).toEqual(inventoryFromApi(JSON.parse(networks), JSON.parse(containers)));
  });

  it('takes `docker inspect $(docker ps -aq)` then `docker network inspect …` written into one file', () => {
    const res = loadInventoryFile(`${containers.trim()}\n${networks.trim()}\n`, F);
    expect(res.diagnostics).toEqual([]);
    expect(res.value).toEqual(inventoryFromApi(JSON.parse(networks), JSON.parse(containers)));
    // A problem in the second array is placed where it is in the file.
    const lines = containers.trim().split('\n').length;
    const found = at(
      `${containers.trim()}\n[\n  {"Id": "n1", "Name": "x", "Driver": "bridge", "IPAM": {}, "Options": {"com.docker.network.bridge.name": "+"}}\n]\n`,
    );
    expect(found).toEqual([
      expect.stringMatching(new RegExp(`^${lines + 2}:3 docker-state\\.bad-value Docker network "x"`)),
    ]);
  });

  it('in `docker inspect` output, a bad value or an unknown entry is an error at the entry', () => {
    const items = JSON.parse(networks) as Record<string, unknown>[];
    items[1] = { ...items[1], Options: { 'com.docker.network.bridge.name': 'q"x' } };
    const text = JSON.stringify([...items, { Foo: 1 }], null, 2);
    const found = at(text);
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(
      /^\d+:3 docker-state\.bad-value Docker network "esnet": its bridge name "q\\"x" holds characters/,
    );
    expect(found[1]).toMatch(
      /^\d+:3 docker-state\.unknown-entry entry 4 is neither a container nor a network/,
    );
  });

  it('plan --docker-state prints the positioned error and changes nothing (exit 1)', () => {
    const policy = tempFile('p.yaml', 'dockwall: 1\ncontainers:\n  - name: web\n    container: web\n');
    const state = tempFile(
      'state.json',
      '{"networks": [], "containers": [{"id": "a", "name": "web", "ports": 5}]}',
    );
    const r = dockwall([
      'plan',
      '-f',
      policy,
      '--docker-state',
      state,
      '--state',
      'test/fixtures/docker-20.10/01-idle.iptables-save',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${state}:1:`);
    expect(r.stderr).toMatch(/`containers\[0\]\.ports` must be a list/);
    expect(r.stderr).toMatch(/is not a Docker inventory/);
    expect(r.stderr).not.toMatch(/is not iterable/);
  });
});
