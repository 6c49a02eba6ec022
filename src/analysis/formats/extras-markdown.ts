/**
 * The Markdown of the analyses beyond the counts (memory, roofline latency, another tool's count,
 * the deployed graph), appended to a report's Markdown by the CLI and by REST/GraphQL renderings.
 */
import type { DeployedReport } from '../deployed.js';
import type { MemoryReport } from '../memory.js';
import type { RooflineReport } from '../roofline.js';
import type { ConventionCount } from '../../conventions/index.js';
import { deployedMarkdown } from './deployed.js';
import { code, exact, seconds as mdSeconds, table as mdTable, text as mdText } from './md.js';

/** How many of the slowest layers the roofline sections list. */
export const ROOFLINE_TOP = 5;

/** The ROOFLINE_TOP slowest layers of a roofline, slowest first. */
export const slowest = (r: RooflineReport) => [...r.layers].sort((a, b) => b.seconds - a.seconds).slice(0, ROOFLINE_TOP);

export function markdownExtras(x: { memory?: MemoryReport; roofline?: RooflineReport; convention?: ConventionCount; deployed?: DeployedReport }): string {
  const parts: string[] = [];
  const m = x.memory;
  if (m) {
    parts.push(
      '### Memory',
      mdTable(
        ['', 'bytes'],
        [
          [`peak activations${m.peak.layer ? ` (at ${code(m.peak.layer)})` : ''}`, exact(m.peak.bytes)],
          ['weights', exact(m.weights.bytes)],
          ['peak activations + weights', exact(m.totalBytes)],
        ],
        'lr',
      ),
      `torchinfo footprint: ${m.torchinfo.lines.map(mdText).join('; ')}`,
    );
  }
  const r = x.roofline;
  if (r) {
    parts.push(
      `### Latency on ${mdText(r.device.name)} (${r.device.dtype})`,
      `At least **${mdSeconds(r.totals.seconds)}**: a roofline lower bound. ${mdText(r.note)}`,
      mdTable(
        ['layer', 'op', 'time', 'bound'],
        slowest(r).map((l) => [code(l.name), code(l.op), mdSeconds(l.seconds), l.bound]),
        'llrl',
      ),
    );
  }
  const c = x.convention;
  if (c) {
    parts.push(
      `### ${mdText(c.tool)} count`,
      mdText(c.headline),
      mdTable(
        ['family', c.unit, 'convlens MACs', 'difference'],
        c.byFamily.map((f) => [mdText(f.family), exact(f.count), exact(f.convlensMacs), exact(f.difference)]),
        'lrrr',
      ),
    );
  }
  if (x.deployed) parts.push(deployedMarkdown(x.deployed));
  return parts.length ? `\n${parts.join('\n\n')}\n` : '';
}
