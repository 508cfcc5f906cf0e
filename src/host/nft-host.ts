import { HostCommandError, type Runner } from './runner.js';

/** `nft -j list ruleset`: every table of every family, as JSON text. */
export async function readNftRulesetJson(runner: Runner): Promise<string> {
  const argv = ['nft', '-j', 'list', 'ruleset'];
  const res = await runner.run(argv);
  if (res.code !== 0) throw new HostCommandError([...runner.wrap, ...argv], res);
  return res.stdout;
}
