import type { ContainerSelector, DockerContainer, DockerInventory } from '../model/index.js';

const COMPOSE_PROJECT = 'com.docker.compose.project';
const COMPOSE_SERVICE = 'com.docker.compose.service';

/** Containers that match every criterion of the selector (name, labels, compose project/service). */
export function selectContainers(inventory: DockerInventory, selector: ContainerSelector): DockerContainer[] {
  return inventory.containers.filter((c) => matchesSelector(c, selector));
}

export function matchesSelector(c: DockerContainer, s: ContainerSelector): boolean {
  if (s.name !== undefined && c.name.replace(/^\//, '') !== s.name.replace(/^\//, '')) return false;
  for (const [k, v] of Object.entries(s.labels ?? {})) if (c.labels[k] !== v) return false;
  if (s.composeProject !== undefined && c.labels[COMPOSE_PROJECT] !== s.composeProject) return false;
  if (s.composeService !== undefined && c.labels[COMPOSE_SERVICE] !== s.composeService) return false;
  return true;
}

export function describeSelector(s: ContainerSelector): string {
  const parts: string[] = [];
  if (s.name !== undefined) parts.push(`name ${s.name}`);
  for (const [k, v] of Object.entries(s.labels ?? {})) parts.push(`label ${k}=${v}`);
  if (s.composeProject !== undefined) parts.push(`compose project ${s.composeProject}`);
  if (s.composeService !== undefined) parts.push(`compose service ${s.composeService}`);
  return parts.join(', ') || 'every container';
}
