import type { Ip6FilterFact } from './facts.js';

/**
 * What ip6tables' filter table does to forwarded packets, from `ip6tables-save` text. A rule in
 * FORWARD is Docker's when it jumps to a DOCKER* chain or names one of Docker's bridges with
 * `-i`/`-o`; anything else that drops, rejects or jumps to another chain is the host's own filtering.
 */

const DOCKER_CHAIN = /^DOCKER(?:-[A-Z0-9-]+)?$/;

function words(line: string): string[] {
  return line.trim().split(/\s+/);
}

function optionValue(w: string[], name: string): string | undefined {
  const at = w.indexOf(name);
  return at >= 0 ? w[at + 1] : undefined;
}

export function summarizeIp6Filter(saveText: string, bridges: readonly string[]): Ip6FilterFact {
  const chains = new Map<string, string>();
  const rules = new Map<string, string[][]>();
  let inFilter = false;
  for (const raw of saveText.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) {
      inFilter = line === '*filter';
      continue;
    }
    if (!inFilter) continue;
    if (line.startsWith(':')) {
      const [name, policy] = words(line.slice(1));
      if (name) chains.set(name, policy ?? '-');
    } else if (line.startsWith('-A ')) {
      const w = words(line);
      const chain = w[1];
      if (!chain) continue;
      const list = rules.get(chain) ?? [];
      list.push(w.slice(2));
      rules.set(chain, list);
    }
  }

  const fact: Ip6FilterFact = {
    dockerChains: chains.has('DOCKER') || chains.has('DOCKER-FORWARD'),
    dockerUser: 'missing',
    forwardFilters: 0,
    forwardAccepts: 0,
  };
  if (chains.has('DOCKER-USER')) {
    const own = (rules.get('DOCKER-USER') ?? []).filter((r) => optionValue(r, '-j') !== 'RETURN');
    const reached = (rules.get('FORWARD') ?? []).some((r) => optionValue(r, '-j') === 'DOCKER-USER');
    fact.dockerUser = own.length === 0 ? 'empty' : reached ? 'rules' : 'unreached';
  }
  const policy = chains.get('FORWARD');
  if (policy === 'ACCEPT' || policy === 'DROP') fact.forwardPolicy = policy;
  for (const r of rules.get('FORWARD') ?? []) {
    const target = optionValue(r, '-j') ?? optionValue(r, '-g');
    if (target === undefined || DOCKER_CHAIN.test(target)) continue;
    const iface = [optionValue(r, '-i'), optionValue(r, '-o')];
    if (iface.some((i) => i !== undefined && bridges.includes(i))) continue;
    if (target === 'ACCEPT') fact.forwardAccepts++;
    else if (target !== 'RETURN' && target !== 'LOG') fact.forwardFilters++;
  }
  return fact;
}
