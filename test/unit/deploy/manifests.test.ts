import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadPolicy } from '../../../src/policy/load-policy.js';

/**
 * deploy/: the Kubernetes DaemonSet cannot run in the lab (no cluster), so its structure is held
 * here; the Swarm stack runs in test/lab/swarm-stack.test.ts and its shape is held here too.
 */

const root = join(import.meta.dirname, '../../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface Mount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}
interface Volume {
  name: string;
  configMap?: { name: string };
  hostPath?: { path: string; type?: string };
  emptyDir?: object;
}
interface Container {
  image: string;
  args?: string[];
  securityContext: {
    privileged?: boolean;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities: { add: string[]; drop: string[] };
  };
  volumeMounts: Mount[];
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  data?: Record<string, string>;
  spec?: {
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: { hostNetwork: boolean; tolerations?: unknown[]; containers: Container[]; volumes: Volume[] };
    };
  };
}

function manifests(): Manifest[] {
  const docs = parseAllDocuments(read('deploy/kubernetes/daemonset.yaml'));
  for (const d of docs) expect(d.errors, String(d.errors[0])).toEqual([]);
  return docs.map((d) => d.toJS() as Manifest);
}

describe('deploy/kubernetes/daemonset.yaml', () => {
  const all = manifests();
  const byKind = (kind: string) => {
    const found = all.filter((m) => m.kind === kind);
    expect(found, kind).toHaveLength(1);
    return found[0]!;
  };
  const ds = byKind('DaemonSet');
  const pod = ds.spec!.template.spec;
  const container = pod.containers[0]!;

  it('holds a Namespace, the policy ConfigMap and the DaemonSet, all in one namespace', () => {
    expect(all.map((m) => `${m.apiVersion} ${m.kind}`)).toEqual([
      'v1 Namespace',
      'v1 ConfigMap',
      'apps/v1 DaemonSet',
    ]);
    const ns = byKind('Namespace').metadata.name;
    expect(byKind('ConfigMap').metadata.namespace).toBe(ns);
    expect(ds.metadata.namespace).toBe(ns);
    expect(ds.spec!.template.metadata.labels).toMatchObject(ds.spec!.selector.matchLabels);
  });

  it("the pod runs in the node's network namespace, on every node, one container running watch", () => {
    expect(pod.hostNetwork).toBe(true);
    expect(pod.tolerations).toContainEqual({ operator: 'Exists' });
    expect(pod.containers).toHaveLength(1);
    expect(container.args?.slice(0, 3)).toEqual(['watch', '-f', '/etc/dockwall/policy.yaml']);
  });

  it('the container has only NET_ADMIN and NET_RAW, no privilege', () => {
    const sc = container.securityContext;
    expect(sc.privileged).toBe(false);
    expect(sc.allowPrivilegeEscalation).toBe(false);
    expect(sc.capabilities.drop).toEqual(['ALL']);
    expect([...sc.capabilities.add].sort()).toEqual(['NET_ADMIN', 'NET_RAW']);
  });

  it('mounts the policy from the ConfigMap, the Docker socket, the state directory, and a writable /tmp for a read-only root', () => {
    const volume = (mountPath: string) => {
      const m = container.volumeMounts.find((v) => v.mountPath === mountPath);
      expect(m, mountPath).toBeDefined();
      return { mount: m!, volume: pod.volumes.find((v) => v.name === m!.name) };
    };
    const policy = volume('/etc/dockwall');
    expect(policy.mount.readOnly).toBe(true);
    expect(policy.volume?.configMap?.name).toBe(byKind('ConfigMap').metadata.name);
    expect(volume('/var/run/docker.sock').volume?.hostPath).toEqual({
      path: '/var/run/docker.sock',
      type: 'Socket',
    });
    expect(volume('/var/lib/dockwall').volume?.hostPath?.path).toBe('/var/lib/dockwall');
    if (container.securityContext.readOnlyRootFilesystem)
      expect(volume('/tmp').volume?.emptyDir).toBeDefined();
  });

  it("the ConfigMap's policy.yaml is a policy dockwall loads without errors", () => {
    const text = byKind('ConfigMap').data?.['policy.yaml'];
    expect(text).toBeDefined();
    const r = loadPolicy(text!, 'policy.yaml');
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.value).toBeDefined();
  });
});

describe('deploy/swarm/stack.yaml', () => {
  interface Service {
    image: string;
    deploy: { mode: string; update_config: { parallelism: number; failure_action: string } };
    networks: string[];
    cap_add: string[];
    cap_drop: string[];
    configs: Array<{ source: string; target: string }>;
    volumes: Array<{ type: string; source: string; target: string }>;
  }
  const stack = parse(read('deploy/swarm/stack.yaml')) as {
    services: Record<string, Service>;
    networks: Record<string, { external: boolean; name: string }>;
    configs: Record<string, { file: string }>;
  };
  const service = stack.services['dockwall']!;

  it('a global service on the host network with only NET_ADMIN and NET_RAW', () => {
    expect(service.deploy.mode).toBe('global');
    expect(service.networks.map((n) => stack.networks[n])).toEqual([{ external: true, name: 'host' }]);
    expect(service.cap_drop).toEqual(['ALL']);
    expect([...service.cap_add].sort()).toEqual(['NET_ADMIN', 'NET_RAW']);
  });

  it('a new policy goes one node at a time, and an update that fails rolls back', () => {
    expect(service.deploy.update_config).toMatchObject({ parallelism: 1, failure_action: 'rollback' });
  });

  it('the policy is a Swarm config at /etc/dockwall/policy.yaml; the Docker socket is mounted', () => {
    expect(service.configs).toEqual([
      expect.objectContaining({ source: 'policy', target: '/etc/dockwall/policy.yaml' }),
    ]);
    expect(stack.configs['policy']!.file).toMatch(/policy\.yaml\}?$/);
    expect(service.volumes).toContainEqual(
      expect.objectContaining({ type: 'bind', target: '/var/run/docker.sock' }),
    );
  });

  it('the example policy beside the stack loads without errors', () => {
    const r = loadPolicy(read('deploy/swarm/policy.yaml'), 'deploy/swarm/policy.yaml');
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });
});
