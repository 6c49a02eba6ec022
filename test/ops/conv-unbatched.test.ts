import { describe, expect, it } from 'vitest';
import { analyze, errorOf, layer, net } from '../helpers.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { onnxModel } from '../graph/onnx-builder.js';

// PyTorch 1.13's nn.Conv1d/2d/3d and nn.ConvTranspose1d/2d/3d take [N, C, …spatial] or one sample
// [C, …spatial] (ops/unbatched.ts); output shapes are torch's for the same call (values:
// test/fixtures/operators/conv_unbatched.json, scripts/goldens_conv_unbatched.py)
const CALLS: [op: string, attrs: Record<string, unknown>, unbatched: number[], torchOut: number[], refused: number[][]][] = [
  ['conv1d', { outChannels: 4, kernelSize: 3 }, [3, 11], [4, 9], [[11], [1, 1, 3, 11]]],
  ['conv2d', { outChannels: 4, kernelSize: 3 }, [3, 7, 6], [4, 5, 4], [[7, 6], [1, 1, 3, 7, 6]]],
  ['conv3d', { outChannels: 4, kernelSize: 3, padding: 1 }, [3, 4, 6, 6], [4, 4, 6, 6], [[4, 6, 6], [1, 1, 3, 4, 6, 6]]],
  ['convTranspose1d', { outChannels: 4, kernelSize: 4, stride: 2, padding: 1 }, [3, 6], [4, 12], [[6], [1, 1, 3, 6]]],
  ['convTranspose2d', { outChannels: 2, kernelSize: 4, stride: 2, padding: 1 }, [3, 4, 5], [2, 8, 10], [[4, 5], [1, 1, 3, 4, 5]]],
  ['convTranspose3d', { outChannels: 3, kernelSize: 2, stride: 2 }, [4, 2, 3, 3], [3, 4, 6, 6], [[2, 3, 3], [1, 1, 4, 2, 3, 3]]],
];

describe('convolutions of an unbatched [C, …spatial] input, as PyTorch 1.13 takes them', () => {
  it.each(CALLS)('%s %j on unbatched %j → torch %j; ranks %j refused (RANK_MISMATCH at $.layers[0].inputs, naming both layouts)', (op, attrs, x, out, refused) => {
    expect(layer(analyze(net(x, { op, ...attrs })), 'l0').outputShape).toEqual(out);
    for (const shape of refused) {
      const e = errorOf(() => analyze(net(shape, { op, ...attrs })));
      expect(e.code).toBe('RANK_MISMATCH');
      expect(e.details.path).toBe('$.layers[0].inputs');
      expect(e.message).toContain(`must have ${x.length + 1} dimensions (N, C,`);
      expect(e.message).toContain(`or ${x.length} unbatched (C,`);
    }
  });

  it('conv2d on [4, 6, 6]: the refusal that motivated this (400 RANK_MISMATCH "must have 4 dimensions") is gone; [6, 6] names (N, C, H, W) or (C, H, W)', () => {
    expect(layer(analyze(net([4, 6, 6], { op: 'conv2d', outChannels: 8, kernelSize: 3, padding: 1 })), 'l0').outputShape).toEqual([8, 6, 6]);
    const e = errorOf(() => analyze(net([6, 6], { op: 'conv2d', outChannels: 8, kernelSize: 3 })));
    expect(e.message).toBe("layer 'l0': input 0 must have 4 dimensions (N, C, H, W) or 3 unbatched (C, H, W), as PyTorch's torch.nn.Conv2d, got shape [6, 6]");
  });

  it('an ONNX Conv / ConvTranspose with a 4-D weight over a 3-D X stays refused (RANK_MISMATCH): ONNX takes [N, C, …] only', () => {
    for (const op of ['Conv', 'ConvTranspose']) {
      const bytes = onnxModel({
        inputs: [{ name: 'x', shape: [2, 8, 8] }],
        outputs: ['y'],
        initializers: [{ name: 'w', dims: [2, 2, 3, 3] }],
        nodes: [{ op, name: 'c', inputs: ['x', 'w'], outputs: ['y'], attrs: { kernel_shape: { ints: [3, 3] } } }],
      });
      const e = errorOf(() => inferGraph(importOnnx(bytes).graph));
      expect(e.code).toBe('RANK_MISMATCH');
      expect(e.message).toContain(`ONNX ${op} takes no unbatched input`);
    }
  });

  it('a channel count refused on an unbatched input names the shape as given: conv2d inChannels 5 on [4, 6, 6]', () => {
    const e = errorOf(() => analyze(net([4, 6, 6], { op: 'conv2d', outChannels: 8, inChannels: 5, kernelSize: 3 })));
    expect(e.details.path).toBe('$.layers[0].inChannels');
    expect(JSON.stringify(e.details.shapes ?? {})).not.toContain('[1,4,6,6]');
  });

  // the analysis reads the same definition: the batch of one's counts, and its field once the axes are the sample's
  it.each([
    ['conv2d', { outChannels: 8, kernelSize: 3, stride: 2, padding: 1 }, [1, 4, 9, 10]],
    ['conv2d', { outChannels: 4, kernelSize: 3, padding: 1, groups: 4, bias: false }, [1, 4, 9, 10]],
    ['conv2d', { outChannels: 6, kernelSize: [3, 2], dilation: [2, 1], groups: 2, paddingMode: 'reflect', padding: 1 }, [1, 4, 9, 10]],
    ['conv1d', { outChannels: 8, kernelSize: 5, stride: 2, padding: 2 }, [1, 3, 17]],
    ['conv3d', { outChannels: 6, kernelSize: [1, 3, 3], stride: [1, 2, 2], groups: 2 }, [1, 4, 5, 7, 6]],
    ['convTranspose2d', { outChannels: 6, kernelSize: 3, stride: 2, outputPadding: 1, groups: 2 }, [1, 4, 3, 3]],
    ['convTranspose1d', { outChannels: 4, kernelSize: 4, stride: 2, padding: 1 }, [1, 3, 6]],
    ['convTranspose3d', { outChannels: 4, kernelSize: 3, stride: [1, 2, 2], padding: 1 }, [1, 2, 3, 4, 4]],
  ])('%s %j: x.squeeze(0) of %j analysed as the batch of one: shape without N, the same params, MACs, FLOPs and receptive field', (op, attrs, batch) => {
    const batched = layer(analyze(net(batch, { op, ...attrs })), 'l0');
    const single = layer(analyze(net(batch, { op: 'squeeze', axes: [0] }, { op, ...attrs })), 'l1');
    expect(single.outputShape).toEqual(batched.outputShape!.slice(1));
    expect(single.params).toBe(batched.params);
    expect(single.macs).toBe(batched.macs);
    expect(single.macs).toBeGreaterThan(0);
    expect(single.flopsByConvention).toEqual(batched.flopsByConvention);
    expect(single.receptiveField).toEqual(batched.receptiveField);
    expect(single.receptiveField).not.toBeNull();
  });

  // a network input [C, H, W] into a 2-D conv is one unbatched image: its field over H and W
  // (analysis/input-layout.ts reads Inferred.unbatched), not over W alone as N, C, L
  it.each([
    ['conv2d', { outChannels: 8, kernelSize: 3, stride: 2, padding: 1 }],
    ['convTranspose2d', { outChannels: 4, kernelSize: 4, stride: 2, padding: 1 }],
  ])('%s %j on a network input [3, 9, 10]: the field over [h, w], as the batch of one [1, 3, 9, 10] has it', (op, attrs) => {
    const single = layer(analyze(net([3, 9, 10], { op, ...attrs })), 'l0');
    const batched = layer(analyze(net([1, 3, 9, 10], { op, ...attrs })), 'l0');
    expect(single.receptiveField).toMatchObject({ axes: ['h', 'w'] });
    expect(single.receptiveField).toEqual(batched.receptiveField);
  });

  it.each([
    ['conv1d', { outChannels: 4, kernelSize: 5, stride: 2, padding: 2 }],
    ['convTranspose1d', { outChannels: 4, kernelSize: 4, stride: 2, padding: 1 }],
  ])('%s %j on a network input signal [3, 17]: the field over [l], as the batch of one [1, 3, 17] has it (analysis/input-layout.ts, k = 1)', (op, attrs) => {
    const single = layer(analyze(net([3, 17], { op, ...attrs })), 'l0');
    const batched = layer(analyze(net([1, 3, 17], { op, ...attrs })), 'l0');
    expect(single.receptiveField).toMatchObject({ axes: ['l'] });
    expect(single.receptiveField).toEqual(batched.receptiveField);
  });

  it.each([
    ['conv3d', { outChannels: 4, kernelSize: 3, stride: [1, 2, 2], padding: 1 }],
    ['convTranspose3d', { outChannels: 4, kernelSize: 2, stride: 2 }],
  ])('%s %j on a network input clip [3, 4, 8, 8]: the field over [d, h, w], as the batch of one [1, 3, 4, 8, 8] has it (not N, C, H, W)', (op, attrs) => {
    const single = layer(analyze(net([3, 4, 8, 8], { op, ...attrs })), 'l0');
    const batched = layer(analyze(net([1, 3, 4, 8, 8], { op, ...attrs })), 'l0');
    expect(single.receptiveField).toMatchObject({ axes: ['d', 'h', 'w'] });
    expect(single.receptiveField).toEqual(batched.receptiveField);
  });

  it('CHANNELS_NOT_MULTIPLE_OF_8 reads an unbatched conv as the batch of one: conv2d 12 channels on [3, 8, 8] named (12), conv3d 12 on [3, 4, 8, 8] (12, not D = 4)', () => {
    const warned = (shape: number[], op: string) => analyze(net(shape, { op, outChannels: 12, kernelSize: 3, padding: 1 })).warnings.find((w) => w.code === 'CHANNELS_NOT_MULTIPLE_OF_8');
    expect(warned([3, 8, 8], 'conv2d')?.message).toContain('l0 (12)');
    expect(warned([1, 3, 8, 8], 'conv2d')?.message).toContain('l0 (12)');
    expect(warned([3, 4, 8, 8], 'conv3d')).toBeUndefined();
    expect(warned([1, 3, 4, 8, 8], 'conv3d')).toBeUndefined();
  });
});
