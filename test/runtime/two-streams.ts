/**
 * test/fixtures/erf/two-streams.json (rgb through a 3×3 conv `ca`, depth through a 3×3 conv `cb` of
 * dilation 2, added) with the weights its ERF specs give, and its sum's centre unit (4, 4) worked by
 * hand: ∂/∂rgb[3 + u, 3 + v] = ca.weight[u, v] and ∂/∂depth[2 + 2u, 2 + 2v] = cb.weight[u, v].
 */
import { readFileSync } from 'node:fs';

export const twoStreams = JSON.parse(readFileSync(new URL('../fixtures/erf/two-streams.json', import.meta.url), 'utf8')) as Record<string, unknown>;
export const WA = [1, 2, 3, 4, 5, 6, 7, 8, 9];
export const WB = [1, -2, 3, -4, 5, -6, 7, -8, 9];

/** A 9×9 map, zero but `cells` ([row, column, value]). */
const placed = (cells: [number, number, number][]) => {
  const out = new Array<number>(81).fill(0);
  for (const [r, c, v] of cells) out[r * 9 + c] = v;
  return out;
};
export const rgbGradient = placed(WA.map((w, k) => [3 + Math.floor(k / 3), 3 + (k % 3), w]));
export const depthGradient = placed(WB.map((w, k) => [2 + 2 * Math.floor(k / 3), 2 + 2 * (k % 3), w]));
