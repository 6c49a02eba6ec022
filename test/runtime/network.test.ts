import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runTask } from '../../src/runtime/tasks.js';
import { onnxRunTask } from './onnx-run-task.js';
import { scaledError } from '../helpers.js';

const load = (name: string) => ({
  bytes: new Uint8Array(readFileSync(new URL(`../fixtures/networks/${name}.onnx`, import.meta.url))),
  golden: JSON.parse(readFileSync(new URL(`../fixtures/networks/${name}.json`, import.meta.url), 'utf8')) as {
    input: { shape: number[]; data: number[] };
    output: { shape: number[]; data: number[] };
  },
});

const run = (bytes: Uint8Array, input: { shape: number[]; data: number[] }, capture: string[] = []) => runTask(onnxRunTask(bytes, input, { capture, maxElements: 1 << 26 }));

describe('whole networks exported from PyTorch with their weights (scripts/network_goldens.py)', () => {
  it.each([
    ['resnet18_w16', 13],
    ['mobilenet_v2_w050', 13],
    ['convnext_blocks_d32', 17], // LayerNormalization, depthwise 7×7, GELU (Erf), layer scale, residuals
    ['vit_tiny', 17], // patch conv, class token, position embedding, self-attention (MatMul, Softmax), LayerNorm, GELU
  ] as const)('%s (opset %i): the output equals PyTorch\'s within 1e-4 relative', (name, opset) => {
    const { bytes, golden } = load(name);
    const res = run(bytes, golden.input);
    const out = res.outputs.output;
    expect(out.shape).toEqual(golden.output.shape);
    expect(scaledError(out.data, golden.output.data)).toBeLessThanOrEqual(1e-4);
    expect(res.source).toMatchObject({ format: 'onnx', opset });
  });

  it('returns named intermediate layers on request', () => {
    const { bytes, golden } = load('resnet18_w16');
    const res = run(bytes, golden.input, ['/layer1/layer1.0/conv1/Conv', '/maxpool/MaxPool']);
    expect(res.captured['/layer1/layer1.0/conv1/Conv'].shape).toEqual([1, 16, 16, 16]);
    expect(res.captured['/maxpool/MaxPool'].shape).toEqual([1, 16, 16, 16]);
  });
});
