import type { Family, RuleOption } from '../model/index.js';
import type { ValueCheck } from './value-checks.js';

/** What the canonical form needs to know about the rule a module is in. */
export interface CanonContext {
  family: Family;
  /** The rule's `-p` protocol in canonical spelling, when given and not negated. */
  proto?: string;
}

export interface OptionSpec {
  /** The spelling iptables-save prints (`--dport`). */
  name: string;
  /** Other spellings iptables accepts for the same option (`--destination-port`). */
  aliases?: readonly string[];
  /** How many arguments follow the option. */
  args: 0 | 1 | 2;
  /** What the argument is, for error messages: "a port or port range". */
  expects?: string;
  /** Printed with iptables' string quoting (`--comment`, `--log-prefix`). */
  saveString?: boolean;
  /** A value iptables refuses is an error (one-argument options). */
  check?: ValueCheck;
  /** Canonical spelling of a one-argument value; null when not understood (kept as written). */
  value?: (text: string, ctx: CanonContext) => string | null;
}

/** A match module or target whose options dockwall knows. */
export interface ModuleSpec {
  name: string;
  /** Options in the order iptables-save prints them. */
  options: readonly OptionSpec[];
  /** Whole-module canonicalization after values: defaults added or dropped, spellings converted. */
  canon?: (options: RuleOption[], ctx: CanonContext) => RuleOption[];
  /** Only for this family (ttl and icmp are IPv4, hl and icmp6 IPv6). */
  family?: Family;
}

export interface CompiledSpec extends ModuleSpec {
  byName: Map<string, OptionSpec>;
  order: Map<string, number>;
  /** Every accepted spelling, for getopt-style prefix matching. */
  spellings: readonly string[];
}

export function compileSpec(spec: ModuleSpec): CompiledSpec {
  const byName = new Map<string, OptionSpec>();
  const order = new Map<string, number>();
  const spellings: string[] = [];
  spec.options.forEach((o, i) => {
    order.set(o.name, i);
    for (const n of [o.name, ...(o.aliases ?? [])]) {
      byName.set(n, o);
      spellings.push(n);
    }
  });
  return { ...spec, byName, order, spellings };
}

/** Shorthand for a list of options. */
export function opt(
  name: string,
  args: 0 | 1 | 2,
  extra: Omit<OptionSpec, 'name' | 'args'> = {},
): OptionSpec {
  return { name, args, ...extra };
}
