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
  if (opts.headers)
    ports.readSetHeaders = async (names) =>
      names.map((n) => {
        const set = state.sets.sets.find((s) => s.name === n);
        return set && { set: { ...structuredClone(set), members: [] }, entries: set.members.length };
      });
  return {
    ports,
    log,
    get state() {
      return state;
    },
  };
}
