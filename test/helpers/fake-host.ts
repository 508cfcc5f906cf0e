import type { ApplyPorts } from '../../src/apply/index.js';
import type { Family, HostState } from '../../src/model/index.js';
import { runIpsetScript, runRestoreScript } from './restore-interpreter.js';

/** A host in memory that executes the restore scripts it is given. */
export function fakeHost(
  initial: HostState,
  fail: { family?: Family; times?: number } = {},
  opts: { headers?: boolean } = {},
) {
  let state = structuredClone(initial);
  const log: string[] = [];
  let failures = fail.times ?? Infinity;
  const ports: ApplyPorts = {
    readState: async () => structuredClone(state),
    testIptables: async (family, script) => {
      log.push(`test ${family}`);
      runRestoreScript(state, family, script);
    },
    restoreIptables: async (family, script) => {
      log.push(`restore ${family}`);
      if (fail.family === family && failures-- > 0) throw new Error(`${family}: Couldn't load match`);
      state = runRestoreScript(state, family, script);
    },
    restoreIpset: async (script) => {
      log.push(`ipset ${script.split('\n')[0]}`);
      state = runIpsetScript(state, script);
    },
    listSetNames: async () => state.sets.sets.map((x) => x.name),
  };
  // A host that reads back only what an apply touched: chains and whole sets, or sets' headers.
  if (opts.headers) {
    ports.readChains = async (_chains, names) => {
      if (names.length > 0) log.push(`read sets ${names.join(' ')}`);
      const read = structuredClone(state);
      return { ...read, sets: { sets: read.sets.sets.filter((s) => names.includes(s.name)) } };
    };
    ports.readSetHeaders = async (names) => {
      log.push(`read headers ${names.join(' ')}`);
      return names.map((n) => {
        const set = state.sets.sets.find((s) => s.name === n);
        return set && { set: { ...structuredClone(set), members: [] }, entries: set.members.length };
      });
    };
  }
  return {
    ports,
    log,
    /** Changes the kernel's state as another program would. */
    meddle(f: (s: HostState) => void) {
      f(state);
    },
    get state() {
      return state;
    },
  };
}
