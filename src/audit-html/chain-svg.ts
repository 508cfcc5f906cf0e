import { NODE_HEIGHT, nodeSubtitle, type ChainGraph, type GraphEdge, type GraphNode } from './chain-graph.js';
import { attrs, esc } from './escape.js';

/** The chain graph as an inline SVG: boxes for chains, arrows for -j (solid) and -g (dashed). */

const OWNER_TEXT: Record<GraphNode['owner'], string> = {
  builtin: 'built-in chain',
  docker: "Docker's chain",
  dockwall: "dockwall's chain",
  other: 'user chain',
};

function round(n: number): string {
  return String(Math.round(n * 10) / 10);
}

/** Vertical-tangent curves between layers, straight lines through the layers an edge passes. */
function edgePath(e: GraphEdge, a: GraphNode, b: GraphNode, right: number): string {
  if (e.back) {
    // Only in a dump with a jump loop: around the right of the drawing, into the target's side.
    const y1 = a.y + NODE_HEIGHT / 2;
    const y2 = b.y + NODE_HEIGHT / 2;
    return `M${round(a.x + a.width)},${round(y1)} C${round(right)},${round(y1)} ${round(right)},${round(y2)} ${round(b.x + b.width)},${round(y2)}`;
  }
  const p = e.points;
  let d = `M${round(p[0]![0])},${round(p[0]![1])}`;
  for (let i = 1; i < p.length; i++) {
    const [x1, y1] = p[i - 1]!;
    const [x2, y2] = p[i]!;
    if (i % 2 === 0) {
      d += ` L${round(x2)},${round(y2)}`;
      continue;
    }
    const dy = Math.min((y2 - y1) / 2, 40);
    d += ` C${round(x1)},${round(y1 + dy)} ${round(x2)},${round(y2 - dy)} ${round(x2)},${round(y2)}`;
  }
  return d;
}

function edgeTitle(e: GraphEdge): string {
  const how = e.kind === 'goto' ? '-g' : '-j';
  const which = e.rules.length === 1 ? `rule ${e.rules[0]}` : `rules ${e.rules.join(', ')}`;
  return `${e.from} ${how} ${e.to} (${which})`;
}

export function renderChainSvg(g: ChainGraph): string {
  const uid = `g-${g.family}-${g.table}`;
  const byName = new Map(g.nodes.map((n) => [n.chain, n]));
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg"${attrs({
      class: 'chain-graph',
      width: g.width,
      height: g.height,
      viewBox: `0 0 ${g.width} ${g.height}`,
      role: 'img',
      'aria-label': `${g.family} ${g.table} table: chains and jumps`,
      'data-family': g.family,
      'data-table': g.table,
    })}>`,
  );
  out.push(
    `<defs><marker id="${uid}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>`,
  );
  for (const e of g.edges) {
    const a = byName.get(e.from)!;
    const b = byName.get(e.to)!;
    const title = edgeTitle(e);
    out.push(
      `<path${attrs({
        class: `edge ${e.kind}`,
        d: edgePath(e, a, b, g.width - 16),
        'marker-end': `url(#${uid}-arrow)`,
        'data-from': e.from,
        'data-to': e.to,
        'data-kind': e.kind,
      })}><title>${esc(title)}</title></path>`,
    );
    if (e.rules.length > 1) {
      const [x1, y1] = e.points[0]!;
      const [x2, y2] = e.points[1]!;
      out.push(
        `<text class="edge-count" x="${round((x1 + x2) / 2 + 5)}" y="${round((y1 + y2) / 2)}">×${e.rules.length}</text>`,
      );
    }
  }
  for (const n of g.nodes) {
    const sub = nodeSubtitle(n);
    const decides = n.decides > 0 ? `; decides ${n.decides} matrix cell${n.decides === 1 ? '' : 's'}` : '';
    const title = `${g.table} ${n.chain}: ${OWNER_TEXT[n.owner]}, ${sub}${decides}`;
    const cls = ['node', n.owner, n.decides > 0 ? 'decides' : '', n.policy === 'DROP' ? 'policy-drop' : '']
      .filter(Boolean)
      .join(' ');
    out.push(
      `<g${attrs({ class: cls, 'data-chain': n.chain, transform: `translate(${round(n.x)},${round(n.y)})` })}>` +
        `<title>${esc(title)}</title>` +
        `<rect width="${n.width}" height="${NODE_HEIGHT}" rx="6"/>` +
        `<text class="name" x="${round(n.width / 2)}" y="17">${esc(n.chain)}</text>` +
        `<text class="sub" x="${round(n.width / 2)}" y="32">${esc(sub)}</text>` +
        `</g>`,
    );
  }
  out.push('</svg>');
  return out.join('\n');
}
