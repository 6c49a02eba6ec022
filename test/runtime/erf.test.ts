/**
 * computeErf (runtime/erf.ts): K gradient tasks at most `parallel` at a time, then one summary;
 * the mean of |gradient| over the samples.
 */
import { describe, expect, it } from 'vitest';
import { computeErf } from '../../src/runtime/erf.js';
import type { ErfRunner } from '../../src/runtime/erf.js';
import { erfTask, finalFeatureMap, modulePrefix, stageOutputs } from '../../src/runtime/erf-task.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { loadGraph } from '../../src/graph/load.js';
import { resolveTarget } from '../../src/runtime/backward.js';
import type { ErfGradientResult, ErfTask } from '../../src/runtime/erf-task.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { onnxModel } from '../graph/onnx-builder.js';

const spec = { inputs: [{ name: 'x', shape: [1, 1, 6, 6] }], layers: [{ name: 'c', op: 'conv2d', outChannels: 2, kernelSize: 3 }, { name: 'r', op: 'relu' }] };

describe('computeErf', () => {
  it('runs 5 samples 2 at a time on a runner of parallel 2, and averages |gradient| over them', async () => {
    let inFlight = 0;
    let most = 0;
    const kinds: string[] = [];
    const grads: Float32Array[] = [];
    const run = Object.assign(
      async <T>(task: ErfTask): Promise<T> => {
        kinds.push(task.kind);
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 10));
        inFlight--;
        const out = erfTask(task);
        if (task.kind === 'gradient') grads.push((out as ErfGradientResult).gradient.data.slice());
        return out as T;
      },
      { parallel: 2 },
    ) as ErfRunner;
    const s = await computeErf(run, { source: { kind: 'spec', spec }, mode: 'random', samples: 5, inputs: {}, weights: {}, weightInit: 'seed', seed: 3, target: { layer: '', channels: null, position: null }, stages: false, heatmap: false, maxElements: 1 << 20 });
    expect(most).toBe(2);
    expect(kinds).toEqual(['gradient', 'gradient', 'gradient', 'gradient', 'gradient', 'summary']);
    const k = 14;
    expect(s.gradient.data[k]).toBeCloseTo(grads.reduce((a, g) => a + Math.abs(g[k]), 0) / 5, 6);
    expect(s.gradient.data[k]).toBeGreaterThan(0);
    expect(s.inputs).toBe(5);
  });

  it('module prefixes of spec and ONNX names', () => {
    expect(modulePrefix('layer1.0.conv1', 1)).toBe('layer1');
    expect(modulePrefix('layer1.0.conv1', 2)).toBe('layer1.0');
    expect(modulePrefix('conv1', 1)).toBe('conv1');
    expect(modulePrefix('/layer1/layer1.0/conv1/Conv', 2)).toBe('layer1.0');
    expect(modulePrefix('/features/features.6/Add', 2)).toBe('features.6');
  });

  // found by a hunt: an ONNX unit named by its tensor ('out' of node /c4/Conv) was listed again as the last stage
  it('a unit named by its tensor (ONNX output y of node c2) is not a stage of itself: the stages are c1 only', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 1, 9, 9] }],
      outputs: ['y'],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w1'], outputs: ['h'], name: 'c1', attrs: { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] } } },
        { op: 'Conv', inputs: ['h', 'w2'], outputs: ['y'], name: 'c2', attrs: { kernel_shape: { ints: [1, 1] }, strides: { ints: [2, 2] } } },
      ],
      initializers: [
        { name: 'w1', dims: [1, 1, 3, 3] },
        { name: 'w2', dims: [1, 1, 1, 1] },
      ],
    });
    const { graph } = importOnnx(bytes);
    const inference = inferGraph(graph);
    for (const layer of ['y', 'c2']) {
      const target = resolveTarget(graph, inference, { layer, channels: null, position: null });
      expect(stageOutputs(inference, target).map((s) => `${s.layer}@${s.stride[0]}`), layer).toEqual(['c1@2']);
    }
  });

  it("ResNet-18's stages by stride end before each downsampling; by name at each top-level module", () => {
    const { graph } = loadGraph({ kind: 'model', name: 'resnet18', resolution: 64 });
    const inference = inferGraph(graph);
    const target = resolveTarget(graph, inference, { layer: finalFeatureMap(graph, inference), channels: null, position: null });
    expect(target.layer).toBe('layer4.1.relu');
    expect(stageOutputs(inference, target).map((s) => `${s.layer}@${s.stride[0]}`)).toEqual(['relu@2', 'layer1.1.relu@4', 'layer2.1.relu@8', 'layer3.1.relu@16']);
    expect(stageOutputs(inference, target, 'name').map((s) => s.layer)).toEqual(['conv1', 'bn1', 'relu', 'maxpool', 'layer1.1.relu', 'layer2.1.relu', 'layer3.1.relu']);
  });

  it('swin_t at 224: the final map is the 7×7 permute back to [N, C, H, W] (its field is global: the last stage\'s window covers the whole map), not the 56×56 patch embedding', () => {
    const { graph } = loadGraph({ kind: 'model', name: 'swin_t' });
    const inference = inferGraph(graph);
    expect(inference.tensors.get('permute')).toMatchObject({ shape: [1, 768, 7, 7], rf: { global: true } });
    expect(finalFeatureMap(graph, inference)).toBe('permute');
  });
});
