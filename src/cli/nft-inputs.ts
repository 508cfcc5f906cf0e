import { readNftRulesetJson } from '../host/nft-host.js';
import { IPTABLES_NFT_TABLES, diag, type NftRuleset } from '../model/index.js';
import { parseNftJson } from '../parse/index.js';
import type { CliContext } from './context.js';
import { CliError } from './exit-codes.js';
import { readText } from './inputs.js';
import type { Planned } from './pipeline.js';
import { hostRunner, listNftTables } from './live.js';

/**
 * The nftables side of trace, check and audit: a saved `nft -j list ruleset` among the --state
 * files (recognised by content: JSON), or the live rule set.
 */

/** Whether a --state file holds JSON (an nftables rule set) rather than an iptables or ipset dump. */
export function isJsonState(text: string): boolean {
  return /^\s*[[{]/.test(text);
}

/**
 * Splits --state files into iptables dumps and one nftables rule set (parsed; stops on errors), with
 * that file's text.
 */
export function splitStateFiles(
  ctx: CliContext,
  files: readonly string[],
): {
  iptables: string[];
  /** The text of each file, read once (readStateFiles takes the iptables dumps' from here). */
  texts: Map<string, string>;
  nft?: NftRuleset;
  nftFile?: string;
  nftText?: string;
} {
  const iptables: string[] = [];
  const texts = new Map<string, string>();
  let nft: NftRuleset | undefined;
  let nftFile: string | undefined;
  let nftText: string | undefined;
  for (const file of files) {
    const text = readText(ctx, file);
    texts.set(file, text);
    if (/^\s*table\s+\S+\s+\S+\s*\{/.test(text)) {
      const before = text.slice(0, text.search(/\S/));
      const line = before.split('\n').length;
      const column = before.length - before.lastIndexOf('\n');
      ctx.collect([
        diag(
          'error',
          'parse.nft-text',
          'this is `nft list ruleset` text; dockwall reads the JSON form',
          { file, line, column },
          {
            hint: 'save it with `nft -j list ruleset > FILE`',
          },
        ),
      ]);
      ctx.failOnErrors(`${file} is not an nftables rule set in JSON`);
    }
    if (!isJsonState(text)) {
      iptables.push(file);
      continue;
    }
    if (nftFile) throw new CliError(`two nftables rule sets given (${nftFile}, ${file}); give one`);
    nftFile = file;
    nftText = text;
    nft = ctx.valueOf(parseNftJson(text, { file }), `${file} is not an nftables rule set`);
  }
  return nft && nftFile ? { iptables, texts, nft, nftFile, nftText: nftText! } : { iptables, texts };
}

/** iptables-nft's own tables hold what iptables-save prints; any other table is read with nft. */
function beyondIptables(table: string): boolean {
  const [family, name] = table.split(' ');
  return !((family === 'ip' || family === 'ip6') && IPTABLES_NFT_TABLES.includes(name ?? ''));
}

const liveNfts = new WeakMap<Planned, Promise<NftRuleset | undefined>>();

/** `readLiveNft` once per plan: its `expect:` checks and its reachability difference share it. */
export function liveNftFor(ctx: CliContext, planned: Planned): Promise<NftRuleset | undefined> {
  let got = liveNfts.get(planned);
  if (!got) {
    const reading = readLiveNft(ctx);
    liveNfts.set(planned, reading);
    reading.catch(() => {
      if (liveNfts.get(planned) === reading) liveNfts.delete(planned);
    });
    got = reading;
  }
  return got;
}

/** The live nftables rule set, when the host has tables iptables-save does not show (Docker 29's, a user's). */
export async function readLiveNft(ctx: CliContext): Promise<NftRuleset | undefined> {
  const runner = hostRunner();
  const tables = await listNftTables(runner);
  if (!tables.some(beyondIptables)) return undefined;
  const text = await readNftRulesetJson(runner);
  const file = 'nft -j list ruleset';
  ctx.addSource(file, text);
  return ctx.valueOf(parseNftJson(text, { file }), 'could not read the live nftables rule set');
}
