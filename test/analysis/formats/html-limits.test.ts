/**
 * The HTML report's long lists (src/analysis/formats/html-limits.ts): a 3,000-conv import listed
 * 6,300 modules (332,568 px of a 339,610 px page). Past MAX_MODULE_ROWS the module table stops at
 * a shallower depth, or lists the first top-level modules and sums the rest; past
 * MAX_WARNING_ROWS the warnings keep severity warning first; each cut says what it leaves out and
 * where the whole is.
 */
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../../src/analysis/analyze.js';
import { resolveDevice } from '../../../src/analysis/devices.js';
import { reportHtml } from '../../../src/analysis/formats/html.js';
import { MAX_MODULE_ROWS, MAX_WARNING_ROWS, moduleRows, warningRows, warningsByCode } from '../../../src/analysis/formats/html-limits.js';
import { table } from '../../../src/cli/format.js';
import { moduleTree } from '../../../src/analysis/modules.js';
import type { ReportWarning } from '../../../src/analysis/report.js';
import { roofline } from '../../../src/analysis/roofline.js';
import { parseNetworkSpec } from '../../../src/graph/network.js';
import { DEFAULTS } from '../../helpers.js';

/** n 1×1 convs 2 → 2 on a 1×2×4×4 input, named by `name`: 6 params (4 weights, 2 biases) and 64 MACs (2·2·4·4) each. */
function convs(n: number, name: (i: number) => string) {
  const layers = Array.from({ length: n }, (_, i) => ({ name: name(i), op: 'conv2d', outChannels: 2, kernelSize: 1 }));
  return analyzeGraph(parseNetworkSpec({ name: 'many', inputs: [{ name: 'x', shape: [1, 2, 4, 4] }], layers }), DEFAULTS);
}

const section = (html: string, id: string) => {
  const start = html.indexOf(`<section id="${id}">`);
  return html.slice(start, html.indexOf('</section>', start));
};
const rowsOf = (fragment: string) => fragment.split('<tbody>')[1].split('<tr>').length - 1;
const fields = (fragment: string, field: string) => [...fragment.matchAll(new RegExp(`data-field="${field}">([^<]*)<`, 'g'))].map((m) => Number(m[1].replace(/,/g, '')));

describe(`the module table: at most ${MAX_MODULE_ROWS} rows`, () => {
  it('600 convs s0…s5 › b0…b59 › c0…c599 at depth 3: 666 modules (6 + 60 + 600), so the table stops at depth 2 (66 rows), each b marked …, the depth-1 rows still add up to 3,600 params', () => {
    const report = convs(600, (i) => `s${Math.floor(i / 100)}.b${Math.floor(i / 10)}.c${i}`);
    const html = reportHtml({ report }, { depth: 3 });
    const sec = section(html, 'modules');
    expect(sec).toContain('<h2>Modules (depth 2; 3 asked)</h2>');
    expect(rowsOf(sec)).toBe(66);
    expect(sec).toContain('Depth 3 has 666 modules, more than the 500 rows this page lists: the table stops at depth 2 (66 modules), each with the modules below it summed in.');
    expect(sec).toContain('<code>format=json</code> with <code>depth=3</code>, or <code>convlens analyze --format json --depth 3</code>');
    expect(sec).toContain('<span class="tree"><span class="indent">\u2003</span><span><strong><code>s0.<wbr>b0</code></strong> …</span></span></td>');
    expect(sec).not.toContain('s0.b0.c0');
    const params = fields(sec, 'params');
    expect(params[0]).toBe(600); // s0: 100 convs × 6
    expect(params.filter((_, i) => i % 11 === 0).reduce((s, v) => s + v, 0)).toBe(3600); // s0…s5, each followed by its 10 b's
  });

  it('600 convs with flat names conv_0 … conv_599: 600 top-level modules at every depth, so the first 499 rows and "the other 101 top-level modules, summed": 101 layers, 606 params, 6,464 MACs, 16.83%', () => {
    const report = convs(600, (i) => `conv_${i}`);
    const sec = section(reportHtml({ report }, { depth: 3 }), 'modules');
    expect(sec).toContain('<h2>Modules (depth 1; 3 asked)</h2>');
    expect(rowsOf(sec)).toBe(500);
    expect(sec).toContain('Even the top level has 600 modules, more than the 500 rows this page lists: the first 499 in execution order are shown, the other 101 summed in the last row.');
    expect(sec).toContain('<code>conv_498</code>');
    expect(sec).not.toContain('<code>conv_499</code>');
    expect(sec).toContain('<tr><td>… the other 101 top-level modules, summed</td><td></td><td class="num">101</td><td class="num" data-field="params">606</td><td class="num">16.83%</td><td class="num" data-field="macs">6,464</td><td class="num">16.83%</td>');
    expect(fields(sec, 'params').reduce((s, v) => s + v, 0)).toBe(3600);
    expect(fields(sec, 'macs').reduce((s, v) => s + v, 0)).toBe(report.totals.macs);
  });

  it('a tree of exactly the limit is whole: 4 convs a.b0 … a.b3 at depth 2 are 5 rows, all shown with max 5; with max 4 only depth 1 (1 row) fits', () => {
    const tree = moduleTree(convs(4, (i) => `a.b${i}`), 2);
    expect(moduleRows(tree, 5)).toMatchObject({ depth: 2, all: 5, rest: null });
    expect(moduleRows(tree, 5).rows.map((m) => m.path)).toEqual(['a', 'a.b0', 'a.b1', 'a.b2', 'a.b3']);
    expect(moduleRows(tree, 4).rows.map((m) => m.path)).toEqual(['a']);
  });

  it('resnet-sized tables are untouched: 300 convs s0…s2 › c0…c299 at depth 2 list all 303 modules with no note', () => {
    const sec = section(reportHtml({ report: convs(300, (i) => `s${Math.floor(i / 100)}.c${i}`) }, { depth: 2 }), 'modules');
    expect(sec).toContain('<h2>Modules (depth 2)</h2>');
    expect(rowsOf(sec)).toBe(303);
    expect(sec).not.toContain('class="alert"');
  });
});

describe(`the warnings table: at most ${MAX_WARNING_ROWS} rows`, () => {
  it('120 dead 1×1 convs beside the one the output reads: 120 UNUSED_LAYER notes, 100 listed, "left out: 20 UNUSED_LAYER (info)"', () => {
    const layers = [{ name: 'c', op: 'conv2d', outChannels: 8, kernelSize: 1 }, ...Array.from({ length: 120 }, (_, i) => ({ name: `dead${i}`, op: 'conv2d', outChannels: 8, kernelSize: 1, inputs: ['x'] }))];
    const report = analyzeGraph(parseNetworkSpec({ name: 'w', inputs: [{ name: 'x', shape: [1, 3, 8, 8] }], layers, outputs: ['c'] }), DEFAULTS);
    expect(report.warnings).toHaveLength(120);
    const sec = section(reportHtml({ report }), 'warnings');
    expect(rowsOf(sec)).toBe(100);
    expect(sec).toContain('<code>dead99</code>');
    expect(sec).not.toContain('<code>dead100</code>');
    expect(sec).toContain('100 of 120 warnings listed (at most 100, those of severity warning first); left out: 20 <code>UNUSED_LAYER</code> (info). The JSON report lists them all (its <code>warnings</code>: <code>format=json</code>, or <code>convlens analyze --format json</code>)');
  });

  it('150 notes then one warning, at most 100: the warning is kept (99 notes before it, in report order), 51 notes left out', () => {
    const note = (i: number): ReportWarning => ({ code: 'UNUSED_LAYER', severity: 'info', message: `n${i}`, layer: `n${i}` });
    const warning: ReportWarning = { code: 'FINAL_FEATURE_MAP_TOO_SMALL', severity: 'warning', message: 'w' };
    const { rows, left } = warningRows([...Array.from({ length: 150 }, (_, i) => note(i)), warning], 100);
    expect(rows).toHaveLength(100);
    expect(rows[98].message).toBe('n98');
    expect(rows[99]).toBe(warning);
    expect(left).toEqual([['UNUSED_LAYER', 'info', 51]]);
  });
});

describe('warnings by code in the text renderings (the CLI table, Markdown): the first 5 of a code, then one line', () => {
  const w = (code: string, i: number, severity: ReportWarning['severity'] = 'warning'): ReportWarning => ({ code, severity, message: `${code} ${i}`, layer: `${code.toLowerCase()}${i}` });

  it('8 DATA_DEPENDENT_SHAPE between 2 MISALIGNED_PATHS and 1 note: all 3 others and the first 5 kept in order; 3 more named d5, d6, d7', () => {
    const list = [w('MISALIGNED_PATHS', 0), ...Array.from({ length: 8 }, (_, i) => w('D', i)), w('MISALIGNED_PATHS', 1), w('UNUSED_LAYER', 0, 'info')];
    const { rows, more } = warningsByCode(list);
    expect(rows.map((r) => r.message)).toEqual(['MISALIGNED_PATHS 0', 'D 0', 'D 1', 'D 2', 'D 3', 'D 4', 'MISALIGNED_PATHS 1', 'UNUSED_LAYER 0']);
    expect(more).toEqual([{ code: 'D', severity: 'warning', count: 3, layers: ['d5', 'd6', 'd7'] }]);
  });

  it("the CLI's table: 12 warnings of one code print 5 lines and '7 more like those above at …' naming 7 layers", () => {
    const report = { ...convs(1, () => 'c'), warnings: Array.from({ length: 12 }, (_, i) => w('DATA_DEPENDENT_SHAPE', i)) };
    const lines = table(report).split('\n').filter((l) => l.includes('DATA_DEPENDENT_SHAPE'));
    expect(lines).toHaveLength(6);
    expect(lines[5]).toBe('warning: DATA_DEPENDENT_SHAPE: 7 more like those above at data_dependent_shape5, data_dependent_shape6, data_dependent_shape7, data_dependent_shape8, data_dependent_shape9, data_dependent_shape10, data_dependent_shape11 (the JSON report lists each)');
  });
});

describe('layer names in a cell: at most 20', () => {
  it('a roofline with 25 layers not counted (unsupported) names u0 … u19 and "… and 5 more layers"', () => {
    const report = convs(1, () => 'c');
    const rl = { ...roofline(report, resolveDevice('a100-sxm4-40gb')), skipped: Array.from({ length: 25 }, (_, i) => `u${i}`) };
    const sec = section(reportHtml({ report, roofline: rl }), 'roofline');
    expect(sec).toContain('<code>u18</code>, <code>u19</code>, … and 5 more layers</td>');
    expect(sec).not.toContain('<code>u20</code>');
  });
});
