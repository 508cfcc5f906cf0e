import { readInventory, DockerEngineClient } from '../../../src/docker/index.js';
import { readAllSets, readAllTables, readHostModel, readNftRulesetJson } from '../../../src/host/index.js';
import { listNftTables } from '../../../src/cli/live.js';
import type { DockerInventory, HostModel } from '../../../src/model/index.js';
import { parseIpsetSave, parseIptablesSave, parseNftJson } from '../../../src/parse/index.js';
import type { SimInput } from '../../../src/sim/index.js';
import type { DiffLab } from './diff-lab.js';

/**
 * What `dockwall trace`/`audit` read on a live host, read the same way (the library functions
 * behind src/cli/proof-inputs.ts) inside the docker host's namespace: every iptables table,
 * every ipset, the host model from `ip -j addr/route`, and Docker's inventory from the Engine API.
 */
export interface LiveInputs {
  input: SimInput;
  host: HostModel;
  docker: DockerInventory;
  /** The raw `iptables-save`, for failure messages. */
  saved: string;
}

export async function readLiveInputs(d: DiffLab): Promise<LiveInputs> {
  const runner = d.docker.runner;
  const saved = await readAllTables(runner, 'ipv4');
  const rs = parseIptablesSave(saved, { file: 'iptables-save', family: 'ipv4' });
  const errors = rs.diagnostics.filter((x) => x.severity === 'error');
  if (!rs.value || errors.length > 0)
    throw new Error(`cannot parse the live iptables-save: ${errors.map((e) => e.message).join('; ')}`);
  const sets = parseIpsetSave(await readAllSets(runner), { file: 'ipset save' });
  if (!sets.value)
    throw new Error(`cannot parse ipset save: ${sets.diagnostics.map((e) => e.message).join('; ')}`);
  const host = await readHostModel(runner);
  const docker = await readInventory(new DockerEngineClient({ host: `unix://${d.dockerd.socketPath}` }));
  const input: SimInput = { rulesets: { ipv4: rs.value }, sets: sets.value, host, docker };
  // Docker's nftables backend (and dockwall's tables beside it): the whole nft -j ruleset, as trace reads it.
  const tables = await listNftTables(runner);
  if (tables.some((t) => !/^ip6? (filter|nat|mangle|raw|security)$/.test(t))) {
    const text = await readNftRulesetJson(runner);
    const nft = parseNftJson(text, { file: 'nft -j list ruleset' });
    if (!nft.value)
      throw new Error(`cannot parse nft -j: ${nft.diagnostics.map((e) => e.message).join('; ')}`);
    input.nft = nft.value;
  }
  return { input, host, docker, saved };
}
