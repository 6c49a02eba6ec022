/** Design checks from the notes and domain.md, each with a stable code. */
import type { Graph } from '../graph/graph.js';
import { layerDepths } from '../graph/walks.js';
import { numel } from '../ops/types.js';
import type { AnalysedLayer } from './infer.js';
import { inputFieldSizes } from './input-layout.js';
import type { LayerReport, Report, ReportWarning } from './report.js';
import { EXPORTER_MADE, isScoreConstant, scoreTensors } from './exporter-constants.js';

interface Inputs {
  graph: Graph;
  /** Initializers counted as parameters (analyze.ts), to tell the exporter's own constants among them. */
  counted: ReadonlySet<string>;
  analysed: AnalysedLayer[];
  layers: LayerReport[];
  outputs: Report['outputs'];
  structure: Report['structure'];
  totalMacs: number;
  totalParams: number;
  unsupported: Report['totals']['unsupported'];
  /** Inputs whose field is over all their axes but the first (Inference.fieldInputs): an unbatched [C, L], [C, H, W] or [C, D, H, W], or an [N, L] / [N, H, W] batch given one channel. */
  fieldInputs?: readonly string[];
}

/** A field's size in a message: fractional past a resampling (a detector's resize by 320/1066), to 2 decimals (284.574108818 → 284.57). */
const pixels = (r: number): string => String(Number(r.toFixed(2)));

/** Share of the total above which one fully connected layer is said to dominate. */
export const FC_DOMINANCE = 0.5;
/** Smallest final feature map the notes consider safe (3×3 to 9×9 are typical). */
export const MIN_FINAL_MAP = 3;

/**
 * torch.onnx.export of an eval-mode model folds each BatchNorm2d into the conv before it by
 * default: the conv gets new weights and a bias, both named onnx::Conv_<n>, and the BN is gone. The
 * folded graph has C parameters per folded BN where the module had 2·C (γ, β) and a bias-free conv.
 */
function foldedBatchNorm(x: Inputs): ReportWarning | null {
  // batch norms left (running statistics): those no conv precedes (DenseNet's and pre-activation
  // ResNets' after a concat or an add), which the exporter keeps while it folds the others
  const kept = x.analysed.filter((a) => a.inferred?.weights.some((w) => w.name === 'runningMean')).length;
  const folded = x.analysed.filter((a) => {
    const w = a.layer.weights;
    return a.op?.weighted && w?.weight && w.bias && EXPORTER_MADE.test(w.weight.constant) && EXPORTER_MADE.test(w.bias.constant);
  });
  if (folded.length === 0) return null;
  const channels = folded.reduce((s, a) => s + (a.inferred?.weights.find((w) => w.name === 'bias')?.shape[0] ?? 0), 0);
  return {
    code: 'BATCHNORM_FOLDED',
    severity: 'info',
    message: `${folded.length} layer(s) carry exporter-made weights and biases (onnx::Conv_…) and ${kept === 0 ? 'the graph has no batch norm' : `no batch norm follows them (${kept === 1 ? 'one other, which no conv precedes, stays' : `${kept} others, which no conv precedes, stay`} in the graph)`}: the exporter folded a BatchNorm2d into each (torch.onnx.export in eval mode does by default). Parameters here are the folded graph's; the PyTorch module has ${channels.toLocaleString('en-US')} more (${(x.totalParams + channels).toLocaleString('en-US')}) if those convs had no bias of their own, as torchvision's do, plus 2·${channels.toLocaleString('en-US')} BN buffers. Export with training=torch.onnx.TrainingMode.PRESERVE to keep the batch norms.`,
    layers: folded.map((a) => a.layer.name),
    foldedChannels: channels,
    moduleParams: x.totalParams + channels,
  };
}

/**
 * Constants torch.onnx.export computed while folding (named onnx::<Op>_<n>) that element-wise
 * layers read. Those added to attention scores (Swin's and MaxViT's relative position bias gathered
 * from its table, [1, heads, T, T] where the module learns (2w − 1)²·heads; a constant mask) are
 * counted as buffers (analyze.ts): EXPORTER_CONSTANTS_AS_BUFFERS says so, with the tables a
 * square w × w window would have. Any other spanning two axes or more is counted as parameters:
 * EXPORTER_CONSTANTS_COUNTED. A weighted layer's exporter-made weights (a transposed linear, a BN
 * folded into a conv) are its real weights, and BATCHNORM_FOLDED's case.
 */
function exporterConstants(x: Inputs): ReportWarning[] {
  const counted = new Map<string, number>();
  const buffers = new Map<string, { elements: number; heads: number; t: number }>();
  const scores = scoreTensors(x.graph, x.analysed);
  for (const a of x.analysed) {
    if (a.folded || a.op?.weighted || !a.layer.source) continue;
    for (const [i, ref] of a.layer.inputs.entries()) {
      const c = x.graph.constants.get(ref);
      // a table spans two axes or more ([1, heads, 49, 49]); a per-channel operand ([C, 1, 1]: GroupNorm's γ
      // unsqueezed, a layer scale) is the module's own parameter renamed, counted as PyTorch counts it
      if (!c || !EXPORTER_MADE.test(ref) || !x.counted.has(ref) || c.shape.filter((d) => d > 1).length < 2) continue;
      if (!isScoreConstant(x.graph, a.layer, i, a.inputShapes, scores)) counted.set(ref, numel(c.shape));
      else buffers.set(ref, { elements: numel(c.shape), heads: c.shape.length > 2 ? c.shape[c.shape.length - 3] : 1, t: c.shape[c.shape.length - 1] });
    }
  }
  const out: ReportWarning[] = [];
  const named = (names: string[]) => `${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''}`;
  if (buffers.size > 0) {
    const names = [...buffers.keys()];
    const elements = [...buffers.values()].reduce((s, b) => s + b.elements, 0);
    // a relative-position table over a w × w window: (2w − 1)² rows, one column per head
    const square = [...buffers.values()].every((b) => Number.isInteger(Math.sqrt(b.t)));
    const tables = square ? [...buffers.values()].reduce((s, b) => s + (2 * Math.sqrt(b.t) - 1) ** 2 * b.heads, 0) : null;
    out.push({
      code: 'EXPORTER_CONSTANTS_AS_BUFFERS',
      severity: 'info',
      message: `${elements.toLocaleString('en-US')} elements in ${buffers.size} constant(s) the exporter computed by constant folding (${named(names)}) are added to attention scores: a relative position bias gathered from its table (Swin, MaxViT) or a mask. They are counted as buffers, not parameters (the weights memory holds them). ${tables !== null ? `If they are relative-position biases gathered over a square w × w window (Swin V1, MaxViT; not Swin V2's, computed by an MLP), the module learns tables of (2w − 1)²·heads = ${tables.toLocaleString('en-US')} parameters the file no longer holds, and counts ${(x.totalParams + tables).toLocaleString('en-US')}. ` : ''}Export with do_constant_folding=False to count the tables themselves.`,
      constants: names,
      elements,
      ...(tables !== null ? { tableParams: tables } : {}),
    });
  }
  if (counted.size > 0) {
    const names = [...counted.keys()];
    const elements = [...counted.values()].reduce((s, n) => s + n, 0);
    out.push({
      code: 'EXPORTER_CONSTANTS_COUNTED',
      severity: 'info',
      message: `${elements.toLocaleString('en-US')} of the parameters are in ${counted.size} constant(s) the exporter computed by constant folding (${named(names)}), read by element-wise layers: a table gathered or sliced from a parameter, or a mask, where the PyTorch module may hold fewer. Export with do_constant_folding=False to count the module's tensors themselves.`,
      constants: names,
      elements,
    });
  }
  return out;
}

/**
 * The deepest map of a network without a 2-D resolution check (1-D and 3-D fields; `twoD`: 2-D
 * ones, of an unbatched C,H,W input, which the check does not take): the last executed layer whose
 * local field has the largest effective stride (its product over the axes).
 */
function deepestNd(layers: readonly LayerReport[], depths: ReadonlyMap<string, number>, twoD: boolean): LayerReport | undefined {
  let best: { l: LayerReport; stride: number; depth: number } | undefined;
  for (const l of layers) {
    const f = l.receptiveField;
    // a stride-0 axis (tiled or expanded) has no input positions: not a map, as a global field is not
    if (!l.executed || !f || f.global || (f.axes.length === 2) !== twoD || f.stride.includes(0)) continue;
    const stride = f.stride.reduce((p, s) => p * s, 1);
    // at one stride the deeper map, whatever order the branches are listed in (graph/walks.ts layerDepths)
    const depth = depths.get(l.name) ?? 0;
    if (!best || stride > best.stride || (stride === best.stride && depth >= best.depth)) best = { l, stride, depth };
  }
  return best?.l;
}

export function structuralWarnings(x: Inputs): ReportWarning[] {
  const out: ReportWarning[] = [];
  const folded = foldedBatchNorm(x);
  if (folded) out.push(folded);
  out.push(...exporterConstants(x));

  for (const u of x.unsupported) {
    out.push({
      code: 'UNSUPPORTED_OPERATOR',
      severity: 'warning',
      message: `${u.count} node(s) of type ${u.opType} cannot be analysed (${u.nodes.slice(0, 5).join(', ')}${u.count > 5 ? ', …' : ''}): ${u.reasons.join('; ')}; totals are incomplete`,
      opType: u.opType,
      count: u.count,
      nodes: u.nodes,
    });
  }
  const skipped = x.analysed.filter((a) => a.op && !a.inferred).map((a) => a.layer.name);
  if (skipped.length) {
    out.push({
      code: 'LAYERS_NOT_ANALYSED',
      severity: 'warning',
      message: `${skipped.length} layer(s) read a tensor of unknown shape from an unsupported operator and were not analysed`,
      layers: skipped,
    });
  }

  // a 4-D map's channels: dim 1, or the last axis for a linear over a channels-last map (Swin's MLP's
  // [1, 56, 56, 384] read as 56 channels before); dim 0 of one unbatched sample's [C, H, W] (a conv's, ops/unbatched.ts)
  const channelsOf = (a: (typeof x.analysed)[number]) => (a.inferred!.unbatched ? a.inferred!.outputs[0][0] : a.op?.channelsLast ? a.inferred!.outputs[0][3] : a.inferred!.outputs[0][1]);
  const mapRank = (a: (typeof x.analysed)[number]) => a.inferred!.outputs[0].length + (a.inferred!.unbatched ? 1 : 0);
  const odd = x.analysed
    .filter((a) => a.op?.weighted && a.inferred && mapRank(a) === 4 && channelsOf(a) % 8 !== 0)
    .map((a) => ({ name: a.layer.name, channels: channelsOf(a) }));
  if (odd.length) {
    out.push({
      code: 'CHANNELS_NOT_MULTIPLE_OF_8',
      severity: 'info',
      message: `${odd.length} layer(s) output a channel count that is not a multiple of 8, which hardware runs less efficiently: ${odd
        .slice(0, 5)
        .map((o) => `${o.name} (${o.channels})`)
        .join(', ')}${odd.length > 5 ? ', …' : ''}`,
      layers: odd,
    });
  }

  const res = x.structure.resolution;
  if (res) {
    const [kh, kw] = res.finalFeatureMap;
    if (Math.min(kh, kw) < MIN_FINAL_MAP && res.downsamplings !== null && res.downsamplings > 0) {
      out.push({
        code: 'FINAL_FEATURE_MAP_TOO_SMALL',
        severity: 'warning',
        message: `the final feature map (${res.finalFeatureMapLayer}) is ${kh}×${kw}; below ${MIN_FINAL_MAP}×${MIN_FINAL_MAP} an input pixel may map to less than one unit and training can fail to converge`,
        layer: res.finalFeatureMapLayer,
      });
    }
    // a multiple of the stride, or one less the border unpadded windows lose by design (structure.ts:
    // r = k·2^n + b: LeNet-5's 32 − 12); either passes, so torchvision's AlexNet and SqueezeNet at
    // their published 224 (a multiple of 32, though their first windows drop a pixel) draw none
    const [ih, iw] = res.input;
    const [sh, sw] = res.downsamplingStride;
    // a stride that is no whole number (an upsampling network: a ×1.5 bilinear leaves 2/3) divides no
    // input size evenly and none unevenly: every size maps to whole output pixels, so nothing to say
    // on that axis; the other axis is still checked (a 2×1.5 network at 225 wide drops a row)
    const fits = (size: number, stride: number, less: number) => !Number.isInteger(stride) || (size - less) % stride === 0;
    const multiple = (a: number, b: number) => fits(ih, sh, a) && fits(iw, sw, b);
    const whole = Number.isInteger(sh) || Number.isInteger(sw);
    if (whole && !multiple(0, 0) && !multiple(res.border[0], res.border[1])) {
      const less = res.border[0] === 0 && res.border[1] === 0 ? '' : `, nor is it less the border ${res.border.join('×')} its windows lose`;
      out.push({
        code: 'INPUT_NOT_MULTIPLE_OF_STRIDE',
        severity: 'warning',
        message: `the input ${res.input.join('×')} is not a multiple of the total stride ${[sh, sw].map((v) => (Number.isInteger(v) ? v : v.toFixed(2))).join('×')}${less}: border pixels are dropped or padded unevenly; ${res.validInputSizes}`,
      });
    }
  }

  // each field is compared with the network input of its layout ([l], [h, w] or [d, h, w])
  const sizes = inputFieldSizes(x.graph, x.fieldInputs);
  if (sizes.size > 0) {
    // the graph's spatial outputs, and the deepest feature map (a classifier's output is global)
    const candidates = x.outputs.map((o) => ({ name: o.name, rf: o.receptiveField, what: 'output' }));
    const deepest = res ? x.layers.find((l) => l.name === res.finalFeatureMapLayer) : deepestNd(x.layers, layerDepths(x.analysed.map((a) => a.layer)), false) ?? (x.fieldInputs?.length ? deepestNd(x.layers, layerDepths(x.analysed.map((a) => a.layer)), true) : undefined);
    // once: an ONNX graph's output is a tensor ('6') its final map's layer ('/1/Conv') writes
    const written = new Set(x.analysed.find((a) => a.layer.name === deepest?.name)?.layer.outputs ?? []);
    if (deepest && !candidates.some((c) => c.name === deepest.name || written.has(c.name))) candidates.push({ name: deepest.name, rf: deepest.receptiveField, what: 'final feature map' });
    for (const c of candidates) {
      const rf = c.rf;
      const input = rf && !rf.global ? sizes.get(rf.size.length) : undefined;
      if (rf && !rf.global && input && rf.size.some((r, a) => r > input[a])) {
        out.push({
          code: 'RECEPTIVE_FIELD_EXCEEDS_INPUT',
          severity: 'info',
          message: `${c.what} '${c.name}' has a receptive field of ${rf.size.map(pixels).join('×')}, wider than the ${input.join('×')} input: its units' boxes reach past the input's edges (padding, or the envelope of a broadcast or tiled operand's reads, as x · x.mean(3, keepdim=True) has)`,
          layer: c.name,
        });
      }
    }
  }

  const fullyConnected = new Map(x.analysed.filter((a) => a.op?.fullyConnected).map((a) => [a.layer.name, a]));
  const producers = new Map(x.analysed.flatMap((a) => a.layer.outputs.map((o) => [o, a] as const)));
  for (const l of x.layers) {
    const fc = fullyConnected.get(l.name);
    if (!fc) continue;
    const macShare = x.totalMacs > 0 ? l.macs / x.totalMacs : 0;
    const paramShare = x.totalParams > 0 ? l.params / x.totalParams : 0;
    if (macShare > FC_DOMINANCE || paramShare > FC_DOMINANCE) {
      const map = flattenedMap(fc, producers, x.graph);
      out.push({
        code: 'FC_DOMINATES',
        severity: 'warning',
        message: `fully connected layer '${l.name}' holds ${(paramShare * 100).toFixed(1)}% of the parameters and ${(macShare * 100).toFixed(1)}% of the MACs; ${fcAdvice(fc, map)}`,
        layer: l.name,
        flattenedFrom: map,
        paramShare,
        macShare,
      });
    }
  }

  if (x.graph.outputs) {
    const consumed = new Set([...x.graph.layers.flatMap((l) => l.inputs), ...x.graph.outputs]);
    for (const l of x.graph.layers) {
      if (!l.outputs.some((o) => consumed.has(o))) {
        out.push({
          code: 'UNUSED_LAYER',
          severity: 'info',
          message: `layer '${l.name}' is neither read nor a declared output: it does not run at inference, so its parameters count in the totals and its MACs do not`,
          layer: l.name,
        });
      }
    }
  }
  return out;
}

/**
 * The map a fully connected layer's features were flattened from ([N, C, …spatial], more than one
 * position), walking back from its [N, F] input through layers that keep the element count
 * (flatten, reshape, an activation, dropout): VGG's fc6 reads 512×7×7. null when it reads features
 * already pooled to one position (a global pool, a class token) or applies at each position (an
 * input of rank 3 or more: a channels-last MLP).
 */
function flattenedMap(fc: AnalysedLayer, producers: Map<string, AnalysedLayer>, graph: Graph): number[] | null {
  const first = fc.inputShapes[0];
  if (!first || first.length !== 2) return null;
  const count = numel(first);
  let name = fc.layer.inputs[0];
  for (let steps = 0; steps <= producers.size; steps++) {
    const p = producers.get(name);
    // a layer with weights or MACs (another fully connected layer) computes new features: stop there
    if (p && (p.inferred === null || p.inferred.weights.length > 0 || p.inferred.cost.macs > 0)) return null;
    const shape = p ? p.inputShapes[0] : graph.inputs.find((i) => i.name === name)?.shape;
    if (!shape || numel(shape) !== count) return null;
    if (shape.length >= 3 && numel(shape.slice(2)) > 1) return [...shape];
    if (!p) return null;
    name = p.layer.inputs[0];
  }
  return null;
}

/** What would shrink a dominant fully connected layer, by what it reads (flattenedMap). */
function fcAdvice(fc: AnalysedLayer, map: number[] | null): string {
  if (map) return `it reads the ${map.slice(1).join('×')} map flattened (C×H×W): global average pooling before it cuts its cost by ${numel(map.slice(2)).toLocaleString('en-US')} (H·W)`;
  const x = fc.inputShapes[0];
  // over the last dim of a map or a token sequence (a channels-last MLP, Swin's PatchMerging reduction): at every position, not pooled;
  // one position kept as dims of 1 ([1, 1, 1, C] pooled with keepdim, a class token [1, 1, C]) is pooled
  const positions = x && x.length >= 3 ? numel(x.slice(1, -1)) : 1;
  if (x && positions > 1) {
    return `it applies at each of the ${positions.toLocaleString('en-US')} positions of its ${x.slice(1).join('×')} input, over ${x[x.length - 1].toLocaleString('en-US')} features (a 1×1 convolution's cost, in × out per position): fewer features in or out shrinks it`;
  }
  return `it reads ${x && x.length >= 2 ? x[x.length - 1].toLocaleString('en-US') : 'its'} features already pooled to one position, so its cost is the classifier's own (in × out): a narrower last stage or fewer classes shrinks it`;
}
