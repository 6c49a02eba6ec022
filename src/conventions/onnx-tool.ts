/**
 * onnx-tool (github.com/ThanatosShinji/onnx-tool @ 00f5f0a, setup.py VERSION 1.0.1, 2026-06-08):
 * Model(f).graph.shape_infer(); graph.profile(); per-node `macs` and the total graph.macs[0],
 * printed as "Forward MACs". It profiles the ONNX graph, node by node (onnx_tool/node.py, each
 * node class's _profile_core), counting "the number of x86 instructions to finish numeric compute"
 * (node.py l. 9-17): MUL/ADD/CMP 1, DIV 4, EXP 32, SQRT 24 (l. 19-37). So batch norm costs 31 per
 * element (add, sqrt, divide, add, multiply: l. 1646-1650), a sigmoid 32, a softmax 36.
 *
 * A convlens layer is counted as torch.onnx.export writes it (opset 17, BNs kept with
 * training=TrainingMode.PRESERVE): nn.ReLU6 → Clip, SiLU → Sigmoid + Mul, AdaptiveAvgPool2d(1) →
 * GlobalAveragePool, AdaptiveAvgPool2d(k) on a multiple of k → AveragePool(kernel = stride = in/k) (on
 * another size torch.onnx refuses it: no figure, onnx-tool-pools.ts),
 * Linear → Gemm (bias as its third input), F.interpolate → Resize. Dropout is removed at export.
 *
 * ConvTranspose (l. 2724-2736) is counted as output elements × volume(weight[1:]) =
 * N·Cout·H'·W'·(Cout/g)·k: output positions, but with Cout/g where the gather reads Cin/g.
 *
 * Published: the README's table profiles ONNX Model Zoo files (ResNet50: 25 M params, 3,868 M
 * MACs, resnet50-v1 from the ONNX zoo, whose stride sits in the 1×1 conv: not torchvision's v1.5
 * and not comparable to a convlens zoo model); test against the tool's own output
 * (scripts/convention_truth.py) instead.
 */
import { NEWER_RULES } from './onnx-tool-newer.js';
import { asExported } from './onnx-tool-pools.js';
import { ndRules } from './nd-rules.js';
import { convDims, inElements, linearDims, outElements, poolKernel, resampleMode, transposedMacs, weightShape } from './families.js';
import type { ConventionPreset, LayerFacts, Rule } from './types.js';
import { numel } from '../ops/types.js';
import { ADD, CMP, DIV, EXP, MUL, NODE, RESIZE_CUBIC, RESIZE_LINEAR, SQRT } from './onnx-tool-costs.js';


const perOutput = (rate: number, why: string, source: string): Rule => ({ count: (f) => rate * outElements(f), why, source });

/** Binary ONNX arithmetic: (operands − 1) nodes, each `rate` per output element (NpMathBase ratio). */
const arithmetic = (rate: number, why: string, source: string): Rule => ({ count: (f) => Math.max(1, f.inputs.length - 1) * rate * outElements(f), why, source });

/** PoolBase._profile_core: output elements × kh·kw comparisons (AveragePool too: l. 1446-1451 uses CMP). */
const pool = (f: LayerFacts, kernel: [number, number]): number => outElements(f) * CMP * kernel[0] * kernel[1];

/**
 * GlobalAveragePoolNode: an add per input element + a divide per output, its output [x0, x1, 1, …]:
 * N·C outputs, and x0·x1 of a spec's unbatched [C, H, W] (nn.AdaptiveAvgPool2d(1) exports a
 * GlobalAveragePool over it, read as N, C, L: onnx-tool-pools.ts), not C.
 */
const globalPool = (f: LayerFacts): number => inElements(f) * ADD + f.inputs[0][0] * f.inputs[0][1] * DIV;

export const onnxTool: ConventionPreset = {
  name: 'onnx-tool',
  readsExport: true,
  tool: 'onnx-tool',
  version: 'onnx-tool 1.0.1 (commit 00f5f0a04df5)',
  source: [
    `github.com/ThanatosShinji/onnx-tool ${NODE}`,
    'github.com/ThanatosShinji/onnx-tool onnx_tool/graph.py (Graph.profile l. 1433-1500)',
    'github.com/ThanatosShinji/onnx-tool data/Profile.md',
  ],
  unit: 'MACs',
  summary: 'Instruction counts per ONNX node: conv and Gemm MACs plus one add per output for a bias, BN 31 per element, ReLU 1, Clip (ReLU6) 2, sigmoid 32, max and average pooling k·k per output, global pooling 1 per input + 4 per output, Add/Mul 1 and Div 4 per output, Resize 4 per output for linear (bilinear, trilinear), 8 for cubic, whatever the rank; ConvTranspose over output positions with (Cout/g)·k per output. Of the newer ops: LayerNormalization 7 per element + 29 per row, InstanceNormalization 7 per element (GroupNorm 9 with its affine Mul and Add), GELU as exported (Div, Erf, Add, Mul, Mul: 7 per element; Erf itself 0), Tanh 76, exp 32, log 43, sqrt 24, Pow 32, comparisons 1, quantize/dequantize 2 per element, QLinearConv and QLinearMatMul their integer MACs; Where, ArgMax, TopK, Range, Scatter, GridSample, NonMaxSuppression and RoiAlign 0; RMSNormalization, RotaryEmbedding and Attention (opset 23) have no node class, so its shape inference fails on them: no figure (unsupported).',
  rules: {
    conv: {
      count: (f) => f.cost.macs * MUL + (convDims(f).bias ? outElements(f) * ADD : 0),
      why: 'Conv: output elements × (Cin/g)·k multiplies + one add per output for a bias',
      source: `${NODE} ConvNode._profile_core l. 2219-2230`,
    },
    convTranspose: {
      count: (f, ctx) => {
        const d = convDims(f);
        const w = weightShape(f);
        const macs = ctx.convTranspose ? transposedMacs(d, ctx.convTranspose) : outElements(f) * numel(w.slice(1));
        return macs * MUL + (d.bias ? outElements(f) * ADD : 0);
      },
      why: 'ConvTranspose: output elements × volume(weight[1:]) = N·Cout·H\'·W\'·(Cout/g)·k + one add per output for a bias',
      source: `${NODE} ConvTransposeNode._profile_core l. 2724-2736`,
    },
    linear: {
      count: (f) => {
        const d = linearDims(f);
        return d.rows * d.co * d.ci * MUL + (d.bias ? d.rows * d.co * ADD : 0);
      },
      why: 'Gemm: output elements × in features + one add per output for the bias',
      source: `${NODE} GemmNode._profile_core l. 915-933`,
    },
    matmul: {
      count: (f) => {
        const b = f.inputs[1];
        return outElements(f) * (b.length > 1 ? b[b.length - 2] : 1) * MUL;
      },
      why: 'MatMul: output elements × b[-2]',
      source: `${NODE} GemmNode._profile_core l. 915-933 (MatMulNode)`,
    },
    batchNorm: perOutput(ADD + SQRT + DIV + ADD + MUL, 'BatchNormalization: 31 per element (add 1, sqrt 24, divide 4, add 1, multiply 1)', `${NODE} BatchNormalizationNode._profile_core l. 1646-1650`),
    relu: perOutput(CMP, 'Relu: 1 compare per element', `${NODE} ReluNode l. 608-612, PWNode._profile_core l. 261-264`),
    relu6: perOutput(2 * CMP, 'nn.ReLU6 exports as Clip: 2 compares per element', `${NODE} ClipNode l. 984-988`),
    clip: perOutput(2 * CMP, 'Clip: 2 compares per element', `${NODE} ClipNode l. 984-988`),
    leakyRelu: perOutput(MUL + CMP, 'LeakyRelu: multiply + compare per element', `${NODE} LeakyReluNode l. 703-707`),
    sigmoid: perOutput(EXP, 'Sigmoid: 32 per element (an exp)', `${NODE} SigmoidNode(ExpNode) l. 392-397, 533`),
    swish: perOutput(EXP + MUL, 'SiLU exports as Sigmoid (32) + Mul (1): 33 per element', `${NODE} SigmoidNode l. 533, MulNode l. 363-367`),
    hardSigmoid: perOutput(MUL + ADD + 2 * CMP, 'HardSigmoid: multiply, add, 2 compares per element', `${NODE} HardSigmoidNode l. 582-586`),
    hardSwish: perOutput(2 * MUL + ADD + 2 * CMP, 'HardSwish: 2 multiplies, add, 2 compares per element', `${NODE} HardSwishNode l. 595-599`),
    softmax: perOutput(EXP + DIV, 'Softmax: exp + divide, 36 per element', `${NODE} SoftmaxNode l. 404-408`),
    maxPool: asExported({ count: (f) => pool(f, poolKernel(f)), why: 'MaxPool: output elements × kh·kw compares', source: `${NODE} PoolBase._profile_core l. 1446-1451` }, 'window'),
    avgPool: asExported({ count: (f) => pool(f, poolKernel(f)), why: 'AveragePool: output elements × kh·kw (PoolBase charges CMP for both pools)', source: `${NODE} PoolBase._profile_core l. 1446-1451` }, 'window'),
    globalAvgPool: {
      count: globalPool,
      why: 'GlobalAveragePool: 1 add per input element + a 4-cost divide per output (x0·x1 of its input, N·C)',
      source: `${NODE} GlobalAveragePoolNode._profile_core l. 1526-1530`,
      unbatched: { why: "of an unbatched [C, H, W] sample (a spec's globalAvgPool2d, nn.AdaptiveAvgPool2d(1)) the export's GlobalAveragePool reads it as N, C, L: x0·x1 = C·H divides", source: 'scripts/convention_truth_cases.py unbatched adaptiveAvgPool2dTo1 (measured)' },
    },
    adaptiveAvgPool: asExported({
      count: (f) => {
        const x = f.inputs[0];
        const y = f.outputs[0];
        if (y[2] === 1 && y[3] === 1) return globalPool(f);
        return pool(f, [Math.floor(x[2] / y[2]), Math.floor(x[3] / y[3])]);
      },
      why: 'AdaptiveAvgPool2d exports as GlobalAveragePool (1×1: in + 4·out) or AveragePool with kernel in/out (out × kernel)',
      source: `${NODE} GlobalAveragePoolNode l. 1526-1530, PoolBase l. 1446-1451`,
    }, 'adaptiveAvg'),
    resample: {
      count: (f) => {
        const mode = resampleMode(f);
        return outElements(f) * (mode === 'linear' ? RESIZE_LINEAR : mode === 'cubic' ? RESIZE_CUBIC : 0);
      },
      why: 'Resize: nearest 0, linear 4, cubic 8 per output element',
      source: `${NODE} ResizeNode._profile_core l. 1369-1380`,
    },
    add: arithmetic(ADD, 'Add: 1 per output element (one node per extra operand)', `${NODE} AddNode l. 296, NpMathBase._profile_core l. 282-285`),
    sub: arithmetic(ADD, 'Sub: 1 per output element', `${NODE} SubNode l. 289, NpMathBase._profile_core l. 282-285`),
    mul: arithmetic(MUL, 'Mul: 1 per output element (one node per extra operand)', `${NODE} MulNode l. 363-367`),
    div: arithmetic(DIV, 'Div: 4 per output element', `${NODE} DivNode l. 335-339`),
    reduceMean: { count: (f) => inElements(f) * ADD, why: 'ReduceMean: 1 add per input element', source: `${NODE} ReduceMeanNode._profile_core l. 1943-1945` },
    ...NEWER_RULES,
    ...ndRules('onnx-tool'),
  },
};
