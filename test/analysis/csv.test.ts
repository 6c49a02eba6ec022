/** analysis/csv.ts: RFC 4180 cells, and layer names a spreadsheet would evaluate as formulas. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { reportCsv } from '../../src/analysis/csv.js';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { analyze, DEFAULTS } from '../helpers.js';

const spec = (names: string[]) => ({
  name: 't',
  inputs: [{ name: 'x', shape: [1, 1, 4, 4] }],
  layers: names.map((name) => ({ name, op: 'relu' })),
});
/** The first cell of each layer row (header and TOTAL left out). */
const firstCells = (csv: string) => csv.split('\n').slice(1, -1).map((line) => line.split(',')[0]);

describe('reportCsv', () => {
  it('names starting with = + - @ get a leading \' (Excel and LibreOffice evaluated =HYPERLINK(…) as a formula); others are as given', () => {
    const csv = reportCsv(analyze(spec(['=HYPERLINK("http://evil.example";"x")', '+cmd', '-2', '@SUM(1;1)', 'relu'])));
    expect(firstCells(csv)).toEqual(['"\'=HYPERLINK(""http://evil.example"";""x"")"', "'+cmd", "'-2", "'@SUM(1;1)", 'relu']);
  });

  it('a name with a comma or a quote is quoted, quotes doubled (RFC 4180)', () => {
    const csv = reportCsv(analyze(spec(['a,b', 'say "hi"'])));
    expect(firstCells(csv)).toEqual(['"a', '"say ""hi"""']);
    expect(csv.split('\n')[1].startsWith('"a,b",relu,')).toBe(true);
  });
});

// found by a hunt: Inception-v3's AuxLogits rows kept their costs while TOTAL left them out (the rows summed to 5,718,899,296 MACs, TOTAL 5,713,216,096)
describe('reportCsv: rows add up to TOTAL', () => {
  it('a layer no output depends on (b, a 2×2 conv 1→2 of x beside the output a) has its 10 params and empty macs, flops and memory_bytes', () => {
    const report = analyze({
      name: 't',
      inputs: [{ name: 'x', shape: [1, 1, 4, 4] }],
      outputs: ['a'],
      layers: [
        { name: 'a', op: 'relu', inputs: ['x'] },
        { name: 'b', op: 'conv2d', inputs: ['x'], outChannels: 2, kernelSize: 2 },
      ],
    });
    const rows = reportCsv(report).split('\n').map((line) => line.split(','));
    const [head, a, b, total] = rows;
    const col = (name: string) => head.indexOf(name);
    expect([b[col('params')], b[col('macs')], b[col('flops')], b[col('memory_bytes')]]).toEqual(['10', '', '', '']);
    for (const name of ['params', 'macs', 'flops', 'memory_bytes']) expect(Number(a[col(name)]) + Number(b[col(name)])).toBe(Number(total[col(name)]));
    // relu of 16: 16 FLOPs, 16 read + 16 written at 4 bytes
    expect([a[col('flops')], a[col('memory_bytes')]]).toEqual(['16', '128']);
  });
});

describe('a constant too large to fold (CONSTANT_LAYERS_NOT_COUNTED): its work cells are empty, so the rows add up to TOTAL', () => {
  it('the padded one-stage Swin with its mask built node by node (maxFolded 0)', () => {
    const { graph } = importOnnx(new Uint8Array(readFileSync(new URL('../fixtures/onnx-math/swin_tiny_pad_op17.onnx', import.meta.url))));
    const r = analyzeGraph(graph, DEFAULTS, inferGraph(graph, { maxFolded: 0 }));
    const mask = (r.warnings.find((w) => w.code === 'CONSTANT_LAYERS_NOT_COUNTED')?.layers ?? []) as string[];
    expect(mask.length).toBeGreaterThanOrEqual(6);
    const rows = reportCsv(r).split('\n').slice(1).map((line) => line.split(','));
    const body = rows.slice(0, -1);
    const total = rows.at(-1)!;
    // macs, flops, memory_bytes
    for (const k of [4, 5, 6]) expect(body.reduce((s, row) => s + Number(row[k] || 0), 0)).toBe(Number(total[k]));
    expect(body.filter((row) => mask.includes(row[0])).map((row) => row.slice(4, 7))).toEqual(mask.map(() => ['', '', '']));
  });
});
