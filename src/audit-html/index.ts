export { renderAuditHtml, type AuditHtmlOptions } from './page.js';
export { familyMatrix, type FamilyMatrix, type MatrixRow, type SourceColumn } from './source-columns.js';
export { chainGraph, type ChainGraph, type GraphEdge, type GraphNode } from './chain-graph.js';
export { renderChainSvg } from './chain-svg.js';
export { cellClass, type CellClass } from './matrix.js';
export { esc } from './escape.js';
