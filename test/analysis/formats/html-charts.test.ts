import { describe, expect, it } from 'vitest';
import { resolveDevice } from '../../../src/analysis/devices.js';
import { rooflineChart } from '../../../src/analysis/formats/html-charts.js';
import { roofline } from '../../../src/analysis/roofline.js';
import { analyze, net } from '../../helpers.js';

/** Each roofline dot's radius by the layer its tooltip names. */
const radii = (svg: string) => new Map([...svg.matchAll(/<circle [^>]*r="([\d.]+)"[^>]*><title>(\S+) \(/g)].map((m) => [m[2], Number(m[1])]));

describe('rooflineChart: dot sizes', () => {
  // x [1,4,8,8] → relu a (256 elements in, 256 out: 2,048 B) → 2×2 max pool (256 in, 64 out: 1,280 B) → relu b (64 + 64: 512 B),
  // all memory-bound on the Pi 5 (≤ 0.6 FLOP/B, ridge 9), so time ∝ bytes: 1, 0.625 and 0.25 of relu a's
  const report = analyze(net([1, 4, 8, 8], { name: 'a', op: 'relu' }, { name: 'pool', op: 'maxPool2d', kernelSize: 2, stride: 2 }, { name: 'b', op: 'relu' }));
  const rl = roofline(report, resolveDevice('raspberry-pi-5'));
  const svg = rooflineChart(rl).svg;

  it('the legend says circle area ∝ layer time, and it is: relu b, a quarter of relu a\'s time, gets half its radius (it got 8 of 13: 38% of the area)', () => {
    expect(rl.layers.map((l) => [l.name, l.bytes, l.bound])).toEqual([
      ['a', 2048, 'memory'],
      ['pool', 1280, 'memory'],
      ['b', 512, 'memory'],
    ]);
    expect(svg).toContain('circle area ∝ layer time');
    const r = radii(svg);
    const MAX_DOT_R = 13; // the slowest layer's radius, before and after
    expect(r.get('a')).toBe(MAX_DOT_R);
    expect(r.get('b')).toBeCloseTo(MAX_DOT_R / 2, 2);
    expect(r.get('pool')).toBeCloseTo(MAX_DOT_R * Math.sqrt(0.625), 2);
    const area = (k: string) => r.get(k)! ** 2;
    expect(area('b') / area('a')).toBeCloseTo(0.25, 3);
  });
});
