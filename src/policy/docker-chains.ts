/**
 * Chains that Docker creates and rewrites: it flushes them when dockerd (re)starts and edits them
 * as containers come and go, so rules put there do not last. DOCKER-USER is Docker's hook for
 * user rules and is not among them.
 */
export const DOCKER_OWNED_CHAINS: readonly string[] = [
  'DOCKER',
  'DOCKER-ISOLATION',
  'DOCKER-ISOLATION-STAGE-1',
  'DOCKER-ISOLATION-STAGE-2',
  'DOCKER-FORWARD',
  'DOCKER-BRIDGE',
  'DOCKER-CT',
  'DOCKER-INTERNAL',
  'DOCKER-INGRESS',
];

export function isDockerOwnedChain(name: string): boolean {
  return DOCKER_OWNED_CHAINS.includes(name);
}
