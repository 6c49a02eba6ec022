/**
 * Provenance: every per-layer number of a report explains itself. For each analysed layer, the
 * formula of its parameters, MACs, the parts of its FLOPs (exact multiply+add count, bias adds,
 * element-wise work) and its FLOPs under each convention, with the values substituted:
 *
 *   115,605,504 = N 1 · Cout 64 · H'W' 56·56 · Cin/g 64 · k 3·3
 *
 * The values are read from the layer's shapes and attributes, and the formulas restate the op
 * headers in src/ops (conv.ts, conv-transpose.ts, deform-conv.ts, linear.ts, norm.ts, pool.ts,
 * upsample.ts, activation.ts, merge.ts, reduction.ts; the families of issue 10 in
 * explain-families.ts); the substituted expression is evaluated and
 * compared with the figure the report carries (`agrees`), so an explanation can never silently
 * disagree with the number it explains (test/conventions/explain.test.ts checks every layer of
 * every zoo model).
 */
import { z } from 'zod';
import type { AnalysedLayer, Inference } from '../analysis/infer.js';
import type { LayerReport, Report } from '../analysis/report.js';
import { coveredPositions } from '../ops/conv-transpose.js';
import { pair } from '../ops/geometry.js';
import { numel } from '../ops/types.js';
import { layerFacts, resampleMode } from './families.js';
import { convAsBatchOfOne } from './unbatched-convs.js';
import { morePartsOf, poolLeading, resizeElementwise } from './explain-families.js';
import { resize } from '../ops/resize.js';
import { L, V, ZERO, add, dims, evaluate, fmt, mul, render, sub } from './explain-expr.js';
import type { Expr, Parts } from './explain-expr.js';
import { FAMILIES } from './types.js';
import type { Family, LayerFacts } from './types.js';

export const FormulaSchema = z.object({
  value: z.number().describe('the substituted expression, evaluated'),
  reported: z.number().describe('the figure the report carries'),
  agrees: z.boolean().describe('value === reported'),
  formula: z.string().describe('"value = expression with the values substituted"'),
});
export type Formula = z.infer<typeof FormulaSchema>;

export const LayerExplanationSchema = z
  .object({
    name: z.string(),
    op: z.string(),
    family: z.enum(FAMILIES),
    params: FormulaSchema.describe('trainable parameters'),
    macs: FormulaSchema.describe('multiply-accumulates (conv, convTranspose, deformConv, linear, matmul)'),
    exactMacOps: FormulaSchema.describe('every multiply and add of the MAC part (K·K·M/g products need K·K·M/g − 1 additions per output)'),
    biasOps: FormulaSchema.describe('bias additions, one per output element of a layer with a bias'),
    elementwise: FormulaSchema.describe('FLOPs of everything that is not a multiply-accumulate'),
    flops: z.object({ '2macs': FormulaSchema, macs: FormulaSchema, exact: FormulaSchema }).describe('FLOPs under each convention of the report'),
    memoryBytes: FormulaSchema.describe("memory access in bytes: (input + output + weight elements) · bytes per element of the report's dtype, every output of a layer of several"),
    agrees: z.boolean().describe('every formula of the layer agrees with its reported figure'),
  })
  .describe("one layer's figures, each with its formula and the values substituted");
export type LayerExplanation = z.infer<typeof LayerExplanationSchema>;

export const ExplanationSchema = z.object({
  layers: z.array(LayerExplanationSchema).describe('every analysed layer, in report order'),
  agrees: z.boolean().describe('every formula of every layer agrees with the report'),
});
export type Explanation = z.infer<typeof ExplanationSchema>;

function formula(e: Expr, reported: number): Formula {
  const value = evaluate(e);
  // a literal 0 needs no equation: the op does none of this work
  const text = e.k === 'lit' && e.v === 0 ? '0' : `${fmt(value)} = ${render(e)}`;
  return { value, reported, agrees: value === reported, formula: text };
}


const kernel = (f: LayerFacts): [number, number] => pair(f.attrs.kernelSize as number | [number, number]);
const trainable = (f: LayerFacts) => f.weights.filter((w) => w.trainable);
const hasBias = (f: LayerFacts) => trainable(f).some((w) => w.name === 'bias');
const biasOf = (f: LayerFacts, label: string, channels: number): Expr[] => (hasBias(f) ? [V(label, channels)] : []);

/** Per-element FLOPs of the element-wise families (src/ops/activation.ts header). */
const PER_ELEMENT: Partial<Record<Family, number>> = { relu: 1, relu6: 2, leakyRelu: 2, sigmoid: 4, swish: 5, hardSigmoid: 4, hardSwish: 5, softmax: 5, dropout: 0, sigmoidLut: 3 };
/** Per-output FLOPs of resampling (src/ops/upsample.ts): a copy, 2×2 taps (4 mul + 3 add), 4×4 taps (16 mul + 15 add). */
const PER_RESAMPLED = { nearest: 0, linear: 7, cubic: 31 } as const;
/** deform-conv.ts: one bilinear sample is 4 multiplies + 3 adds; a mask adds one multiply. */
const BILINEAR_SAMPLE = 7;

function convParts(f: LayerFacts, deform: boolean): Parts {
  const x = f.inputs[0];
  const y = f.outputs[0];
  const g = (f.attrs.groups as number) ?? 1;
  const [kh, kw] = kernel(f);
  const out = [V('N', y[0]), V('Cout', y[1]), V("H'W'", y[2], y[3])];
  const perOutput = [V('Cin/g', x[1] / g), V('k', kh, kw)];
  let elementwise = ZERO;
  if (deform) {
    const masked = f.inputs.length > 2 && f.inputs[2].length > 0;
    const rate = masked ? add(V('bilinear', BILINEAR_SAMPLE), V('mask', 1)) : V('bilinear', BILINEAR_SAMPLE);
    elementwise = mul(V('N', x[0]), V('Cin', x[1]), V('k', kh, kw), V("H'W'", y[2], y[3]), rate);
  }
  return {
    macs: mul(...out, ...perOutput),
    exact: mul(sub(mul(L(2), ...perOutput), L(1)), ...out),
    bias: hasBias(f) ? mul(...out) : ZERO,
    elementwise,
    params: add(mul(V('Cout', y[1]), ...perOutput), ...biasOf(f, 'bias Cout', y[1])),
  };
}

function convTransposeParts(f: LayerFacts): Parts {
  const x = f.inputs[0];
  const y = f.outputs[0];
  const g = (f.attrs.groups as number) ?? 1;
  const [kh, kw] = kernel(f);
  const macs = mul(V('N', x[0]), V('Cin', x[1]), V('HW', x[2], x[3]), V('Cout/g', y[1] / g), V('k', kh, kw));
  const geo = f.geometry!;
  const reached = V('outputs reached N·Cout·h·w', y[0], y[1], coveredPositions(geo[0]), coveredPositions(geo[1]));
  return {
    macs,
    exact: sub(mul(L(2), V('MACs', evaluate(macs))), reached),
    bias: hasBias(f) ? mul(V('N', y[0]), V('Cout', y[1]), V("H'W'", y[2], y[3])) : ZERO,
    elementwise: ZERO,
    params: add(mul(V('Cin', x[1]), V('Cout/g', y[1] / g), V('k', kh, kw)), ...biasOf(f, 'bias Cout', y[1])),
  };
}

function linearParts(f: LayerFacts): Parts {
  const x = f.inputs[0];
  const ci = x[x.length - 1];
  const co = f.outputs[0][f.outputs[0].length - 1];
  // the rows as the input's leading axes, N first ([N, T, C]: rows N·T)
  const rows = x.length > 1 ? V('rows', ...x.slice(0, -1)) : V('rows', 1);
  return {
    macs: mul(rows, V('in', ci), V('out', co)),
    exact: mul(rows, sub(mul(L(2), V('in', ci)), L(1)), V('out', co)),
    bias: hasBias(f) ? mul(rows, V('out', co)) : ZERO,
    elementwise: ZERO,
    params: add(mul(V('in', ci), V('out', co)), ...biasOf(f, 'bias out', co)),
  };
}

function matmulParts(f: LayerFacts): Parts {
  const [a, b] = f.inputs;
  const m = a.length === 1 ? 1 : a[a.length - 2];
  const k = a[a.length - 1];
  const n = b.length === 1 ? 1 : b[b.length - 1];
  // the batch as the output's leading axes, N first (attention's scores [N, h, T, T]: batch N·h)
  const y = f.outputs[0];
  const lead = y.slice(0, y.length - (a.length > 1 ? 1 : 0) - (b.length > 1 ? 1 : 0));
  const batch = numel(lead) === numel(y) / (m * n) && lead.length > 0 ? V('batch', ...lead) : V('batch', numel(y) / (m * n));
  return { macs: mul(batch, V('M', m), V('K', k), V('N', n)), exact: mul(batch, V('M', m), V('N', n), sub(mul(L(2), V('K', k)), L(1))), bias: ZERO, elementwise: ZERO, params: ZERO };
}

/** Σ over outputs of adaptive-pool window lengths along an axis: [⌊i·I/O⌋, ⌈(i+1)·I/O⌉) (pool.ts). */
function windowSum(i: number, o: number): number {
  let s = 0;
  for (let j = 0; j < o; j++) s += Math.ceil(((j + 1) * i) / o) - Math.floor((j * i) / o);
  return s;
}

/** Element-wise work of the families without MACs, per the op headers. */
function elementwiseOf(f: LayerFacts): Expr {
  const x = f.inputs[0];
  const y = f.outputs[0];
  const outs = dims('outputs', y);
  switch (f.family) {
    case 'batchNorm':
      return mul(dims('elements', x), f.weights.some((w) => w.name === 'weight') ? V('scale+shift', 2) : V('normalise', 1));
    case 'maxPool': {
      const [kh, kw] = [f.geometry![0].kernel, f.geometry![1].kernel];
      return mul(sub(V('k', kh, kw), L(1)), outs);
    }
    case 'avgPool':
      return mul(V('k', f.geometry![0].kernel, f.geometry![1].kernel), outs);
    case 'globalAvgPool':
    case 'reduceMean':
      return dims('inputs', x);
    case 'adaptiveAvgPool': {
      // the last two axes pooled, after N·C (or C of an unbatched [C, H, W] sample)
      const [h, w] = [x.length - 2, y.length - 2];
      return mul(poolLeading(f), V('Σ windows h', windowSum(x[h], y[w])), V('Σ windows w', windowSum(x[h + 1], y[w + 1])));
    }
    case 'resample':
      if (f.op === resize) return resizeElementwise(f);
      return mul(V(`${resampleMode(f)} per output`, PER_RESAMPLED[resampleMode(f)]), outs);
    case 'clip':
      return mul(V('bounds', (f.attrs.min !== undefined ? 1 : 0) + (f.attrs.max !== undefined ? 1 : 0)), dims('elements', x));
    case 'add':
    case 'sub':
    case 'mul':
    case 'div':
      return mul(sub(V('inputs', f.inputs.length), L(1)), outs);
    default: {
      const rate = PER_ELEMENT[f.family];
      return rate === undefined ? ZERO : mul(V('per element', rate), dims('elements', x));
    }
  }
}

function parts(f: LayerFacts): Parts {
  const more = morePartsOf(f);
  if (more) return more;
  switch (f.family) {
    case 'conv':
      return convParts(f, false);
    case 'deformConv':
      return convParts(f, true);
    case 'convTranspose':
      return convTransposeParts(f);
    case 'linear':
      return linearParts(f);
    case 'matmul':
      return matmulParts(f);
    default: {
      const params = trainable(f).map((w) => (f.family === 'batchNorm' ? V(`${w.name === 'weight' ? 'γ' : w.name === 'bias' ? 'β' : w.name} C`, ...w.shape) : dims(w.name, w.shape)));
      return { macs: ZERO, exact: ZERO, bias: ZERO, elementwise: elementwiseOf(f), params: params.length ? add(...params) : ZERO };
    }
  }
}

/** One layer's explanation, or null for a layer convlens could not analyse. */
/**
 * Memory access: every computed input read once, each output written once (a split's pieces, a max
 * pool's indices), the weights (and constant operands) read once, at the report's element size.
 * An output's elements are its shape's product; inputs and weights are the report's own element counts.
 */
function memoryExpr(f: LayerFacts, r: LayerReport, bytesPerElement: number, reView: boolean): Expr {
  // a re-view (reshape, flatten, squeeze, unsqueeze: OpDef.reView) moves no element
  if (reView) return mul(V('elements moved by a re-view', 0), V('bytes/element', bytesPerElement));
  const e = r.memoryAccess.elements;
  const outputs = f.outputs.map((shape, k) => V(f.outputs.length === 1 ? 'output' : `output ${k}`, ...shape));
  return mul(add(V('inputs', e.inputs), ...outputs, V('weights', e.weights)), V('bytes/element', bytesPerElement));
}

export function explainLayer(a: AnalysedLayer, r: LayerReport, includeBias: boolean, bytesPerElement = 4): LayerExplanation | null {
  const f = layerFacts(a);
  if (!f) return null;
  // a convolution of an unbatched [C, …spatial] sample: the batch of one's formulas (N 1)
  const p = parts(convAsBatchOfOne(f));
  const weightParams = evaluate(p.params);
  // float initializers an imported Add/Mul/MatMul reads are parameters too (analyze.ts)
  const params = r.params === weightParams ? p.params : add(p.params, V('constant operands (initializers)', r.params - weightParams));
  const macs = formula(p.macs, f.cost.macs);
  const exact = formula(p.exact, f.cost.exactMacOps);
  const bias = formula(p.bias, f.cost.biasOps);
  const elementwise = formula(p.elementwise, f.cost.elementwise);
  const biasTerm = includeBias ? [V('bias adds', bias.value)] : [];
  const flops = {
    '2macs': formula(add(mul(L(2), V('MACs', macs.value)), V('element-wise', elementwise.value), ...biasTerm), r.flopsByConvention['2macs']),
    macs: formula(V('MACs', macs.value), r.flopsByConvention.macs),
    exact: formula(add(V('exact', exact.value), V('element-wise', elementwise.value), ...biasTerm), r.flopsByConvention.exact),
  };
  const out = {
    name: r.name,
    op: r.op,
    family: f.family,
    params: formula(params, r.params),
    macs: formula(p.macs, r.macs),
    exactMacOps: exact,
    biasOps: bias,
    elementwise,
    flops,
    memoryBytes: formula(memoryExpr(f, r, bytesPerElement, a.op?.reView === true), r.memoryAccess.bytes),
  };
  const all = [out.params, out.macs, macs, exact, bias, elementwise, flops['2macs'], flops.macs, flops.exact, out.memoryBytes];
  return { ...out, agrees: all.every((x) => x.agrees) };
}

/** Every analysed layer of a report, explained (`?explain=true`). */
export function explainReport({ inference, report }: { inference: Inference; report: Report }): Explanation {
  const byName = new Map(report.layers.map((l) => [l.name, l]));
  const layers: LayerExplanation[] = [];
  for (const a of inference.analysed) {
    const r = byName.get(a.layer.name);
    // a layer at a stand-in size (analysis/stand-in.ts) has no shapes or costs at this one to explain
    if (a.folded || a.standIn || !r) continue;
    const e = explainLayer(a, r, report.conventions.includeBias, report.conventions.bytesPerElement);
    if (e) layers.push(e);
  }
  return { layers, agrees: layers.every((l) => l.agrees) };
}
