import type { ContainerSelector, DockerContainer, DockerInventory } from '../model/index.js';
import { COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL, containerName } from './inventory-map.js';

/** True when the container meets every criterion the selector gives (an empty selector matches all). */
export function containerMatches(container: DockerContainer, selector: ContainerSelector): boolean {
  if (selector.name !== undefined && containerName(selector.name) !== containerName(container.name))
    return false;
  for (const [key, value] of Object.entries(selector.labels ?? {})) {
    if (container.labels[key] !== value) return false;
  }
  if (
    selector.composeProject !== undefined &&
    container.labels[COMPOSE_PROJECT_LABEL] !== selector.composeProject
  ) {
    return false;
  }
  if (
    selector.composeService !== undefined &&
    container.labels[COMPOSE_SERVICE_LABEL] !== selector.composeService
  ) {
    return false;
  }
  return true;
}

/**
 * The inventory's containers the selector picks: name (with or without Docker's leading `/`),
 * every given label equal, compose project and service via Compose's labels. Running or not:
 * callers that need running containers check `running`. Order is the inventory's.
 */
export function selectContainers(inventory: DockerInventory, selector: ContainerSelector): DockerContainer[] {
  return inventory.containers.filter((c) => containerMatches(c, selector));
}
