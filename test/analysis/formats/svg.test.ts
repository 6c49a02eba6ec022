import { describe, expect, it } from 'vitest';
import { bars, marker, segmentLabel, stackedRow, steps } from '../../../src/analysis/formats/charts.js';
import { esc, fit, logarithmic, niceStep, positions, secondsText, si, zeroBased } from '../../../src/analysis/formats/svg.js';

describe('svg helpers: text and numbers', () => {
  it('esc: & < > " \' escaped, control characters shown as their code points (they were U+FFFD)', () => {
    expect(esc(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(esc('a\u0000b\u001bc\td\ne')).toBe('a⟨U+0⟩b⟨U+1B⟩c\td\ne');
  });

  it('si: 3 significant digits with k M G T P; 4 when asked; rounding up to the next prefix', () => {
    expect(si(4_089_184_256)).toBe('4.09 G');
    expect(si(25_557_032)).toBe('25.6 M');
    expect(si(512)).toBe('512');
    expect(si(0.25)).toBe('0.25');
    expect(si(0)).toBe('0');
    expect(si(10_235_904, 'B')).toBe('10.2 MB');
    expect(si(1.555e12, 'B/s', 4)).toBe('1.555 TB/s');
    expect(si(19.5e12, 'FLOP/s', 4)).toBe('19.5 TFLOP/s');
    expect(si(999.6)).toBe('1 k');
    expect(si(999_600_000, 'B')).toBe('1 GB');
  });

  it('secondsText: ns, µs, ms, s', () => {
    expect(secondsText(5.27e-9)).toBe('5.27 ns');
    expect(secondsText(0.000577)).toBe('577 µs');
    expect(secondsText(0.00539)).toBe('5.39 ms');
    expect(secondsText(2)).toBe('2 s');
    expect(secondsText(0)).toBe('0 s');
  });

  it('fit: whole when it fits, cut with an ellipsis, empty when nothing fits', () => {
    expect(fit('layer1', 100)).toBe('layer1');
    expect(fit('denseblock3', 40)).toBe('dens…'); // 40 / (12·0.58) = 5.7: 5 characters, the last the ellipsis
    expect(fit('layer1', 5)).toBe('');
  });
});

describe('svg helpers: scales', () => {
  it('niceStep: 1, 2, 2.5 or 5 × 10^k', () => {
    expect(niceStep(4.09e9, 5)).toBe(1e9);
    expect(niceStep(175, 10)).toBe(20);
    expect(niceStep(12, 5)).toBe(2.5);
  });

  it('zeroBased(4.09e9) → ticks 0…5 G; 0 maps to the bottom, the top to the top', () => {
    const s = zeroBased(4.09e9, 200, 0);
    expect(s.ticks).toEqual([0, 1e9, 2e9, 3e9, 4e9, 5e9]);
    expect([s.map(0), s.map(5e9), s.map(2.5e9)]).toEqual([200, 0, 100]);
  });

  it('positions(175): ticks every 20 layers', () => {
    expect(positions(175, 0, 175).ticks).toEqual([0, 20, 40, 60, 80, 100, 120, 140, 160]);
  });

  it('logarithmic: whole decades around the data; base 2 for fields; labels thinned', () => {
    const s = logarithmic(0.083, 170, 0, 500);
    expect([s.lo, s.hi, s.ticks]).toEqual([0.01, 1000, [0.01, 0.1, 1, 10, 100, 1000]]);
    expect(s.map(0.01)).toBe(0);
    expect(s.map(1000)).toBeCloseTo(500, 9);
    expect(s.map(1)).toBeCloseTo(200, 9);
    expect(logarithmic(1, 449, 0, 1, 2, 12).ticks).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512]);
    expect(logarithmic(1, 449, 0, 1, 2).ticks).toEqual([1, 4, 16, 64, 256]); // 10 labels > 9: every other one
    expect(logarithmic(1e-3, 1e17, 0, 1).ticks).toEqual([1e-3, 1e0, 1e3, 1e6, 1e9, 1e12, 1e15]);
  });

  it('an overflowed bound (Infinity, 1e308) stops at 1e300: the ticks\' loop ran without end and held a worker until its timeout', () => {
    for (const top of [Infinity, 1e308]) {
      const s = logarithmic(1, top, 0, 100);
      expect([s.lo, s.hi, s.ticks.length]).toEqual([1, 1e300, 9]);
      const z = zeroBased(top, 0, 100);
      expect([z.ticks.length, z.ticks.at(-1)]).toEqual([6, 1e300]);
    }
    // below the limit nothing changes: NaN and 0 still give the unit scale
    expect(zeroBased(Number.NaN, 0, 100).ticks.at(-1)).toBe(zeroBased(0, 0, 100).ticks.at(-1));
  });
});

describe('chart marks', () => {
  const xs = positions(4, 0, 400);
  const ys = zeroBased(100, 100, 0);

  it('bars: bar i over [i, i+1] with a gap, height from the baseline, the tooltip escaped', () => {
    const svg = bars(xs, ys, [{ value: 50, tip: 'a<b' }], '#000');
    expect(svg).toBe('<g class="bars"><rect x="1.5" y="50" width="97" height="50" fill="#000"><title>a&lt;b</title></rect></g>');
  });

  it('steps: a null breaks the line into two runs; an area closes down to the baseline', () => {
    const line = steps(xs, ys, [10, null, 20, 20], '#000');
    expect(line).toContain('d="M0,90L100,90M200,80L300,80L300,80L400,80"');
    expect(steps(xs, ys, [10], '#000', { area: true })).toContain('d="M0,100L0,90L100,90L100,100Z"');
    expect(steps(xs, ys, [null], '#000')).toBe('');
  });

  it('marker: the label goes above the point when there is room, else beside it, inside the plot', () => {
    const plot = { x: 0, y: 0, w: 400, h: 200 };
    const high = marker(plot, 300, 20, ['peak 10 MB'], '#f00', 'peak', 't');
    const box = /<rect class="marker-box" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)"/.exec(high)!;
    expect(Number(box[2])).toBeGreaterThanOrEqual(0);
    expect(Number(box[1]) + Number(box[3])).toBeLessThanOrEqual(310); // left of the point: it is in the right half
    const low = marker(plot, 100, 150, ['peak 10 MB'], '#f00', 'peak', 't');
    expect(Number(/class="marker-box" x="[\d.]+" y="([\d.]+)"/.exec(low)![1]) + 27).toBeLessThan(150); // above
  });

  it('marker: a 200-character line in a 400-wide plot (50…450) is cut to 54 characters and …, the box 55 × 6.96 + 12 = 394.8 wide inside the plot, near the left edge or the right (it ran out at both ends)', () => {
    const plot = { x: 50, y: 0, w: 400, h: 200 };
    const long = `while ${'n'.repeat(200)} runs`;
    const box = (x: number) => {
      const m = marker(plot, x, 150, ['peak 1 MB', long], '#f00', 'peak', 't');
      const [, bx, , bw] = /class="marker-box" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)"/.exec(m)!.map(Number);
      return { bx, bw, line: /class="marker-sub"[^>]*>([^<]*)</.exec(m)![1] };
    };
    expect(box(60)).toEqual({ bx: 52, bw: 394.8, line: `while ${'n'.repeat(48)}…` }); // floor(384 / 6.96) − 1 = 54 characters
    expect(box(440)).toEqual({ bx: 53.2, bw: 394.8, line: `while ${'n'.repeat(48)}…` }); // 450 − 2 − 394.8
  });

  it('marker: beside the point when there is no room above (y 10 < 21 + 10), on the side with more room, held inside the plot when wider than that side', () => {
    const plot = { x: 0, y: 0, w: 200, h: 200 };
    const boxX = (x: number, label: string) => Number(/class="marker-box" x="([\d.]+)"/.exec(marker(plot, x, 10, [label], '#f00', 'peak', 't'))![1]);
    // "abcdef" at 13 units: 6 × 13 × 0.58 + 12 = 57.24 wide
    expect(boxX(30, 'abcdef')).toBe(40); // left half: 10 right of the point
    expect(boxX(170, 'abcdef')).toBeCloseTo(102.76, 2); // right half: 170 − 10 − 57.24
    // 20 characters: 162.8 wide; right of x 60 it would end at 232.8, past the plot's 198
    expect(boxX(60, 'abcdefghijklmnopqrst')).toBeCloseTo(35.2, 2); // 198 − 162.8
  });

  it('segmentLabel: moves along the segment or off it to clear a dot sitting where it would go', () => {
    const free = segmentLabel([0, 100], [400, 100], 'peak', [], 0.5);
    expect(free).toContain('translate(200 100)');
    expect(free).toContain('y="-7"');
    const blocked = segmentLabel([0, 100], [400, 100], 'peak', [{ x: 200, y: 100, r: 12, color: '#000', tip: '' }], 0.5);
    const [, x] = /translate\(([\d.]+) /.exec(blocked)!;
    expect(Math.abs(Number(x) - 200)).toBeGreaterThan(12 + 'peak'.length * 12 * 0.29);
  });

  it('stackedRow: segments as shares of the row; a label only where it fits, else the short one, else none', () => {
    const row = stackedRow({ x: 100, y: 0, w: 400, h: 20 }, 'MACs', [
      { value: 3, color: '#111', label: 'conv2d 75.0%', short: '75%', tip: 'c' },
      { value: 0.6, color: '#222', label: 'linear 15.0%', short: '15%', tip: 'l' },
      { value: 0.4, color: '#333', label: 'relu 10.0%', short: '10%', tip: 'r' },
    ]);
    expect(row).toContain('<rect x="100" y="0" width="300" height="20" fill="#111">');
    expect(row).toContain('>conv2d 75.0%</text>');
    expect(row).toContain('>15%</text>'); // 60 units: "linear 15.0%" does not fit
    expect(row).toContain('>10%</text>');
    expect(stackedRow({ x: 0, y: 0, w: 100, h: 10 }, 'params', [])).toContain('>none</text>');
  });
});
