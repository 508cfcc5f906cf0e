import type { RuleOption } from '../model/index.js';
import type { CompiledSpec, OptionSpec } from './module-spec.js';
import { GENERIC_LONG, GENERIC_LONG_NAMES } from './rule-syntax.js';

/**
 * The modules and the target a rule has loaded so far, in load order: the "owners" its `--options`
 * can go to. Like iptables (getopt over the merged option tables), an option goes to the newest
 * loaded owner that knows it.
 */
export class OptionOwners {
  count = 0;
  /** Which owner is the target (-1: none yet). */
  targetIndex = -1;
  readonly names: string[] = [];
  readonly specs: (CompiledSpec | undefined)[] = [];
  readonly options: RuleOption[][] = [];

  reset(): void {
    this.count = 0;
    this.targetIndex = -1;
  }

  add(name: string, spec: CompiledSpec | undefined): number {
    const k = this.count++;
    this.names[k] = name;
    this.specs[k] = spec;
    // The arrays are reused from rule to rule: whoever keeps the options copies them.
    const options = this.options[k];
    if (options) options.length = 0;
    else this.options[k] = [];
    return k;
  }

  /** The newest owner that knows the option exactly. */
  find(name: string): { owner: number; spec: OptionSpec } | undefined {
    for (let k = this.count - 1; k >= 0; k--) {
      const s = this.specs[k]?.byName.get(name);
      if (s) return { owner: k, spec: s };
    }
    return undefined;
  }

  /** The newest owner dockwall has no spec for, or -1. */
  unknown(): number {
    for (let k = this.count - 1; k >= 0; k--) if (!this.specs[k]) return k;
    return -1;
  }

  /** getopt_long accepts a unique prefix of a long option (generic ones included). */
  prefix(name: string): { owner: number; spec: OptionSpec } | { generic: string } | 'ambiguous' | undefined {
    let found: { owner: number; spec: OptionSpec } | { generic: string } | undefined;
    for (const g of GENERIC_LONG_NAMES) {
      if (!g.startsWith(name)) continue;
      if (found && (!('generic' in found) || found.generic !== GENERIC_LONG.get(g))) return 'ambiguous';
      found = { generic: GENERIC_LONG.get(g)! };
    }
    for (let k = this.count - 1; k >= 0; k--) {
      const spec = this.specs[k];
      if (!spec) continue;
      for (const sp of spec.spellings) {
        if (!sp.startsWith(name)) continue;
        const os = spec.byName.get(sp)!;
        if (found && (!('spec' in found) || found.spec.name !== os.name)) return 'ambiguous';
        if (!found) found = { owner: k, spec: os };
      }
    }
    return found;
  }

  /** For messages: "-m tcp, -j LOG or a generic option". */
  describe(): string {
    const names: string[] = [];
    for (let k = 0; k < this.count; k++) {
      names.push(k === this.targetIndex ? `-j ${this.names[k]}` : `-m ${this.names[k]}`);
    }
    return names.length > 0
      ? `${names.join(', ')} or a generic option`
      : 'a generic option (-s -d -i -o -p -f -m -j -g)';
  }
}
