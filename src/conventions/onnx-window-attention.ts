/**
 * torchvision's ShiftedWindowAttention (Swin v1) as torch.onnx.export writes its forward,
 * shifted_window_attention (torchvision 0.14 swin_transformer.py l. 118-200): the map [N, H, W, C]
 * padded (Pad) to pH×pW, with a shift rolled (torch.roll: per axis a Concat of two Slices), cut
 * into windows (Reshape [N, pH/wh, wh, pW/ww, ww, C], Transpose (0, 1, 3, 2, 4, 5), Reshape
 * [S, T, C]), then the attention of onnx-attention.ts with q scaled by a Mul, the relative-position
 * bias added to the scores (an Add of a constant once the table's Gather folds) and, in a shifted
 * block, the mask (Reshape, Add, Reshape), a Dropout(0) after the softmax; then the windows put
 * back, rolled back and cropped.
 *
 * The module applies its weights with F.linear and F.softmax, not through its nn.Linear children,
 * so the presets that read the module tree see it as the zoo's shiftedWindowAttention layer (thop
 * 0, torchinfo 0, ptflops its patched Tensor.matmul and F.softmax only), not as linears and a
 * softmax: torchvision's SwinTransformer(embed 8, depths [2], heads [2], window 7) at 1×3×36×44
 * exported at opset 17 (test/fixtures/onnx-math/swin_tiny_pad_op17.onnx), thop counted 374,056 on
 * the file where the tool prints 159,240 on the model, ptflops 625,797 (512,901), torchinfo 261,141
 * (148,245). This file reads the window geometry from the partition before the qkv projection.
 */
import type { AnalysedLayer } from '../analysis/infer.js';
import { pad, slice } from '../ops/indexing.js';
import { concat } from '../ops/merge.js';
import { reshape, transpose } from '../ops/movement.js';
import { shiftedWindowAttention, windowQScale } from '../ops/window-attention.js';
import type { WindowPlan } from '../ops/window-attention.js';
import type { AttentionCore } from './attention-module.js';
import type { LayerFacts } from './types.js';

/** The windows the attention runs over: the map before padding, the padded map, window and shift. */
export interface WindowGeometry {
  n: number;
  h: number;
  w: number;
  ph: number;
  pw: number;
  win: [number, number];
  shift: [number, number];
  /** the partition, roll and pad layers (layout and concat: 0 under every preset) */
  layers: AnalysedLayer[];
}

type Producers = ReadonlyMap<string, AnalysedLayer>;

const live = (a: AnalysedLayer | undefined, op: unknown): a is AnalysedLayer => !!a && a.op === op && !!a.inferred && !a.folded;
const PARTITION_PERM = '[0,1,3,2,4,5]';

/** torch.roll of one axis as torch.onnx writes it: Concat(Slice(x)[s:], Slice(x)[:s]) along it; the axis (1 or 2) and s. */
function rolled(producer: Producers, a: AnalysedLayer | undefined): { axis: number; by: number; x: string; layers: AnalysedLayer[] } | null {
  if (!live(a, concat) || a.layer.inputs.length !== 2) return null;
  const parts = a.layer.inputs.map((i) => producer.get(i));
  if (!parts.every((p): p is AnalysedLayer => live(p, slice)) || parts[0].layer.inputs[0] !== parts[1].layer.inputs[0]) return null;
  const rank = a.inputShapes[0].length;
  const dim = Number(a.layer.attrs.dim);
  const axis = dim < 0 ? dim + rank : dim;
  if (rank !== 4 || (axis !== 1 && axis !== 2)) return null;
  return { axis, by: a.inputShapes[1][axis], x: parts[0].layer.inputs[0], layers: [a, ...parts] };
}

/** The window partition whose [S, T, C] tokens are x (T tokens a window), back to the map it cuts; null when x is not one. */
export function windowPartition(producer: Producers, x: string, t: number): WindowGeometry | null {
  const flat = producer.get(x);
  if (!live(flat, reshape) || flat.inferred!.outputs[0].length !== 3) return null;
  const perm = producer.get(flat.layer.inputs[0]);
  if (!live(perm, transpose) || JSON.stringify((perm.inferred!.plan as { perm: number[] }).perm) !== PARTITION_PERM) return null;
  const cut = producer.get(perm.layer.inputs[0]);
  if (!live(cut, reshape)) return null;
  const six = cut.inferred!.outputs[0];
  const map = cut.inputShapes[0];
  if (six.length !== 6 || map.length !== 4 || six[0] !== map[0] || six[1] * six[2] !== map[1] || six[3] * six[4] !== map[2] || six[5] !== map[3] || six[2] * six[4] !== t) return null;
  const layers = [flat, perm, cut];
  const shift: [number, number] = [0, 0];
  let from = cut.layer.inputs[0];
  for (let k = 0; k < 2; k++) {
    const roll = rolled(producer, producer.get(from));
    if (!roll) break;
    shift[roll.axis - 1] = roll.by;
    layers.push(...roll.layers);
    from = roll.x;
  }
  const padding = producer.get(from);
  const unpadded = live(padding, pad) && padding.inputShapes[0].length === 4 ? padding.inputShapes[0] : null;
  if (unpadded) layers.push(padding!);
  return { n: map[0], h: unpadded?.[1] ?? map[1], w: unpadded?.[2] ?? map[2], ph: map[1], pw: map[2], win: [six[2], six[4]], shift, layers };
}

/** What windowFacts reads of a recognised module (onnx-attention.ts's AttentionModule). */
interface WindowModule extends AttentionCore {
  window: WindowGeometry;
  /** an additive constant after the relative-position bias: the shift mask */
  masked: boolean;
}

/** The output projection's facts as the zoo's shiftedWindowAttention layer: op, attributes, plan, weights, MACs. */
export function windowFacts(f: LayerFacts, m: WindowModule): LayerFacts {
  const { c, t, s, heads } = m;
  const { n, h, w, ph, pw, win, shift } = m.window;
  const plan: WindowPlan = { n, h, w, c, heads, win, shift, ph, pw, t, s, masked: m.masked, qScale: windowQScale(c / heads) };
  const map = [n, h, w, c];
  const weights = [
    { name: 'qkvWeight', shape: [3 * c, c], trainable: true },
    ...(m.inBias ? [{ name: 'qkvBias', shape: [3 * c], trainable: true }] : []),
    { name: 'projWeight', shape: [c, c], trainable: true },
    ...(m.outBias ? [{ name: 'projBias', shape: [c], trainable: true }] : []),
    { name: 'relativePositionBiasTable', shape: [(2 * win[0] - 1) * (2 * win[1] - 1), heads], trainable: true },
    { name: 'relativePositionIndex', shape: [t * t], trainable: false },
  ];
  const tokens = s * t;
  return {
    ...f,
    family: 'attention',
    op: shiftedWindowAttention,
    plan,
    attrs: { numHeads: heads, window: win, shift, qkvBias: m.inBias, projBias: m.outBias, embedDim: c },
    inputs: [map],
    outputs: [map],
    weights,
    geometry: null,
    fixedSize: false,
    cost: { ...f.cost, macs: m.macs, biasOps: (m.inBias ? tokens * 3 * c : 0) + (m.outBias ? tokens * c : 0) },
    strided: false,
  };
}
