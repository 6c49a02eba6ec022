/** analysis/csv.ts: RFC 4180 cells, and layer names a spreadsheet would evaluate as formulas. */
import { describe, expect, it } from 'vitest';
import { reportCsv } from '../../src/analysis/csv.js';
import { analyze } from '../helpers.js';

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
