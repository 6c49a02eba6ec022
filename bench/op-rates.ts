/**
 * Calibration of MAX_RUN_WORK's work unit, op by op: each case (a representative and a worst-case
 * configuration of an op family with a kernel) is run through runGraph as a run takes it (the
 * checks, seeded weights, the kernel), its work read from the same estimate (runtime/checks.ts
 * checkWork: MACs + element-wise FLOPs or the op's kernelWork, + elements written), and its time
 * per unit set against the dense 3×3 conv's in the same process: the ratio table this prints is
 * what an op's kernelWork answers (an op whose ratio is far above 1 runs longer than its estimate
 * says). Run: node --import tsx bench/op-rates.ts [filter] (filter: substrings of the case names, | between).
 */
import os from 'node:os';
import { inferGraph } from '../src/analysis/infer.js';
import { loadGraph } from '../src/graph/load.js';
import { executedLayers } from '../src/graph/walks.js';
import { onnxModel } from '../test/graph/onnx-builder.js';
import { checkWork } from '../src/runtime/checks.js';
import { runGraph } from '../src/runtime/execute.js';
import { rng } from '../src/tensor/random.js';
import { tensor } from '../src/tensor/tensor.js';
import type { Tensor } from '../src/tensor/tensor.js';

type Fill = (n: number, i: number) => number;
interface Case {
  name: string;
  inputs: { name: string; shape: number[]; fill?: Fill }[];
  layers: Record<string, unknown>[];
  /** The case's graph as an ONNX file instead of a spec of `layers` (its inputs still filled from `inputs`). */
  onnx?: Uint8Array;
}

const r = rng(7);
const uniform: Fill = () => r() * 2 - 1;
const index = (bound: number): Fill => () => Math.floor(r() * bound);
const x = (...shape: number[]) => [{ name: 'x', shape }];
const one = (name: string, shape: number[], layer: Record<string, unknown>): Case => ({ name, inputs: x(...shape), layers: [{ name: 'l', ...layer }] });
/** boxes [1, n, 4] as corners in a 512 square, and scores [1, classes, n] */
const boxes: Fill = (_n, i) => (i % 4 < 2 ? 0 : 32) + Math.floor(i / 4) % 480 + r() * 8;

/** The element-wise activations measured over [1, 256, 56, 56] (a 3 MiB tensor, 802,816 elements). */
const ACTIVATIONS = ['relu', 'gelu', 'tanh', 'erf', 'mish', 'sigmoid', 'swish', 'elu', 'softplus', 'hardSwish', 'leakyRelu', 'hardSigmoid', 'softsign', 'hardTanh'];
/** … and over [1, 1, 2048, 2048] (4 Mi elements, under the fresh-page size: the heap reused). */
const ACTIVATIONS_2048 = ['relu', 'leakyRelu', 'hardTanh', 'hardSigmoid', 'hardSwish', 'softsign', 'relu6'];
/** Batched matmul blocks: [m, k, n, batches] (a GEMM call a batch). */
const MATMUL_BLOCKS: [number, number, number, number][] = [
  [2, 2, 2, 65536], [8, 8, 8, 4096], [4, 4, 4, 16384], [16, 16, 16, 1024], [32, 32, 32, 256], [64, 64, 64, 32],
  [1, 2, 1, 262144], [1, 64, 64, 4096], [64, 1, 64, 256], [2, 2, 64, 8192], [64, 2, 2, 8192], [1, 1, 1, 524288], [4, 64, 4, 4096], [16, 16, 4, 8192], [64, 64, 7, 256], [1, 256, 8, 4096], [7, 7, 7, 16384],
];
const matmulCase = (m: number, k: number, n: number, b: number): Case => ({
  name: m === k && k === n ? `matmul ${m}×${m}·${m}×${m} ×${b}` : `matmul ${m}×${k}·${k}×${n} ×${b}`,
  inputs: [{ name: 'a', shape: [b, m, k] }, { name: 'b', shape: [b, k, n] }],
  layers: [{ name: 'l', op: 'matmul', inputs: ['a', 'b'] }],
});
/** Two or more operands into one element-wise op (each input named a, b, c …). */
const operands = (name: string, op: string, shapes: number[][]): Case => {
  const names = shapes.map((_, i) => String.fromCharCode(97 + i));
  return { name, inputs: shapes.map((shape, i) => ({ name: names[i], shape })), layers: [{ name: 'l', op, inputs: names }] };
};

/**
 * A chain of `adds` same-shape ONNX Adds (s_i = s_(i−1) + b), every tensor typed `elemType` (1
 * FLOAT, 10 FLOAT16): the float16 one rounds each output to float16 after its layer
 * (runtime/float16-run.ts), the float32 one does not; their difference a layer is the rounding's.
 */
const addChain = (name: string, elemType: number, shape: number[], adds: number): Case => ({
  name,
  inputs: [{ name: 'a', shape }, { name: 'b', shape }],
  layers: [],
  onnx: onnxModel({
    inputs: [{ name: 'a', shape, elemType }, { name: 'b', shape, elemType }],
    outputs: [`s${adds}`],
    nodes: Array.from({ length: adds }, (_, i) => ({ op: 'Add', inputs: [i === 0 ? 'a' : `s${i}`, 'b'], outputs: [`s${i + 1}`] })),
  }),
});

export const REFERENCE = 'conv2d 3×3 64→64 @56';

export const CASES: Case[] = [
  one(REFERENCE, [1, 64, 56, 56], { op: 'conv2d', outChannels: 64, kernelSize: 3, padding: 1 }),
  one('conv2d 1×1 256→256 @28', [1, 256, 28, 28], { op: 'conv2d', outChannels: 256, kernelSize: 1 }),
  one('conv2d 1×1 1→32 @1024 (repro 1 head)', [1, 1, 512, 512], { op: 'conv2d', outChannels: 32, kernelSize: 1 }),
  one('conv2d 3×3 1→64 @512 (K = 9; a 64 MiB output)', [1, 1, 512, 512], { op: 'conv2d', outChannels: 64, kernelSize: 3, padding: 1 }),
  one('conv2d 3×3 1→64 @128 (K = 9; a 4 MiB output)', [1, 1, 128, 128], { op: 'conv2d', outChannels: 64, kernelSize: 3, padding: 1 }),
  one('conv2d 3×3 3→64 @512 (K = 27)', [1, 3, 512, 512], { op: 'conv2d', outChannels: 64, kernelSize: 3, padding: 1 }),
  one('relu 64 @512 (a 64 MiB output)', [1, 64, 512, 512], { op: 'relu' }),
  one('conv2d 3×3 dil 4 64→64 @56', [1, 64, 56, 56], { op: 'conv2d', outChannels: 64, kernelSize: 3, padding: 4, dilation: 4 }),
  one('conv2d 7×7 s2 3→64 @224', [1, 3, 224, 224], { op: 'conv2d', outChannels: 64, kernelSize: 7, stride: 2, padding: 3 }),
  one('depthwise 3×3 @112 ×64', [1, 64, 112, 112], { op: 'conv2d', outChannels: 64, kernelSize: 3, padding: 1, groups: 64 }),
  one('depthwise 7×7 @56 ×256', [1, 256, 56, 56], { op: 'conv2d', outChannels: 256, kernelSize: 7, padding: 3, groups: 256 }),
  one('grouped 3×3 g32 256 @28', [1, 256, 28, 28], { op: 'conv2d', outChannels: 256, kernelSize: 3, padding: 1, groups: 32 }),
  one('conv1d k3 256 @1024', [1, 256, 1024], { op: 'conv1d', outChannels: 256, kernelSize: 3, padding: 1 }),
  one('conv3d 3³ 32→32 @16³', [1, 32, 16, 16, 16], { op: 'conv3d', outChannels: 32, kernelSize: 3, padding: 1 }),
  one('convTranspose2d k4 s2 64 @28', [1, 64, 28, 28], { op: 'convTranspose2d', outChannels: 64, kernelSize: 4, stride: 2, padding: 1 }),
  one('convTranspose2d k3 s1 dil3 64 @28', [1, 64, 28, 28], { op: 'convTranspose2d', outChannels: 64, kernelSize: 3, dilation: 3 }),
  one('convTranspose1d k4 s2 128 @512', [1, 128, 512], { op: 'convTranspose1d', outChannels: 128, kernelSize: 4, stride: 2 }),
  one('convTranspose3d k2 s2 16 @12³', [1, 16, 12, 12, 12], { op: 'convTranspose3d', outChannels: 16, kernelSize: 2, stride: 2 }),
  one('maxPool2d 3 s2 @112 ×64', [1, 64, 112, 112], { op: 'maxPool2d', kernelSize: 3, stride: 2, padding: 1 }),
  one('maxPool2d 7 s1 @56 ×64', [1, 64, 56, 56], { op: 'maxPool2d', kernelSize: 7, stride: 1, padding: 3 }),
  one('maxPool2d 31 s1 dil2 @128 ×4', [1, 4, 128, 128], { op: 'maxPool2d', kernelSize: 31, stride: 1, dilation: 2 }),
  one('maxPool2d 3 s1 dil2 @112 ×64', [1, 64, 112, 112], { op: 'maxPool2d', kernelSize: 3, stride: 1, dilation: 2 }),
  one('maxPool2d 3 s2 indices @112 ×64', [1, 64, 112, 112], { op: 'maxPool2d', kernelSize: 3, stride: 2, returnIndices: true }),
  one('maxPool1d 31 s1 dil2 ×64 @4096', [1, 64, 4096], { op: 'maxPool1d', kernelSize: 31, stride: 1, dilation: 2 }),
  one('maxPool3d 5 s1 dil2 @24³ ×4', [1, 4, 24, 24, 24], { op: 'maxPool3d', kernelSize: 5, stride: 1, dilation: 2 }),
  one('avgPool2d 3 s1 @112 ×64', [1, 64, 112, 112], { op: 'avgPool2d', kernelSize: 3, stride: 1, padding: 1 }),
  one('avgPool2d 31 s1 @128 ×4', [1, 4, 128, 128], { op: 'avgPool2d', kernelSize: 31, stride: 1 }),
  one('avgPool1d 31 s1 ×64 @4096', [1, 64, 4096], { op: 'avgPool1d', kernelSize: 31, stride: 1 }),
  one('avgPool3d 5 s1 @24³ ×4', [1, 4, 24, 24, 24], { op: 'avgPool3d', kernelSize: 5, stride: 1 }),
  one('adaptiveAvgPool2d 7 @56 ×256', [1, 256, 56, 56], { op: 'adaptiveAvgPool2d', outputSize: 7 }),
  one('adaptiveAvgPool2d 55 @56 ×64', [1, 64, 56, 56], { op: 'adaptiveAvgPool2d', outputSize: 55 }),
  one('adaptiveMaxPool2d 55 @56 ×64', [1, 64, 56, 56], { op: 'adaptiveMaxPool2d', outputSize: 55 }),
  one('adaptiveMaxPool2d 7 @56 ×256', [1, 256, 56, 56], { op: 'adaptiveMaxPool2d', outputSize: 7 }),
  one('globalAvgPool2d @56 ×256', [1, 256, 56, 56], { op: 'globalAvgPool2d' }),
  one('upsample nearest ×2 @56 ×64', [1, 64, 56, 56], { op: 'upsample', scaleFactor: 2 }),
  one('upsample nearest ×128 @8 ×2', [1, 2, 8, 8], { op: 'upsample', scaleFactor: 128 }),
  one('upsample bilinear ×2 @56 ×64', [1, 64, 56, 56], { op: 'upsample', scaleFactor: 2, mode: 'bilinear' }),
  one('upsample bicubic ×2 @56 ×64', [1, 64, 56, 56], { op: 'upsample', scaleFactor: 2, mode: 'bicubic' }),
  one('upsample bicubic ×0.5 @224 ×16', [1, 16, 224, 224], { op: 'upsample', scaleFactor: 0.5, mode: 'bicubic' }),
  one('upsample1d linear ×4 ×64 @1024', [1, 64, 1024], { op: 'upsample1d', scaleFactor: 4, mode: 'linear' }),
  one('upsample3d trilinear ×2 @16³ ×8', [1, 8, 16, 16, 16], { op: 'upsample3d', scaleFactor: 2, mode: 'trilinear' }),
  one('resize linear ×2 @56 ×64', [1, 64, 56, 56], { op: 'resize', mode: 'linear', scales: [1, 1, 2, 2] }),
  one('resize cubic ×2 @56 ×64', [1, 64, 56, 56], { op: 'resize', mode: 'cubic', scales: [1, 1, 2, 2] }),
  one('resize cubic antialias ×0.25 @224 ×8', [1, 8, 224, 224], { op: 'resize', mode: 'cubic', scales: [1, 1, 0.25, 0.25], antialias: true }),
  one('LRN 5 @56 ×64', [1, 64, 56, 56], { op: 'localResponseNorm', size: 5 }),
  one('LRN 256 @16 ×256', [1, 256, 16, 16], { op: 'localResponseNorm', size: 256 }),
  one('LRN 1024 @8 ×1024', [1, 1024, 8, 8], { op: 'localResponseNorm', size: 1024 }),
  {
    name: 'gridSample bilinear @56 ×64',
    inputs: [{ name: 'x', shape: [1, 64, 56, 56] }, { name: 'g', shape: [1, 56, 56, 2] }],
    layers: [{ name: 'l', op: 'gridSample', inputs: ['x', 'g'] }],
  },
  {
    name: 'gridSample bicubic reflection @56 ×64',
    inputs: [{ name: 'x', shape: [1, 64, 56, 56] }, { name: 'g', shape: [1, 56, 56, 2] }],
    layers: [{ name: 'l', op: 'gridSample', inputs: ['x', 'g'], mode: 'bicubic', paddingMode: 'reflection' }],
  },
  one('linear 1024→1024 ×256', [256, 1024], { op: 'linear', outFeatures: 1024 }),
  {
    name: 'matmul 256×512×256 ×8',
    inputs: [{ name: 'a', shape: [8, 256, 512] }, { name: 'b', shape: [8, 512, 256] }],
    layers: [{ name: 'l', op: 'matmul', inputs: ['a', 'b'] }],
  },
  {
    name: 'matmul vec 1×4096 · 4096×1',
    inputs: [{ name: 'a', shape: [4096, 1, 64] }, { name: 'b', shape: [4096, 64, 1] }],
    layers: [{ name: 'l', op: 'matmul', inputs: ['a', 'b'] }],
  },
  ...MATMUL_BLOCKS.map(([m, k, n, b]) => matmulCase(m, k, n, b)),
  one('multiHeadAttention 197×768 h12', [1, 197, 768], { op: 'multiHeadAttention', numHeads: 12 }),
  one('multiHeadAttention 1024×64 h1', [1, 1024, 64], { op: 'multiHeadAttention', numHeads: 1 }),
  one('shiftedWindowAttention 56² ×96 w7 s3', [1, 56, 56, 96], { op: 'shiftedWindowAttention', numHeads: 3, window: 7, shift: 3 }),
  // mvit_v2_s's blocks 0, 1, 5 and 15 (relative positions, residual pooling) and mvit_v1_b's 0 (k and v pooled only)
  one('multiscaleAttention mvit_v2_s block 0 8×56² ×96 q 3³ kv s 1,8,8', [1, 25089, 96], { op: 'multiscaleAttention', inputSize: [8, 56, 56], numHeads: 1, kernelQ: [3, 3, 3], kernelKv: [3, 3, 3], strideKv: [1, 8, 8], residualPool: true, residualWithClsEmbed: false, relPos: true }),
  one('multiscaleAttention mvit_v2_s block 1 8×56² 96→192 h2 q s 1,2,2 kv s 1,4,4', [1, 25089, 96], { op: 'multiscaleAttention', inputSize: [8, 56, 56], numHeads: 2, outputDim: 192, kernelQ: [3, 3, 3], kernelKv: [3, 3, 3], strideQ: [1, 2, 2], strideKv: [1, 4, 4], residualPool: true, residualWithClsEmbed: false, relPos: true }),
  one('multiscaleAttention mvit_v2_s block 5 8×14² ×384 h4 kv s 1,2,2', [1, 1569, 384], { op: 'multiscaleAttention', inputSize: [8, 14, 14], numHeads: 4, kernelQ: [3, 3, 3], kernelKv: [3, 3, 3], strideKv: [1, 2, 2], residualPool: true, residualWithClsEmbed: false, relPos: true }),
  one('multiscaleAttention mvit_v2_s block 15 8×7² ×768 h8', [1, 393, 768], { op: 'multiscaleAttention', inputSize: [8, 7, 7], numHeads: 8, kernelQ: [3, 3, 3], kernelKv: [3, 3, 3], residualPool: true, residualWithClsEmbed: false, relPos: true }),
  one('multiscaleAttention mvit_v1_b block 0 8×56² ×96 kv 3³ s 1,8,8', [1, 25089, 96], { op: 'multiscaleAttention', inputSize: [8, 56, 56], numHeads: 1, kernelKv: [3, 3, 3], strideKv: [1, 8, 8] }),
  {
    name: 'einsum bhqd,bhkd->bhqk (GEMM)',
    inputs: [{ name: 'a', shape: [1, 8, 256, 64] }, { name: 'b', shape: [1, 8, 256, 64] }],
    layers: [{ name: 'l', op: 'einsum', inputs: ['a', 'b'], equation: 'bhqd,bhkd->bhqk' }],
  },
  {
    name: 'einsum ab,cd-> (loop)',
    inputs: [{ name: 'a', shape: [64, 64] }, { name: 'b', shape: [64, 64] }],
    layers: [{ name: 'l', op: 'einsum', inputs: ['a', 'b'], equation: 'ab,cd->' }],
  },
  one('batchNorm2d @56 ×64', [1, 64, 56, 56], { op: 'batchNorm2d' }),
  one('layerNorm 768 ×3136', [1, 3136, 768], { op: 'layerNorm', normalizedShape: [768] }),
  one('groupNorm 32 @56 ×64', [1, 64, 56, 56], { op: 'groupNorm', numGroups: 32 }),
  one('instanceNorm2d @56 ×64', [1, 64, 56, 56], { op: 'instanceNorm2d' }),
  ...ACTIVATIONS.map((op) => one(`${op} @56 ×256`, [1, 256, 56, 56], { op })),
  one('gelu tanh @56 ×256', [1, 256, 56, 56], { op: 'gelu', approximate: 'tanh' }),
  ...ACTIVATIONS_2048.map((op) => one(`${op} @2048² (4 Mi, reused heap)`, [1, 1, 2048, 2048], { op })),
  one('prelu @56 ×256', [1, 256, 56, 56], { op: 'prelu' }),
  one('softmax 1000 ×1024', [1024, 1000], { op: 'softmax', dim: -1 }),
  one('softmax dim 1 @56 ×256', [1, 256, 56, 56], { op: 'softmax', dim: 1 }),
  one('logSoftmax 1000 ×1024', [1024, 1000], { op: 'logSoftmax', dim: -1 }),
  one('exp @56 ×256', [1, 256, 56, 56], { op: 'exp' }),
  one('sin @56 ×256', [1, 256, 56, 56], { op: 'sin' }),
  one('cos @56 ×256', [1, 256, 56, 56], { op: 'cos' }),
  one('log @56 ×256', [1, 256, 56, 56], { op: 'log' }),
  one('sqrt @56 ×256', [1, 256, 56, 56], { op: 'sqrt' }),
  {
    name: 'pow @56 ×256',
    inputs: [{ name: 'a', shape: [1, 256, 56, 56] }, { name: 'b', shape: [1, 256, 56, 56] }],
    layers: [{ name: 'l', op: 'pow', inputs: ['a', 'b'] }],
  },
  {
    name: 'pow by a scalar @56 ×256',
    inputs: [{ name: 'a', shape: [1, 256, 56, 56] }, { name: 'b', shape: [1], fill: () => 2 }],
    layers: [{ name: 'l', op: 'pow', inputs: ['a', 'b'] }],
  },
  {
    name: 'mod fmod @56 ×256',
    inputs: [{ name: 'a', shape: [1, 256, 56, 56] }, { name: 'b', shape: [1, 256, 56, 56] }],
    layers: [{ name: 'l', op: 'mod', inputs: ['a', 'b'], fmod: true }],
  },
  operands('add broadcast @56 ×256', 'add', [[1, 256, 56, 56], [1, 256, 1, 1]]),
  operands('mul @56 ×256', 'mul', [[1, 256, 56, 56], [1, 256, 56, 56]]),
  {
    name: 'where @56 ×256',
    inputs: [{ name: 'c', shape: [1, 256, 56, 56], fill: index(2) }, { name: 'a', shape: [1, 256, 56, 56] }, { name: 'b', shape: [1, 256, 56, 56] }],
    layers: [{ name: 'l', op: 'where', inputs: ['c', 'a', 'b'] }],
  },
  one('reduceMean hw @56 ×256', [1, 256, 56, 56], { op: 'reduceMean', axes: [2, 3] }),
  one('reduceSum c @56 ×256', [1, 256, 56, 56], { op: 'reduceSum', axes: [1] }),
  one('reduceMax c @56 ×256', [1, 256, 56, 56], { op: 'reduceMax', axes: [1] }),
  one('reduceL2 hw @56 ×256', [1, 256, 56, 56], { op: 'reduceL2', axes: [2, 3] }),
  one('reduceProd c @56 ×256', [1, 256, 56, 56], { op: 'reduceProd', axes: [1] }),
  one('argMax c @56 ×256', [1, 256, 56, 56], { op: 'argMax', dim: 1 }),
  one('cumSum c @56 ×256', [1, 256, 56, 56], { op: 'cumSum', dim: 1 }),
  one('topK 10 of 1000 ×1024', [1024, 1000], { op: 'topK', k: 10 }),
  one('topK all of 100000', [1, 100000], { op: 'topK', k: 100000 }),
  one('topK 100 dim 1 @56 ×256', [1, 256, 56, 56], { op: 'topK', k: 100, dim: 1 }),
  one('trilu 1024²', [4, 1024, 1024], { op: 'trilu' }),
  one('trilu 64² ×1024', [1024, 64, 64], { op: 'trilu', upper: false }),
  one('nonZero @56 ×256', [1, 256, 56, 56], { op: 'nonZero' }),
  one('transpose 0231 @56 ×256', [1, 256, 56, 56], { op: 'transpose', perm: [0, 2, 3, 1] }),
  one('transpose 10 2048²', [2048, 2048], { op: 'transpose', perm: [1, 0] }),
  { name: 'nonZero all zero @56 ×256', inputs: [{ name: 'x', shape: [1, 256, 56, 56], fill: () => 0 }], layers: [{ name: 'l', op: 'nonZero' }] },
  one('cumSum w @56 ×256', [1, 256, 56, 56], { op: 'cumSum', dim: 3 }),
  one('argMax w @56 ×256', [1, 256, 56, 56], { op: 'argMax', dim: 3 }),
  one('pad reflect 8 @56 ×256', [1, 256, 56, 56], { op: 'pad', pads: [0, 0, 8, 8, 0, 0, 8, 8], mode: 'reflect' }),
  one('pad edge 8 @56 ×256', [1, 256, 56, 56], { op: 'pad', pads: [0, 0, 8, 8, 0, 0, 8, 8], mode: 'edge' }),
  one('pad wrap 8 @56 ×256', [1, 256, 56, 56], { op: 'pad', pads: [0, 0, 8, 8, 0, 0, 8, 8], mode: 'wrap' }),
  one('pad constant 8 @56 ×256', [1, 256, 56, 56], { op: 'pad', pads: [0, 0, 8, 8, 0, 0, 8, 8] }),
  one('pad reflect 1 @2046² (4 Mi out)', [1, 1, 2046, 2046], { op: 'pad', pads: [0, 0, 1, 1, 0, 0, 1, 1], mode: 'reflect' }),
  one('pad reflect 1 rows of 4 [262144, 4]', [262144, 4], { op: 'pad', pads: [0, 1, 0, 1], mode: 'reflect' }),
  one('pad constant rows of 1 [1048576, 1]', [1048576, 1], { op: 'pad', pads: [0, 1, 0, 1] }),
  one('pad edge rows of 1 [1048576, 1]', [1048576, 1], { op: 'pad', pads: [0, 1, 0, 1], mode: 'edge' }),
  one('argMin c @56 ×256', [1, 256, 56, 56], { op: 'argMin', dim: 1 }),
  one('argMax all of 2048²', [1, 1, 2048, 2048], { op: 'argMax' }),
  one('tile 2×2 @56 ×64', [1, 64, 56, 56], { op: 'tile', repeats: [1, 1, 2, 2] }),
  one('slice step 1 rows of 8 @112 ×64', [1, 64, 112, 112], { op: 'slice', starts: [0], ends: [8], axes: [3] }),
  one('slice step 1 rows of 64 @112 ×64', [1, 64, 112, 112], { op: 'slice', starts: [0], ends: [64], axes: [3] }),
  one('slice step 1 rows of 1 of [1048576, 4]', [1048576, 4], { op: 'slice', starts: [0], ends: [1], axes: [1] }),
  one('slice step 1 rows of 1 of [4194304, 2]', [4194304, 2], { op: 'slice', starts: [1], ends: [2], axes: [1] }),
  one('slice step 1 rows of 1 of [2048, 2048] (a column)', [2048, 2048], { op: 'slice', starts: [5], ends: [6], axes: [1] }),
  one('slice step 1 rows of 1 of [1, 64, 256, 256] (a column)', [1, 64, 256, 256], { op: 'slice', starts: [0], ends: [1], axes: [3] }),
  one('slice step 1 rows of 15 of [65536, 64] (under a run)', [65536, 64], { op: 'slice', starts: [0], ends: [15], axes: [1] }),
  one('slice step 2 @112 ×64', [1, 64, 112, 112], { op: 'slice', starts: [0], ends: [112], axes: [3], steps: [2] }),
  one('channelShuffle 4 @56 ×256', [1, 256, 56, 56], { op: 'channelShuffle', groups: 4 }),
  one('pixelShuffle 2 @56 ×256', [1, 256, 56, 56], { op: 'pixelShuffle', upscaleFactor: 2 }),
  one('depthToSpace 2 @56 ×256', [1, 256, 56, 56], { op: 'depthToSpace', blockSize: 2 }),
  one('spaceToDepth 2 @112 ×64', [1, 64, 112, 112], { op: 'spaceToDepth', blockSize: 2 }),
  one('pixelUnshuffle 2 @112 ×64', [1, 64, 112, 112], { op: 'pixelUnshuffle', downscaleFactor: 2 }),
  one('spaceToDepth 4 @224 ×16', [1, 16, 224, 224], { op: 'spaceToDepth', blockSize: 4 }),
  one('pixelUnshuffle 8 @512 ×1', [1, 1, 512, 512], { op: 'pixelUnshuffle', downscaleFactor: 8 }),
  one('spaceToDepth 2 @1024 ×1 (rows of 1 out of each block)', [1, 1, 1024, 1024], { op: 'spaceToDepth', blockSize: 2 }),
  one('pixelShuffle 2 @1024 ×4 (to one channel)', [1, 4, 512, 512], { op: 'pixelShuffle', upscaleFactor: 2 }),
  {
    name: 'concat c @56 ×128+128',
    inputs: [{ name: 'a', shape: [1, 128, 56, 56] }, { name: 'b', shape: [1, 128, 56, 56] }],
    layers: [{ name: 'l', op: 'concat', inputs: ['a', 'b'], dim: 1 }],
  },
  {
    name: 'gather axis 1 of [4096, 1024] at 512 (rows of 1)',
    inputs: [{ name: 'd', shape: [4096, 1024] }, { name: 'i', shape: [512], fill: index(1024) }],
    layers: [{ name: 'l', op: 'gather', inputs: ['d', 'i'], axis: 1 }],
  },
  operands('mul broadcast @56 ×256', 'mul', [[1, 256, 56, 56], [1, 256, 1, 1]]),
  operands('add same shape @56 ×256', 'add', [[1, 256, 56, 56], [1, 256, 56, 56]]),
  // same shapes (one flat loop, WebAssembly SIMD from 256 elements) and one-element operands (one row against a hoisted scalar)
  operands('sub same shape @56 ×256', 'sub', [[1, 256, 56, 56], [1, 256, 56, 56]]),
  operands('div same shape @56 ×256', 'div', [[1, 256, 56, 56], [1, 256, 56, 56]]),
  operands('add same shape ×3 @56 ×256', 'add', [[1, 256, 56, 56], [1, 256, 56, 56], [1, 256, 56, 56]]),
  operands('add same shape rows of 1 [1048576, 1]', 'add', [[1048576, 1], [1048576, 1]]),
  operands('add same shape [1, 1, 1, 1, 1, 1, 1, 1048576]', 'add', [[1, 1, 1, 1, 1, 1, 1, 1048576], [1, 1, 1, 1, 1, 1, 1, 1048576]]),
  operands('add same shape 255 ×4096 (under the SIMD size)', 'add', [[4096, 255], [4096, 255]]),
  operands('add same shape [200] (tiny)', 'add', [[200], [200]]),
  operands('add scalar [1] @56 ×256', 'add', [[1, 256, 56, 56], [1]]),
  operands('mul scalar [1, 1, 1, 1] @56 ×256', 'mul', [[1, 256, 56, 56], [1, 1, 1, 1]]),
  operands('div scalar [1] @56 ×256', 'div', [[1, 256, 56, 56], [1]]),
  operands('sub scalar first [1] @56 ×256', 'sub', [[1], [1, 256, 56, 56]]),
  operands('add scalar ×3 [1] [1] @56 ×256', 'add', [[1, 256, 56, 56], [1], [1]]),
  operands('add scalar [1] rows of 1 [1048576, 1]', 'add', [[1048576, 1], [1]]),
  operands('add scalar [1] to [1] ×1 (one element)', 'add', [[1], [1]]),
  operands('add broadcast rows @56 ×256', 'add', [[1, 256, 56, 56], [56]]),
  {
    name: 'gather axis 0 500000 rows of 4',
    inputs: [{ name: 'd', shape: [1000, 4] }, { name: 'i', shape: [500000], fill: index(1000) }],
    layers: [{ name: 'l', op: 'gather', inputs: ['d', 'i'] }],
  },
  {
    name: 'gather axis 0 50000 rows of 64',
    inputs: [{ name: 'd', shape: [1000, 64] }, { name: 'i', shape: [50000], fill: index(1000) }],
    layers: [{ name: 'l', op: 'gather', inputs: ['d', 'i'] }],
  },
  {
    name: 'gatherElements dim 1 @56 ×256',
    inputs: [{ name: 'd', shape: [1, 256, 56, 56] }, { name: 'i', shape: [1, 256, 56, 56], fill: index(256) }],
    layers: [{ name: 'l', op: 'gatherElements', inputs: ['d', 'i'], dim: 1 }],
  },
  {
    name: 'gatherElements dim 1 [3136, 256] (rank 2)',
    inputs: [{ name: 'd', shape: [3136, 256] }, { name: 'i', shape: [3136, 256], fill: index(256) }],
    layers: [{ name: 'l', op: 'gatherElements', inputs: ['d', 'i'], dim: 1 }],
  },
  {
    name: 'scatterElements dim 1 @56 ×256 (replace)',
    inputs: [{ name: 'd', shape: [1, 256, 56, 56] }, { name: 'i', shape: [1, 256, 56, 56], fill: index(256) }, { name: 'u', shape: [1, 256, 56, 56] }],
    layers: [{ name: 'l', op: 'scatterElements', inputs: ['d', 'i', 'u'], dim: 1 }],
  },
  {
    name: 'scatterElements add dim 1 @56 ×256',
    inputs: [{ name: 'd', shape: [1, 256, 56, 56] }, { name: 'i', shape: [1, 256, 56, 56], fill: index(256) }, { name: 'u', shape: [1, 256, 56, 56] }],
    layers: [{ name: 'l', op: 'scatterElements', inputs: ['d', 'i', 'u'], dim: 1, reduction: 'add' }],
  },
  {
    name: 'scatterND 20000 rows of 64',
    inputs: [{ name: 'd', shape: [1000, 64] }, { name: 'i', shape: [20000, 1], fill: index(1000) }, { name: 'u', shape: [20000, 64] }],
    layers: [{ name: 'l', op: 'scatterND', inputs: ['d', 'i', 'u'], reduction: 'add' }],
  },
  {
    name: 'scatterND 200000 points',
    inputs: [{ name: 'd', shape: [512, 512] }, { name: 'i', shape: [200000, 2], fill: index(512) }, { name: 'u', shape: [200000] }],
    layers: [{ name: 'l', op: 'scatterND', inputs: ['d', 'i', 'u'], reduction: 'max' }],
  },
  {
    name: 'gatherND 200000 points',
    inputs: [{ name: 'd', shape: [512, 512] }, { name: 'i', shape: [200000, 2], fill: index(512) }],
    layers: [{ name: 'l', op: 'gatherND', inputs: ['d', 'i'] }],
  },
  {
    name: 'gatherND 20000 rows of 64',
    inputs: [{ name: 'd', shape: [1000, 64] }, { name: 'i', shape: [20000, 1], fill: index(1000) }],
    layers: [{ name: 'l', op: 'gatherND', inputs: ['d', 'i'] }],
  },
  {
    name: 'nonMaxSuppression 2000 boxes 4 classes',
    inputs: [{ name: 'b', shape: [1, 2000, 4], fill: boxes }, { name: 's', shape: [1, 4, 2000], fill: () => r() }],
    layers: [{ name: 'l', op: 'nonMaxSuppression', inputs: ['b', 's'], maxOutputBoxesPerClass: 2000, iouThreshold: 0.5 }],
  },
  {
    name: 'roiAlign 7×7 200 rois @50 ×256',
    inputs: [{ name: 'x', shape: [1, 256, 50, 50] }, { name: 'r', shape: [200, 4], fill: (_n, i) => (i % 4 < 2 ? 2 + r() * 10 : 25 + r() * 20) }, { name: 'i', shape: [200], fill: () => 0 }],
    layers: [{ name: 'l', op: 'roiAlign', inputs: ['x', 'r', 'i'], outputHeight: 7, outputWidth: 7, samplingRatio: 2 }],
  },
  {
    name: 'roiAlign 7×7 adaptive 20 whole-map rois @200 ×64',
    inputs: [{ name: 'x', shape: [1, 64, 200, 200] }, { name: 'r', shape: [20, 4], fill: (_n, i) => (i % 4 < 2 ? 0 : 199) }, { name: 'i', shape: [20], fill: () => 0 }],
    layers: [{ name: 'l', op: 'roiAlign', inputs: ['x', 'r', 'i'], outputHeight: 7, outputWidth: 7, samplingRatio: 0 }],
  },
  addChain('onnx add ×8 float32 @[1, 64, 112, 112]', 1, [1, 64, 112, 112], 8),
  addChain('onnx add ×8 float16 @[1, 64, 112, 112]', 10, [1, 64, 112, 112], 8),
  addChain('onnx add ×8 float32 @[1, 16, 64, 64]', 1, [1, 16, 64, 64], 8),
  addChain('onnx add ×8 float16 @[1, 16, 64, 64]', 10, [1, 16, 64, 64], 8),
];

/** The fastest of at least 3 timed runs after a warm-up (more, up to 20, while under 400 ms in all), in ms: the machine is shared, and a light op's run is easily doubled by a neighbour. */
function time(fn: () => void): number {
  fn();
  let best = Infinity;
  let spent = 0;
  for (let i = 0; i < 20 && (i < 3 || spent < 400); i++) {
    const t0 = performance.now();
    fn();
    const ms = performance.now() - t0;
    spent += ms;
    best = Math.min(best, ms);
  }
  return best;
}

export interface Rate {
  name: string;
  units: number;
  ms: number;
  nsPerUnit: number;
  /** ns an element of the last layer's first output (an element-wise op's rate: units = ns / 0.3) */
  nsPerElement: number;
}

export function measure(c: Case): Rate {
  const { graph } = c.onnx ? loadGraph({ kind: 'onnx', bytes: c.onnx, inputShapes: {} }) : loadGraph({ kind: 'spec', spec: { name: 'case', inputs: c.inputs.map(({ name, shape }) => ({ name, shape })), layers: c.layers } });
  const inference = inferGraph(graph);
  const units = checkWork(inference.analysed, executedLayers(graph), Number.MAX_SAFE_INTEGER);
  const inputs: Record<string, Tensor> = {};
  for (const inp of c.inputs) {
    const n = inp.shape.reduce((a, b) => a * b, 1);
    const fill = inp.fill ?? uniform;
    inputs[inp.name] = tensor(inp.shape, Float32Array.from({ length: n }, (_, i) => fill(n, i)));
  }
  const options = { training: false, seed: 0, weightInit: 'seed' as const, weights: {}, capture: [], maxElements: 1 << 27, maxWork: Number.MAX_SAFE_INTEGER };
  const ms = time(() => void runGraph(graph, inputs, options, inference));
  const out = inference.analysed[inference.analysed.length - 1].inferred?.outputs[0] ?? [1];
  const elements = out.reduce((a, b) => a * b, 1);
  return { name: c.name, units, ms, nsPerUnit: (ms * 1e6) / units, nsPerElement: (ms * 1e6) / elements };
}

const fmt = (v: number, d = 2) => (v >= 1e5 ? v.toExponential(2) : v.toFixed(d));

/** The median of a list of numbers. */
const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];

if (process.argv[1]?.endsWith('op-rates.ts')) {
  // [filter] [repeats]: with repeats k over 1, each case is measured k times, each beside a fresh
  // measure of the reference (a shared machine's load moves in seconds), and the medians printed
  const filter = process.argv[2] ?? '';
  const repeats = Math.max(1, Number(process.argv[3] ?? 1));
  const ref = measure(CASES[0]);
  console.log(`reference ${ref.name}: ${fmt(ref.units)} units, ${ref.ms.toFixed(1)} ms, ${ref.nsPerUnit.toFixed(4)} ns/unit; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(['case', 'units', 'ms', 'ns/unit', 'ratio', 'ns/elem', 'ref ns/unit'].join('\t'));
  for (const c of CASES.slice(1)) {
    if (!filter.split('|').some((f) => c.name.includes(f))) continue;
    try {
      const runs = Array.from({ length: repeats }, () => {
        const r = repeats > 1 ? measure(CASES[0]) : ref;
        const m = measure(c);
        return { m, ref: r.nsPerUnit, ratio: m.nsPerUnit / r.nsPerUnit };
      });
      const m = runs[0].m;
      const ms = median(runs.map((x) => x.m.ms));
      console.log([m.name, fmt(m.units), ms.toFixed(1), median(runs.map((x) => x.m.nsPerUnit)).toFixed(4), median(runs.map((x) => x.ratio)).toFixed(1), median(runs.map((x) => x.m.nsPerElement)).toFixed(1), median(runs.map((x) => x.ref)).toFixed(4)].join('\t'));
    } catch (e) {
      console.log(`${c.name}\tFAILED: ${(e as Error).message.slice(0, 160)}`);
    }
  }
  console.log(`load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}
