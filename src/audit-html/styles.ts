/** The page's only style sheet, inlined. */
export const STYLES = `
:root {
  --open: #1a7f37; --open-bg: #d2f4dc;
  --accept: #4d7c5a; --accept-bg: #eaf3ec;
  --reject: #b35900; --reject-bg: #ffe4c4;
  --drop: #b42318; --drop-bg: #fcd9d6;
  --unknown: #57606a; --unknown-bg: #e6e8eb;
  --depends: #6639ba; --depends-bg: #ece2fb;
  --line: #d0d7de; --muted: #57606a; --ink: #1f2328;
}
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); margin: 0; background: #f6f8fa; }
header { background: #24292f; color: #fff; padding: 16px 28px; }
header h1 { margin: 0 0 4px; font-size: 20px; }
header p { margin: 0; color: #c9d1d9; }
main { padding: 8px 28px 40px; max-width: 1600px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 18px 16px; margin: 18px 0; }
h2 { font-size: 16px; margin: 4px 0 10px; }
h3 { font-size: 14px; margin: 14px 0 6px; color: var(--muted); }
code, .dest, .where, td.v, .chain-graph text { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
.summary { display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 0; padding: 0; list-style: none; }
.summary b { font-weight: 600; }
.findings { list-style: none; margin: 0; padding: 0; }
.findings li { border-left: 4px solid var(--line); padding: 6px 10px; margin: 6px 0; background: #fafbfc; }
.findings li.warning { border-color: var(--reject); background: #fff8f0; }
.findings li.error { border-color: var(--drop); background: #fff5f4; }
.findings li.info { border-color: #0969da; }
.findings .sev { font-weight: 600; text-transform: uppercase; font-size: 11px; margin-right: 6px; }
.findings .code { color: var(--muted); font-size: 12px; margin-left: 6px; }
.findings .hint { display: block; color: var(--muted); margin-top: 2px; }
.none { color: var(--muted); font-style: italic; }
.matrix-wrap { overflow-x: auto; }
table.matrix { border-collapse: separate; border-spacing: 0; font-size: 13px; }
table.matrix th, table.matrix td { border-bottom: 1px solid var(--line); padding: 6px 10px; }
table.matrix thead th { background: #f6f8fa; vertical-align: bottom; text-align: center; font-weight: 600; max-width: 220px; }
table.matrix thead th.martian { color: var(--muted); font-weight: 400; }
th.corner { text-align: left !important; color: var(--muted); font-weight: 400 !important; }
.example { display: block; font-weight: 400; color: var(--muted); font-size: 11px; font-family: ui-monospace, Menlo, monospace; }
th.dest { text-align: left; font-weight: 600; white-space: nowrap; }
.where { display: block; font-weight: 400; color: var(--muted); font-size: 12px; }
.flag { display: inline-block; font-family: system-ui, sans-serif; font-size: 11px; font-weight: 600; border-radius: 10px; padding: 0 8px; margin: 3px 6px 0 0; }
.flag.world { background: var(--drop-bg); color: var(--drop); }
.flag.unknown { background: var(--unknown-bg); color: var(--unknown); }
.depends { background: var(--depends-bg); color: var(--depends); }
.flag.depends { background: var(--depends-bg); color: var(--depends); }
td.v { text-align: center; font-weight: 600; cursor: help; min-width: 84px; }
td.v:hover { outline: 2px solid var(--ink); outline-offset: -2px; }
.open { background: var(--open-bg); color: var(--open); }
.accept { background: var(--accept-bg); color: var(--accept); }
.reject { background: var(--reject-bg); color: var(--reject); }
.drop { background: var(--drop-bg); color: var(--drop); }
.unknown { background: var(--unknown-bg); color: var(--unknown); }
.depends { background: var(--depends-bg); color: var(--depends); }
tr.details td { padding: 2px 10px 8px; background: #fff; }
tr.details summary { cursor: pointer; color: var(--muted); font-size: 12px; }
tr.details ul { margin: 6px 0 0; padding-left: 18px; }
tr.details li { margin: 3px 0; }
tr.details .by { color: var(--muted); }
.badge { display: inline-block; min-width: 52px; text-align: center; border-radius: 4px; padding: 0 6px; font-weight: 600; font-size: 12px; font-family: ui-monospace, Menlo, monospace; }
.legend { list-style: none; padding: 0; margin: 10px 0 0; display: flex; flex-wrap: wrap; gap: 6px 20px; font-size: 12px; color: var(--muted); }
.graphs { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
figure { margin: 0; overflow-x: auto; max-width: 100%; }
figcaption { font-weight: 600; color: var(--muted); margin-bottom: 4px; }
.chain-graph { background: #fcfcfd; border: 1px solid var(--line); border-radius: 6px; }
.chain-graph .node rect { fill: #fff; stroke: #8c959f; stroke-width: 1.2; }
.chain-graph .node.builtin rect { fill: #ddf4ff; stroke: #0969da; }
.chain-graph .node.docker rect { fill: #f3f0ff; stroke: #8250df; }
.chain-graph .node.dockwall rect { fill: #dafbe1; stroke: #1a7f37; }
.chain-graph .node.policy-drop rect { stroke: var(--drop); }
.chain-graph .node.decides rect { stroke-width: 2.6; }
.chain-graph .node text { text-anchor: middle; fill: var(--ink); }
.chain-graph .node text.name { font-size: 12px; font-weight: 600; }
.chain-graph .node text.sub { font-size: 10px; fill: var(--muted); }
.chain-graph .edge { fill: none; stroke: #6e7781; stroke-width: 1.4; }
.chain-graph .edge.goto { stroke-dasharray: 5 4; }
.chain-graph .edge:hover { stroke: #0969da; stroke-width: 2.4; }
.chain-graph .arrowhead { fill: #6e7781; }
.chain-graph .edge-count { font-size: 10px; fill: var(--muted); }
.graph-legend { font-size: 12px; color: var(--muted); margin: 8px 0 0; }
.graph-legend span { display: inline-block; width: 12px; height: 12px; border-radius: 3px; vertical-align: -2px; margin: 0 4px 0 12px; border: 1px solid; }
ul.plain { margin: 4px 0; padding-left: 18px; color: var(--muted); }
footer { color: var(--muted); font-size: 12px; padding: 0 28px 24px; }
`;
