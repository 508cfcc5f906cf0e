import { createSimulator, serviceMatrix, syntheticRuleset, type Packet } from '../src/sim/index.js';
import { universityRuleset } from '../src/sim/synthetic-university.js';
import { fmt, medianMs, type Row } from './timing.js';

/** Traces per second and the service matrix of a 5,000-rule rule set. */
export async function simBench(): Promise<Row[]> {
  const setup = syntheticRuleset({ rules: 5000 });
  const n = setup.ruleset.tables.reduce((s, t) => s + t.chains.reduce((a, c) => a + c.rules.length, 0), 0);
  const input = {
    rulesets: { ipv4: setup.ruleset },
    sets: setup.sets,
    host: setup.host,
    docker: setup.docker,
  };
  const sim = createSimulator(input);
  const packets: Packet[] = Array.from({ length: 2000 }, (_, i) => ({
    family: 'ipv4',
    src: `198.51.${(i >> 8) & 255}.${i & 255}`,
    dst: setup.host.interfaces.find((x) => x.name !== 'lo')!.addresses[0]!.split('/')[0]!,
    proto: i % 3 === 0 ? 'udp' : 'tcp',
    dport: 1 + ((i * 37) % 20000),
    in: setup.host.interfaces.find((x) => x.name !== 'lo')!.name,
  }));
  const traceMs = await medianMs(5, () => {
    for (const p of packets) sim.simulate(p);
  });
  const matrixMs = await medianMs(5, () => serviceMatrix(input));
  // The university-shaped set: recent --update before ~4,900 per-host -m mac rules (either-way walk).
  const u = universityRuleset({ rules: 5000 });
  const uInput = {
    rulesets: { ipv4: u.ruleset },
    host: u.host,
    docker: u.docker,
    interfaces: ['eth0', 'eth1'],
  };
  const uMs = await medianMs(3, () => serviceMatrix(uInput));
  return [
    {
      what: `traces on a ${n.toLocaleString('en')}-rule rule set`,
      value: `${Math.round(packets.length / (traceMs / 1000)).toLocaleString('en')} traces/s`,
      note: `${fmt(traceMs / packets.length)} per trace`,
    },
    {
      what: `service matrix of the ${n.toLocaleString('en')}-rule rule set`,
      value: fmt(matrixMs),
      note: `${setup.facts.containers} containers`,
    },
    {
      what: 'service matrix of a 5,000-rule university-shaped set (recent before per-host -m mac)',
      value: fmt(uMs),
      note: `${u.docker.containers.length} published ports, eth0 and eth1; ${(uMs / matrixMs).toFixed(1)}× the Docker-shaped set in the same run`,
    },
  ];
}
