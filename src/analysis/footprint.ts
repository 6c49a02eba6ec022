/**
 * torchinfo's memory footprint, reproduced from its definitions (TylerYep/torchinfo,
 * torchinfo/model_statistics.py `ModelStatistics.__init__` and `__repr__`, torchinfo/torchinfo.py
 * `get_total_memory_used` and the forward hook, torchinfo/layer_info.py `calculate_num_params`;
 * read at commit 5c4164f1e2e185ce33c597dbe00535bf8ed2b930):
 *
 *   Input size                  Σ over input tensors of sys.getsizeof(tensor.untyped_storage())
 *   Forward/backward pass size  Σ over executed leaf modules that have parameters (num_params > 0)
 *                               of output_bytes × 2 ("x2 for gradients"); output_bytes = elements of
 *                               the (first) output × its element size. Layers without parameters
 *                               (ReLU, pooling, add) are not counted at all, nor parameters a module
 *                               with children holds (conventions/torchinfo.ts TORCHINFO_LEAF_FAMILIES)
 *   Params size                 Σ over the model's parameters of element_size × count: parameters
 *                               only, buffers (BN running statistics) excluded
 *   Estimated Total Size        the sum of the three
 *
 * Each printed as torchinfo's `format_output_num` does with its default units (AUTO): divided by
 * 1e3/1e6/1e9/1e12 (kB, MB, GB, TB) by magnitude, two decimals, thousands separators.
 *
 * Here a leaf module with parameters is an executed convlens layer with params > 0 whose op family
 * PyTorch implements as such a module (conv, linear, the norms, PReLU): not attention, a layer
 * scale, a class token or a position embedding, whose parameters sit on a module with children
 * (ConvNeXt's CNBlock, ViT's Encoder, nn.MultiheadAttention, Swin's ShiftedWindowAttention), but
 * the modules with parameters such a module calls as modules in its forward, which the op names
 * (OpDef.innerModuleOutputs: Swin V2's cpb_mlp Linears; swin_v2_t 116,793,152 → 128,100,752 B, torchinfo's).
 * Their sizes come from the layer's plan, which the analysis (Inference) holds and a report does not:
 * from a report alone (footprintFromReport: the HTML report without the memory analysis) a network
 * with such a layer has no figure, and says why, rather than one short of torchinfo's.
 * An ONNX file has no modules: its layers are read by the same families (a decomposed attention's
 * projections are linear layers there, where torchinfo skips them). Every tensor has the analysis dtype's element size, and the input size is the tensors'
 * bytes: sys.getsizeof adds the Python storage object's own size (about 60 bytes per input in
 * torchinfo's published resnet18 output, 49.21 kB for 49,152 bytes), which a static analysis
 * cannot know. With those assumptions the figures equal torchinfo's published ones for resnet50
 * (tests/test_output/resnet50.out) and resnet18 (tests/test_output/resnet18_depth_consistency.out).
 */
import { z } from 'zod';
import { FAMILY_OF } from '../conventions/families.js';
import { TORCHINFO_LEAF_FAMILIES } from '../conventions/torchinfo.js';
import { OPS_BY_NAME } from '../ops/registry.js';
import { numel } from '../ops/types.js';
import type { LayerReport, Report } from './report.js';
import type { Inference } from './infer.js';

export const TORCHINFO_SOURCE =
  'TylerYep/torchinfo, torchinfo/model_statistics.py (ModelStatistics), torchinfo/torchinfo.py (get_total_memory_used, forward hook), torchinfo/layer_info.py (calculate_num_params), commit 5c4164f1e2e185ce33c597dbe00535bf8ed2b930';

export const TorchinfoFootprintSchema = z
  .object({
    inputBytes: z.number().describe("bytes of the input tensors (torchinfo's sys.getsizeof adds ~60 bytes of Python object per input)"),
    forwardBackwardBytes: z.number().describe('2 × Σ output bytes of the executed layers that are leaf modules with parameters in PyTorch (conv, linear, norms, PReLU; not attention, layer scale, class token, position embedding)'),
    paramsBytes: z.number().describe('parameters × element size (buffers excluded, as torchinfo)'),
    totalBytes: z.number().describe('input + forward/backward + params'),
    lines: z.array(z.string()).describe("the four lines as torchinfo prints them, e.g. 'Params size (MB): 46.76'"),
    source: z.string(),
  })
  .describe("torchinfo's footprint (summary's last block), reproduced from its source");
export type TorchinfoFootprint = z.infer<typeof TorchinfoFootprintSchema>;

const UNITS: [number, string][] = [
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];

/** `{x:,.2f}` as Python prints it: round half to even on the binary value, thousands separators. */
function fixed2(x: number): string {
  let s = x.toFixed(2);
  const scaled = x * 100;
  // toFixed breaks an exact binary tie upwards; Python's correctly rounded format goes to even.
  if (Number.isInteger(scaled * 2) && !Number.isInteger(scaled) && Math.floor(scaled) % 2 === 0) s = (Math.floor(scaled) / 100).toFixed(2);
  const [int, frac] = s.split('.');
  return `${group(int)}.${frac}`;
}

const group = (digits: string) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** torchinfo's `ModelStatistics.format_output_num(num, Units.AUTO, True)` with its label. */
export function torchinfoLine(label: string, bytes: number): string {
  const unit = UNITS.find(([f]) => bytes >= f);
  const value = unit ? bytes / unit[0] : bytes;
  const shown = Number.isInteger(value) ? group(String(value)) : fixed2(value);
  return `${label}${unit ? ` (${unit[1]}B)` : ''}: ${shown}`;
}

/** A layer torchinfo's forward hook sees as a leaf module with parameters (see the header). */
function leafWithParams(l: LayerReport): boolean {
  if (!l.executed || l.params <= 0 || !l.outputShape) return false;
  const op = OPS_BY_NAME.get(l.op);
  const family = op ? FAMILY_OF.get(op) : undefined;
  return family !== undefined && TORCHINFO_LEAF_FAMILIES.has(family);
}

/** torchinfo's footprint of an analysed network: its report, and its inference for the modules inside a layer (OpDef.innerModuleOutputs). */
export function torchinfoFootprint(report: Report, inference: Inference): TorchinfoFootprint {
  const executed = new Set(report.layers.filter((l) => l.executed).map((l) => l.name));
  let innerElements = 0;
  for (const a of inference.analysed) {
    if (!a.inferred || !a.op?.innerModuleOutputs || !executed.has(a.layer.name)) continue;
    for (const shape of a.op.innerModuleOutputs(a.inferred.plan)) innerElements += numel(shape);
  }
  return footprintOf(report, innerElements);
}

/** What footprintFromReport answers when the report alone cannot give torchinfo's figure. */
export interface FootprintUnknown {
  unknown: string;
}

/**
 * torchinfo's footprint from a report alone, or why it cannot be known: an executed layer whose op
 * runs modules with parameters inside it (OpDef.innerModuleOutputs) adds their outputs, sized by
 * the layer's plan, which the report does not hold.
 */
export function footprintFromReport(report: Report): TorchinfoFootprint | FootprintUnknown {
  const inner = report.layers.filter((l) => l.executed && OPS_BY_NAME.get(l.op)?.innerModuleOutputs !== undefined);
  if (inner.length === 0) return footprintOf(report, 0);
  const named = inner.slice(0, 3).map((l) => `'${l.name}' (${l.op})`).join(', ') + (inner.length > 3 ? `, … (${inner.length} in all)` : '');
  return {
    unknown: `torchinfo's footprint needs the memory analysis here: ${named} run modules with parameters inside them (as Swin V2's position-bias MLP, MViT's attention pools and projections), whose outputs torchinfo counts and whose sizes the report alone does not hold`,
  };
}

/** The figures, with `innerElements` output elements of modules inside layers (counted twice, as every leaf's). */
function footprintOf(report: Report, innerElements: number): TorchinfoFootprint {
  const bytes = report.conventions.bytesPerElement;
  const inputBytes = report.inputs.reduce((s, i) => s + numel(i.shape) * bytes, 0);
  const leaves = report.layers.reduce((s, l) => (leafWithParams(l) ? s + numel(l.outputShape!) : s), 0);
  const forwardBackwardBytes = (leaves + innerElements) * bytes * 2;
  const paramsBytes = report.totals.params * bytes;
  const totalBytes = inputBytes + forwardBackwardBytes + paramsBytes;
  return {
    inputBytes,
    forwardBackwardBytes,
    paramsBytes,
    totalBytes,
    lines: [
      torchinfoLine('Input size', inputBytes),
      torchinfoLine('Forward/backward pass size', forwardBackwardBytes),
      torchinfoLine('Params size', paramsBytes),
      torchinfoLine('Estimated Total Size', totalBytes),
    ],
    source: TORCHINFO_SOURCE,
  };
}
