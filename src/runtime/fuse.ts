/**
 * Inference-time fusion in the executor (issue 12): the groups of the deployed graph
 * (analysis/deployed.ts, fusionChains: host → [batch norm …] → [residual add] → [activation],
 * each intermediate tensor with a single reader and not a graph output) run as one step:
 *
 *   - batch norm folds into the host's weights once per run, w' = w·γ/σ, b' = (b − μ)·γ/σ + β
 *     (ops/norm.ts foldBatchNorm), where the host declares `foldsBatchNormIntoWeights` (dim 0 of
 *     its weight is the output channel: conv, linear, deformConv); any other host (convTranspose,
 *     whose weight is [Cin, Cout/g, …]) gets the same per-channel affine applied in place on its
 *     output. Either way the batch norm's own kernel and its output allocation vanish;
 *   - the residual add and the activation run in place on the host's output buffer
 *     (`OpDef.runInPlace`: one pass, no allocation); an op without that hook (PReLU, layer scale)
 *     runs its ordinary kernel, which is the same value.
 *
 * Never in training (batch statistics, dropout masks). A captured tensor (RunOptions.capture)
 * must be the unfused value bit for bit: it ends a chain (as a graph output does), and a member
 * whose own output is captured is left out with everything after it, so capturing a batch norm's
 * output runs that batch norm unfolded.
 */
import { fusionChains } from '../analysis/deployed.js';
import type { FusionChain } from '../analysis/deployed.js';
import type { AnalysedLayer, Inference } from '../analysis/infer.js';
import type { Graph } from '../graph/graph.js';
import type { BatchNormAttrs } from '../ops/norm.js';
import type { WeightStore } from './weight-store.js';
import type { Tensor } from '../tensor/tensor.js';
import { numel, tensor } from '../tensor/tensor.js';

/** A member's role in the run: its layer, what it is, and which of its inputs is the chain's buffer. */
export interface RunMember {
  a: AnalysedLayer;
  kind: FusionChain['members'][number]['kind'];
  /** Index of the input that carries the chain's value (the buffer written in place). */
  target: number;
}

export interface RunGroup {
  host: AnalysedLayer;
  members: RunMember[];
  /** The residual add's other operand, which must be computed before the add runs. */
  residual: string | null;
}

export interface FusionPlan {
  /** By host layer name. */
  groups: Map<string, RunGroup>;
  /** Member layer name → its group. */
  memberOf: Map<string, RunGroup>;
}

export const NO_FUSION: FusionPlan = { groups: new Map(), memberOf: new Map() };

/**
 * The members a split host may apply in its bands besides its folded batch norms: the residual add
 * right after them (two operands) and the point-wise activation after it, if any (an in-place
 * kernel, no weights); null when the member after the folds is no residual add.
 */
export function residualTail(group: RunGroup, folded: number): { add: RunMember; act: RunMember | null } | null {
  const add = group.members[folded];
  if (!add || add.kind !== 'residualAdd' || group.residual === null || add.a.layer.inputs.length !== 2) return null;
  const next = group.members[folded + 1];
  const op = next?.a.op;
  const act = next?.kind === 'activation' && op?.runInPlace && op.fusesIntoConvEpilogue && next.a.inferred?.weights.length === 0 ? next : null;
  return { add, act };
}

/** The groups to run fused, or none when `skip` (training, or fusion turned off). `captured` are the tensor names the run returns besides the outputs. */
export function planFusions(graph: Graph, inference: Inference, skip: boolean, captured: ReadonlySet<string>): FusionPlan {
  if (skip) return NO_FUSION;
  const plan: FusionPlan = { groups: new Map(), memberOf: new Map() };
  for (const chain of fusionChains(graph, inference, captured).chains) {
    const members: RunMember[] = [];
    let cur = chain.host.layer.outputs[0];
    for (const m of chain.members) {
      if (captured.has(m.a.layer.outputs[0])) break;
      members.push({ a: m.a, kind: m.kind, target: m.a.layer.inputs.indexOf(cur) });
      cur = m.a.layer.outputs[0];
    }
    if (members.length === 0) continue;
    const group: RunGroup = { host: chain.host, members, residual: members.some((m) => m.kind === 'residualAdd') ? chain.residual : null };
    plan.groups.set(chain.host.layer.name, group);
    for (const m of members) plan.memberOf.set(m.a.layer.name, group);
  }
  return plan;
}

const filled = (n: number, v: number) => new Float32Array(n).fill(v);

/** γ, β, μ, σ² and ε of an inference batch norm (γ = 1, β = 0 without affine), from its weights by role. */
function bnParameters(bn: AnalysedLayer, weights: Record<string, Tensor>) {
  const attrs = bn.layer.attrs as BatchNormAttrs;
  const mean = weights.runningMean.data;
  const c = mean.length;
  return {
    gamma: attrs.affine ? weights.weight.data : filled(c, 1),
    beta: attrs.affine ? weights.bias.data : filled(c, 0),
    mean,
    variance: weights.runningVar.data,
    eps: attrs.eps,
  };
}

/**
 * Bytes the host's step allocates when its group runs fused, beyond the host's own weights
 * (runtime/run-memory.ts counts those; the executor asks for both, execute.ts): the members that
 * run in the host's step draw their weights there (`memberBytes`: a batch norm's γ, β, μ, σ²),
 * and foldGroup writes the folded weight into new scratch unless the host's weight already is
 * this step's scratch (`hostInScratch`: decoded from the file), and each fold's bias into new
 * scratch (one value per output channel), with γ = 1 and β = 0 made for a batch norm without
 * affine (bnParameters). A seeded or in-place weight is thus held twice while its fold is made:
 * ResNet-18's layer4 3×3 convs, 512·512·9 values, 9,437,184 bytes each. (A fold made as the conv
 * packs its weight, foldGroup's `onRead`, makes no such copy: counted all the same, an upper bound.)
 */
export function fusedStepBytes(group: RunGroup, memberBytes: (a: AnalysedLayer) => number, hostInScratch: boolean): number {
  let bytes = 0;
  for (const m of group.members) bytes += memberBytes(m.a);
  const weight = group.host.inferred?.weights.find((w) => w.name === 'weight');
  if (!group.host.op?.foldsBatchNormIntoWeights || !weight) return bytes;
  let copied = hostInScratch;
  for (const m of group.members) {
    if (m.kind !== 'foldBatchNorm') break;
    if (!copied) bytes += numel(weight.shape) * 4;
    copied = true;
    const channels = m.a.inferred?.weights.find((w) => w.name === 'runningMean')?.shape[0] ?? 0;
    bytes += channels * 4 * ((m.a.layer.attrs as BatchNormAttrs).affine ? 1 : 3);
  }
  return bytes;
}

/**
 * The host's weights with the leading batch norms folded in, and how many were folded; only for a
 * host whose weight is output-channel-first (otherwise the weights unchanged and 0). The folded
 * weight and bias are written into the store's buffers (runtime/weight-store.ts: this step's
 * scratch, or kept by a model-cache store when `key` says where every weight involved comes from:
 * the file, or seeded initialisation with one seed; null, for weights given with the request,
 * folds afresh). A kept fold is reused as it is: the next run of the model folds nothing.
 * `onRead` (a step not split across a team): one batch norm folded into a host that scales its
 * weight as it reads it (OpDef.scalesWeightOnRead, conv2d: as its GEMM packs it) is not written
 * into a copy of the weight unless a kept store keeps the fold: the weight is read in place and
 * its factors k are returned as `scale` (RunContext.weightScale), the bias folded into scratch.
 * ResNet-18's layer4 3×3 convs then hold no 9.4 MB fold besides the file (its peak RSS).
 */
export function foldGroup(
  group: RunGroup,
  key: string | null,
  weightsOf: (a: AnalysedLayer, inPlace?: boolean) => Record<string, Tensor>,
  store: WeightStore,
  onRead = false,
): { weights: Record<string, Tensor>; folded: number; scale?: Float64Array } {
  const host = group.host.layer.name;
  // a kept fold is the host's whole weights record: nothing is decoded again
  // or another cache entry's of this model (the same weights at another input size), when its weight has this shape
  const leading = group.members.findIndex((m) => m.kind !== 'foldBatchNorm');
  const kept = key === null ? undefined : store.foldedOf(host, key, group.host.inferred?.weights.find((w) => w.name === 'weight')?.shape, leading < 0 ? group.members.length : leading);
  if (kept) return kept;
  // a weight about to be folded is decoded into scratch and folded there in place: read in place
  // in the file (WeightStore.values), it would cost a move down and back besides the scratch the
  // fold writes (ResNet-50's first run 3.6 % slower, no memory saved)
  const folds = group.host.op?.foldsBatchNormIntoWeights === true && group.members[0]?.kind === 'foldBatchNorm';
  const lazy = onRead && folds && group.host.op?.scalesWeightOnRead === true && group.members[1]?.kind !== 'foldBatchNorm' && !(key !== null && store.keep);
  const hostWeights = weightsOf(group.host, !folds || lazy);
  if (lazy && hostWeights.weight) {
    const bn = bnParameters(group.members[0].a, weightsOf(group.members[0].a));
    const scale = new Float64Array(bn.gamma.length);
    const b = store.scratch(bn.gamma.length);
    foldInto(new Float32Array(0), hostWeights.bias?.data ?? null, bn, new Float32Array(0), b, scale);
    return { weights: { ...hostWeights, bias: tensor([b.length], b) }, folded: 1, scale };
  }
  if (!group.host.op?.foldsBatchNormIntoWeights || !hostWeights.weight) return { weights: hostWeights, folded: 0 };
  const shape = hostWeights.weight.shape;
  // kept only when weight and bias are all it has (any other role may be this step's scratch)
  const keep = key !== null && store.keep && Object.keys(hostWeights).every((r) => r === 'weight' || r === 'bias');
  let weight = hostWeights.weight.data;
  let bias: Float32Array | null = hostWeights.bias?.data ?? null;
  let folded = 0;
  for (const m of group.members) {
    if (m.kind !== 'foldBatchNorm') break;
    const bn = bnParameters(m.a, weightsOf(m.a));
    // each fold reads the previous one's float32 result, as foldBatchNorm applied in turn does;
    // a weight decoded into this step's scratch is folded in place (element by element: the same values)
    const w = store.isScratch(weight) ? weight : store.scratch(weight.length);
    const b = store.scratch(bn.gamma.length);
    foldInto(weight, bias, bn, w, b);
    [weight, bias] = [w, b];
    folded++;
  }
  if (folded === 0) return { weights: hostWeights, folded: 0 };
  const weights = { ...hostWeights, weight: tensor(shape, weight), bias: tensor([bias!.length], bias!) };
  if (keep) store.keepFolded(host, { key: key!, weights, folded });
  return { weights, folded };
}

/**
 * An inference batch norm on `x` in place: x·s + t per channel (dim 1), s = γ/√(σ² + ε),
 * t = β − μ·s, in float64 as batchNorm2d's kernel computes it, so the value is the same.
 */
export function batchNormInPlace(x: Tensor, bn: AnalysedLayer, weights: Record<string, Tensor>): void {
  const p = bnParameters(bn, weights);
  const [n, c] = x.shape;
  const plane = x.data.length / (n * c);
  const d = x.data;
  for (let ch = 0; ch < c; ch++) {
    const scale = p.gamma[ch] / Math.sqrt(p.variance[ch] + p.eps);
    const shift = p.beta[ch] - p.mean[ch] * scale;
    for (let b = 0; b < n; b++) {
      const o = (b * c + ch) * plane;
      for (let i = o; i < o + plane; i++) d[i] = d[i] * scale + shift;
    }
  }
}

/**
 * The BN fold of ops/norm.ts foldBatchNorm into `out` buffers: w' = w·k and b' = (b − μ)·k + β
 * per output channel, k = γ/√(σ² + ε) in float64.
 */
export function foldInto(
  weight: Float32Array,
  bias: Float32Array | null,
  bn: { gamma: Float32Array; beta: Float32Array; mean: Float32Array; variance: Float32Array; eps: number },
  outWeight: Float32Array,
  outBias: Float32Array,
  /** Each channel's k, when given (foldGroup's scale: the weight is scaled as it is read, so `weight` is empty). */
  outScale?: Float64Array,
): void {
  const cout = bn.gamma.length;
  const per = weight.length / cout;
  for (let c = 0; c < cout; c++) {
    const k = bn.gamma[c] / Math.sqrt(bn.variance[c] + bn.eps);
    if (outScale) outScale[c] = k;
    const o = c * per;
    for (let i = 0; i < per; i++) outWeight[o + i] = weight[o + i] * k;
    outBias[c] = ((bias ? bias[c] : 0) - bn.mean[c]) * k + bn.beta[c];
  }
}
