/**
 * What the report route tests share (reports.test.ts, reports-analyze.test.ts,
 * reports-compare.test.ts): a tiny spec, resnet18's ONNX export, torchvision's published parameter
 * counts, and a CSV reader.
 */
import { readFileSync } from 'node:fs';

/** torchvision's published parameter counts (its model docs). */
export const TORCHVISION = { resnet18: 11_689_512, resnet34: 21_797_672 };
export const onnxResnet18 = readFileSync(new URL('../fixtures/onnx/resnet18.onnx', import.meta.url));
export const tiny = {
  name: 'tiny',
  inputs: [{ name: 'x', shape: [1, 3, 8, 8] }],
  layers: [
    { name: 'conv', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 },
    { name: 'act', op: 'relu' },
    { name: 'pool', op: 'maxPool2d', kernelSize: 2, stride: 2 },
  ],
};

/** A CSV body as rows of cells (no quoted commas in these reports). */
export const rows = (text: string) => text.trimEnd().split('\n').map((l) => l.split(','));
