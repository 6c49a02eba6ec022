/**
 * nn.Linear's bias as torch.onnx.export writes it for an input of rank 3 or more (a ViT's tokens,
 * ConvNeXt's channels-last MLP, nn.MultiheadAttention's projections): a MatMul by the weight, which
 * the importer reads as a linear layer without a bias, then an Add of the bias [out] (a Gemm, for a
 * 2-D input, carries its bias itself). The tools count the module: ptflops' linear hook adds
 * out per row for the bias, ptflops' aten backend addmm's bias on 3-D inputs, torchinfo the bias
 * elements per row, onnx-tool the Add; without the pairing every preset counting linear biases
 * left them out on such a file (ViT-style encoder of 2 layers at d 64: ptflops-aten 13,056 short).
 *
 * A pair: a linear layer without a bias whose only reader is an add of its output (same shape out)
 * and a constant of the linear's out features ([out], or [1, …, out]), the linear's output no graph
 * output. The linear counts with that bias; the add counts 0 under every preset (onnx-tool's Add is
 * the linear's bias add then, counted once).
 *
 * Whether PyTorch's 3-D input was contiguous: aten::linear takes addmm (ptflops-aten counts the
 * bias) only for a contiguous one; a transposed view read directly (nn.Linear on x.transpose(1, 2))
 * goes through matmul + add_, which ptflops-aten does not count. The file writes the view as the
 * Transpose before the MatMul (onnx-strides.ts): such a linear is `strided`. Measured
 * (cases.json linearStrided, test/fixtures/conventions/linear_strided.op17.onnx): nn.Linear(4, 6)
 * on x.transpose(1, 2) of 1×4×5, ptflops-aten 120 (no bias), where the pairing counted 150.
 * What the file cannot show: a .contiguous() after the transpose (no node): that linear reads as
 * the view (test/fixtures/onnx/linear-bias/tokens.onnx: ptflops-aten 4,096 under the tool).
 */
import type { Inference } from '../analysis/infer.js';
import type { Report } from '../analysis/report.js';
import { FAMILY_OF } from './families.js';
import { stridedView } from './onnx-strides.js';

export interface LinearBiases {
  /** linear layer → the bias's shape as the add reads it */
  biasOf: Map<string, number[]>;
  /** add layer → the linear layer whose bias it adds */
  addOf: Map<string, string>;
  /** linear layers of a paired bias whose 3-D input was a non-contiguous view (aten::linear: matmul + add_) */
  strided: Set<string>;
}

export function linearBiases(inference: Inference, report: Pick<Report, 'inputs' | 'outputs'>): LinearBiases {
  const biasOf = new Map<string, number[]>();
  const addOf = new Map<string, string>();
  const producer = new Map<string, string>();
  const readers = new Map<string, string[]>();
  for (const a of inference.analysed) {
    for (const o of a.layer.outputs) producer.set(o, a.layer.name);
    for (const i of a.layer.inputs) readers.set(i, [...(readers.get(i) ?? []), a.layer.name]);
  }
  const inputs = new Set(report.inputs.map((i) => i.name));
  const outputs = new Set(report.outputs.map((o) => o.name));
  const byName = new Map(inference.analysed.map((a) => [a.layer.name, a]));
  const live = new Map(inference.analysed.filter((a) => !a.folded).flatMap((a) => a.layer.outputs.map((o) => [o, a] as const)));
  const strided = new Set<string>();
  for (const a of inference.analysed) {
    if (!a.op || !a.inferred || a.folded || FAMILY_OF.get(a.op) !== 'linear' || a.inferred.weights.some((w) => w.name === 'bias')) continue;
    const y = a.layer.outputs[0];
    const shape = a.inferred.outputs[0];
    const out = shape?.at(-1);
    const reading = readers.get(y) ?? [];
    if (!shape || out === undefined || outputs.has(y) || reading.length !== 1) continue;
    const add = byName.get(reading[0]);
    if (!add?.op || !add.inferred || add.folded || FAMILY_OF.get(add.op) !== 'add' || add.layer.inputs.length !== 2) continue;
    const k = add.layer.inputs.indexOf(y);
    if (k < 0) continue;
    const other = add.layer.inputs[1 - k];
    const b = add.inputShapes[1 - k];
    const constant = other !== y && !producer.has(other) && !inputs.has(other);
    const perFeature = b !== undefined && b.length >= 1 && b.length <= shape.length && b.at(-1) === out && b.slice(0, -1).every((d) => d === 1);
    const sameShape = JSON.stringify(add.inferred.outputs[0]) === JSON.stringify(shape);
    if (!constant || !perFeature || !sameShape) continue;
    biasOf.set(a.layer.name, [out]);
    addOf.set(add.layer.name, a.layer.name);
    if (stridedView(live, a.layer.inputs[0], a.inputShapes[0])) strided.add(a.layer.name);
  }
  return { biasOf, addOf, strided };
}
