/**
 * Detection post-processing in five ONNX nodes, for runs through a data-dependent size
 * (runtime/run-staged.ts): NonMaxSuppression → the kept boxes' indices (column 2) → those rows of
 * boxes → ×2. Three pairs of boxes ([y1, x1, y2, x2]), each pair overlapping by IoU ≥ 0.9: NMS at
 * 0.5 keeps 0, 2 and 4 of its bound of 6, so `kept` is boxes 0, 2, 4 doubled (KEPT, by hand).
 */
import { onnxModel } from '../graph/onnx-builder.js';

export const BOXES = [0, 0, 10, 10, 0, 0, 10, 9.5, 20, 20, 30, 30, 20, 20, 30, 29.5, 40, 40, 50, 50, 40, 41, 50, 50];
export const SCORES = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4];
export const KEPT = [0, 0, 20, 20, 40, 40, 60, 60, 80, 80, 100, 100];

export function nmsModel(): Uint8Array {
  return onnxModel({
    inputs: [{ name: 'boxes', shape: [1, 6, 4] }, { name: 'scores', shape: [1, 1, 6] }],
    outputs: ['kept'],
    initializers: [
      { name: 'max', dims: [1], data: [6], type: 'int64' },
      { name: 'iou', dims: [1], data: [0.5] },
      { name: 'col', dims: [], data: [2], type: 'int64' },
      { name: 'rows', dims: [2], data: [6, 4], type: 'int64' },
      { name: 'two', dims: [1], data: [2] },
    ],
    nodes: [
      { op: 'NonMaxSuppression', inputs: ['boxes', 'scores', 'max', 'iou'], outputs: ['sel'], name: 'nms' },
      { op: 'Gather', inputs: ['sel', 'col'], outputs: ['idx'], name: 'pick', attrs: { axis: { i: 1 } } },
      { op: 'Reshape', inputs: ['boxes', 'rows'], outputs: ['b2'], name: 'flat' },
      { op: 'Gather', inputs: ['b2', 'idx'], outputs: ['g'], name: 'gather', attrs: { axis: { i: 0 } } },
      { op: 'Mul', inputs: ['g', 'two'], outputs: ['kept'], name: 'scale' },
    ],
  });
}
