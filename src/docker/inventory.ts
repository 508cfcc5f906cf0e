import type { DockerInventory } from '../model/index.js';
import type { CallOptions, DockerEngineClient } from './engine-client.js';
import { inventoryFromApi } from './inventory-map.js';

/**
 * Reads networks, all containers (stopped ones too), `/info` and `/version` from the daemon and maps
 * them with {@link inventoryFromApi}.
 */
export async function readInventory(
  client: DockerEngineClient,
  options: CallOptions = {},
): Promise<DockerInventory> {
  const [networks, containers, info, version] = await Promise.all([
    client.listNetworks(options),
    client.listContainers({ ...options, all: true }),
    client.info(options),
    client.version(options),
  ]);
  return inventoryFromApi(networks, containers, info.raw, version);
}
