import { describe, expect, it } from 'vitest';
import { ZOO_BY_NAME } from '../../src/zoo/index.js';
import { yolov8 } from '../../src/zoo/yolo.js';
import { analyze, layer } from '../helpers.js';

const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);
const r = analyze(ZOO_BY_NAME.get('yolov8n')!.build());
const paramsOf = (prefix: string) => r.layers.filter((l) => l.name.startsWith(prefix)).reduce((s, l) => s + l.params, 0);
const macsOf = (pred: (name: string, op: string) => boolean) => r.layers.filter((l) => pred(l.name, l.op)).reduce((s, l) => s + l.macs, 0);

describe('YOLOv8n (ultralytics yolov8.yaml, scale n: depth 0.33, width 0.25, 640×640, 80 classes)', () => {
  it('3,157,200 parameters, as Ultralytics reports (its 16 "non-gradient" ones are the fixed DFL conv)', () => {
    expect(r.totals.complete).toBe(true);
    expect(r.totals.params).toBe(3_157_200);
    expect(layer(r, 'model.22.dfl.conv').params).toBe(16);
  });

  it('per-module parameters equal the rows of Ultralytics\' model summary', () => {
    const table: [number, number][] = [
      [0, 464], [1, 4672], [2, 7360], [3, 18560], [4, 49664], [5, 73984], [6, 197632], [7, 295424], [8, 460288],
      [9, 164608], [12, 148224], [15, 37248], [16, 36992], [18, 123648], [19, 147712], [21, 493056], [22, 897664],
    ];
    expect(table.map(([i]) => [i, paramsOf(`model.${i}.`)])).toEqual(table);
  });

  it('4,371,993,600 MACs; 8.9 GFLOPs is 2 × thop\'s count: conv MACs without DFL, 4 ops per BN element, 1 per upsampled element', () => {
    expect(r.totals.macs).toBe(4_371_993_600);
    const dfl = layer(r, 'model.22.dfl.conv').macs;
    expect(dfl).toBe(8400 * 4 * 16); // the expectation over 16 bins, 4 sides, 8400 anchors
    const bnElements = r.layers.filter((l) => l.op === 'batchNorm2d').reduce((s, l) => s + numel(l.outputShape!), 0);
    const upsampled = r.layers.filter((l) => l.op === 'upsample').reduce((s, l) => s + numel(l.outputShape!), 0);
    expect([bnElements, upsampled]).toEqual([13_888_000, 40 * 40 * 256 + 80 * 80 * 128]);
    const convMacs = macsOf((_, op) => op === 'conv2d') - dfl; // thop profiles the training-mode head: no DFL
    expect(convMacs).toBe(4_371_456_000);
    expect((2 * (convMacs + 4 * bnElements + upsampled) / 1e9).toFixed(1)).toBe('8.9');
    // the BN term is what makes 8.9: conv MACs alone (and thop releases that skip BatchNorm) give 8.7
    expect((2 * (convMacs + upsampled) / 1e9).toFixed(1)).toBe('8.7');
  });

  it('the output is [1, 84, 8400]: 4 DFL box distances and 80 class scores for 80² + 40² + 20² anchors', () => {
    expect(r.outputs.map((o) => o.shape)).toEqual([[1, 84, 8400]]);
    expect(['model.15.cv2.act', 'model.18.cv2.act', 'model.21.cv2.act'].map((n) => layer(r, n).outputShape)).toEqual([
      [1, 64, 80, 80],
      [1, 128, 40, 40],
      [1, 256, 20, 20],
    ]);
  });

  it('repeats scale as round(n · depth): C2f with n = 6 has 2 bottlenecks at depth 0.33, 6 at depth 1 (scale l)', () => {
    const bottlenecks = (spec: ReturnType<typeof yolov8>) => new Set(spec.layers.filter((l) => l.name.startsWith('model.6.m.')).map((l) => l.name.split('.')[3])).size;
    expect(bottlenecks(yolov8({ scale: 'n' }))).toBe(2);
    expect(bottlenecks(yolov8({ scale: 'l', resolution: 64 }))).toBe(6);
  });
});
