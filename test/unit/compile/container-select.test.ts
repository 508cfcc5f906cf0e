import { describe, expect, it } from 'vitest';
import type { DockerContainer, DockerInventory } from '../../../src/model/index.js';
import { selectContainers } from '../../../src/compile/index.js';

function container(name: string, labels: Record<string, string> = {}, running = true): DockerContainer {
  return { id: `${name}-id`, name, labels, running, endpoints: [], ports: [] };
}

const inventory: DockerInventory = {
  networks: [],
  containers: [
    container('shop-web-1', {
      'com.docker.compose.project': 'shop',
      'com.docker.compose.service': 'web',
      tier: 'front',
    }),
    container(
      'shop-web-2',
      { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web' },
      false,
    ),
    container('shop-db-1', { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'db' }),
    container('blog-web-1', { 'com.docker.compose.project': 'blog', 'com.docker.compose.service': 'web' }),
    container('es', { tier: 'back' }),
  ],
};

const names = (selector: Parameters<typeof selectContainers>[1]): string[] =>
  selectContainers(inventory, selector).map((c) => c.name);

describe('selectContainers', () => {
  it('matches a name with or without the leading slash', () => {
    expect(names({ name: 'es' })).toEqual(['es']);
    expect(names({ name: '/es' })).toEqual(['es']);
    expect(names({ name: 'e' })).toEqual([]);
  });

  it('requires every label to be equal', () => {
    expect(names({ labels: { tier: 'front' } })).toEqual(['shop-web-1']);
    expect(names({ labels: { tier: 'front', 'com.docker.compose.service': 'db' } })).toEqual([]);
    expect(names({ labels: { tier: '' } })).toEqual([]);
  });

  it('selects by compose project and service', () => {
    expect(names({ composeProject: 'shop' })).toEqual(['shop-web-1', 'shop-web-2', 'shop-db-1']);
    expect(names({ composeProject: 'shop', composeService: 'web' })).toEqual(['shop-web-1', 'shop-web-2']);
    expect(names({ composeService: 'web' })).toEqual(['shop-web-1', 'shop-web-2', 'blog-web-1']);
  });

  it('combines criteria with AND, and an empty selector selects all', () => {
    expect(names({ name: 'blog-web-1', composeProject: 'shop' })).toEqual([]);
    expect(names({})).toHaveLength(5);
  });
});
