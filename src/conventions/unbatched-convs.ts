/**
 * Convolutions of one sample without its batch axis, [C, …spatial] (src/ops/unbatched.ts: nn.Conv1d/2d/3d
 * and nn.ConvTranspose1d/2d/3d take one since torch 1.11), under every preset. The presets' conv rules
 * read [N, C, …spatial]; of an unbatched sample each tool counts as follows, measured on torch 1.13
 * from the tools' sources at the commits the presets cite (scripts/convention_truth_cases.py
 * unbatchedConvs → test/fixtures/conventions/cases.json; test/conventions/unbatched-convs.test.ts):
 *
 *   thop        the batch of one: calculate_conv2d_flops takes the channel from the trailing end
 *               (thop/vision/calc_func.py l. 27-34).
 *   fvcore, torchvision, ptflops-aten
 *               the batch of one: F.conv*d unsqueezes the sample before aten::convolution, which they read.
 *   onnx-tool   the batch of one: torch.onnx writes Unsqueeze, Conv (ConvTranspose) on [1, C, …], Squeeze.
 *   torchinfo   (weight + bias elements) × output_size[:1] + output_size[2:] (layer_info.py calculate_macs
 *               l. 275-279) of the unbatched output [Cout, …spatial]: × Cout × the spatial sizes but the first.
 *   ptflops     conv_flops_counter_hook (pytorch_ops.py l. 60-92) reads input.shape[0], C, as the batch and
 *               output.shape[2:] (input.shape[2:] transposed), the spatial sizes but the first, as the
 *               positions: ΠK·Cin·(Cout/g)·C·Π(sizes[2:]) + C·Π(output.shape[1:]) with a bias; then the
 *               batch counter (the first axis, C) divides it (ptflops-defects.ts).
 *   calflops    F.conv1d/2d/3d: _conv_flops_compute (pytorch_ops.py l. 83-84) asserts weight.shape[1]·groups
 *               == input.shape[1], the first spatial size: calculate_flops raises (no figure, the layer
 *               listed unsupported) unless that size equals Cin, when it counts C as the batch, that size
 *               as the channels and the other sizes as positions. F.conv_transpose1d/2d/3d
 *               (_conv_trans_flops_compute l. 128-171): its MACs are the batch of one's (x0·x1·Πx[2:] is
 *               the input's elements), its bias term weight.shape[1]·C·Π of the forward-conv formula over
 *               the sizes but the first, each with the kernel, padding, stride and dilation of the axis before.
 *
 * A convTranspose position override (RuleContext.convTranspose) counts the batch of one, and so does
 * explain (convlens's own formulas, N 1).
 */
import { hasWeight, weightShape } from './families.js';
import { moduleHook } from './ptflops-hooks.js';
import { numel } from '../ops/types.js';
import type { ConventionPreset, Family, LayerFacts, Rule, RuleContext } from './types.js';

const CONV_FAMILIES: readonly Family[] = ['conv', 'convTranspose', 'convNd', 'convTransposeNd'];
const TRANSPOSED: ReadonlySet<Family> = new Set<Family>(['convTranspose', 'convTransposeNd']);

/** Whether the layer read one sample without its batch axis (Inferred.unbatched: rank spatial + 1). */
export const unbatchedSample = (f: LayerFacts): boolean => f.unbatched !== undefined && f.inputs[0].length === f.unbatched + 1;

/** The layer as the batch of one: [1, C, …spatial] in and out (the same memory, src/ops/unbatched.ts). */
export function batchOfOne(f: LayerFacts): LayerFacts {
  if (!unbatchedSample(f)) return f;
  const batched = (shapes: LayerFacts['inputs']) => shapes.map((s, i) => (i === 0 ? [1, ...s] : s));
  const { unbatched: _spatial, ...rest } = f;
  return { ...rest, inputs: batched(f.inputs), outputs: batched(f.outputs) };
}

/** A conv family's layer as the batch of one (explain.ts: convlens's formulas over [N, C, …spatial], N 1); any other as it is. */
export const convAsBatchOfOne = (f: LayerFacts): LayerFacts => (CONV_FAMILIES.includes(f.family) ? batchOfOne(f) : f);

const prod = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);
const groups = (f: LayerFacts): number => (typeof f.attrs.groups === 'number' ? f.attrs.groups : 1);

/** ptflops' conv_flops_counter_hook on the unbatched shapes (before the batch counter's division). */
function ptflopsHook(f: LayerFacts, transposed: boolean): number {
  const [x, y, w] = [f.inputs[0], f.outputs[0], weightShape(f)];
  const [cin, cout] = transposed ? [w[0], w[1] * groups(f)] : [w[1] * groups(f), w[0]];
  const perPosition = prod(w.slice(2)) * cin * Math.floor(cout / groups(f));
  const positions = x[0] * prod((transposed ? x : y).slice(2));
  return perPosition * positions + (hasWeight(f, 'bias') ? x[0] * prod(y.slice(1)) : 0);
}

/** torchinfo: trainable parameter elements × output_size[:1] + output_size[2:] of the unbatched output. */
function torchinfoMacs(f: LayerFacts): number {
  const y = f.outputs[0];
  return f.weights.filter((w) => w.trainable).reduce((s, w) => s + numel(w.shape), 0) * y[0] * prod(y.slice(2));
}

/** The forward-conv output size calflops computes for each size of input.shape[2:], with the geometry of the axis before (its index). */
function calflopsPositions(f: LayerFacts): number {
  const x = f.inputs[0];
  const g = f.geometry ?? [];
  const same = f.attrs.padding === 'same';
  return prod(
    x.slice(2).map((size, i) => {
      const a = g[i];
      const p = same ? Math.floor((a.dilation * (a.kernel - 1)) / 2) : a.padBegin;
      return Math.floor((size + 2 * p - (a.dilation * (a.kernel - 1) + 1)) / a.stride) + 1;
    }),
  );
}

/** _conv_flops_compute on the unbatched shapes, or null where its assert (weight.shape[1]·groups == input.shape[1]) fails. */
function calflopsConv(f: LayerFacts): { flops: number; macs: number } | null {
  const [x, w] = [f.inputs[0], weightShape(f)];
  if (w[1] * groups(f) !== x[1]) return null;
  const positions = x[0] * calflopsPositions(f);
  const macs = prod(w.slice(2)) * x[1] * Math.floor(w[0] / groups(f)) * positions;
  return { flops: 2 * macs + (hasWeight(f, 'bias') ? w[0] * positions : 0), macs };
}

/** _conv_trans_flops_compute on the unbatched shapes: MACs over the input's elements, the bias term over the misread positions. */
function calflopsTransposed(f: LayerFacts): { flops: number; macs: number } {
  const w = weightShape(f);
  const macs = prod(w.slice(2)) * numel(f.inputs[0]) * Math.floor(w[1] / groups(f));
  return { flops: 2 * macs + (hasWeight(f, 'bias') ? w[1] * f.inputs[0][0] * calflopsPositions(f) : 0), macs };
}

/** What a tool counts of an unbatched sample where that is not the batch of one's figure. */
interface Own {
  count?: (f: LayerFacts, transposed: boolean) => number;
  hook?: (f: LayerFacts, transposed: boolean) => number;
  unsupported?: (f: LayerFacts, transposed: boolean) => boolean;
  /** What the rule's why and source add, for the plain and the transposed convolutions. */
  notes: Record<'conv' | 'transposed', { why: string; source: string }>;
}
const both = (why: string, source: string): Own['notes'] => ({ conv: { why, source }, transposed: { why, source } });

const CALFLOPS_NOTES: Own['notes'] = {
  conv: { why: 'of an unbatched [C, …spatial] sample F.conv*d raises (its assert reads the first spatial size as the channels): no figure, the layer listed unsupported, unless that size is Cin', source: 'calflops/pytorch_ops.py _conv_flops_compute l. 83-125' },
  transposed: { why: "of an unbatched [C, …spatial] sample the batch of one's MACs, and weight.shape[1]·C bias adds per forward-conv position of the sizes but the first", source: 'calflops/pytorch_ops.py _conv_trans_flops_compute l. 128-171' },
};

const OWN: Readonly<Record<string, Own>> = {
  ptflops: {
    hook: (f, t) => moduleHook((g) => ptflopsHook(g, t))(f, {}),
    notes: both('of an unbatched [C, …spatial] sample the hook reads C as the batch and the sizes but the first as the positions (then divided by C)', 'ptflops/pytorch_ops.py conv_flops_counter_hook l. 60-92 (input.shape[0], output.shape[2:])'),
  },
  torchinfo: { count: torchinfoMacs, notes: both('of an unbatched [Cout, …spatial] output: parameters × Cout × the sizes but the first', 'torchinfo/layer_info.py calculate_macs l. 275-279 (output_size[:1] + output_size[2:])') },
  calflops: {
    count: (f, t) => (t ? calflopsTransposed(f).flops : (calflopsConv(f)?.flops ?? 0)),
    unsupported: (f, t) => !t && calflopsConv(f) === null,
    notes: CALFLOPS_NOTES,
  },
  'calflops-macs': {
    count: (f, t) => (t ? calflopsTransposed(f).macs : (calflopsConv(f)?.macs ?? 0)),
    unsupported: (f, t) => !t && calflopsConv(f) === null,
    notes: CALFLOPS_NOTES,
  },
};

const BATCH_OF_ONE = both('an unbatched [C, …spatial] sample counts as the batch of one', 'scripts/convention_truth_cases.py unbatchedConvs (measured)');

/** A conv family's rule reading an unbatched sample as its tool does (the batch of one unless OWN says otherwise). */
function unbatchedRule(rule: Rule, own: Own | undefined, transposed: boolean): Rule {
  const asTool = (f: LayerFacts, ctx: RuleContext) => unbatchedSample(f) && own !== undefined && !ctx.convTranspose;
  const batchedUnsupported = (f: LayerFacts) => (typeof rule.unsupported === 'function' ? rule.unsupported(f) : rule.unsupported === true);
  const note = (own?.notes ?? BATCH_OF_ONE)[transposed ? 'transposed' : 'conv'];
  return {
    ...rule,
    count: (f, ctx) => (asTool(f, ctx) ? (own!.count ? own!.count(f, transposed) : rule.count(batchOfOne(f), ctx)) : rule.count(batchOfOne(f), ctx)),
    ...(rule.hook && { hook: (f: LayerFacts, ctx: RuleContext) => (asTool(f, ctx) && own!.hook ? own!.hook(f, transposed) : rule.hook!(batchOfOne(f), ctx)) }),
    unsupported: (f) => (unbatchedSample(f) && own?.unsupported ? own.unsupported(f, transposed) : batchedUnsupported(batchOfOne(f))),
    // said only in a model where a layer of the family read one unbatched sample (countWith)
    unbatched: note,
  };
}

/** The preset with its conv families' rules reading an unbatched sample as its tool does. */
export function withUnbatchedConvs(preset: ConventionPreset): ConventionPreset {
  const rules = { ...preset.rules };
  for (const family of CONV_FAMILIES) {
    const rule = rules[family];
    if (rule) rules[family] = unbatchedRule(rule, OWN[preset.name], TRANSPOSED.has(family));
  }
  return { ...preset, rules };
}
