import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEVICES_BY_ID } from '../../src/analysis/devices.js';
import { roofline } from '../../src/analysis/roofline.js';
import { sweepResolutions, SweepReportSchema, MAX_SWEEP_SIZES } from '../../src/analysis/sweep.js';
import type { SweepOptions } from '../../src/analysis/sweep.js';
import type { GraphSource } from '../../src/graph/load.js';
import { resnet18 } from '../../src/zoo/resnet.js';
import { hardmaxNet, onnxModel } from '../graph/onnx-builder.js';
import { analyze, DEFAULTS, errorOf } from '../helpers.js';

const sweep = (source: GraphSource, options: SweepOptions) => SweepReportSchema.parse(sweepResolutions(source, options, DEFAULTS));
const at = (s: ReturnType<typeof sweep>, side: number) => s.sizes.find((e) => e.size[0] === side && e.size[1] === side)!;

// torchvision resnet18 at 224: 1,814,073,344 MACs, of which the fc's 512·1000 = 512,000 do not
// depend on the input size; every conv map is the input over 2, 4, …, 32 for sizes that are
// multiples of 32, so the conv MACs scale with the area.
const FC = 512 * 1000;
const CONV_224 = 1_814_073_344 - FC;
const macsAt = (r: number) => (CONV_224 * r * r) / (224 * 224) + FC;

// PyTorch's figures at H×W (scripts/torchvision_truth.py --non-square)
const nonSquare = JSON.parse(readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'torchvision', 'truth.json'), 'utf8')).nonSquare as Record<string, { macs: number; output: number[] }>;

describe('a zoo model at a non-square size is built at H×W (it was built at H with the width swapped in)', () => {
  it.each([
    ['lraspp_mobilenet_v3_large', 256, 320],
    ['deeplabv3_resnet50', 520, 640],
    ['swin_t', 224, 256],
  ])('%s at %i×%i: MACs and output shape as PyTorch gives them (LR-ASPP and DeepLab upsample to both sides; Swin pads each axis to its 7×7 windows)', (name, h, w) => {
    const t = nonSquare[`${name}@${h}x${w}`];
    const e = sweep({ kind: 'model', name }, { sizes: [[h, w]] }).sizes[0];
    expect([e.status, e.macs, e.outputs[0].shape]).toEqual(['ok', t.macs, t.output]);
  });

  it('AlexNet at 1 and 9×300: KERNEL_TOO_LARGE at $.sizes[1] and $.sizes[2], the sizes the request gives (it said $.resolution, a field the request does not have)', () => {
    const s = sweep({ kind: 'model', name: 'alexnet' }, { sizes: [224, 1, [9, 300]] });
    expect(s.sizes.map((e) => [e.status, e.error?.code ?? null, e.error?.path ?? null])).toEqual([
      ['ok', null, null],
      ['error', 'KERNEL_TOO_LARGE', '$.sizes[1]'],
      ['error', 'KERNEL_TOO_LARGE', '$.sizes[2]'],
    ]);
  });

  it('ViT-B/16 at 224 and 256: its position embedding of 197 tokens fixes the size (torchvision refuses 256: "Wrong image height!"), so only 224 is valid', () => {
    const s = sweep({ kind: 'model', name: 'vit_b_16' }, { sizes: [224, 256] });
    expect(s.reference).toMatchObject({ fixedInputSize: true, validInputSizes: 'only inputs that give a 14×14 final map, as 224×224 does (a position embedding fixes the size)' });
    expect(s.sizes.map((e) => [e.valid, e.finalFeatureMap, e.reasons])).toEqual([
      [true, [14, 14], []],
      [false, [16, 16], ["layer 'encoder.pos_embedding' fixes the input size: the final map is 16×16, the network was built for 14×14"]],
    ]);
  });

  it('YOLOv8n at 256×320 (not torchvision): 32·40 + 16·20 + 8·10 = 1,680 anchors, output [1, 84, 1680]', () => {
    const e = sweep({ kind: 'model', name: 'yolov8n' }, { sizes: [[256, 320]] }).sizes[0];
    expect([e.status, e.outputs[0].shape]).toEqual(['ok', [1, 84, 1680]]);
  });
});

describe('resolution sweep of a zoo model (rebuilt at each size)', () => {
  const s = sweep({ kind: 'model', name: 'resnet18' }, { sizes: [160, 224, 320, 230, [224, 320]], device: 'a100-sxm4-40gb' });

  it('resnet18 at 160/224/320: MACs 925,798,400 / 1,814,073,344 / 3,701,657,600 (conv part × (r/224)², fc fixed); params unchanged', () => {
    expect(macsAt(160)).toBe(925_798_400);
    expect(macsAt(320)).toBe(3_701_657_600);
    for (const r of [160, 224, 320]) {
      expect(at(s, r)).toMatchObject({ status: 'ok', valid: true, reasons: [], macs: macsAt(r), params: 11_689_512 });
    }
  });

  it('final feature map r/32 with stride 32; the receptive field (435) stays, so it covers 320 but not a larger input', () => {
    expect([160, 224, 320].map((r) => at(s, r).finalFeatureMap)).toEqual([
      [5, 5],
      [7, 7],
      [10, 10],
    ]);
    expect(at(s, 320).downsamplingStride).toEqual([32, 32]);
    expect(at(s, 320).receptiveField).toMatchObject({ size: [435, 435], stride: [32, 32] });
    expect(at(s, 320).rfCoversInput).toBe(true);
    const big = sweep({ kind: 'model', name: 'resnet18' }, { sizes: [512] });
    expect(big.sizes[0].rfCoversInput).toBe(false);
  });

  it('peak activations at 224: conv1 and bn1 outputs (64·112·112·4 B each) + the input = 7,024,640 B, scaling with the area', () => {
    expect(at(s, 224).peakActivationBytes).toBe(2 * 64 * 112 * 112 * 4 + 3 * 224 * 224 * 4);
    expect(at(s, 160).peakActivationBytes).toBe((7_024_640 * 25) / 49);
    expect(at(s, 320).peakActivationBytes).toBe((7_024_640 * 100) / 49);
  });

  it('230 is analysed but not valid: the final map 8×8 at stride 32 expects 256 (r = k·2^n)', () => {
    expect(at(s, 230)).toMatchObject({ status: 'ok', valid: false, finalFeatureMap: [8, 8] });
    expect(at(s, 230).reasons[0]).toMatch(/230×230 is not k·2\^n.*expects 256×256/);
  });

  it('a non-square size [224, 320] gives a 7×10 final map', () => {
    const e = s.sizes.find((x) => x.size[0] === 224 && x.size[1] === 320)!;
    expect(e).toMatchObject({ status: 'ok', valid: true, finalFeatureMap: [7, 10] });
    expect(e.macs).toBe((CONV_224 * 320) / 224 + FC);
  });

  it('latency: the roofline total of the report at that size, on the named device', () => {
    expect(s.device).toEqual({ id: 'a100-sxm4-40gb', name: 'NVIDIA A100 SXM4 40GB', dtype: 'float32' });
    const direct = roofline(analyze(resnet18(320)), DEVICES_BY_ID.get('a100-sxm4-40gb')!).totals.seconds;
    expect(at(s, 320).latencySeconds).toBe(direct);
    expect(sweep({ kind: 'model', name: 'resnet18' }, { sizes: [224] }).sizes[0].latencySeconds).toBeNull();
  });

  it('reports progress once per size', () => {
    const seen: [number, number][] = [];
    sweepResolutions({ kind: 'model', name: 'resnet18' }, { sizes: [64, 96] }, DEFAULTS, (done, total) => seen.push([done, total]));
    expect(seen).toEqual([
      [1, 2],
      [2, 2],
    ]);
  });
});

describe('a fixed-size network (VGG-like: five 2×2 pools, then flatten and linear)', () => {
  const vgg = {
    inputs: [{ name: 'image', shape: [1, 3, 224, 224] }],
    layers: [
      ...[1, 2, 3, 4, 5].flatMap((i) => [
        { name: `conv${i}`, op: 'conv2d', outChannels: 8, kernelSize: 3, padding: 1 },
        { name: `pool${i}`, op: 'maxPool2d', kernelSize: 2 },
      ]),
      { name: 'flatten', op: 'flatten' },
      { name: 'fc', op: 'linear', outFeatures: 10 },
    ],
  };
  const s = sweep({ kind: 'spec', spec: vgg }, { sizes: [160, 224, 256, 16] });

  it('only 224 is valid: 160 and 256 give 5×5 and 8×8 maps where the classifier was built for 7×7', () => {
    expect(s.reference).toMatchObject({ size: [224, 224], finalFeatureMap: [7, 7], fixedInputSize: true });
    expect(s.sizes.map((e) => e.valid)).toEqual([false, true, false, false]);
    expect(at(s, 160)).toMatchObject({ status: 'ok', finalFeatureMap: [5, 5] });
    expect(at(s, 160).reasons).toEqual(["layer 'flatten' fixes the input size: the final map is 5×5, the network was built for 7×7"]);
    expect(at(s, 256).finalFeatureMap).toEqual([8, 8]);
  });

  it('16 fails at inference (pool5 on a 1×1 map) and is reported with its catalog code, the other sizes still analysed', () => {
    const e = at(s, 16);
    expect(e).toMatchObject({ status: 'error', valid: false, macs: null, peakActivationBytes: null });
    expect(e.error).toMatchObject({ code: 'KERNEL_TOO_LARGE', layer: 'pool5' });
    expect(e.reasons[0]).toMatch(/^KERNEL_TOO_LARGE: layer 'pool5'/);
    expect(at(s, 224).status).toBe('ok');
  });

  it('the spec is not modified (each size works on a copy)', () => {
    expect(vgg.inputs[0].shape).toEqual([1, 3, 224, 224]);
  });
});

describe('a network of unpadded convs (border b = 1 + 1·2 = 3: valid sizes m·4 + 3)', () => {
  const unpadded = {
    inputs: [{ name: 'image', shape: [1, 3, 31, 31] }],
    layers: [
      { name: 'conv1', op: 'conv2d', outChannels: 8, kernelSize: 3, stride: 2 },
      { name: 'conv2', op: 'conv2d', outChannels: 8, kernelSize: 3, stride: 2 },
      { name: 'gap', op: 'globalAvgPool2d' },
    ],
  };
  const s = sweep({ kind: 'spec', spec: unpadded }, { sizes: [31, 32, 35] });

  it('31 (→ 15 → 7) and 35 (→ 17 → 8) are valid as 7·4 + 3 and 8·4 + 3; 32 (→ 15 → 7) drops a row and is not', () => {
    expect(s.sizes.map((e) => [e.size[0], e.valid, e.finalFeatureMap])).toEqual([
      [31, true, [7, 7]],
      [32, false, [7, 7]],
      [35, true, [8, 8]],
    ]);
    expect(at(s, 32).reasons).toEqual(['input 32×32 is not k·2^n + b: the final map 7×7 after stride 4×4 and a border of 3×3 expects 31×31']);
  });
});

describe('the sweep says what its peak column counts: the element type and whether element-wise layers ran in place', () => {
  // a 1×1 conv 3→4 then a ReLU, at 8×8; the network's input (3·64·4 = 768 B) is held throughout: at the ReLU
  // the input, the conv's output and the ReLU's, 768 + 2·4·64·4 = 2,816 B, or in place (ReLU writes over the
  // conv's output) 768 + 1,024 = 1,792 B, the conv's own peak
  const net = {
    inputs: [{ name: 'image', shape: [1, 3, 8, 8] }],
    layers: [
      { name: 'conv', op: 'conv2d', outChannels: 4, kernelSize: 1 },
      { name: 'relu', op: 'relu' },
    ],
  };

  it('inPlace false: 2,816 B at 8×8, and the report says float32, not in place (it did not say: the same column held either count)', () => {
    const s = sweep({ kind: 'spec', spec: net }, { sizes: [8] });
    expect([s.dtype, s.inPlace, s.sizes[0].peakActivationBytes]).toEqual(['float32', false, 2_816]);
  });

  it('inPlace true: 1,792 B, the report says so, and the CLI/Markdown header too', () => {
    const s = sweep({ kind: 'spec', spec: net }, { sizes: [8], inPlace: true });
    expect([s.dtype, s.inPlace, s.sizes[0].peakActivationBytes]).toEqual(['float32', true, 1_792]);
  });
});

describe('ONNX: inputShapes re-shaped per size', () => {
  it('the resnet18 fixture at 224 and 320 gives the zoo model\'s MACs at those sizes', () => {
    const bytes = readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'onnx', 'resnet18.onnx'));
    const s = sweep({ kind: 'onnx', bytes, inputShapes: { '': [1, 3, 224, 224] } }, { sizes: [224, 320] });
    expect(s.sizes.map((e) => [e.status, e.valid, e.macs])).toEqual([
      ['ok', true, macsAt(224)],
      ['ok', true, macsAt(320)],
    ]);
  });

  it('conv0 (3×3, 2→2, pad 1) → Hardmax → Hardmax → conv at 4 and 8: not valid, complete false, 2× Hardmax named; conv0\'s 36 params and 576 / 2,304 MACs are lower bounds', () => {
    // Hardmax: an ONNX op convlens does not analyse; the last conv reads its output, so it is not analysed either (graph/onnx-builder.ts hardmaxNet)
    const bytes = hardmaxNet('h');
    const s = sweep({ kind: 'onnx', bytes, inputShapes: { x: [1, 2, 4, 4] } }, { sizes: [4, 8] });
    // MACs 2·h·h·(2·9): 576 at 4, 2,304 at 8
    expect(s.sizes.map((e) => [e.status, e.valid, e.complete, e.params, e.macs])).toEqual([
      ['ok', false, false, 36, 576],
      ['ok', false, false, 36, 2304],
    ]);
    expect(at(s, 4).unsupported).toEqual([{ opType: 'Hardmax', count: 2, nodes: ['hardmax1', 'hardmax2'], reasons: ['convlens does not model ONNX Hardmax'] }]);
    expect(at(s, 4).reasons).toEqual(["the analysis is incomplete (no analysis for Hardmax (2 layers)): the counts are lower bounds, and the final map and its field are the analysed layers'"]);
    // a complete analysis says so
    expect(sweep({ kind: 'model', name: 'resnet18' }, { sizes: [224] }).sizes[0]).toMatchObject({ complete: true, unsupported: [], valid: true });
  });

  it('a Flatten → Gemm classifier runs at its own size only: at 16 its 64-feature weight cannot take 256 features (SHAPE_MISMATCH); a fixed input dimension is SHAPE_MISMATCH per size', () => {
    const model = (h: number | string) =>
      onnxModel({
        inputs: [{ name: 'x', shape: [1, 3, h, h] }],
        outputs: ['y'],
        nodes: [
          { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], attrs: { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] }, strides: { ints: [2, 2] } } },
          { op: 'Flatten', inputs: ['c'], outputs: ['f'] },
          { op: 'Gemm', inputs: ['f', 'fw', 'fb'], outputs: ['y'], attrs: { transB: { i: 1 } } },
        ],
        initializers: [
          { name: 'w', dims: [4, 3, 3, 3] },
          { name: 'fw', dims: [10, 4 * 4 * 4] },
          { name: 'fb', dims: [10] },
        ],
      });
    const dynamic = sweep({ kind: 'onnx', bytes: model('h'), inputShapes: { x: [1, 3, 8, 8] } }, { sizes: [8, 16] });
    expect(dynamic.sizes.map((e) => [e.status, e.valid, e.finalFeatureMap, e.error?.code ?? null])).toEqual([
      ['ok', true, [4, 4], null],
      ['error', false, null, 'SHAPE_MISMATCH'],
    ]);
    const fixed = sweep({ kind: 'onnx', bytes: model(8), inputShapes: {} }, { sizes: [8, 16] });
    expect(fixed.sizes.map((e) => [e.status, e.error?.code ?? null])).toEqual([
      ['ok', null],
      ['error', 'SHAPE_MISMATCH'],
    ]);
    // the size is the request's $.sizes[1] on every surface, as a zoo model's: the swept inputShapes entry was the sweep's own,
    // answered as `query.input.x` (REST multipart), `$.inputShapes.x` (JSON, GraphQL, the CLI), fields the request never gave
    for (const shapesAt of [undefined, 'query.input', '$.new.inputShapes']) {
      const s = sweep({ kind: 'onnx', bytes: model(8), inputShapes: {}, ...(shapesAt && { shapesAt }) }, { sizes: [8, 16] });
      expect(s.sizes[1].error).toMatchObject({ code: 'SHAPE_MISMATCH', path: '$.sizes[1]', modelPath: '$.graph.input[0]', input: 'x', dimension: 2 });
    }
  });
});

describe('sweep options', () => {
  const src: GraphSource = { kind: 'model', name: 'resnet18' };
  it.each([
    ['no sizes', { sizes: [] }, '$.sizes'],
    ['a zero side', { sizes: [0] }, '$.sizes[0]'],
    ['a side above 8192', { sizes: [[224, 9000]] }, '$.sizes[0][1]'],
    [`more than ${MAX_SWEEP_SIZES} sizes`, { sizes: Array.from({ length: MAX_SWEEP_SIZES + 1 }, () => 224) }, '$.sizes'],
    ['an unknown key', { sizes: [224], sise: 3 }, '$.sise'],
    ['an unknown input', { sizes: [224], input: 'nope' }, '$.input'],
    ['an unknown device', { sizes: [224], device: 'tpu' }, '$.device'],
  ])('%s is INVALID_OPTION at %s', (_, options, where) => {
    const e = errorOf(() => sweepResolutions(src, options as SweepOptions, DEFAULTS));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.details.path).toBe(where);
  });

  it.each([[1e308], [8193], [0]])('a side %j out of range: "a side must be an integer from 1 to 8192" (1e308 said zod\'s own bound, "expected int to be <=9007199254740991")', (side) => {
    const e = errorOf(() => sweepResolutions(src, { sizes: [side] }, DEFAULTS));
    expect([e.code, e.details.path, e.message]).toEqual(['INVALID_OPTION', '$.sizes[0]', 'sweep: a side must be an integer from 1 to 8192 at $.sizes[0]']);
  });

  // found by the cross-surface fuzz: zod's union said only "Invalid input"
  it.each([[1.5], ['224'], [[224, 224, 3]]])('a size %j that is neither a side nor [H, W]: INVALID_OPTION at $.sizes[0] saying what a size is', (size) => {
    const e = errorOf(() => sweepResolutions(src, { sizes: [size] } as unknown as SweepOptions, DEFAULTS));
    expect([e.code, e.details.path, e.message]).toEqual(['INVALID_OPTION', '$.sizes[0]', "sweep: a size is a side (an integer from 1 to 8192, the input's height and width) or [H, W], two of them at $.sizes[0]"]);
  });

  it("an unknown key names the closest option ('size' → 'sizes')", () => {
    expect(errorOf(() => sweepResolutions(src, { sizes: [224], size: 3 } as SweepOptions, DEFAULTS)).details).toMatchObject({ path: '$.size', suggestion: 'sizes' });
  });

  it('a network without an NCHW input cannot be swept', () => {
    const mlp = { inputs: [{ name: 'v', shape: [1, 16] }], layers: [{ name: 'fc', op: 'linear', outFeatures: 4 }] };
    expect(errorOf(() => sweepResolutions({ kind: 'spec', spec: mlp }, { sizes: [8] }, DEFAULTS)).message).toMatch(/no NCHW \(or NCDHW\) input/);
  });
});

// a clip (N, C, D, H, W): its H and W resized, the frames kept (it was refused: "no NCHW input")
describe('video models (N×C×D×H×W)', () => {
  it('r3d_18 at 112 and 64×112: MACs 40,696,553,472 and 23,255,261,184 as PyTorch\'s Conv3d/Linear hooks count them (torch 1.13, 16 frames); the k·2^n check is not judged', () => {
    const s = sweepResolutions({ kind: 'model', name: 'r3d_18' }, { sizes: [112, [64, 112]] }, DEFAULTS);
    expect(s.sizes.map((e) => [e.status, e.macs, e.outputs[0].shape])).toEqual([
      ['ok', 40_696_553_472, [1, 400]],
      ['ok', 23_255_261_184, [1, 400]],
    ]);
    expect(s.reference.validInputSizes).toMatch(/^not judged: the k·2\^n check is of 2-D maps/);
  });
});

describe('two images of one size (RAFT\'s image1 and image2, a stereo pair) are resized together', () => {
  // conv 3→8, 3×3, pad 1 on each: 8·H·W·3·9 MACs each, 221,184 at 32×32 (× 4 at 64×64)
  const pair = {
    inputs: [{ name: 'left', shape: [1, 3, 32, 32] }, { name: 'right', shape: [1, 3, 32, 32] }],
    layers: [
      { name: 'cl', op: 'conv2d', inputs: 'left', outChannels: 8, kernelSize: 3, padding: 1 },
      { name: 'cr', op: 'conv2d', inputs: 'right', outChannels: 8, kernelSize: 3, padding: 1 },
      { name: 'joined', op: 'concat', inputs: ['cl', 'cr'] },
    ],
  };

  it('a spec at 64: both inputs 64×64, 2 · 884,736 MACs, output [1, 16, 64, 64] (right stayed 32×32: SHAPE_MISMATCH at the concat)', () => {
    const s = sweep({ kind: 'spec', spec: pair }, { sizes: [32, 64] });
    expect(s.sizes.map((e) => [e.status, e.macs, e.outputs[0]?.shape])).toEqual([
      ['ok', 2 * 221_184, [1, 16, 32, 32]],
      ['ok', 2 * 884_736, [1, 16, 64, 64]],
    ]);
  });

  it('an ONNX file with two dynamic images (h, w), given at 32: at 64 both are 64×64 (image2 kept 32: SHAPE_MISMATCH at the Concat, as RAFT\'s sweep was)', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'image1', shape: [1, 3, 'h', 'w'] }, { name: 'image2', shape: [1, 3, 'h', 'w'] }],
      outputs: ['joined'],
      initializers: [{ name: 'k', dims: [8, 3, 3, 3] }],
      nodes: [
        { op: 'Concat', inputs: ['image1', 'image2'], outputs: ['both'], attrs: { axis: { i: 0 } } },
        { op: 'Conv', inputs: ['both', 'k'], outputs: ['joined'], attrs: { pads: { ints: [1, 1, 1, 1] } } },
      ],
    });
    const s = sweep({ kind: 'onnx', bytes, inputShapes: { image1: [1, 3, 32, 32], image2: [1, 3, 32, 32] } }, { sizes: [64] });
    expect([s.input, s.sizes[0].status, s.sizes[0].error?.message ?? null, s.sizes[0].macs, s.sizes[0].outputs[0]?.shape]).toEqual(['image1', 'ok', null, 2 * 884_736, [2, 8, 64, 64]]);
  });
});
