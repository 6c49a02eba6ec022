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
