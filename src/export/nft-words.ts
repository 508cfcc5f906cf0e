/** A rule part nftables cannot express (as translated here); the message says which and why. */
export class Untranslatable extends Error {}

export function fail(why: string): never {
  throw new Untranslatable(why);
}

/** A string in nft's double quotes (which cannot hold a double quote). */
export function nftString(text: string): string {
  if (text.includes('"') || /[\r\n\0]/.test(text)) fail(`nft strings cannot hold ${JSON.stringify(text)}`);
  return `"${text}"`;
}

/** Names nft reads as identifiers (chain, set and table names are not quoted in declarations). */
export function nftName(text: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_.\-/]*$/.test(text))
    fail(`the name ${JSON.stringify(text)} is not an nft identifier`);
  return text;
}
