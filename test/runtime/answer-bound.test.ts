/**
 * A run's answer bounded before its kernels run (src/runtime/answer-bound.ts): the outputs and
 * captures whose shapes the inference knows, by the bound the encoder checks (http/stream.ts,
 * tensors.ts sendNpy), against the answer's limit: 413 RESPONSE_TOO_LARGE with no kernel called.
 * A JSON answer is counted 2,048 + 1 a tensor for the rest of its JSON (ENVELOPE_RESERVE), then
 * each tensor. Upsample [1, 1, 8, 8] by 8 gives y [1, 1, 64, 64], 4,096 values: as nested JSON
 * 2,049 + 384 + 12 ({"name":"y"}) + 4,096·25 + 4,095 + 2·(1 + 1 + 1 + 64) = 109,074 bytes; as
 * base64 2,049 + 384 + 12 + 4·⌈16,384/3⌉ + 2 = 24,295; as .npy its 128-byte header and 16,384
 * bytes = 16,512 (no JSON around it).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OPS_BY_NAME } from '../../src/ops/registry.js';
import type { AnswerLimit } from '../../src/runtime/answer-bound.js';
import { runOperator } from '../../src/runtime/operator.js';
import { runTask } from '../../src/runtime/tasks.js';
import { tensor } from '../../src/tensor/tensor.js';
import { errorOf, net } from '../helpers.js';
import { BOXES, KEPT, SCORES, nmsModel } from './nms-model.js';

const zeros = (shape: number[]) => tensor(shape, new Float32Array(shape.reduce((n, d) => n * d, 1)));
const rest = (maxBytes: number, encoding: 'json' | 'flat' | 'base64' | 'npy'): AnswerLimit => ({ kind: 'rest', maxBytes, encoding });
const call = (name: string, x: number[], attributes: Record<string, unknown>, answer?: AnswerLimit) =>
  runOperator({ name, inputs: [zeros(x)], attributes, weights: {}, training: false, seed: 0, maxElements: 1 << 24, ...(answer && { answer }) });
/** The op's kernel, watched: how often it ran. */
const kernel = (name: string) => vi.spyOn(OPS_BY_NAME.get(name)!, 'run');
afterEach(() => vi.restoreAllMocks());

const up8 = (answer?: AnswerLimit) => call('upsample', [1, 1, 8, 8], { scaleFactor: 8 }, answer);

describe('an operator call whose output alone is over the answer limit is refused before its kernel', () => {
  it('upsample to [1, 1, 64, 64] as JSON (109,074 bytes) under 109,073: 413 RESPONSE_TOO_LARGE at $.format naming y, its shape, json and the limit; the kernel never ran', () => {
    const run = kernel('upsample');
    const e = errorOf(() => up8(rest(109_073, 'json')));
    expect([e.status, e.code]).toEqual([413, 'RESPONSE_TOO_LARGE']);
    expect(e.details).toMatchObject({ path: '$.format', limit: 109_073, estimate: 109_074, shapes: { y: [1, 1, 64, 64] } });
    expect(e.message).toBe(
      "the answer ('y' [1, 1, 64, 64]: 4096 values as json) could take 109074 bytes, over the 109073-byte limit (MAX_RESPONSE_BYTES), refused before running; ask for format base64 or npy (4 and 1.33 bytes per value rather than up to 26), or a smaller output",
    );
    expect(run).not.toHaveBeenCalled();
  });

  it('at 109,074 the same call runs (the kernel once), as it does with no limit', () => {
    const run = kernel('upsample');
    expect(up8(rest(109_074, 'json')).outputs[0].shape).toEqual([1, 1, 64, 64]);
    expect(up8().outputs[0].shape).toEqual([1, 1, 64, 64]);
    expect(run).toHaveBeenCalledTimes(2);
  });

  it('each encoding by its own bound: base64 24,295, npy (one tensor: a .npy file) 16,512; flat JSON is 132 bytes of brackets less than nested (one array, not 67)', () => {
    const run = kernel('upsample');
    expect(errorOf(() => up8(rest(24_294, 'base64'))).details).toMatchObject({ estimate: 24_295 });
    expect(up8(rest(24_295, 'base64')).outputs).toHaveLength(1);
    const npy = errorOf(() => up8(rest(16_511, 'npy')));
    expect(npy.details).toMatchObject({ estimate: 16_512, path: '$.format' });
    expect(npy.message).toContain('4096 values as npy');
    expect(npy.message).toContain('ask for a smaller output');
    expect(up8(rest(16_512, 'npy')).outputs).toHaveLength(1);
    expect(errorOf(() => up8(rest(108_941, 'flat'))).details).toMatchObject({ estimate: 109_074 - 132 });
    expect(up8(rest(108_942, 'flat')).outputs).toHaveLength(1);
    expect(run).toHaveBeenCalledTimes(3);
  });

  it('npy with two outputs is base64 inside JSON, as the answer writes it: maxPool2d with returnIndices, y and y1 [1, 1, 32, 32]', () => {
    const run = kernel('maxPool2d');
    const e = errorOf(() => call('maxPool2d', [1, 1, 64, 64], { kernelSize: 2, returnIndices: true }, rest(10_000, 'npy')));
    // 2,050 + (384 + 12 + 4·⌈4,096/3⌉ + 2) + (384 + 13 + 5,466)
    expect(e.details).toMatchObject({ estimate: 2050 + 2 * (384 + 5466) + 12 + 13, shapes: { y: [1, 1, 32, 32], y1: [1, 1, 32, 32] } });
    expect(e.message).toContain("('y' [1, 1, 32, 32], 'y1' [1, 1, 32, 32]: 2048 values as base64)");
    expect(run).not.toHaveBeenCalled();
  });

  it('adaptive pooling to a huge outputSize: [1, 1, 2, 2] to 2048 × 2048 (4,194,304 values, over 100 MB as JSON) is refused under 1 MiB without pooling', () => {
    const run = kernel('adaptiveAvgPool2d');
    const e = errorOf(() => call('adaptiveAvgPool2d', [1, 1, 2, 2], { outputSize: [2048, 2048] }, rest(1 << 20, 'json')));
    expect([e.code, e.details.shapes]).toEqual(['RESPONSE_TOO_LARGE', { y: [1, 1, 2048, 2048] }]);
    expect(e.details.estimate).toBeGreaterThan(100e6);
    expect(run).not.toHaveBeenCalled();
  });

  it('the tensor limit is checked first: an output over MAX_TENSOR_ELEMENTS stays 413 TENSOR_TOO_LARGE', () => {
    const e = errorOf(() => runOperator({ name: 'upsample', inputs: [zeros([1, 1, 8, 8])], attributes: { scaleFactor: 8 }, weights: {}, training: false, seed: 0, maxElements: 4000, answer: rest(1024, 'json') }));
    expect(e.code).toBe('TENSOR_TOO_LARGE');
  });
});

describe('sizes that depend on values are left to the encoder, which sees the real ones', () => {
  it('nonZero of [1, 4096] (its bound [2, 4096]) under a 1,024-byte limit runs: the count is not known before it', () => {
    const run = kernel('nonZero');
    const x = tensor([1, 4096], new Float32Array(4096).fill(1));
    const r = runOperator({ name: 'nonZero', inputs: [x], attributes: {}, weights: {}, training: false, seed: 0, maxElements: 1 << 20, answer: rest(1024, 'json') });
    expect(r.outputs[0].shape).toEqual([2, 4096]);
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('a staged run (NonMaxSuppression, then Gather and Mul of the kept rows) under a 1,024-byte limit runs through its stages: kept is computed from a data-dependent size', () => {
    const inputs = { boxes: tensor([1, 6, 4], Float32Array.from(BOXES)), scores: tensor([1, 1, 6], Float32Array.from(SCORES)) };
    const r = runTask({ source: { kind: 'onnx', bytes: nmsModel(), inputShapes: {} }, inputs, weights: {}, weightInit: 'file', training: false, seed: 0, capture: [], maxElements: 1 << 20, answer: rest(1024, 'json') });
    expect(Array.from(r.outputs.kept.data)).toEqual(KEPT);
  });

  it('…but a capture of the same staged run whose shape is known (the boxes reshaped, [6, 4]: 2,049 + 384 + 15 + 24·25 + 23 + 2·7 bytes) is checked before the first stage', () => {
    const inputs = { boxes: tensor([1, 6, 4], Float32Array.from(BOXES)), scores: tensor([1, 1, 6], Float32Array.from(SCORES)) };
    const run = kernel('nonMaxSuppression');
    const e = errorOf(() => runTask({ source: { kind: 'onnx', bytes: nmsModel(), inputShapes: {} }, inputs, weights: {}, weightInit: 'file', training: false, seed: 0, capture: ['flat'], maxElements: 1 << 20, answer: rest(1024, 'json') }));
    expect(e.details).toMatchObject({ estimate: 2049 + 384 + 15 + 24 * 25 + 23 + 2 * 7, shapes: { flat: [6, 4] } });
    expect(run).not.toHaveBeenCalled();
  });
});

describe('a network run: its outputs and captures, before its first layer', () => {
  const spec = net([1, 1, 16, 16], { op: 'relu' }, { op: 'upsample', scaleFactor: 16 }, { op: 'adaptiveAvgPool2d', outputSize: 1 });
  const task = (capture: string[], answer: AnswerLimit) => ({ source: { kind: 'spec' as const, spec }, inputs: { x: zeros([1, 1, 16, 16]) }, weights: {}, weightInit: 'seed' as const, training: false, seed: 0, capture, maxElements: 1 << 20, answer });

  it('a small output ([1, 1, 1, 1]) and a capture of the upsampled [1, 1, 256, 256] under 1 MiB: refused naming the capture l1; neither relu nor upsample ran', () => {
    const relu = kernel('relu');
    const up = kernel('upsample');
    const e = errorOf(() => runTask(task(['l1'], rest(1 << 20, 'json'))));
    expect(e.code).toBe('RESPONSE_TOO_LARGE');
    expect(e.details.shapes).toEqual({ l2: [1, 1, 1, 1], l1: [1, 1, 256, 256] });
    expect(relu).not.toHaveBeenCalled();
    expect(up).not.toHaveBeenCalled();
  });

  it('as base64 (2,050 + 384 + 13 + 262,146 for the capture, 384 + 13 + 10 for the output) it fits in 1 MiB and runs', () => {
    const r = runTask(task(['l1'], rest(1 << 20, 'base64')));
    expect(r.captured.l1.shape).toEqual([1, 1, 256, 256]);
  });
});
