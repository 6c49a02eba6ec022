/**
 * YOLOv8-style detector (Ultralytics 2023), generated from ultralytics/cfg/models/v8/yolov8.yaml:
 * a CSP backbone of strided Conv and C2f blocks ending in SPPF, a PAN neck (nearest 2× upsampling and
 * concatenation top-down, strided Conv and concatenation bottom-up) and a decoupled, anchor-free Detect
 * head on P3/P4/P5 (stride 8/16/32): per level a box branch (two 3×3 Conv, a 1×1 to 4·16 DFL logits)
 * and a class branch (two 3×3 Conv, a 1×1 to nc), then DFL: a softmax over the 16 bins of each side
 * and their expectation (a fixed 1×1 conv with weights 0…15, 16 parameters).
 *
 * Conv = conv (no bias) → BN (eps 1e-3) → SiLU. C2f(c1, c2, n, shortcut): c = ⌊c2/2⌋; cv1 1×1 to 2c,
 * split in two halves, n Bottlenecks (two 3×3 c→c, residual if shortcut) on the last piece, concat of
 * the 2 + n pieces, cv2 1×1 to c2. SPPF(c1, c2, 5): cv1 1×1 to c1/2, three chained 5×5 stride-1 max
 * pools, concat of the four, cv2 1×1 to c2. Scaling: channels → ⌈min(c, maxChannels)·width / 8⌉·8,
 * repeats n → max(round(n·depth), 1) (n = 3 → 1, 6 → 2 at depth 0.33).
 *
 * Output [N, 4 + nc, anchors] as Ultralytics' inference output, with one difference stated here: the
 * four box rows are the DFL distances (left, top, right, bottom, in units of the level's stride);
 * Ultralytics then converts them to centre/size boxes against the constant anchor grid, element-wise
 * arithmetic with no parameters or MACs.
 */
import { NetBuilder, imageInput } from './builder.js';
import type { NetworkSpec, Resolution } from './builder.js';

export interface YoloOptions {
  /** Depth multiple (repeats), width multiple (channels), channel cap: yolov8.yaml's scales. */
  depth?: number;
  width?: number;
  maxChannels?: number;
  classes?: number;
  resolution?: Resolution;
  /** The scale letter in the model's name. */
  scale?: string;
}

export const YOLOV8_SCALES: Record<string, [depth: number, width: number, maxChannels: number]> = {
  n: [0.33, 0.25, 1024],
  s: [0.33, 0.5, 1024],
  m: [0.67, 0.75, 768],
  l: [1.0, 1.0, 512],
  x: [1.0, 1.25, 512],
};

const REG_MAX = 16;
const EPS = 1e-3;

/** Python's round() (half to even), as Ultralytics' parse_model rounds repeats. */
const roundHalfEven = (v: number) => {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
};

class Yolo {
  constructor(
    readonly b: NetBuilder,
    private readonly o: Required<Pick<YoloOptions, 'depth' | 'width' | 'maxChannels'>>,
  ) {}

  channels(c: number): number {
    return Math.ceil((Math.min(c, this.o.maxChannels) * this.o.width) / 8) * 8;
  }

  repeats(n: number): number {
    return n > 1 ? Math.max(roundHalfEven(n * this.o.depth), 1) : n;
  }

  /** Ultralytics Conv: conv (autopad k/2, no bias) → BN → SiLU, modules .conv .bn .act. */
  conv(p: string, x: string, out: number, k: number, s = 1): string {
    const y = this.b.bn(`${p}.bn`, this.b.conv(`${p}.conv`, x, out, k, { stride: s, padding: Math.floor(k / 2), bias: false }), EPS);
    return this.b.act(`${p}.act`, y, 'swish');
  }

  c2f(p: string, x: string, out: number, n: number, shortcut: boolean): string {
    const c = Math.floor(out / 2);
    const y = this.b.add(`${p}.chunk`, 'split', this.conv(`${p}.cv1`, x, 2 * c, 1), { axis: 1, numOutputs: 2 });
    const pieces = [y, `${y}:1`];
    for (let i = 0; i < n; i++) {
      const last = pieces[pieces.length - 1];
      const z = this.conv(`${p}.m.${i}.cv2`, this.conv(`${p}.m.${i}.cv1`, last, c, 3), c, 3);
      pieces.push(shortcut ? this.b.add(`${p}.m.${i}.add`, 'add', [last, z]) : z);
    }
    return this.conv(`${p}.cv2`, this.b.add(`${p}.cat`, 'concat', pieces, { dim: 1 }), out, 1);
  }

  sppf(p: string, x: string, out: number, k = 5): string {
    const pieces = [this.conv(`${p}.cv1`, x, Math.floor(this.b.ch(x) / 2), 1)];
    for (let i = 0; i < 3; i++) pieces.push(this.b.add(`${p}.m.${i}`, 'maxPool2d', pieces[i], { kernelSize: k, stride: 1, padding: Math.floor(k / 2) }));
    return this.conv(`${p}.cv2`, this.b.add(`${p}.cat`, 'concat', pieces, { dim: 1 }), out, 1);
  }
}

export function yolov8(options: YoloOptions = {}): NetworkSpec {
  const scale = options.scale ?? 'n';
  const [d, w, m] = YOLOV8_SCALES[scale] ?? YOLOV8_SCALES.n;
  const { depth = d, width = w, maxChannels = m, classes = 80, resolution = 640 } = options;
  const b = new NetBuilder(`yolov8${scale}`, imageInput(resolution), `YOLOv8${scale} (Ultralytics yolov8.yaml: depth ${depth}, width ${width}, ${classes} classes)`);
  const y = new Yolo(b, { depth, width, maxChannels });
  const ch = (c: number) => y.channels(c);
  const n = (r: number) => y.repeats(r);

  // backbone
  let x = y.conv('model.0', 'input', ch(64), 3, 2);
  x = y.conv('model.1', x, ch(128), 3, 2);
  x = y.c2f('model.2', x, ch(128), n(3), true);
  x = y.conv('model.3', x, ch(256), 3, 2);
  const p3 = y.c2f('model.4', x, ch(256), n(6), true);
  x = y.conv('model.5', p3, ch(512), 3, 2);
  const p4 = y.c2f('model.6', x, ch(512), n(6), true);
  x = y.conv('model.7', p4, ch(1024), 3, 2);
  x = y.c2f('model.8', x, ch(1024), n(3), true);
  const p5 = y.sppf('model.9', x, ch(1024));

  // PAN neck: top-down, then bottom-up
  const up = (name: string, t: string) => b.add(name, 'upsample', t, { mode: 'nearest', scaleFactor: 2 });
  const h12 = y.c2f('model.12', b.add('model.11', 'concat', [up('model.10', p5), p4], { dim: 1 }), ch(512), n(3), false);
  const h15 = y.c2f('model.15', b.add('model.14', 'concat', [up('model.13', h12), p3], { dim: 1 }), ch(256), n(3), false);
  const h18 = y.c2f('model.18', b.add('model.17', 'concat', [y.conv('model.16', h15, ch(256), 3, 2), h12], { dim: 1 }), ch(512), n(3), false);
  const h21 = y.c2f('model.21', b.add('model.20', 'concat', [y.conv('model.19', h18, ch(512), 3, 2), p5], { dim: 1 }), ch(1024), n(3), false);

  // decoupled head; branch widths from the P3 input channels, as Detect.__init__
  const levels = [h15, h18, h21];
  const c0 = b.ch(h15);
  const c2 = Math.max(16, Math.floor(c0 / 4), REG_MAX * 4);
  const c3 = Math.max(c0, Math.min(classes, 100));
  const flat = levels.map((t, i) => {
    const box = b.conv(`model.22.cv2.${i}.2`, y.conv(`model.22.cv2.${i}.1`, y.conv(`model.22.cv2.${i}.0`, t, c2, 3), c2, 3), 4 * REG_MAX, 1);
    const cls = b.conv(`model.22.cv3.${i}.2`, y.conv(`model.22.cv3.${i}.1`, y.conv(`model.22.cv3.${i}.0`, t, c3, 3), c3, 3), classes, 1);
    const cat = b.add(`model.22.cat.${i}`, 'concat', [box, cls], { dim: 1 });
    return b.add(`model.22.view.${i}`, 'reshape', cat, { shape: [0, 4 * REG_MAX + classes, -1] });
  });
  const all = b.add('model.22.cat', 'concat', flat, { dim: 2 });
  const anchors = b.shape(all)[2];
  const parts = b.add('model.22.split', 'split', all, { axis: 1, split: [4 * REG_MAX, classes] });
  // DFL: [N, 64, A] → [N, 4, 16, A] → bins first → softmax → expectation by a 1×1 conv with weights 0…15
  let box = b.add('model.22.dfl.view', 'reshape', parts, { shape: [0, 4, REG_MAX, anchors] });
  box = b.add('model.22.dfl.transpose', 'transpose', box, { perm: [0, 2, 1, 3] });
  box = b.add('model.22.dfl.softmax', 'softmax', box, { dim: 1 });
  box = b.add('model.22.dfl.conv', 'conv2d', box, { outChannels: 1, kernelSize: 1, bias: false });
  box = b.add('model.22.dfl.out', 'reshape', box, { shape: [0, 4, anchors] });
  const scores = b.act('model.22.sigmoid', `${parts}:1`, 'sigmoid');
  return b.build([b.add('model.22.out', 'concat', [box, scores], { dim: 1 })]);
}

export const yolov8n = (r = 640) => yolov8({ scale: 'n', resolution: r });
