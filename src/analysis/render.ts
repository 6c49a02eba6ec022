/**
 * The text formats of a report and of a comparison, rendered where the analysis ran (a worker: the
 * event loop only sends the text). REST (`?format=`), GraphQL and the CLI share them:
 *
 *   csv      one row per layer, a TOTAL row; columns for memory, roofline, convention and explain
 *            when those were computed (analysis/csv.ts)
 *   md       for pull-request comments (formats/markdown.ts, then the memory, latency, convention
 *            and deployed-graph sections)
 *   html     one self-contained file, inline SVG charts (formats/html.ts): give it a memory report
 *            for the timeline (the callers compute one for html whether asked or not)
 *   netron   Netron's attachment file (formats/netron.ts), for an ONNX file only: its node names
 *            come from the file's bytes
 *
 * and a comparison's and a sweep's Markdown.
 */
import { reportCsv } from './csv.js';
import type { Extras } from './extras.js';
import { comparisonMarkdown } from './formats/compare-markdown.js';
import { reportHtml } from './formats/html.js';
import type { HtmlInput } from './formats/html.js';
import { reportMarkdown } from './formats/markdown.js';
import { netronAttachment, onnxNodes } from './formats/netron.js';
import { DEFAULT_MODULE_DEPTH, DEFAULT_TOP_K } from './modules.js';
import type { Comparison, GateVerdict } from './compare.js';
import type { Report } from './report.js';
import { markdownExtras } from './formats/extras-markdown.js';
import { sweepMarkdown } from './formats/sweep-markdown.js';
import type { SweepReport } from './sweep.js';
import { ConvlensError } from '../errors.js';

export const RENDER_FORMATS = ['csv', 'md', 'html', 'netron'] as const;

/** The extra analyses a report's option asks for (analysis/extras.ts). */
export type ShownAnalysis = 'memory' | 'inPlace' | 'device' | 'convention' | 'explain' | 'deployed' | 'erf' | 'modules';

/**
 * The analyses each answer shows: json all but erf (an HTML section), csv as columns, md and html
 * as sections, the command line's table its headline figures, netron none; `modules`, the module
 * summary (depth, topK), in json, md, html and the table, not in csv's rows. An analysis asked for
 * that the format does not show is refused (REST) or said (the command line), never dropped.
 */
export const SHOWN_IN: Readonly<Record<RenderFormat | 'json' | 'table', readonly ShownAnalysis[]>> = {
  json: ['memory', 'inPlace', 'device', 'convention', 'explain', 'deployed', 'modules'],
  csv: ['memory', 'inPlace', 'device', 'convention', 'explain', 'deployed'],
  md: ['memory', 'inPlace', 'device', 'convention', 'deployed', 'modules'],
  html: ['memory', 'inPlace', 'device', 'convention', 'deployed', 'erf', 'modules'],
  table: ['memory', 'inPlace', 'device', 'convention', 'deployed', 'modules'],
  netron: [],
};

/** The formats that show `analysis`, in SHOWN_IN's order. */
export const formatsShowing = (analysis: ShownAnalysis): string[] => Object.entries(SHOWN_IN).flatMap(([f, shown]) => (shown.includes(analysis) ? [f] : []));
export type RenderFormat = (typeof RENDER_FORMATS)[number];

/** What the module tables of md and html show: the request's depth and topK, else the defaults (topK at most 100 there). */
export interface RenderOptions {
  depth?: number;
  topK?: number;
}

export interface Renderable {
  report: Report;
  extras: Extras;
  /** The ONNX file analysed: netron names its nodes from it. */
  onnx?: Uint8Array;
  /** html: the final feature map's effective receptive field (runtime/erf-report.ts), when asked. */
  erf?: HtmlInput['erf'];
}

/** A format's text. */
export function renderReport(format: RenderFormat, r: Renderable, o: RenderOptions = {}): string {
  const shown = { depth: o.depth ?? DEFAULT_MODULE_DEPTH, topK: Math.min(o.topK ?? DEFAULT_TOP_K, 100) };
  const { report, extras } = r;
  switch (format) {
    case 'csv':
      return `${reportCsv(report, extras)}\n`;
    case 'md':
      return reportMarkdown(report, shown) + markdownExtras(extras);
    case 'html':
      return reportHtml(
        { report, memory: extras.memory, roofline: extras.roofline, deployed: extras.deployed, convention: extras.convention, ...(extras.modules && shown.depth === extras.modules.tree.depth && { modules: extras.modules }), ...(r.erf && { erf: r.erf }) },
        shown,
      );
    case 'netron': {
      if (!r.onnx) throw new ConvlensError('INVALID_OPTION', "format netron annotates an ONNX file's nodes: analyse an ONNX file (a spec or built-in model has none)", { path: 'query.format' });
      return `${JSON.stringify(netronAttachment(report, onnxNodes(r.onnx)).attachment, null, 2)}\n`;
    }
  }
}

/** A comparison as Markdown (a pull-request comment). */
export function renderComparison(comparison: Comparison, gates?: GateVerdict): string {
  return comparisonMarkdown(comparison, gates);
}

/** A resolution sweep as Markdown (the CLI's `sweep --format md`). */
export function renderSweep(sweep: SweepReport): string {
  return sweepMarkdown(sweep);
}
