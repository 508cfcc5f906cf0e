/**
 * Turns moby's generated iptables documents (test/fixtures/moby-docs/<version>/…/*.md) into
 * iptables-save fixtures: test/fixtures/docker-<version>/<scenario>.iptables-save, one file per
 * scenario holding every table the document shows.
 *
 * Each document shows, per table, an `iptables -S` block ("iptables commands"). The table is told by
 * the block's `-P` lines (the built-in chains it lists). When a document shows a table more than
 * once, the last complete block (one with a `-P` line for every built-in chain) is taken; the header
 * comment says which block each table came from. Blocks without `-P` lines are excerpts of a single
 * chain and are skipped.
 *
 *   npx tsx scripts/import-moby-docs.ts
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILTIN_CHAINS, type Table, type TableName } from '../src/model/index.js';
import { parseIptablesS, parseIptablesSave, printIptablesSave } from '../src/parse/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = join(root, 'test', 'fixtures');

const SOURCES: ReadonlyArray<{ version: string; dir: string }> = [
  { version: '28.5.2', dir: join(fixtures, 'moby-docs', '28.5.2') },
  { version: '29.7.2', dir: join(fixtures, 'moby-docs', '29.7.2', 'iptables') },
];

interface Block {
  /** 1-based line of the block's first command in the document. */
  line: number;
  lines: string[];
}

/** Runs of indented `-P`/`-N`/`-A` lines. */
export function extractBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  let current: Block | undefined;
  markdown.split('\n').forEach((raw, i) => {
    const m = /^(?: {4}|\t)(-[PNA] .*?)\s*$/.exec(raw);
    if (m) {
      current ??= { line: i + 1, lines: [] };
      current.lines.push(m[1]!);
    } else if (current) {
      blocks.push(current);
      current = undefined;
    }
  });
  if (current) blocks.push(current);
  return blocks;
}

/** The table whose built-in chains are exactly the block's `-P` chains (filter before security). */
export function tableOf(block: Block): { table: TableName; complete: boolean } | undefined {
  const policies = block.lines.filter((l) => l.startsWith('-P ')).map((l) => l.split(' ')[1]!);
  const set = new Set(policies);
  for (const table of ['filter', 'nat', 'mangle', 'raw'] as const) {
    const builtins = BUILTIN_CHAINS[table];
    if (builtins.length === set.size && builtins.every((c) => set.has(c))) return { table, complete: true };
  }
  // No or partial -P lines: the table whose built-in chains include every chain named.
  for (const table of ['filter', 'nat', 'mangle', 'raw'] as const) {
    if (policies.length > 0 && policies.every((c) => BUILTIN_CHAINS[table].includes(c))) {
      return { table, complete: false };
    }
  }
  return undefined;
}

function convert(version: string, file: string): { name: string; text: string } {
  const markdown = readFileSync(file, 'utf8');
  const scenario = basename(file, '.md');
  const source = relative(fixtures, file);
  const chosen = new Map<TableName, { block: Block; complete: boolean }>();
  const counts = new Map<TableName, number>();
  const order: TableName[] = [];
  for (const block of extractBlocks(markdown)) {
    // A block without -P lines is an excerpt of one chain (`iptables -S CHAIN`), not a table.
    if (!block.lines.some((l) => l.startsWith('-P '))) {
      console.log(`${source}:${block.line}: skipped a one-chain excerpt`);
      continue;
    }
    const t = tableOf(block);
    if (!t) throw new Error(`${source}:${block.line}: cannot tell which table this block is for`);
    counts.set(t.table, (counts.get(t.table) ?? 0) + 1);
    if (!order.includes(t.table)) order.push(t.table);
    const prev = chosen.get(t.table);
    if (!prev || t.complete || !prev.complete) chosen.set(t.table, { block, complete: t.complete });
  }
  const tables: Table[] = [];
  const notes: string[] = [];
  for (const name of order) {
    const pick = chosen.get(name)!;
    const parsed = parseIptablesS(pick.block.lines.join('\n'), { file: source, family: 'ipv4', table: name });
    if (!parsed.value) {
      const d = parsed.diagnostics[0]!;
      throw new Error(`${source}:${pick.block.line + (d.pos?.line ?? 1) - 1}: ${d.message}`);
    }
    tables.push(parsed.value);
    const n = counts.get(name)!;
    notes.push(
      n > 1
        ? `${name} from line ${pick.block.line} (last complete of ${n} blocks)`
        : `${name} from line ${pick.block.line}`,
    );
  }
  if (tables.length === 0) throw new Error(`${source}: no iptables commands found`);
  tables[0]!.commentsBefore = [
    `# Docker ${version}, scenario ${scenario}: the "iptables -S" blocks of ${source}`,
    `# (moby integration/network/bridge/iptablesdoc, Apache License 2.0); ${notes.join(', ')}.`,
  ];
  const text = printIptablesSave({ family: 'ipv4', tables });
  const check = parseIptablesSave(text, { file: scenario, family: 'ipv4' });
  if (!check.value || printIptablesSave(check.value) !== text)
    throw new Error(`${source}: output does not round-trip`);
  return { name: `${scenario}.iptables-save`, text };
}

function main(): void {
  for (const { version, dir } of SOURCES) {
    const out = join(fixtures, `docker-${version}`);
    mkdirSync(out, { recursive: true });
    for (const f of readdirSync(dir)
      .filter((n) => n.endsWith('.md'))
      .sort()) {
      const { name, text } = convert(version, join(dir, f));
      writeFileSync(join(out, name), text);
      console.log(`${relative(root, join(out, name))}: ${text.split('\n').length - 1} lines`);
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
