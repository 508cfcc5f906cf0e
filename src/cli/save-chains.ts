import type { TableName } from '../model/index.js';

/**
 * One table's chains out of a whole `iptables-save` dump, each as `iptables -t TABLE -S CHAIN`
 * prints it (`-P CHAIN POLICY` for a built-in chain, `-N CHAIN` for another, then its `-A` lines in
 * order), so a chain read this way parses to the same rules, with the same diagnostics, as one read
 * by its own process. A table the dump does not show has no chains. Undefined when the dump cannot
 * say: iptables-nft-save skips a table it cannot translate ("is incompatible"), where `-S` reports
 * the chain's trouble itself.
 */
export function chainsFromSave(save: string, table: TableName): Map<string, string> | undefined {
  if (save.includes(' is incompatible, use ')) return undefined;
  const out = new Map<string, string>();
  const head = `*${table}\n`;
  const at = save.startsWith(head) ? 0 : save.indexOf(`\n${head}`);
  if (at === -1) return out;
  const start = at === 0 ? head.length : at + 1 + head.length;
  const endAt = save.indexOf('\nCOMMIT\n', start - 1);
  const section = save.slice(start, endAt === -1 ? save.length : endAt + 1);
  const texts = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    if (line.startsWith(':')) {
      const [name, policy] = line.slice(1).split(' ');
      if (!name) continue;
      texts.set(name, [policy && policy !== '-' ? `-P ${name} ${policy}` : `-N ${name}`]);
    } else if (line.startsWith('-A ')) {
      const name = line.slice(3, line.indexOf(' ', 3) === -1 ? undefined : line.indexOf(' ', 3));
      texts.get(name)?.push(line);
    }
  }
  for (const [name, lines] of texts) out.set(name, lines.join('\n') + '\n');
  return out;
}
