import type {
  Chain,
  ChainPolicy,
  Family,
  MatchModule,
  Rule,
  RuleOption,
  Ruleset,
  TableName,
} from '../../../src/model/index.js';

/**
 * A small builder of rule sets for the simulator's tests: rule bodies in iptables-save spelling
 * (`-s 10.0.0.0/8 -p tcp -m tcp --dport 22 -j ACCEPT`) become model rules.
 */
const GENERIC = new Set(['-s', '-d', '-i', '-o', '-p', '-f']);

function tokens(text: string): Array<{ text: string; quoted: boolean }> {
  const out: Array<{ text: string; quoted: boolean }> = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[1] !== undefined) out.push({ text: m[1].replace(/\\(.)/g, '$1'), quoted: true });
    else out.push({ text: m[2]!, quoted: false });
  }
  return out;
}

export function rule(body: string, line?: number): Rule {
  const toks = tokens(body);
  const r: Rule = { generic: [], matches: [], target: null };
  if (line !== undefined) r.pos = { file: 'test', line, column: 1 };
  let negated = false;
  let current: RuleOption[] | null = null;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!.text;
    if (t === '!' && !toks[i]!.quoted) {
      negated = true;
      continue;
    }
    if (t === '-m') {
      const m: MatchModule = { name: toks[++i]!.text, options: [] };
      r.matches.push(m);
      current = m.options;
      continue;
    }
    if (t === '-j' || t === '-g') {
      r.target = { kind: t === '-j' ? 'jump' : 'goto', name: toks[++i]!.text, options: [] };
      current = r.target.options;
      continue;
    }
    const args: RuleOption['args'] = [];
    while (
      i + 1 < toks.length &&
      !(toks[i + 1]!.text.startsWith('-') && !toks[i + 1]!.quoted) &&
      toks[i + 1]!.text !== '!'
    )
      args.push(toks[++i]!);
    const o: RuleOption = { name: t, negated, args };
    negated = false;
    if (GENERIC.has(t) && r.target === null) {
      r.generic.push(o);
      continue;
    }
    if (!current) throw new Error(`option ${t} outside a module in ${body}`);
    current.push(o);
  }
  return r;
}

export interface ChainSpec {
  policy?: ChainPolicy;
  rules: string[];
}

/** `{ filter: { INPUT: { policy: 'DROP', rules: ['-p tcp -j ACCEPT'] } } }` → Ruleset. */
export function ruleset(
  family: Family,
  tables: Partial<Record<TableName, Record<string, ChainSpec>>>,
): Ruleset {
  const builtins: Record<TableName, string[]> = {
    filter: ['INPUT', 'FORWARD', 'OUTPUT'],
    nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
    mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
    raw: ['PREROUTING', 'OUTPUT'],
    security: ['INPUT', 'FORWARD', 'OUTPUT'],
  };
  let line = 1;
  return {
    family,
    tables: Object.entries(tables).map(([name, chains]) => {
      const tn = name as TableName;
      const out: Chain[] = [];
      for (const b of builtins[tn]) {
        const spec = chains[b];
        out.push({
          name: b,
          policy: spec?.policy ?? 'ACCEPT',
          rules: (spec?.rules ?? []).map((x) => rule(x, line++)),
        });
      }
      for (const [cname, spec] of Object.entries(chains)) {
        if (builtins[tn].includes(cname)) continue;
        out.push({ name: cname, policy: null, rules: spec.rules.map((x) => rule(x, line++)) });
      }
      return { name: tn, chains: out };
    }),
  };
}
