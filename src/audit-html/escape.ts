const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text made safe for HTML and SVG content and for quoted attribute values. */
export function esc(text: string | number | bigint): string {
  return String(text).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** ` name="value"` pairs, escaped; entries whose value is undefined or false are left out. */
export function attrs(values: Record<string, string | number | boolean | undefined>): string {
  let out = '';
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined || v === false) continue;
    out += v === true ? ` ${k}` : ` ${k}="${esc(v)}"`;
  }
  return out;
}
