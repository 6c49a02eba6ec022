/** A `run` task of an ONNX file with its own weights on one input named `input`, as the route sends it (the model cache's tests). */
import type { RunTask } from '../../src/runtime/tasks.js';
import { tensor } from '../../src/tensor/tensor.js';

export const onnxRunTask = (bytes: Uint8Array, input: { shape: number[]; data: number[] }, more: Partial<RunTask> = {}): RunTask => ({
  source: { kind: 'onnx', bytes, inputShapes: {} },
  inputs: { input: tensor(input.shape, Float32Array.from(input.data)) },
  weights: {},
  weightInit: 'file',
  training: false,
  seed: 0,
  capture: [],
  maxElements: 1 << 24,
  ...more,
});
