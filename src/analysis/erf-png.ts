/**
 * Heatmaps of an effective receptive field as PNG: the contribution map scaled to its maximum and
 * coloured with viridis (perceptually uniform, readable in grey), the theoretical field's box drawn
 * in white over it, each input pixel drawn as a square of `scale` pixels so small maps stay visible.
 *
 * Encoded by pngjs as an 8-bit RGB PNG (filter type 0 on every row: the map's flat colour runs
 * compress well without adaptive filtering).
 */
import { PNG } from 'pngjs';
import type { Box } from './erf.js';

/** viridis at eleven evenly spaced stops (matplotlib's table), interpolated linearly between them. */
const VIRIDIS = [
  [68, 1, 84],
  [72, 36, 117],
  [65, 68, 135],
  [53, 95, 141],
  [42, 120, 142],
  [33, 145, 140],
  [34, 168, 132],
  [68, 191, 112],
  [122, 209, 81],
  [189, 223, 38],
  [253, 231, 37],
] as const;

/** The colour of v ∈ [0, 1] (clamped). */
export function viridis(v: number): [number, number, number] {
  const t = Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(t));
  const f = t - i;
  const a = VIRIDIS[i];
  const b = VIRIDIS[i + 1];
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

/** Pixels per input pixel: maps up to 256 wide are enlarged to about 256 (at most 16×). */
export function heatmapScale(h: number, w: number): number {
  return Math.max(1, Math.min(16, Math.floor(256 / Math.max(h, w))));
}

/** An 8-bit RGB PNG of `rgb` (width·height·3 bytes, row-major). */
export function encodePng(rgb: Uint8Array, width: number, height: number): Buffer {
  return PNG.sync.write({ width, height, data: Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength) } as PNG, { colorType: 2, inputColorType: 2, inputHasAlpha: false, bitDepth: 8, filterType: 0 });
}

/** The map as RGB at `scale`, the box (clipped to the map) outlined in white. */
export function heatmapRgb(map: ArrayLike<number>, h: number, w: number, box: Box | null, scale = heatmapScale(h, w)): { rgb: Uint8Array; width: number; height: number } {
  let max = 0;
  for (let k = 0; k < h * w; k++) if (map[k] > max) max = map[k];
  const width = w * scale;
  const height = h * scale;
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [r, g, b] = viridis(max > 0 ? map[y * w + x] / max : 0);
      for (let dy = 0; dy < scale; dy++) {
        let o = ((y * scale + dy) * width + x * scale) * 3;
        for (let dx = 0; dx < scale; dx++, o += 3) {
          rgb[o] = r;
          rgb[o + 1] = g;
          rgb[o + 2] = b;
        }
      }
    }
  }
  if (box) {
    const top = Math.max(0, box.top) * scale;
    const left = Math.max(0, box.left) * scale;
    const bottom = (Math.min(h - 1, box.bottom) + 1) * scale - 1;
    const right = (Math.min(w - 1, box.right) + 1) * scale - 1;
    const white = (y: number, x: number) => rgb.fill(255, (y * width + x) * 3, (y * width + x) * 3 + 3);
    if (top <= bottom && left <= right) {
      for (let x = left; x <= right; x++) {
        white(top, x);
        white(bottom, x);
      }
      for (let y = top; y <= bottom; y++) {
        white(y, left);
        white(y, right);
      }
    }
  }
  return { rgb, width, height };
}

/** The heatmap PNG of a contribution map with its theoretical box. */
export function heatmapPng(map: ArrayLike<number>, h: number, w: number, box: Box | null): Buffer {
  const { rgb, width, height } = heatmapRgb(map, h, w, box);
  return encodePng(rgb, width, height);
}
