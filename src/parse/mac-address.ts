/**
 * A MAC address as iptables 1.8.9 reads one (`xtopt_parse_ethermac`): six parts separated by `:`,
 * each read by strtoul in base 16 that may take at most two characters. So `0:1:22:33:44:55` is
 * 00:01:22:33:44:55, an empty part is 0, and a sign is allowed (`-1` is ff); `00-11-…` and
 * `00.11.…` are refused. Returns the six bytes, or undefined where iptables errs.
 */
export function parseMac(text: string): number[] | undefined {
  const parts = text.split(':');
  if (parts.length !== 6) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    const m = /^(?:([\t\n\v\f\r +-]?)([0-9a-fA-F]))?([0-9a-fA-F]?)$/.exec(p);
    if (!m) return undefined;
    // "", "h", "hh", " h", "+h", "-h": what strtoul reads whole in at most two characters.
    const sign = m[1] ?? '';
    if (sign !== '' && m[3] !== '') return undefined;
    const digits = (m[2] ?? '') + (m[3] ?? '');
    const v = digits === '' ? 0 : parseInt(digits, 16);
    out.push(sign === '-' ? (256 - v) & 0xff : v);
  }
  return out;
}

/** The MAC as iptables-save prints it: six lowercase pairs. */
export function formatMac(bytes: readonly number[]): string {
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** `text` as iptables-save would print it, or null where iptables refuses it. */
export function canonicalMac(text: string): string | null {
  const b = parseMac(text);
  return b ? formatMac(b) : null;
}
