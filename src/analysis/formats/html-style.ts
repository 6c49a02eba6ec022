/**
 * The HTML report's one stylesheet (formats/html.ts inlines it and allows it by hash in the
 * document's Content-Security-Policy). Light colours only, so it prints as it shows; in print each
 * section starts a page, charts and tables rows are not split, and the charts scale to the page.
 * On a narrow screen (a phone's 375 px) a wide table or chart scrolls sideways in its own box, not
 * the page, and a chart keeps at least 720 px so its 11–12 px labels stay legible; a long name
 * without spaces breaks anywhere rather than widening its table or running out of its paragraph,
 * caption or cell (layer names run to 256 characters), but an op type or warning code
 * (code.ident) stays on one line: a narrow op column broke `conv2d` as con/v2d.
 */
export const REPORT_CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: #1b1b1b; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 20px 48px; }
header { border-bottom: 2px solid #0072B2; margin-bottom: 8px; }
h1 { font-size: 24px; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 19px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #ddd; }
h3 { font-size: 15px; margin: 18px 0 6px; }
p.source { color: #444; margin: 0 0 10px; overflow-wrap: anywhere; }
code { font: 12.5px/1.3 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; background: #f3f4f6; padding: 0 3px; border-radius: 3px; overflow-wrap: anywhere; }
strong code { font-weight: 700; }
code.ident { white-space: nowrap; overflow-wrap: normal; }
p, li, figcaption { overflow-wrap: anywhere; }
pre.torchinfo { font: 12.5px/1.4 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; background: #f6f8fa; border: 1px solid #e3e6ea; padding: 8px 10px; border-radius: 4px; }
table { border-collapse: collapse; margin: 6px 0 10px; font-size: 13px; display: block; max-width: 100%; overflow-x: auto; }
th, td { padding: 3px 8px; border-bottom: 1px solid #e6e6e6; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid #bbb; background: #f6f8fa; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.facts th { font-weight: 600; color: #333; padding-right: 16px; white-space: nowrap; }
table.warnings td:nth-child(3) { min-width: 320px; max-width: 560px; overflow-wrap: anywhere; }
table.warnings td:nth-child(4) { min-width: 160px; max-width: 240px; }
tr { break-inside: avoid; }
.small { font-size: 12.5px; color: #444; }
.alert { border-left: 4px solid #D55E00; background: #fff5ee; padding: 6px 10px; font-size: 13px; }
.indent { white-space: pre; }
.tree { display: flex; }
.tree > .indent { flex: none; }
figure.chart { margin: 8px 0 14px; break-inside: avoid; overflow-x: auto; }
figure.chart svg { display: block; width: 100%; height: auto; max-width: 960px; min-width: 720px; }
figcaption { font-size: 12.5px; color: #444; margin-top: 4px; max-width: 960px; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; font-size: 12px; fill: #222; }
svg .tick { font-size: 11px; fill: #444; }
svg .axis-title { font-size: 12px; fill: #333; }
svg .panel-title { font-size: 13px; font-weight: 600; }
svg .legend text, svg text.legend { font-size: 12px; }
svg .grid { stroke: #e4e4e4; stroke-width: 1; }
svg .axis-line, svg .tickmark { stroke: #555; stroke-width: 1; }
svg .band-0 { fill: #eef2f7; }
svg .band-1 { fill: #dde4ee; }
svg .band-label { font-size: 11px; fill: #333; }
svg .ref-label { font-size: 12px; font-weight: 600; paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
svg .marker-box { fill: #fff; fill-opacity: 0.92; stroke-width: 1; }
svg .marker-label { font-size: 13px; font-weight: 700; fill: #D55E00; }
svg .marker-sub { font-size: 12px; fill: #333; }
svg .seg-label { font-size: 11px; fill: #fff; font-weight: 600; paint-order: stroke; stroke: rgba(0, 0, 0, 0.55); stroke-width: 2px; }
svg .row-title { font-size: 12px; font-weight: 600; }
svg .empty { font-size: 13px; fill: #777; }
svg .empty-row { fill: #f3f3f3; }
svg .hover rect { fill: transparent; }
svg .hover rect:hover { fill: rgba(0, 0, 0, 0.06); }
svg .bars rect:hover, svg .stack rect:hover { opacity: 0.8; }
@page { size: A4; margin: 12mm; }
@media print {
  body { font-size: 11px; }
  main { max-width: none; padding: 0; }
  section { break-before: page; }
  header + section { break-before: auto; }
  h2 { break-after: avoid; }
  figure.chart svg { max-width: 100%; min-width: 0; }
  table { display: table; overflow: visible; }
  code, pre.torchinfo, thead th { background: none; }
  .alert { background: none; }
  svg .hover rect:hover { fill: transparent; }
}
`;
