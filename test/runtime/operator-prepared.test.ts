/**
 * A repeated operator call takes its prepared layer (attributes parsed, one-layer graph, inference,
 * report) from the thread's kept ones (runtime/operator.ts prepare): the same call hits, any change
 * of op, attribute, input or weight shape, dtype or training misses, and the answers (outputs'
 * bits, report, errors with their codes and paths) are those of a fresh preparation. The values
 * are worked by hand (a 2×2 conv over 1..9, leakyRelu's signed zeros) or are the first call's.
 */
import { describe, expect, it } from 'vitest';
import { PREPARED_CALLS, preparedStats, runOperator } from '../../src/runtime/operator.js';
import type { OperatorCall } from '../../src/runtime/operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { errorOf } from '../helpers.js';

const conv = (x: number[], w: number[], extra: Partial<OperatorCall> = {}): OperatorCall => ({
  name: 'conv2d',
  inputs: [tensor([1, 1, 3, 3], x)],
  attributes: { bias: false },
  weights: { weight: tensor([1, 1, 2, 2], w) },
  training: false,
  seed: 0,
  maxElements: 1 << 20,
  ...extra,
});
const NINE = [1, 2, 3, 4, 5, 6, 7, 8, 9];

/** The kept-layout hits and misses `fn` made. */
function counted<T>(fn: () => T): { value: T; hits: number; misses: number } {
  const [hits, misses] = [preparedStats.hits, preparedStats.misses];
  const value = fn();
  return { value, hits: preparedStats.hits - hits, misses: preparedStats.misses - misses };
}

const bits = (t: Tensor) => Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length));

describe('prepared operator calls: a repeat takes its layer from the kept ones', () => {
  it('the same call twice: a miss then a hit, the same outputs, report and facts', () => {
    // a shape no other test here uses, so the first call is this test's own miss
    const first = counted(() => runOperator({ ...conv(NINE, [1, 2, 3, 4]), attributes: { bias: false, dilation: 1 } }));
    const second = counted(() => runOperator({ ...conv(NINE, [1, 2, 3, 4]), attributes: { bias: false, dilation: 1 } }));
    expect([first.misses, first.hits, second.misses, second.hits]).toEqual([1, 0, 0, 1]);
    // top-left: 1·1 + 2·2 + 4·3 + 5·4 = 37
    expect(Array.from(second.value.outputs[0].data)).toEqual([37, 47, 67, 77]);
    expect(bits(second.value.outputs[0])).toEqual(bits(first.value.outputs[0]));
    expect(second.value.layer).toEqual(first.value.layer);
    expect(second.value.extra).toEqual(first.value.extra);
  });

  it('a hit reads its own tensors: other values of x and of the weight give their own answer', () => {
    runOperator(conv(NINE, [1, 2, 3, 4]));
    const hit = counted(() => runOperator(conv(NINE.map((v) => 10 - v), [4, 3, 2, 1])));
    expect(hit.hits).toBe(1);
    // x = 9..1, w = [[4, 3], [2, 1]]: top-left 9·4 + 8·3 + 6·2 + 5·1 = 77
    expect(Array.from(hit.value.outputs[0].data)).toEqual([77, 67, 47, 37]);
  });

  it.each<[string, OperatorCall]>([
    ['an attribute (padding 1)', { ...conv(NINE, [1, 2, 3, 4]), attributes: { bias: false, padding: 1 } }],
    ['an attribute given where it was defaulted (stride 1)', { ...conv(NINE, [1, 2, 3, 4]), attributes: { bias: false, stride: 1 } }],
    ['the input shape', { ...conv(NINE, [1, 2, 3, 4]), inputs: [tensor([1, 1, 2, 4], NINE.slice(0, 8))] }],
    ['the input dtype (float16)', { ...conv(NINE, [1, 2, 3, 4]), inputs: [{ ...tensor([1, 1, 3, 3], NINE), dtype: 'float16' }] }],
    ['the weight shape', { ...conv(NINE, [1, 2, 3, 4]), weights: { weight: tensor([1, 1, 1, 2], [1, 2]) } }],
    ['the weights given (a bias too)', { ...conv(NINE, [1, 2, 3, 4]), attributes: {}, weights: { weight: tensor([1, 1, 2, 2], [1, 2, 3, 4]), bias: tensor([1], [0.5]) } }],
    ['training', { ...conv(NINE, [1, 2, 3, 4]), training: true }],
    ['the op', { ...conv(NINE, [1, 2, 3, 4]), name: 'convTranspose2d' }],
  ])('a change of %s misses, then hits when repeated', (_, changed) => {
    runOperator(conv(NINE, [1, 2, 3, 4]));
    const miss = counted(() => runOperator(changed));
    expect([miss.misses, miss.hits]).toEqual([1, 0]);
    const again = counted(() => runOperator(changed));
    expect([again.misses, again.hits]).toEqual([0, 1]);
    expect(bits(again.value.outputs[0])).toEqual(bits(miss.value.outputs[0]));
    expect(again.value.layer).toEqual(miss.value.layer);
  });

  it('leakyRelu with a slope of -0 and of 0 are two calls: x·(−0) and x·0 differ in sign on negative x, as PyTorch', () => {
    const call = (negativeSlope: number): OperatorCall => ({ name: 'leakyRelu', inputs: [tensor([1, 3], [-2, -1, 3])], attributes: { negativeSlope }, weights: {}, training: false, seed: 0, maxElements: 100 });
    runOperator(call(0));
    const minus = counted(() => runOperator(call(-0)));
    expect(minus.misses).toBe(1);
    // −2·(−0) = +0, −1·(−0) = +0; with slope +0: −0, −0
    expect(Array.from(minus.value.outputs[0].data).map((v) => Object.is(v, -0))).toEqual([false, false, false]);
    expect(Array.from(runOperator(call(0)).outputs[0].data).map((v) => Object.is(v, -0))).toEqual([true, true, false]);
  });

  it('the string "1" and the number 1 are two calls (one refused, one run)', () => {
    runOperator({ ...conv(NINE, [1, 2, 3, 4]), attributes: { bias: false, groups: 1 } });
    const e = errorOf(() => runOperator({ ...conv(NINE, [1, 2, 3, 4]), attributes: { bias: false, groups: '1' } }));
    expect(e.details.path).toBe('$.attributes.groups');
  });

  it('weight roles are data: a role whose name spells another call\'s roles and shapes is not that call', () => {
    // multiHeadAttention's bias attribute defaults from whether inProjBias is given (attrsFromWeights)
    const given = (weights: OperatorCall['weights']): OperatorCall => ({ name: 'multiHeadAttention', inputs: [tensor([1, 2, 1, 1], [1, -1])], attributes: { numHeads: 1, embedDim: 2 }, weights, training: false, seed: 0, maxElements: 100 });
    const w = (shape: number[]) => tensor(shape, new Array(shape.reduce((a, b) => a * b, 1)).fill(0.5));
    const odd = errorOf(() => runOperator(given({ 'inProjWeight:6x2,outProjWeight': w([2, 2]) })));
    expect(odd.code).toBe('INVALID_TENSOR');
    // no biases given, so none: 6·2 + 2·2 = 16 parameters (with both biases, 24)
    expect(runOperator(given({ inProjWeight: w([6, 2]), outProjWeight: w([2, 2]) })).layer.params).toBe(16);
  });

  it('a parameter input (reshape\'s shape as inputs[1]) is a value: never taken from the kept ones', () => {
    const reshape = (to: number[]): OperatorCall => ({ name: 'reshape', inputs: [tensor([2, 3], [1, 2, 3, 4, 5, 6]), tensor([2], to)], attributes: {}, weights: {}, training: false, seed: 0, maxElements: 100 });
    const a = counted(() => runOperator(reshape([3, 2])));
    const b = counted(() => runOperator(reshape([1, 6])));
    expect([a.value.outputs[0].shape, b.value.outputs[0].shape]).toEqual([[3, 2], [1, 6]]);
    expect(a.hits + b.hits).toBe(0);
  });

  it('errors are the same on a hit as on a miss: codes, paths, details; the limits are checked on every call', () => {
    const wrong = { ...conv(NINE, [1, 2, 3, 4]), attributes: { bias: false, outChannels: 2 } };
    const miss = counted(() => errorOf(() => runOperator(wrong)));
    const hit = counted(() => errorOf(() => runOperator(wrong)));
    expect([miss.misses, hit.hits]).toEqual([1, 1]);
    expect(hit.value.toJSON()).toEqual(miss.value.toJSON());
    expect(hit.value.details.path).toBe('$.weights.weight');
    // the kept layout is for any MAX_TENSOR_ELEMENTS: a smaller one refuses the same call's 4-element weight at its field
    runOperator(conv(NINE, [1, 2, 3, 4]));
    const limited = counted(() => errorOf(() => runOperator({ ...conv(NINE, [1, 2, 3, 4]), maxElements: 3 })));
    expect(limited.hits).toBe(1);
    expect(limited.value.code).toBe('TENSOR_TOO_LARGE');
    expect(limited.value.details).toMatchObject({ path: '$.weights.weight', shapes: { weight: [1, 1, 2, 2] } });
  });

  it('a call whose key is long (a weight role of 1 MiB, refused) is not kept: the thread holds no request text of that size', () => {
    const role = 'w'.repeat(1 << 20);
    const long = { ...conv(NINE, [1, 2, 3, 4]), attributes: { outChannels: 1, kernelSize: 2, bias: false }, weights: { [role]: tensor([1], [1]) } };
    const a = counted(() => errorOf(() => runOperator(long)));
    const b = counted(() => errorOf(() => runOperator(long)));
    expect([a.value.code, b.value.code]).toEqual(['INVALID_TENSOR', 'INVALID_TENSOR']);
    expect([a.misses, b.misses, b.hits]).toEqual([1, 1, 0]);
  });

  it('an attribute refused is prepared afresh each time (nothing kept), with the same error', () => {
    const bad = { ...conv(NINE, [1, 2, 3, 4]), attributes: { bias: false, kernelSzie: 2 } };
    const a = counted(() => errorOf(() => runOperator(bad)));
    const b = counted(() => errorOf(() => runOperator(bad)));
    expect([a.misses, b.misses, b.hits]).toEqual([1, 1, 0]);
    expect(b.value.toJSON()).toEqual(a.value.toJSON());
  });

  it(`keeps the ${PREPARED_CALLS} most recently used: the least recent is prepared again`, () => {
    const sized = (w: number): OperatorCall => ({ name: 'relu', inputs: [tensor([1, w], new Array(w).fill(-1))], attributes: {}, weights: {}, training: false, seed: 0, maxElements: 1000 });
    for (let w = 1; w <= PREPARED_CALLS; w++) runOperator(sized(w));
    // the first is touched: the second is now the least recent
    expect(counted(() => runOperator(sized(1))).hits).toBe(1);
    runOperator(sized(PREPARED_CALLS + 1));
    expect(counted(() => runOperator(sized(1))).hits).toBe(1);
    expect(counted(() => runOperator(sized(2))).misses).toBe(1);
  });
});
