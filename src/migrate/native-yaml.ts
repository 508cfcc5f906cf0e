import { stringify } from 'yaml';
import type { ChainPolicy, Family, TableName } from '../model/index.js';

/** A policy in the native format, with the comments that explain how it was made. */
export interface NativeRule {
  name: string;
  text: string;
  /** Printed above the rule. */
  comments: string[];
}

export interface NativeChain {
  name: string;
  policy?: ChainPolicy;
  rules: NativeRule[];
}

export interface NativeTable {
  name: TableName;
  chains: NativeChain[];
}

export interface NativeIpset {
  name: string;
  type: string;
  family?: 'inet6';
  options: Array<[string, number | string | true]>;
  members: string[];
}

export interface NativeDoc {
  header: string[];
  ipsets: NativeIpset[];
  families: Partial<Record<Family, NativeTable[]>>;
}

/** A YAML scalar on one line, quoted only when YAML needs it (a leading `!` always is). */
function scalar(value: string | number | boolean): string {
  return stringify(value, { lineWidth: 0 }).trimEnd();
}

/** Comment lines, wrapped at about 100 columns; lines starting with two spaces are kept as they are. */
export function commentLines(text: string, indent: string): string[] {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    // Indented lines (commands) are kept whole.
    if (para.startsWith('  ')) {
      out.push(`${indent}# ${para}`);
      continue;
    }
    let line = '';
    for (const word of para.split(' ')) {
      if (line !== '' && indent.length + 2 + line.length + 1 + word.length > 100) {
        out.push(`${indent}# ${line}`);
        line = word;
      } else line = line === '' ? word : `${line} ${word}`;
    }
    out.push(line === '' ? `${indent}#` : `${indent}# ${line}`);
  }
  return out;
}

const ONE_KEY_NAME = /^(?!name$|rule$)[A-Za-z0-9_.-]+$/;

/** The native policy file: `dockwall: 1`, `ipsets:`, then `ipv4:` / `ipv6:` by table and chain. */
export function writeNativeYaml(doc: NativeDoc): string {
  const out: string[] = [...doc.header.flatMap((h) => commentLines(h, '')), 'dockwall: 1'];
  if (doc.ipsets.length > 0) {
    out.push('', 'ipsets:');
    for (const s of doc.ipsets) {
      out.push(`  ${scalar(s.name)}:`, `    type: ${scalar(s.type)}`);
      if (s.family) out.push(`    family: ${s.family}`);
      if (s.options.length > 0) {
        out.push('    options:');
        for (const [k, v] of s.options) out.push(`      ${k}: ${scalar(v)}`);
      }
      if (s.members.length <= 4) out.push(`    members: [${s.members.map(scalar).join(', ')}]`);
      else out.push('    members:', ...s.members.map((m) => `      - ${scalar(m)}`));
    }
  }
  for (const family of ['ipv4', 'ipv6'] as const) {
    const tables = doc.families[family];
    if (!tables || tables.length === 0) continue;
    out.push('', `${family}:`);
    for (const t of tables) {
      out.push(`  ${t.name}:`);
      for (const c of t.chains) {
        out.push(`    ${scalar(c.name)}:`);
        if (c.policy) out.push(`      policy: ${c.policy}`);
        if (c.rules.length === 0) {
          if (!c.policy) out.push('      rules: []');
          continue;
        }
        out.push('      rules:');
        for (const r of c.rules) {
          out.push(...r.comments.flatMap((cm) => commentLines(cm, '        ')));
          if (ONE_KEY_NAME.test(r.name)) out.push(`        - ${scalar(r.name)}: ${scalar(r.text)}`);
          else out.push(`        - name: ${scalar(r.name)}`, `          rule: ${scalar(r.text)}`);
        }
      }
    }
  }
  return out.join('\n') + '\n';
}
