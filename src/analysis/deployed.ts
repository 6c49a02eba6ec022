/**
 * The deployed graph: the report's costs after the standard inference fusions, beside the trained
 * graph's. A fusion group starts at a weighted layer (conv, convTranspose, deformConv, linear: a
 * GEMM with an epilogue, `OpDef.weighted`) and takes, in this order, the layers that read its
 * value and nothing else:
 *
 *   host → [batch norm …] → [residual add] → [activation]
 *
 *   - batch norm (`OpDef.foldsIntoPrecedingConv(attrs)`: running statistics) folds into the host's
 *     weights and bias, w' = w·γ/σ, b' = (b − μ)·γ/σ + β: its γ, β, running mean and variance and
 *     its element-wise FLOPs vanish; a host without a bias gains one (Cout parameters, read once,
 *     and one add per output under `includeBias`). Only where the channel axis is dim 1 of the
 *     host's output: convolutions of any spatial rank (their plan holds the window geometry), and
 *     linear layers with a 2-d output;
 *   - a residual add (`OpDef.addsIntoConvEpilogue`) of exactly two tensors of the output's shape,
 *     the other one a computed tensor (not a constant): the epilogue reads it as it writes, so the
 *     add's FLOPs stay and the shortcut is still read once, but the host's output is neither
 *     written nor read back (cuDNN's conv-bias-add-activation, TensorRT, ONNX Runtime FusedConv);
 *   - a point-wise activation (`OpDef.fusesIntoConvEpilogue`): applied as each output is written;
 *     its FLOPs stay (counted in the group), its read and write of the tensor vanish.
 *
 * Legal only where nothing else needs an intermediate value: each tensor between two members has
 * exactly one reader among the executed layers and is not a graph output. When both operands of
 * an add come from such chains (ResNet's downsampling block), the chain whose host runs last
 * absorbs it (the epilogue reads the other operand, which must exist by then: the executor runs
 * these groups as they are; layers run in the order given, each once its inputs exist: graph/walks.ts
 * topologicalOrder); the other keeps its conv + BN and
 * writes the shortcut. An add whose later operand no chain can take (a pooled branch) stays with
 * the earlier host, which the executor then runs in place once that operand exists. The group's
 * deployed memory access is the host's inputs and weights (+ the new bias), the residual operand, and the last
 * member's output, and the weights its fused activations hold (PReLU slopes). MACs never change. Layers outside groups keep their trained costs; layers no
 * declared output depends on take no part (as in the report's totals).
 */
import { z } from 'zod';
import type { Graph } from '../graph/graph.js';
import { executedLayers, graphOutputs } from '../graph/walks.js';
import { numel } from '../ops/types.js';
import type { AnalysedLayer, Inference } from './infer.js';
import { FLOP_CONVENTIONS } from './report.js';
import type { FlopConvention, LayerReport, Report } from './report.js';

export const FUSION_KINDS = ['foldBatchNorm', 'residualAdd', 'activation'] as const;
export type FusionKind = (typeof FUSION_KINDS)[number];

const FlopsByConvention = z.object({ '2macs': z.number(), macs: z.number(), exact: z.number() });
const MemoryAccess = z.object({
  elements: z.object({ inputs: z.number(), outputs: z.number(), weights: z.number(), total: z.number() }),
  bytes: z.number(),
});
const CostsSchema = z.object({
  params: z.number().describe('trainable parameters'),
  buffers: z.number().describe('non-trainable state (BN running statistics)'),
  macs: z.number(),
  flops: z.number().describe("FLOPs under the report's convention (conventions.flops)"),
  flopsByConvention: FlopsByConvention,
  memoryAccess: MemoryAccess,
});
export type Costs = z.infer<typeof CostsSchema>;

const DropSchema = z.object({
  bytes: z.number().describe('trained memory access − deployed, in bytes'),
  percent: z.number().nullable().describe('the drop as a percentage of the trained memory access (null when that is 0)'),
});

export const FusedGroupSchema = z.object({
  host: z.string().describe('the weighted layer (conv, linear) whose epilogue absorbs the others'),
  layers: z.array(z.string()).describe('the host, then the layers fused into it, in execution order'),
  fusions: z.array(z.enum(FUSION_KINDS)).describe('what each fused layer is, in the order of `layers` after the host'),
  output: z.string().describe('the one tensor the group writes'),
  residual: z.string().nullable().describe('the tensor the epilogue adds (residualAdd), else null'),
  biasAdded: z.boolean().describe('the host had no bias and gains one from a folded batch norm'),
  trained: CostsSchema.describe('the members as separate layers'),
  deployed: CostsSchema.describe('the one fused layer'),
  memoryDrop: DropSchema,
});
export type FusedGroup = z.infer<typeof FusedGroupSchema>;

export const DeployedReportSchema = z
  .object({
    dtype: z.string().describe('element type memory access is counted in (the analysis dtype)'),
    bytesPerElement: z.number(),
    flops: z.enum(FLOP_CONVENTIONS).describe("the report's FLOP convention, which `flops` fields use"),
    fusions: z.array(z.string()).describe('the rules applied, with the conditions under which each is legal'),
    groups: z.array(FusedGroupSchema),
    unfused: z
      .array(z.object({ layer: z.string(), op: z.string(), reason: z.string() }))
      .describe('batch norms, activations and adds that could have fused by kind but did not, and why'),
    kernels: z.object({ trained: z.number(), deployed: z.number() }).describe('executed layers before and after fusion'),
    trained: CostsSchema.describe("the report's totals"),
    deployed: CostsSchema,
    memoryDrop: DropSchema,
    complete: z.boolean().describe('false when some layers could not be analysed: the totals are lower bounds'),
  })
  .describe('The deployed (inference-fused) graph beside the trained one: BN folded into convs, conv + add + activation fused');
export type DeployedReport = z.infer<typeof DeployedReportSchema>;

export const DEPLOYED_FUSIONS = [
  'foldBatchNorm: a batch norm with running statistics reading a conv/linear output (channel axis dim 1) folds into its weights and bias (w\' = w·γ/σ, b\' = (b − μ)·γ/σ + β); a host without a bias gains one',
  'residualAdd: an add of exactly two same-shape computed tensors, one of them the chain\'s, is done in the epilogue (the other tensor is read there); when both come from such chains, the host that runs last takes it',
  'activation: a point-wise activation after the chain is applied in the epilogue as each output is written',
  'legal only where each intermediate tensor has a single reader and is not a graph output; order conv → BN → add → activation',
];

const ZERO: Costs = {
  params: 0,
  buffers: 0,
  macs: 0,
  flops: 0,
  flopsByConvention: { '2macs': 0, macs: 0, exact: 0 },
  memoryAccess: { elements: { inputs: 0, outputs: 0, weights: 0, total: 0 }, bytes: 0 },
};

function costsOf(l: LayerReport): Costs {
  return { params: l.params, buffers: l.buffers, macs: l.macs, flops: l.flops, flopsByConvention: { ...l.flopsByConvention }, memoryAccess: structuredClone(l.memoryAccess) };
}

/** a + sign·b, field by field. */
function combine(a: Costs, b: Costs, sign: 1 | -1): Costs {
  const e = (k: keyof Costs['memoryAccess']['elements']) => a.memoryAccess.elements[k] + sign * b.memoryAccess.elements[k];
  return {
    params: a.params + sign * b.params,
    buffers: a.buffers + sign * b.buffers,
    macs: a.macs + sign * b.macs,
    flops: a.flops + sign * b.flops,
    flopsByConvention: Object.fromEntries(FLOP_CONVENTIONS.map((c) => [c, a.flopsByConvention[c] + sign * b.flopsByConvention[c]])) as Costs['flopsByConvention'],
    memoryAccess: {
      elements: { inputs: e('inputs'), outputs: e('outputs'), weights: e('weights'), total: e('total') },
      bytes: a.memoryAccess.bytes + sign * b.memoryAccess.bytes,
    },
  };
}

const drop = (trained: Costs, deployed: Costs) => {
  const bytes = trained.memoryAccess.bytes - deployed.memoryAccess.bytes;
  const t = trained.memoryAccess.bytes;
  return { bytes, percent: t > 0 ? Math.round((bytes / t) * 1e6) / 1e4 : null };
};

/** One fusion group: the host, then its members in execution order, and the residual operand the epilogue adds. */
export interface FusionChain {
  host: AnalysedLayer;
  members: { a: AnalysedLayer; kind: FusionKind }[];
  residual: string | null;
}

export interface FusionChains {
  chains: FusionChain[];
  /** Hosts and members of every chain. */
  claimed: Set<string>;
  /** Layers that could have fused by kind but did not, with the reason. */
  refused: Map<string, string>;
}

/**
 * At most this many readers named in a reason: every reader of a tensor gets the reason, so naming
 * them all made `unfused` grow as the square of a fan-out (10^4 layers reading one conv: ~240 MB).
 */
const NAMED_READERS = 8;
function readerNames(names: readonly string[]): string {
  return names.length <= NAMED_READERS ? names.join(', ') : `${names.slice(0, NAMED_READERS).join(', ')} and ${names.length - NAMED_READERS} more`;
}

/**
 * The fusion groups of the deployed graph (the rules in the header); the executor
 * (runtime/fuse.ts) runs the same groups. `mustWrite` names tensors that must be written as
 * graph outputs are (a run's captured tensors): they end a chain.
 */
export function fusionChains(graph: Graph, inference: Inference, mustWrite: ReadonlySet<string> = new Set()): FusionChains {
  const executed = executedLayers(graph);
  const steps = inference.analysed.filter((a) => !a.folded && executed.has(a.layer.name));
  const outputs = new Set([...graphOutputs(graph), ...mustWrite]);
  const readers = new Map<string, AnalysedLayer[]>();
  for (const a of steps) {
    for (const r of a.layer.inputs) {
      const list = readers.get(r);
      if (list) list.push(a);
      else readers.set(r, [a]);
    }
  }
  const isConstant = (t: string) => graph.constants.has(t) || inference.tensors.get(t)?.value != null;
  const fusible = (a: AnalysedLayer) => Boolean(a.op && (a.op.foldsIntoPrecedingConv || a.op.fusesIntoConvEpilogue || a.op.addsIntoConvEpilogue));
  const first = buildChains(new Set());
  // an add refused because its other operand comes later, which no later chain took either (an FPN's
  // lateral add of a pooled branch): the earlier host takes it after all, as the only one that can
  // (the executor runs it in place once that operand exists)
  const untaken = new Set([...first.late].filter((name) => !first.claimed.has(name)));
  const { chains, claimed, refused } = untaken.size === 0 ? first : buildChains(untaken);
  return { chains, claimed, refused };

  /** The chains in step order; an add whose other operand is computed after the host is left to a later chain, unless in `lateOk`. */
  function buildChains(lateOk: ReadonlySet<string>): FusionChains & { late: Set<string> } {
    const claimed = new Set<string>();
    const refused = new Map<string, string>();
    const chains: FusionChain[] = [];
    const late = new Set<string>();

    // the step that computes each tensor (a fused member's: its host's): a residual computed before
    // the host that adds it is ready in its epilogue (one computed after makes the add wait)
    const producedAt = new Map<string, number>();
    steps.forEach((a, i) => a.layer.outputs.forEach((t) => producedAt.set(t, i)));

    for (const [hostAt, host] of steps.entries()) {
      if (!host.op?.weighted || !host.inferred || host.layer.outputs.length !== 1 || claimed.has(host.layer.name)) continue;
      const hostShape = host.inferred.outputs[0];
      // BN's channels (dim 1) are the host's output channels for a convolution (a window over the
      // spatial axes: OpDef.windowedAxes; conv1d/2d/3d, transposed, deformable, quantized)
      // and for a linear layer with a 2-d output; not for attention over tokens [N, L, C], nor for a
      // convolution of one unbatched sample, whose output channels are dim 0 ([Cout, H', W'])
      const convolution = host.op.windowedAxes !== undefined && !host.op.mixesSpatialPositions;
      const channelAxisFirst = !host.inferred.unbatched && (hostShape.length === 2 || (hostShape.length >= 3 && convolution));
      const chain: FusionChain = { host, members: [], residual: null };
      let cur = host.layer.outputs[0];
      let stage = 0; // 0: BN may fold; 1: after the add; 2: after the activation (done)
      while (stage < 2) {
        const rs = readers.get(cur) ?? [];
        const next = rs[0];
        if (!next) break;
        if (outputs.has(cur) || rs.length !== 1 || next.layer.inputs.filter((r) => r === cur).length !== 1) {
          const why = outputs.has(cur) ? `'${cur}' is a graph output, so it must be written` : `'${cur}' has other readers (${readerNames(rs.map((r) => r.layer.name))}), so it must be written`;
          for (const r of rs) if (fusible(r) && !claimed.has(r.layer.name)) refused.set(r.layer.name, why);
          break;
        }
        const op = next.op;
        if (!op || !next.inferred || claimed.has(next.layer.name) || next.layer.outputs.length !== 1) break;
        let kind: FusionKind | null = null;
        let why: string | null = null;
        if (op.foldsIntoPrecedingConv) {
          if (stage > 0) why = 'it follows an add or activation: a batch norm folds only into the conv output it reads directly';
          else if (!op.foldsIntoPrecedingConv(next.layer.attrs)) why = 'it normalises with batch statistics (no running statistics): not a constant map';
          else if (!channelAxisFirst) why = `the batch norm's channels (dim 1) are not the output channels of '${host.layer.name}' (a convolution's, or a 2-d linear output's)`;
          else kind = 'foldBatchNorm';
        } else if (op.addsIntoConvEpilogue) {
          const others = next.layer.inputs.filter((r) => r !== cur);
          const same = next.inputShapes.every((s) => s.length === hostShape.length && s.every((d, k) => d === hostShape[k]));
          if (stage > 0) why = 'it follows an activation: the epilogue adds before it activates';
          else if (next.layer.inputs.length !== 2) why = 'it adds more than two tensors';
          else if (!same) why = 'it broadcasts an operand';
          else if (isConstant(others[0])) why = 'it adds a constant';
          else if (!lateOk.has(next.layer.name) && (producedAt.get(others[0]) ?? -1) > hostAt) {
            why = `its other operand '${others[0]}' is computed after '${host.layer.name}' runs`;
            late.add(next.layer.name);
          } else {
            kind = 'residualAdd';
            chain.residual = others[0];
          }
        } else if (op.fusesIntoConvEpilogue) {
          kind = 'activation';
        }
        if (!kind) {
          if (why && !claimed.has(next.layer.name)) refused.set(next.layer.name, why);
          break;
        }
        chain.members.push({ a: next, kind });
        stage = kind === 'foldBatchNorm' ? 0 : kind === 'residualAdd' ? 1 : 2;
        cur = next.layer.outputs[0];
      }
      const after = readers.get(cur) ?? [];
      if (stage === 2 && after.length === 1 && fusible(after[0]) && !claimed.has(after[0].layer.name)) {
        refused.set(after[0].layer.name, 'it follows an activation, which ends a fused chain (conv → BN → add → activation)');
      }
      if (chain.members.length === 0) continue;
      chains.push(chain);
      claimed.add(host.layer.name);
      for (const m of chain.members) {
        claimed.add(m.a.layer.name);
        refused.delete(m.a.layer.name);
        // a member's output is computed with its host
        producedAt.set(m.a.layer.outputs[0], hostAt);
      }
    }
    return { chains, claimed, refused, late };
  }
}

export function analyzeDeployed(graph: Graph, inference: Inference, report: Report): DeployedReport {
  const executed = executedLayers(graph);
  const steps = inference.analysed.filter((a) => !a.folded && executed.has(a.layer.name));
  const fusible = (a: AnalysedLayer) => Boolean(a.op && (a.op.foldsIntoPrecedingConv || a.op.fusesIntoConvEpilogue || a.op.addsIntoConvEpilogue));
  const { chains, claimed, refused } = fusionChains(graph, inference);

  const byName = new Map(report.layers.map((l) => [l.name, l]));
  const bytesPerElement = report.conventions.bytesPerElement;
  const convention = report.conventions.flops as FlopConvention;
  const includeBias = report.conventions.includeBias;

  const groups: FusedGroup[] = chains.map(({ host, members, residual }) => {
    const hostReport = byName.get(host.layer.name)!;
    const trained = [host, ...members.map((m) => m.a)].map((a) => costsOf(byName.get(a.layer.name)!)).reduce((s, c) => combine(s, c, 1), ZERO);
    const hostShape = host.inferred!.outputs[0];
    const hasBias = host.inferred!.weights.some((w) => w.name === 'bias');
    const biasAdded = !hasBias && members.some((m) => m.kind === 'foldBatchNorm');
    const bias = biasAdded ? hostShape[1] : 0;
    const biasOps = biasAdded && includeBias ? numel(hostShape) : 0;
    const kept = members.filter((m) => m.kind !== 'foldBatchNorm').map((m) => byName.get(m.a.layer.name)!);
    const flopsByConvention = Object.fromEntries(
      FLOP_CONVENTIONS.map((c) => [c, hostReport.flopsByConvention[c] + (c === 'macs' ? 0 : biasOps) + kept.reduce((s, l) => s + l.flopsByConvention[c], 0)]),
    ) as Costs['flopsByConvention'];
    const last = members[members.length - 1].a;
    const outputElems = numel(last.inferred!.outputs[0]);
    const residualElems = residual ? numel(inference.tensors.get(residual)?.shape ?? []) : 0;
    const elements = {
      inputs: hostReport.memoryAccess.elements.inputs + residualElems,
      outputs: outputElems,
      // the epilogue still reads what its fused ops hold (a PReLU's slopes, a layer scale's γ)
      weights: hostReport.memoryAccess.elements.weights + bias + kept.reduce((s, l) => s + l.memoryAccess.elements.weights, 0),
      total: 0,
    };
    elements.total = elements.inputs + elements.outputs + elements.weights;
    const deployed: Costs = {
      params: hostReport.params + bias + kept.reduce((s, l) => s + l.params, 0),
      buffers: hostReport.buffers + kept.reduce((s, l) => s + l.buffers, 0),
      macs: hostReport.macs,
      flops: flopsByConvention[convention],
      flopsByConvention,
      memoryAccess: { elements, bytes: elements.total * bytesPerElement },
    };
    return {
      host: host.layer.name,
      layers: [host.layer.name, ...members.map((m) => m.a.layer.name)],
      fusions: members.map((m) => m.kind),
      output: last.layer.outputs[0],
      residual,
      biasAdded,
      trained,
      deployed,
      memoryDrop: drop(trained, deployed),
    };
  });

  const t = report.totals;
  const trained: Costs = { params: t.params, buffers: t.buffers, macs: t.macs, flops: t.flops, flopsByConvention: { ...t.flopsByConvention }, memoryAccess: structuredClone(t.memoryAccess) };
  const deployed = groups.reduce((s, g) => combine(combine(s, g.trained, -1), g.deployed, 1), trained);
  const unfused = steps
    .filter((a) => fusible(a) && !claimed.has(a.layer.name) && a.inferred)
    .map((a) => ({
      layer: a.layer.name,
      op: a.layer.op,
      reason: refused.get(a.layer.name) ?? 'it does not read the output of a conv or linear layer (or of a chain fused into one)',
    }));
  const kernelsTrained = report.layers.filter((l) => l.executed).length;
  return {
    dtype: report.conventions.dtype,
    bytesPerElement,
    flops: convention,
    fusions: DEPLOYED_FUSIONS,
    groups,
    unfused,
    kernels: { trained: kernelsTrained, deployed: kernelsTrained - groups.reduce((s, g) => s + g.layers.length - 1, 0) },
    trained,
    deployed,
    memoryDrop: drop(trained, deployed),
    complete: t.complete,
  };
}
