import { describe, expect, it } from 'vitest';
import { arrow, code, compact, exact, seconds, share, signed, signedPercent, table, text } from '../../../src/analysis/formats/md.js';

describe('Markdown helpers', () => {
  it('exact numbers have thousands separators; compact ones four significant digits and an SI prefix', () => {
    expect(exact(11_689_512)).toBe('11,689,512');
    expect(exact(0.1 + 0.2)).toBe('0.3');
    expect([1_814_073_344, 11_689_512, 9_408, 512, 0, -2_500_000, 1.5e12].map(compact)).toEqual(['1.814 G', '11.69 M', '9.408 k', '512', '0', '-2.500 M', '1.500 T']);
  });

  it('signs, arrows and percentages: ▲ +, ▼ −, = for nothing; "new" for an increase from 0', () => {
    expect([arrow(3), arrow(-3), arrow(0)]).toEqual(['▲', '▼', '=']);
    expect([signed(10_108_160), signed(-512), signed(0), signed(2.5e6, compact)]).toEqual(['+10,108,160', '−512', '0', '+2.500 M']);
    expect([signedPercent(86.472044), signedPercent(-3.1), signedPercent(0), signedPercent(null)]).toEqual(['+86.47%', '−3.10%', '0%', 'new']);
    expect([share(25.4913), share(null)]).toEqual(['25.49%', '—']);
    expect([seconds(0.00123), seconds(0.0000042), seconds(2.5), seconds(0)]).toEqual(['1.23 ms', '4.2 µs', '2.5 s', '0 s']);
  });

  it('names go in code spans that survive backticks; text is escaped', () => {
    expect(code('layer1.0.conv1')).toBe('`layer1.0.conv1`');
    // outside a table a backslash in a code span shows: the pipe stays as it is (table() escapes it)
    expect(code('a|b')).toBe('`a|b`');
    expect(code('x`y')).toBe('`` x`y ``');
    expect(code('two\nlines')).toBe('`two lines`');
    expect(text('<b>*bold*</b> | x & y')).toBe('\\<b\\>\\*bold\\*\\</b\\> \\| x &amp; y');
  });

  it('tables: a header, an alignment row (r: right), one line per row', () => {
    expect(table(['a', 'b'], [['1', '2']], 'lr')).toBe('| a | b |\n| :-- | --: |\n| 1 | 2 |');
  });

  it('a pipe in a table cell is escaped once: a code span\'s, and text()\'s already escaped one left as it is', () => {
    expect(table(['name', 'note'], [[code('a|b'), text('x | y')]])).toBe('| name | note |\n| :-- | :-- |\n| `a\\|b` | x \\| y |');
  });
});

describe('bidirectional controls in names (formats/bidi.ts, visibleControls)', () => {
  it('show as their code points in Markdown code spans and text, and in HTML/SVG text: a name cannot display reversed', async () => {
    const { esc } = await import('../../../src/analysis/formats/svg.js');
    const name = "sq \u202eLTR\u202c \u2067x\u2069";
    expect(code(name)).toBe('`sq ⟨U+202E⟩LTR⟨U+202C⟩ ⟨U+2067⟩x⟨U+2069⟩`');
    expect(text(name)).toBe('sq ⟨U+202E⟩LTR⟨U+202C⟩ ⟨U+2067⟩x⟨U+2069⟩');
    expect(esc(name)).toBe('sq ⟨U+202E⟩LTR⟨U+202C⟩ ⟨U+2067⟩x⟨U+2069⟩');
    // Arabic or Hebrew letters themselves are kept: only the controls are shown
    expect(esc('مرحبا')).toBe('مرحبا');
  });
});

describe('C0 controls and DEL in names (formats/bidi.ts)', () => {
  it('NUL, ESC and DEL show as code points in Markdown and SVG (a raw NUL made the SVG invalid XML); tab stays, a line break is a space in Markdown', async () => {
    const { esc } = await import('../../../src/analysis/formats/svg.js');
    const name = 'a\u0000b\u001b[31mc\u007f\td';
    expect(text(name)).toBe('a⟨U+0⟩b⟨U+1B⟩\\[31mc⟨U+7F⟩\td');
    expect(esc(name)).toBe('a⟨U+0⟩b⟨U+1B⟩[31mc⟨U+7F⟩\td');
    expect(text('x\ny')).toBe('x y');
  });
});
