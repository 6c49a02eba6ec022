import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/onnx/${name}`, import.meta.url)));
const analyse = (name: string) =>
  analyzeGraph(importOnnx(fixture(name), { inputShapes: name === 'resnet18.onnx' ? { '': [1, 3, 224, 224] } : {} }).graph, { dtype: 'float32', flops: '2macs', includeBias: false });

describe('BATCHNORM_FOLDED: an ONNX export whose batch norms the exporter folded into the convs says so', () => {
  // scripts/export_folded.py: torchvision resnet18 exported in eval mode with torch.onnx.export's defaults
  const truth = JSON.parse(readFileSync(new URL('../fixtures/onnx/resnet18_folded.json', import.meta.url), 'utf8')) as {
    params: number;
    batchNorms: number;
    batchNormChannels: number;
  };

  it('resnet18 folded: 20 convs flagged, 4800 channels; the folded graph has PyTorch params − 4800; the note gives back PyTorch\'s 11,689,512', () => {
    const r = analyse('resnet18_folded.onnx');
    expect(r.totals.params).toBe(truth.params - truth.batchNormChannels);
    const w = r.warnings.find((x) => x.code === 'BATCHNORM_FOLDED');
    expect(w).toBeDefined();
    expect(w!.layers).toHaveLength(truth.batchNorms);
    expect(w!.foldedChannels).toBe(truth.batchNormChannels);
    expect(w!.moduleParams).toBe(truth.params);
    expect(w!.message).toContain('11,689,512');
  });

  it.each(['resnet18.onnx', 'unet.onnx', 'mobilenet_v2.onnx'])('%s, exported with its batch norms kept: no note', (name) => {
    expect(analyse(name).warnings.map((x) => x.code)).not.toContain('BATCHNORM_FOLDED');
  });
});
